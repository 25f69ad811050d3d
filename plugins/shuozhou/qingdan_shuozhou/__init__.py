"""清单(qingdan)辖区插件:朔州市朔城区(山西省)。

实现《朔城区重新梳理政务服务事项加快推进政务服务系统建设打造“六最”营商环境工作方案》
(朔区政办发〔2019〕18号)中可由系统承载的规则:梳理的事项类型,公共服务事项的八个
服务类型和“19+X”个主题(X主题由城市管理员在设置中添加),摸底梳理、初步审核、依法确认、
公布运行四个阶段的日期,“零报告”与主要负责人审签,全程网办目标,审核链(部门审签报送、
区行政审批服务管理局会同区编办和区司法局审核、区政府常务会议审定后公布)与公布后的后续义务,
以及朔城区的演示数据。
入口点 ``qingdan.jurisdictions`` 中的名称为 ``shuozhou``。
"""

from qingdan_shuozhou.hooks import (
    qingdan_approval_chain,
    qingdan_campaign_template,
    qingdan_demo_dataset,
    qingdan_element_requirements,
    qingdan_indicators,
    qingdan_item_types,
    qingdan_jurisdiction,
    qingdan_obligations,
    qingdan_settings_schema,
    qingdan_taxonomies,
)
from qingdan_shuozhou.quality import qingdan_quality_rules
from qingdan_shuozhou.settings import ShuozhouSettings

__version__ = "0.1.0"
__all__ = [
    "ShuozhouSettings",
    "__version__",
    "qingdan_approval_chain",
    "qingdan_campaign_template",
    "qingdan_demo_dataset",
    "qingdan_element_requirements",
    "qingdan_indicators",
    "qingdan_item_types",
    "qingdan_jurisdiction",
    "qingdan_obligations",
    "qingdan_quality_rules",
    "qingdan_settings_schema",
    "qingdan_taxonomies",
]
