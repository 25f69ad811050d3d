"""把 ``data/*.json`` 中的金昌市规则变成核心需要的类型化值。"""

from __future__ import annotations

from qingdan.core.catalog.vocab import ItemType
from qingdan.core.defaults import GUIDE_MINIMUM, PUBLIC_SERVICE_MINIMUM
from qingdan.core.hooktypes import (
    AccountAllocation,
    DemoDataset,
    ElementRequirements,
    Jurisdiction,
    RoleAllocation,
)
from qingdan_jinchang.loader import decode, load
from qingdan_jinchang.settings import DOCUMENT


def jurisdiction() -> Jurisdiction:
    return decode("jurisdiction", Jurisdiction)


def item_types() -> list[ItemType]:
    """第三条列举的事项类型,按条文顺序(不含行政备案)。"""
    return [ItemType(t) for t in load("rules")["item_types"]["types"]]


def claim_day_fields() -> tuple[str, ...]:
    """第十四条要求认领当日完善的要素,对应到要素文档的字段名。"""
    rule = load("rules")["claim_day_elements"]
    return _unique(f for element in rule["elements"] for f in element["fields"])


def claim_identity_fields() -> tuple[str, ...]:
    """第九条要求认领时逐项明确的要素(名称、编码、类型、行使层级)。"""
    return tuple(load("rules")["claim_identity_elements"]["fields"])


def element_requirements(item_type: ItemType) -> ElementRequirements:
    minimum = PUBLIC_SERVICE_MINIMUM if item_type == ItemType.public_service else GUIDE_MINIMUM
    rules = load("rules")
    labels = "、".join(e["label"] for e in rules["claim_day_elements"]["elements"])
    basis = (
        f"服务指南基本要素;《{DOCUMENT}》"
        f"{rules['claim_identity_elements']['clause']}(事项名称、事项编码、事项类型、行使层级),"
        f"{rules['claim_day_elements']['clause']}(新认领编制的事项当日完成{labels}等要素内容的填写完善)"
    )
    required = _unique([*minimum, *claim_identity_fields(), *claim_day_fields()])
    return ElementRequirements(required=required, basis=basis)


def demo_dataset() -> DemoDataset:
    return decode("demo", DemoDataset)


def _unique(names) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def account_allocation() -> AccountAllocation:
    """第六条:市大数据中心对实施机构分配信息员、审核员账号。"""
    rule = load("rules")["account_allocation"]
    basis = f"《{DOCUMENT}》{rule['clause']}:{rule['text']}"
    return AccountAllocation(
        allocations=tuple(
            RoleAllocation(allocator=a["allocator"], roles=tuple(a["roles"]), basis=basis)
            for a in rule["allocations"]
        )
    )
