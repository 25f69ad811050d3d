"""把 ``data/*.json`` 中的朔城区规则变成核心需要的类型化值。"""

from __future__ import annotations

import hashlib

from qingdan.core.catalog.vocab import Audience, ItemType, ServiceKind
from qingdan.core.defaults import GUIDE_MINIMUM, PUBLIC_SERVICE_MINIMUM
from qingdan.core.hooktypes import (
    DemoDataset,
    ElementRequirements,
    Jurisdiction,
    ServiceKindDef,
    Taxonomies,
    Theme,
)
from qingdan_shuozhou.loader import decode, load
from qingdan_shuozhou.settings import DOCUMENT, DOCUMENT_NUMBER, ShuozhouSettings


def jurisdiction() -> Jurisdiction:
    return decode("jurisdiction", Jurisdiction)


def item_types() -> list[ItemType]:
    """方案梳理的行政职权事项各类型与公共服务事项(不含行政备案)。"""
    return [ItemType(t) for t in load("rules")["item_types"]["types"]]


def service_kinds() -> tuple[ServiceKindDef, ...]:
    """八个服务类型,名称照录方案原文。"""
    rule = load("rules")["service_kinds"]
    return tuple(
        ServiceKindDef(
            kind=ServiceKind(k["kind"]), name=k["name"], description=f"方案{rule['clause']}"
        )
        for k in rule["kinds"]
    )


def fixed_themes() -> tuple[Theme, ...]:
    """“19+X”中的19类固定主题。方案未按自然人、法人区分主题,故不设服务对象。"""
    return tuple(
        Theme(code=t["code"], name=t["name"], audience=_audience(t.get("audience")))
        for t in load("rules")["themes"]["fixed"]
    )


def local_theme_code(name: str) -> str:
    """X主题的编码:由名称生成,调整顺序或增删其他主题时保持不变。"""
    prefix = load("rules")["themes"]["local_code_prefix"]
    digest = hashlib.sha1(name.strip().encode("utf-8")).hexdigest()[:8]
    return f"{prefix}{digest}"


def local_themes(settings: ShuozhouSettings) -> tuple[Theme, ...]:
    """城市管理员在设置中添加的X主题。"""
    return tuple(
        Theme(code=local_theme_code(name), name=name.strip(), local=True)
        for name in settings.local_themes
    )


def taxonomies(settings: ShuozhouSettings) -> Taxonomies:
    return Taxonomies(
        themes=fixed_themes() + local_themes(settings),
        service_kinds=service_kinds(),
        # 三(二)2: items are classified by the 19+X themes only, not by free words.
        themes_closed=bool(load("rules")["themes"].get("closed", False)),
    )


def element_requirements(item_type: ItemType) -> ElementRequirements:
    rules = load("rules")["element_requirements"]
    source = f"《{DOCUMENT}》({DOCUMENT_NUMBER})"
    parts = [rules["all"]]
    if item_type == ItemType.public_service:
        minimum = PUBLIC_SERVICE_MINIMUM
        parts.append(rules["public_service"])
    else:
        minimum = GUIDE_MINIMUM
    required = tuple(dict.fromkeys([*minimum, *(f for p in parts for f in p["fields"])]))
    basis = f"服务指南基本要素;{source}" + ";".join(f"{p['clause']}:{p['text']}" for p in parts)
    return ElementRequirements(required=required, basis=basis)


def demo_dataset() -> DemoDataset:
    return decode("demo", DemoDataset)


def _audience(value: str | None) -> Audience | None:
    return Audience(value) if value else None
