"""把 ``data/*.json`` 中的安阳市规则变成核心需要的类型化值。"""

from __future__ import annotations

import hashlib

from qingdan.core.catalog.vocab import Audience, ItemType
from qingdan.core.defaults import GUIDE_MINIMUM, NATIONAL_SERVICE_KINDS, PUBLIC_SERVICE_MINIMUM
from qingdan.core.hooktypes import (
    Bundle,
    BundleTarget,
    CatalogListKind,
    CatalogListSpec,
    DemoDataset,
    ElementRequirements,
    Jurisdiction,
    ServicePointKind,
    ServicePointTarget,
    Taxonomies,
)
from qingdan_anyang.loader import decode, load
from qingdan_anyang.settings import DOCUMENT, AnyangSettings, basis


def jurisdiction() -> Jurisdiction:
    return decode("jurisdiction", Jurisdiction)


def item_types(settings: AnyangSettings) -> list[ItemType]:
    """二(一)1:依申请办理的行政权力事项(含行政备案)和公共服务事项。

    开启 ``include_non_application_powers`` 时,行政处罚、行政强制、行政征收、行政检查
    排在其他行政权力事项之后、公共服务事项之前。
    """
    rule = load("rules")["item_types"]
    types = [ItemType(t) for t in rule["types"]]
    if settings.include_non_application_powers:
        at = types.index(ItemType.public_service)
        types[at:at] = [ItemType(t) for t in rule["non_application_types"]]
    return types


def listed_bundles() -> tuple[Bundle, ...]:
    """二(四)16列明的5项涉企、8项涉及个人的“一件事一次办”。

    方案未列出每件事包含哪些事项的基本编码,故 ``base_codes`` 留空,由城市在事项库中关联。
    """
    rule = load("rules")["bundles"]
    groups = (
        (Audience.enterprise, rule["enterprise"]),
        (Audience.natural_person, rule["personal"]),
    )
    return tuple(
        Bundle(code=b["code"], name=b["name"], description=b["description"], audience=audience)
        for audience, bundles in groups
        for b in bundles
    )


def extra_bundle_code(name: str) -> str:
    """新增“一件事”的编码:由名称生成,调整顺序时保持不变。"""
    prefix = load("rules")["bundles"]["extra_code_prefix"]
    return prefix + hashlib.sha1(name.strip().encode("utf-8")).hexdigest()[:8]


def taxonomies(settings: AnyangSettings) -> Taxonomies:
    extra = tuple(
        Bundle(code=extra_bundle_code(n), name=n.strip(), description="分批新增的“一件事一次办”")
        for n in settings.extra_bundles
    )
    return Taxonomies(
        service_kinds=NATIONAL_SERVICE_KINDS,
        bundles=listed_bundles() + extra,
        bundle_targets=bundle_targets(settings),
    )


def bundle_targets(settings: AnyangSettings) -> tuple[BundleTarget, ...]:
    """二(四)16:2022年底前5项涉企、8项涉及个人一次办,2023年底前全覆盖(数目与日期来自设置)。"""
    first = settings.bundles_deadline
    return (
        BundleTarget(
            audience=Audience.enterprise,
            count=settings.enterprise_bundles_target,
            deadline=first,
            basis=basis("enterprise_bundles_target"),
        ),
        BundleTarget(
            audience=Audience.natural_person,
            count=settings.personal_bundles_target,
            deadline=first,
            basis=basis("personal_bundles_target"),
        ),
        BundleTarget(
            deadline=settings.bundles_full_coverage_deadline,
            basis=basis("bundles_full_coverage_deadline"),
        ),
    )


def element_requirements(item_type: ItemType) -> ElementRequirements:
    rule = load("rules")["element_requirements"]["all"]
    minimum = PUBLIC_SERVICE_MINIMUM if item_type == ItemType.public_service else GUIDE_MINIMUM
    required = tuple(dict.fromkeys([*minimum, *rule["fields"]]))
    basis = f"服务指南基本要素;《{DOCUMENT}》{rule['clause']}:{rule['text']}"
    return ElementRequirements(required=required, basis=basis)


def demo_dataset() -> DemoDataset:
    return decode("demo", DemoDataset)


def catalog_lists() -> list[CatalogListSpec]:
    """二(一)2:各类清单与基本目录同类事项名称、类型等要素一致;各清单的出处见 ``catalog_lists``。

    进驻事项负面清单(二(二)7)是内部管理清单,不向社会公布;其余清单方案要求公布。
    """
    rule = load("rules")["catalog_lists"]
    return [
        CatalogListSpec(
            kind=CatalogListKind(spec["kind"]),
            title=spec["title"],
            public=spec["public"],
            basis=f"《{DOCUMENT}》{spec['clause']}:{spec['text']}",
        )
        for spec in rule["lists"]
    ]


def service_point_targets(settings: AnyangSettings) -> list[ServicePointTarget]:
    """二(二)10:乡镇不低于200个、街道不低于150个、村(社区)不低于40个事项能够现场办理。"""
    deadline = settings.home_service_deadline
    return [
        ServicePointTarget(
            kind=ServicePointKind.township,
            min_items=settings.township_center_min_items,
            deadline=deadline,
            basis=basis("township_center_min_items"),
        ),
        ServicePointTarget(
            kind=ServicePointKind.street,
            min_items=settings.street_center_min_items,
            deadline=deadline,
            basis=basis("street_center_min_items"),
        ),
        ServicePointTarget(
            kind=ServicePointKind.village,
            min_items=settings.village_station_min_items,
            deadline=deadline,
            basis=basis("village_station_min_items"),
        ),
    ]
