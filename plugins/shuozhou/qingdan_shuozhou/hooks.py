"""朔城区插件的钩子实现:只做转发,规则在 ``rules.py`` 与 ``data/`` 中。"""

from __future__ import annotations

import msgspec

from qingdan import hookimpl
from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import (
    ApprovalChain,
    CampaignTemplate,
    ChangeKind,
    DemoDataset,
    ElementRequirements,
    IndicatorSet,
    Jurisdiction,
    ObligationRule,
    SubjectSummary,
    Taxonomies,
)
from qingdan_shuozhou import campaign, chains, indicators, rules
from qingdan_shuozhou.settings import ShuozhouSettings


@hookimpl
def qingdan_jurisdiction() -> Jurisdiction:
    return rules.jurisdiction()


@hookimpl
def qingdan_settings_schema() -> type[msgspec.Struct]:
    return ShuozhouSettings


@hookimpl
def qingdan_item_types() -> list[ItemType]:
    return rules.item_types()


@hookimpl
def qingdan_taxonomies(settings: ShuozhouSettings) -> Taxonomies:
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
    settings: ShuozhouSettings,
) -> ApprovalChain:
    return chains.approval_chain(kind, subject, changed_elements, settings)


@hookimpl
def qingdan_obligations(
    kind: ChangeKind,
    subject: SubjectSummary,
    changed_elements: list[str],
    settings: ShuozhouSettings,
) -> list[ObligationRule]:
    return chains.obligations(kind, subject, changed_elements, settings)


@hookimpl
def qingdan_campaign_template(settings: ShuozhouSettings) -> CampaignTemplate:
    return campaign.campaign_template(settings)


@hookimpl
def qingdan_indicators(settings: ShuozhouSettings) -> IndicatorSet:
    return indicators.indicator_set(settings)
