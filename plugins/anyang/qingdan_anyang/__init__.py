"""清单(qingdan)辖区插件:安阳市(河南省)。

实现《安阳市系统性重塑行政审批制度推进政务服务标准化规范化便利化改革方案》中可由系统
承载的规则:依申请办理的事项范围(含行政备案)、“一件事一次办”(5项涉企、8项涉及个人)、
全程网办所需的网上办理深度、便民服务“家门口办”事项数目标、进驻大厅负面清单的情形、
投诉与“好差评”目标,审核链(政务服务管理部门审核发布,二(一)3)与线上线下同步更新的后续义务
(二(六)27),以及安阳市的演示数据。入口点 ``qingdan.jurisdictions`` 中的名称为
``anyang``。
"""

from qingdan_anyang.hooks import (
    qingdan_approval_chain,
    qingdan_catalog_lists,
    qingdan_demo_dataset,
    qingdan_element_requirements,
    qingdan_indicators,
    qingdan_item_types,
    qingdan_jurisdiction,
    qingdan_obligations,
    qingdan_service_point_targets,
    qingdan_settings_schema,
    qingdan_taxonomies,
)
from qingdan_anyang.quality import qingdan_quality_rules
from qingdan_anyang.settings import AnyangSettings

__version__ = "0.1.0"
__all__ = [
    "AnyangSettings",
    "__version__",
    "qingdan_approval_chain",
    "qingdan_catalog_lists",
    "qingdan_demo_dataset",
    "qingdan_element_requirements",
    "qingdan_indicators",
    "qingdan_item_types",
    "qingdan_jurisdiction",
    "qingdan_obligations",
    "qingdan_quality_rules",
    "qingdan_service_point_targets",
    "qingdan_settings_schema",
    "qingdan_taxonomies",
]
