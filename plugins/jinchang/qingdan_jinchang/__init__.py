"""清单(qingdan)辖区插件:金昌市(甘肃省)。

实现《金昌市政务服务事项动态调整管理办法》中可由系统承载的规则:事项类型(第三条)、
认领时应明确和当日应完善的要素(第九条、第十四条)、大厅进驻事项5个工作日内更新
(第十二条)、线下办事指南10个工作日内更新(第十六条)、网办率目标(第十五条),
审核链(第十条至第十二条、第十五条)与后续义务(第十二条、第十四条、第十六条),
以及金昌市的演示数据。入口点 ``qingdan.jurisdictions`` 中的名称为 ``jinchang``。
"""

from qingdan_jinchang.hooks import (
    qingdan_account_allocation,
    qingdan_approval_chain,
    qingdan_demo_dataset,
    qingdan_element_requirements,
    qingdan_indicators,
    qingdan_item_types,
    qingdan_jurisdiction,
    qingdan_obligations,
    qingdan_settings_schema,
)
from qingdan_jinchang.quality import qingdan_quality_rules
from qingdan_jinchang.settings import JinchangSettings

__version__ = "0.1.0"
__all__ = [
    "JinchangSettings",
    "__version__",
    "qingdan_account_allocation",
    "qingdan_approval_chain",
    "qingdan_demo_dataset",
    "qingdan_element_requirements",
    "qingdan_indicators",
    "qingdan_item_types",
    "qingdan_jurisdiction",
    "qingdan_obligations",
    "qingdan_quality_rules",
    "qingdan_settings_schema",
]
