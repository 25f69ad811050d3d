"""金昌市插件的钩子实现:只做转发,规则在 ``rules.py`` 与 ``data/`` 中。"""

from __future__ import annotations

import msgspec

from qingdan import hookimpl
from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import (
    AccountAllocation,
    ApprovalChain,
    ChangeKind,
    DemoDataset,
    ElementRequirements,
    IndicatorSet,
    Jurisdiction,
    ObligationRule,
    SubjectSummary,
)
from qingdan_jinchang import chains, indicators, rules
from qingdan_jinchang.settings import JinchangSettings


@hookimpl
def qingdan_jurisdiction() -> Jurisdiction:
    return rules.jurisdiction()


@hookimpl
def qingdan_settings_schema() -> type[msgspec.Struct]:
    return JinchangSettings


@hookimpl
def qingdan_item_types() -> list[ItemType]:
    return rules.item_types()


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
    settings: JinchangSettings,
) -> ApprovalChain:
    return chains.approval_chain(kind, subject, changed_elements, settings)


@hookimpl
def qingdan_obligations(
    kind: ChangeKind,
    subject: SubjectSummary,
    changed_elements: list[str],
    settings: JinchangSettings,
) -> list[ObligationRule]:
    return chains.obligations(kind, subject, changed_elements, settings)


@hookimpl
def qingdan_indicators(settings: JinchangSettings) -> IndicatorSet:
    return indicators.indicator_set(settings)


@hookimpl
def qingdan_account_allocation() -> AccountAllocation:
    return rules.account_allocation()
