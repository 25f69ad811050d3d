"""清单(qingdan)辖区插件:朔州市朔城区(山西省)。

实现《朔城区重新梳理政务服务事项加快推进政务服务系统建设打造“六最”营商环境工作方案》
(朔区政办发〔2019〕18号)中可由系统承载的规则:梳理的事项类型,公共服务事项的八个
服务类型和“19+X”个主题(X主题由城市管理员在设置中添加),摸底梳理、初步审核、依法确认、
公布运行四个阶段的日期,“零报告”与主要负责人审签,全程网办目标,以及朔城区的演示数据。
入口点 ``qingdan.jurisdictions`` 中的名称为 ``shuozhou``。
"""

from qingdan_shuozhou.hooks import (
    qingdan_demo_dataset,
    qingdan_element_requirements,
    qingdan_item_types,
    qingdan_jurisdiction,
    qingdan_settings_schema,
    qingdan_taxonomies,
)
from qingdan_shuozhou.settings import ShuozhouSettings

__version__ = "0.1.0"
__all__ = [
    "ShuozhouSettings",
    "__version__",
    "qingdan_demo_dataset",
    "qingdan_element_requirements",
    "qingdan_item_types",
    "qingdan_jurisdiction",
    "qingdan_settings_schema",
    "qingdan_taxonomies",
]
