"""Core's own answers to the hooks, registered ``trylast`` beside each plugin.

A plugin overrides any of them by implementing the hook. National facts only:
nothing here names a city.
"""

from __future__ import annotations

import msgspec

from qingdan.core.catalog.codes import DEFAULT_CODE_FORMAT, CodeFormat
from qingdan.core.catalog.vocab import ItemType, ServiceKind
from qingdan.core.hookspecs import hookimpl
from qingdan.core.hooktypes import (
    ALL_ITEM_TYPES,
    ApprovalChain,
    ChainStep,
    ChangeKind,
    ElementRequirements,
    EmptySettings,
    ObligationRule,
    ServiceKindDef,
    Taxonomies,
)

#: The 8 service kinds of public service items (公共服务事项服务类型).
NATIONAL_SERVICE_KINDS = tuple(ServiceKindDef(kind=k, name=k.label) for k in ServiceKind)

#: Elements every service guide needs, whatever the jurisdiction.
GUIDE_MINIMUM: tuple[str, ...] = (
    "name",
    "base_code",
    "item_type",
    "levels",
    "agency_name",
    "legal_basis",
    "acceptance_conditions",
    "statutory_limit",
    "promised_limit",
    "case_type",
    "channels",
    "materials",
    "process",
    "locations",
    "consultation",
    "complaints",
    "result",
)

#: Public service items have no power behind them: no legal basis or result needed.
PUBLIC_SERVICE_MINIMUM: tuple[str, ...] = (
    "name",
    "base_code",
    "item_type",
    "agency_name",
    "acceptance_conditions",
    "channels",
    "locations",
    "consultation",
    "complaints",
    "service_kind",
)


@hookimpl(trylast=True)
def qingdan_settings_schema() -> type[msgspec.Struct]:
    return EmptySettings


@hookimpl(trylast=True)
def qingdan_item_types() -> list[ItemType]:
    return list(ALL_ITEM_TYPES)


@hookimpl(trylast=True)
def qingdan_taxonomies() -> Taxonomies:
    return Taxonomies(service_kinds=NATIONAL_SERVICE_KINDS)


@hookimpl(trylast=True)
def qingdan_code_format() -> CodeFormat:
    return DEFAULT_CODE_FORMAT


@hookimpl(trylast=True)
def qingdan_element_requirements(item_type: ItemType) -> ElementRequirements:
    if item_type == ItemType.public_service:
        return ElementRequirements(required=PUBLIC_SERVICE_MINIMUM, basis="服务指南基本要素")
    return ElementRequirements(required=GUIDE_MINIMUM, basis="服务指南基本要素")


@hookimpl(trylast=True)
def qingdan_demo_dataset() -> None:
    return None


AGENCY_REVIEW = ChainStep(
    name="部门审核",
    role="agency_reviewer",
    office="实施机构审核员",
    deadline_days=3,
    escalate_to="reform_office",
)
REFORM_REVIEW = ChainStep(
    name="审改机构审核",
    role="reform_office",
    office="审改机构",
    deadline_days=5,
    escalate_to="tenant_admin",
)
LEGAL_REVIEW = ChainStep(
    name="合法性审核",
    role="legal_reviewer",
    office="司法行政部门",
    deadline_days=5,
    escalate_to="reform_office",
)
QUALITY_AND_PUBLISH = ChainStep(
    name="质检发布",
    role="data_center",
    office="大数据中心",
    deadline_days=2,
    escalate_to="reform_office",
)


@hookimpl(trylast=True)
def qingdan_approval_chain(kind: ChangeKind) -> ApprovalChain:
    steps = [AGENCY_REVIEW]
    if kind == ChangeKind.cancel:
        steps.append(LEGAL_REVIEW)
    steps += [REFORM_REVIEW, QUALITY_AND_PUBLISH]
    return ApprovalChain(steps=tuple(steps), basis="平台默认审核链")


@hookimpl(trylast=True)
def qingdan_obligations() -> list[ObligationRule]:
    return []


CATALOG_LEGAL_REVIEW = ChainStep(
    name="基本目录合法性审核",
    role="legal_reviewer",
    office="司法行政部门",
    deadline_days=5,
    escalate_to="reform_office",
)


@hookimpl(trylast=True)
def qingdan_catalog_chain() -> ApprovalChain:
    return ApprovalChain(
        steps=(CATALOG_LEGAL_REVIEW, REFORM_REVIEW, QUALITY_AND_PUBLISH),
        basis="平台默认基本目录审核链:司法行政部门对基本目录进行合法性审核",
    )
