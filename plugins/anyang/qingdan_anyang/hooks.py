"""安阳市插件的钩子实现:只做转发,规则在 ``rules.py`` 与 ``data/`` 中。"""

from __future__ import annotations

import msgspec

from qingdan import hookimpl
from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import (
    ApprovalChain,
    CatalogListSpec,
    ChangeKind,
    DemoDataset,
    ElementRequirements,
    IndicatorSet,
    Jurisdiction,
    ObligationRule,
    ServicePointTarget,
    SubjectSummary,
    Taxonomies,
)
from qingdan_anyang import chains, indicators, rules
from qingdan_anyang.settings import AnyangSettings


@hookimpl
def qingdan_jurisdiction() -> Jurisdiction:
    return rules.jurisdiction()


@hookimpl
def qingdan_settings_schema() -> type[msgspec.Struct]:
    return AnyangSettings


@hookimpl
def qingdan_item_types(settings: AnyangSettings) -> list[ItemType]:
    return rules.item_types(settings)


@hookimpl
def qingdan_taxonomies(settings: AnyangSettings) -> Taxonomies:
    return rules.taxonomies(settings)


@hookimpl
def qingdan_element_requirements(item_type: ItemType) -> ElementRequirements:
    return rules.element_requirements(item_type)


@hookimpl
def qingdan_demo_dataset() -> DemoDataset:
    return rules.demo_dataset()


@hookimpl
def qingdan_approval_chain(
    kind: ChangeKind,
    subject: SubjectSummary,
    changed_elements: list[str],
    settings: AnyangSettings,
) -> ApprovalChain:
    return chains.approval_chain(kind, subject, changed_elements, settings)


@hookimpl
def qingdan_obligations(
    kind: ChangeKind,
    subject: SubjectSummary,
    changed_elements: list[str],
    settings: AnyangSettings,
) -> list[ObligationRule]:
    return chains.obligations(kind, subject, changed_elements, settings)


@hookimpl
def qingdan_catalog_lists() -> list[CatalogListSpec]:
    return rules.catalog_lists()


@hookimpl
def qingdan_service_point_targets(settings: AnyangSettings) -> list[ServicePointTarget]:
    return rules.service_point_targets(settings)


@hookimpl
def qingdan_indicators() -> IndicatorSet:
    return indicators.indicator_set()
