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
    AccountAllocation,
    ApprovalChain,
    CampaignPhaseTemplate,
    CampaignReviewer,
    CampaignTemplate,
    CatalogListKind,
    CatalogListSpec,
    ChainStep,
    ChangeKind,
    ElementRequirements,
    EmptySettings,
    FollowCatalogDeadlines,
    IndicatorSet,
    ObligationRule,
    PublicationPolicy,
    QualityRules,
    ServiceKindDef,
    ServicePointTarget,
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


@hookimpl(trylast=True)
def qingdan_follow_catalog_deadlines() -> FollowCatalogDeadlines:
    # The policies ask agencies to claim and adjust "及时" (promptly), naming no number.
    return FollowCatalogDeadlines(
        claim_days=5, amend_days=5, cancel_days=5, basis="平台默认(政策要求及时认领、及时调整)"
    )


#: A plain re-inventory campaign for a jurisdiction whose plugin brings none: the
#: four phases of the glossary, counted in working days from the start date the
#: administrator chooses; 审改机构 reviews, then 司法行政部门 checks legality.
PLAIN_CAMPAIGN = CampaignTemplate(
    code="inventory",
    name="政务服务事项梳理",
    phases=(
        CampaignPhaseTemplate(
            code="survey",
            name="摸底梳理",
            start_day=0,
            end_day=10,
            working_days=True,
            submissions=True,
        ),
        CampaignPhaseTemplate(
            code="preliminary_review",
            name="初步审核",
            end_day=15,
            working_days=True,
            reviewers=(CampaignReviewer(role="reform_office", office="审改机构"),),
        ),
        CampaignPhaseTemplate(
            code="confirmation",
            name="依法确认",
            end_day=20,
            working_days=True,
            reviewers=(CampaignReviewer(role="legal_reviewer", office="司法行政部门"),),
        ),
        CampaignPhaseTemplate(code="publication", name="公布运行", end_day=25, working_days=True),
    ),
    zero_report_required=True,
    basis="平台默认梳理模板",
)


@hookimpl(trylast=True)
def qingdan_campaign_template() -> CampaignTemplate:
    return PLAIN_CAMPAIGN


#: 大数据中心 publishes (its usual charge: 质检、测试、发布、上线), and a job issues a
#: publication every evening the catalog changed, so the public learns of an
#: adjustment the day it takes effect.
@hookimpl(trylast=True)
def qingdan_account_allocation() -> AccountAllocation:
    # Only the tenant administrator opens accounts unless a policy says otherwise.
    return AccountAllocation()


DEFAULT_PUBLICATION_POLICY = PublicationPolicy(
    roles=("data_center",), basis="平台默认:大数据中心负责事项发布"
)


@hookimpl(trylast=True)
def qingdan_publication_policy() -> PublicationPolicy:
    return DEFAULT_PUBLICATION_POLICY


#: Every list, in the national order. The hall's exclusion list is an internal
#: management list; the others are published (行政许可事项清单 nationally since
#: 国办发〔2022〕2号; 容缺受理 and 告知承诺 lists so applicants know what they may
#: defer or promise; intermediary services and special steps as the public's
#: check on hidden requirements).
NATIONAL_CATALOG_LISTS: tuple[CatalogListSpec, ...] = tuple(
    CatalogListSpec(kind=kind, public=kind != CatalogListKind.hall_exclusions)
    for kind in CatalogListKind
)


@hookimpl(trylast=True)
def qingdan_catalog_lists() -> list[CatalogListSpec]:
    return list(NATIONAL_CATALOG_LISTS)


@hookimpl(trylast=True)
def qingdan_service_point_targets() -> list[ServicePointTarget]:
    return []


@hookimpl(trylast=True)
def qingdan_indicators() -> IndicatorSet:
    # Nothing added: core's own indicators (core/indicators/definitions.py) and
    # its default bulletin rule apply, with no targets (no national figure).
    return IndicatorSet()


@hookimpl(trylast=True)
def qingdan_quality_rules() -> QualityRules:
    # Core's own rules (core/checks/rules.py) and its name-and-type agreement
    # with the catalog always run; a jurisdiction adds its rules beside them.
    return QualityRules()
