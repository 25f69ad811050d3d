"""The typed values jurisdiction plugins return from their hooks.

Plain msgspec Structs: a plugin builds them from its own data and never sees
the database, the web request or the job queue.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import msgspec

from qingdan.core.catalog.vocab import Audience, ItemType, Level, ServiceKind


class Jurisdiction(msgspec.Struct, frozen=True, kw_only=True):
    """Who the plugin speaks for."""

    slug: str  # short ascii name, used in URLs and as the demo tenant's slug
    name: str  # the jurisdiction in Chinese, e.g. 某某市
    division_code: str  # 12-digit code of the jurisdiction's own division
    province: str = ""
    levels: tuple[Level, ...] = (Level.municipal, Level.county, Level.township, Level.village)
    description: str = ""
    policy_documents: tuple[str, ...] = ()  # titles of the documents it implements


class Theme(msgspec.Struct, frozen=True, kw_only=True):
    """A theme of the "19+X" taxonomy (or any theme list a jurisdiction uses)."""

    code: str
    name: str
    audience: Audience | None = None  # natural_person / enterprise, if the theme is for one
    local: bool = False  # an "X" theme added by the jurisdiction


class ServiceKindDef(msgspec.Struct, frozen=True, kw_only=True):
    kind: ServiceKind
    name: str
    description: str = ""


class Bundle(msgspec.Struct, frozen=True, kw_only=True):
    """一件事一次办: several items handled together."""

    code: str
    name: str
    base_codes: tuple[str, ...] = ()
    description: str = ""
    # Whom it serves: enterprise (涉企) or natural_person (涉及个人); None: either.
    audience: Audience | None = None


class BundleTarget(msgspec.Struct, frozen=True, kw_only=True):
    """How many bundles must be online (上线) by when, for one audience or all."""

    audience: Audience | None = None  # 涉企 / 涉及个人; None: bundles of any audience
    # At least this many online; None: every bundle the plugin lists (全覆盖).
    count: int | None = None
    deadline: date | None = None
    basis: str = ""


class Taxonomies(msgspec.Struct, frozen=True, kw_only=True):
    themes: tuple[Theme, ...] = ()
    service_kinds: tuple[ServiceKindDef, ...] = ()
    bundles: tuple[Bundle, ...] = ()
    bundle_targets: tuple[BundleTarget, ...] = ()  # tracked on the bundles page
    # True: an item's 主题分类 must be one of ``themes`` (by code or name); False: free text.
    themes_closed: bool = False

    def theme_names(self) -> dict[str, str]:
        return {t.code: t.name for t in self.themes}


class ElementRequirements(msgspec.Struct, frozen=True, kw_only=True):
    """Which elements must be filled for an item type before it may be submitted.

    Names are element field names of ``ElementDocument`` (``materials``,
    ``promised_limit`` ...). ``basis`` says which clause requires them.
    """

    required: tuple[str, ...]
    basis: str = ""


class DemoDivision(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    parent_code: str | None = None


class DemoAgency(msgspec.Struct, frozen=True, kw_only=True):
    """A demo agency and the sectors whose national catalog entries it implements."""

    name: str
    division_code: str
    org_code: str  # 8 characters; the demo composes a valid USCC from it
    nature: str = "statutory"
    sectors: tuple[str, ...] = ()
    parent: str | None = None  # name of the parent agency


class DemoHall(msgspec.Struct, frozen=True, kw_only=True):
    """Where a division's service hall is: used for the items' locations."""

    division_code: str
    name: str
    address: str
    hours: str = "周一至周五 上午9:00-12:00,下午13:30-17:30(法定节假日除外)"
    phone: str = ""
    complaint_phone: str = "12345"


class DemoDataset(msgspec.Struct, frozen=True, kw_only=True):
    """What ``qingdan demo`` loads for a jurisdiction besides the national catalog."""

    divisions: tuple[DemoDivision, ...]
    agencies: tuple[DemoAgency, ...]
    halls: tuple[DemoHall, ...] = ()
    themes_by_sector: dict[str, tuple[str, ...]] = {}
    online_portal: str = ""  # the province's online service portal, for online_url
    # 一件事一次办 of the demo: bundle code (of the taxonomy) → base codes of the
    # demo national catalog whose items it joins (made-up codes: demo only).
    bundle_items: dict[str, tuple[str, ...]] = {}


class EmptySettings(msgspec.Struct, frozen=True, kw_only=True):
    """The settings of a plugin that declares none."""


ALL_ITEM_TYPES: tuple[ItemType, ...] = tuple(ItemType)


# Change and its consequences (approval chains, obligations) ------------------------


class ChangeKind(StrEnum):
    claim = "claim"
    create = "create"
    amend = "amend"
    suspend = "suspend"
    resume = "resume"
    cancel = "cancel"

    @property
    def label(self) -> str:
        return CHANGE_KIND_LABELS[self]


CHANGE_KIND_LABELS = {
    ChangeKind.claim: "认领",
    ChangeKind.create: "新增",
    ChangeKind.amend: "变更",
    ChangeKind.suspend: "暂停",
    ChangeKind.resume: "恢复",
    ChangeKind.cancel: "取消",
}


class RequiredAttachment(msgspec.Struct, frozen=True, kw_only=True):
    """A document that must be attached before a step can pass."""

    kind: str  # e.g. "provincial_consent"
    label: str  # e.g. "省级业务部门同意意见"


class ChainStep(msgspec.Struct, frozen=True, kw_only=True):
    """One step of an approval chain: who acts, by when, with what."""

    name: str  # 部门审核, 审改机构审核, 合法性审核, 质检发布 ...
    role: str  # a Role value, or any role a plugin names
    office: str = ""  # the office that acts, as users read it (审改机构)
    deadline_days: int = 5  # working days from the step's start
    required_attachments: tuple[RequiredAttachment, ...] = ()
    skippable: bool = False
    escalate_to: str | None = None  # the role told when the step is overdue
    basis: str = ""  # the clause that requires the step


class ApprovalChain(msgspec.Struct, frozen=True, kw_only=True):
    steps: tuple[ChainStep, ...]
    basis: str = ""


class SubjectSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What a plugin is told about the item a change is for."""

    name: str
    item_type: ItemType
    base_code: str
    impl_code: str = ""
    levels: tuple[Level, ...] = ()
    division_level: str = ""  # city / county / township / village
    from_above: bool = True  # issued from above (national/provincial catalog)
    is_catalog_entry: bool = False


class ObligationRule(msgspec.Struct, frozen=True, kw_only=True):
    """Work a change leaves behind, and by when."""

    kind: str  # hall_update / offline_guide / elements_complete ...
    title: str  # 大厅进驻事项调整更新
    role: str  # the office that must do it (a Role value)
    working_days: int  # from the event; 0 = the same day
    on: str = "publish"  # "publish" (the change took effect) or "claim" (item claimed)
    escalate_to: str | None = None
    basis: str = ""


class FollowCatalogDeadlines(msgspec.Struct, frozen=True, kw_only=True):
    """Working days agencies have to follow the catalog from above (0 = the same day)."""

    claim_days: int = 5  # claim an entry newly issued for their level (应认领、尽认领)
    amend_days: int = 5  # amend their item after its catalog entry changed
    cancel_days: int = 5  # cancel their item after its catalog entry was cancelled
    basis: str = ""  # the clause that sets the days


# Publications (公布) of the catalog -------------------------------------------------------


class PublicationSchedule(StrEnum):
    """When the publication job issues one by itself (never when nothing changed)."""

    none = "none"  # only when an office issues one
    daily = "daily"  # every evening
    weekly = "weekly"  # on Friday evenings
    monthly = "monthly"  # on the evening of a month's first day


class PublicationPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Who issues a publication (公布) of the catalog, and whether a job does too."""

    roles: tuple[str, ...] = ("data_center",)  # Role values that may issue one
    schedule: PublicationSchedule = PublicationSchedule.daily
    basis: str = ""  # the clause that says who publishes


# Account allocation (开户) ----------------------------------------------------------------


class RoleAllocation(msgspec.Struct, frozen=True, kw_only=True):
    """One office that opens accounts and grants some roles, besides the tenant admin."""

    allocator: str  # the Role value whose users may open accounts (e.g. data_center)
    roles: tuple[str, ...]  # the Role values they may grant (agency roles only)
    basis: str = ""  # the clause that gives the office this duty


class AccountAllocation(msgspec.Struct, frozen=True, kw_only=True):
    """Who opens user accounts and grants which roles, besides the tenant administrator."""

    allocations: tuple[RoleAllocation, ...] = ()


# Re-inventory campaigns (梳理工作) ------------------------------------------------------


class CampaignReviewer(msgspec.Struct, frozen=True, kw_only=True):
    """An office that reviews every agency's submission, in its phase and in turn."""

    role: str  # a Role value: who may record the review (never an agency's own role)
    office: str  # the office as users read it (区司法局)
    basis: str = ""  # the clause that gives the office this review


class CampaignPhaseTemplate(msgspec.Struct, frozen=True, kw_only=True):
    """One phase of a campaign, with its dates as the policy gives them.

    Dates are either fixed (``start``/``end``/``due``, as a policy document
    dates them; a campaign in another year keeps the month and day) or counted
    from the campaign's start date (``start_day``/``end_day``/``due_day``; day 0
    is the start date itself), in calendar days or, with ``working_days``, in
    working days of the tenant's calendar. A phase without a start begins the
    day after the phase before it ends. Every date stays editable when a
    campaign is created.
    """

    code: str  # ascii, unique in the template: survey, preliminary_review ...
    name: str  # 摸底梳理
    start: date | None = None
    end: date | None = None
    start_day: int | None = None
    end_day: int | None = None
    working_days: bool = False  # offsets count working days, not calendar days
    submissions: bool = False  # agencies submit their lists (or zero reports) in this phase
    due: date | None = None  # submissions due (default: the phase's end); later ones are late
    due_day: int | None = None
    reviewers: tuple[CampaignReviewer, ...] = ()  # in the order they review
    basis: str = ""  # the clause (and its words) that sets the phase


class CampaignTemplate(msgspec.Struct, frozen=True, kw_only=True):
    """A jurisdiction's re-inventory campaign: phases, who reviews, what counts."""

    code: str  # ascii, names the template in stored campaigns
    name: str  # 重新梳理政务服务事项
    phases: tuple[CampaignPhaseTemplate, ...]
    item_types: tuple[ItemType, ...] = ()  # what an agency's list counts; empty: every type
    signoff_required: bool = False  # a submission counts only with the head's signed file
    signoff_label: str = "部门主要负责人审签并加盖公章的书面材料"
    signoff_basis: str = ""
    zero_report_required: bool = True  # an agency with no items must file a zero report
    zero_report_basis: str = ""
    basis: str = ""


# Lists kept as views of the catalog (各类清单) ---------------------------------------------


class CatalogListKind(StrEnum):
    """The lists core builds from the elements of published items."""

    licensing = "licensing"  # 行政许可事项清单: items of type 行政许可
    deferrable = "deferrable"  # 容缺受理事项清单: items with a material marked 容缺后补
    commitment = "commitment"  # 告知承诺事项清单: items handled under 告知承诺制
    intermediary = "intermediary"  # 中介服务事项清单: one row per intermediary service
    special_steps = "special_steps"  # 特殊环节清单: one row per special step, with its limit
    hall_exclusions = "hall_exclusions"  # 进驻事项负面清单: items not in the hall, with why

    @property
    def label(self) -> str:
        return CATALOG_LIST_LABELS[self]


CATALOG_LIST_LABELS = {
    CatalogListKind.licensing: "行政许可事项清单",
    CatalogListKind.deferrable: "容缺受理事项清单",
    CatalogListKind.commitment: "告知承诺制事项清单",
    CatalogListKind.intermediary: "中介服务事项清单",
    CatalogListKind.special_steps: "行政审批特殊环节清单",
    CatalogListKind.hall_exclusions: "政务服务中心进驻事项负面清单",
}


class CatalogListSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One list a tenant keeps, as the jurisdiction names and publishes it."""

    kind: CatalogListKind
    title: str = ""  # the jurisdiction's name for it; "" = the national name (kind.label)
    public: bool = False  # shown on the public portal (and downloadable there)
    basis: str = ""  # the clause that asks for the list


# 家门口办: items delegated to service points ------------------------------------------------


class ServicePointKind(StrEnum):
    """The service points below the county (一乡镇(街道)一中心、一村(社区)一站点)."""

    township = "township"  # 乡镇便民服务中心
    street = "street"  # 街道便民服务中心
    village = "village"  # 村(社区)便民服务站

    @property
    def label(self) -> str:
        return SERVICE_POINT_LABELS[self]


SERVICE_POINT_LABELS = {
    ServicePointKind.township: "乡镇便民服务中心",
    ServicePointKind.street: "街道便民服务中心",
    ServicePointKind.village: "村(社区)便民服务站",
}


class ServicePointTarget(msgspec.Struct, frozen=True, kw_only=True):
    """How many items each service point of a kind must be able to handle on site."""

    kind: ServicePointKind
    min_items: int  # at least this many items (不低于)
    deadline: date | None = None  # by when
    basis: str = ""


# Indicators (指标), targets and the bulletin (通报) rule -------------------------------------


class IndicatorMeasure(StrEnum):
    """What core can compute (core/indicators/measures.py gives each its formula).

    A plugin's indicator picks one of these, perhaps over fewer item types; the
    unit, the direction and the formula come from the measure, so a plugin
    cannot call a lower figure better when it is worse.
    """

    online_rate = "online_rate"  # 网办率
    full_online_rate = "full_online_rate"  # 全程网办率
    average_visits = "average_visits"  # 平均跑动次数
    zero_visit_share = "zero_visit_share"  # 零跑动事项占比
    material_count = "material_count"  # 申请材料数
    material_reduction = "material_reduction"  # 材料精简率 (against a baseline)
    government_material_share = "government_material_share"  # 政府部门核发材料占比
    limit_compression = "limit_compression"  # 承诺时限压缩率
    instant_share = "instant_share"  # 即办件占比
    adjustment_timeliness = "adjustment_timeliness"  # 调整按时办结率
    obligation_timeliness = "obligation_timeliness"  # 后续义务按时完成率
    open_findings = "open_findings"  # 未整改质检问题数


class IndicatorDef(msgspec.Struct, frozen=True, kw_only=True):
    """An indicator: a measure, perhaps over items of some types only, with a name."""

    id: str  # ascii, unique: online_rate, public_service_full_online_rate ...
    name: str  # Chinese, as leaders read it
    measure: IndicatorMeasure
    item_types: tuple[ItemType, ...] = ()  # only items of these types; empty: every type
    description: str = ""  # a sentence on what it shows
    basis: str = ""  # the clause that asks for it


class IndicatorTarget(msgspec.Struct, frozen=True, kw_only=True):
    """A figure an indicator should reach (or, for a lower-is-better one, not exceed)."""

    indicator: str  # an indicator id
    value: float  # in the indicator's unit: percent for a rate (90 = 90%)
    due: date | None = None  # by when, if the policy says
    basis: str = ""


class BulletinCriterion(msgspec.Struct, frozen=True, kw_only=True):
    """One reason an agency is named in a bulletin.

    ``kind`` says how the agency's figure of ``indicator`` is judged:
    ``"threshold"``: worse than ``threshold`` (below it when higher is better,
    above it when lower is better); ``"target"``: worse than the indicator's
    target; ``"bottom"``: among the ``count`` worst-ranked agencies (ties
    included; an agency as good as the best is never "behind").
    """

    indicator: str
    kind: str  # "threshold" / "target" / "bottom"
    reason: str  # Chinese, as the bulletin says it: 网办率排名靠后
    threshold: float | None = None
    count: int = 0


class BulletinRule(msgspec.Struct, frozen=True, kw_only=True):
    """Which agencies a bulletin (通报) names: those meeting any criterion."""

    title: str  # 政务服务事项动态调整督查通报
    criteria: tuple[BulletinCriterion, ...]
    basis: str = ""  # the clause that rules the bulletin
    consequence: str = ""  # what follows for a named agency (约谈 ...), as the policy says


class IndicatorSet(msgspec.Struct, frozen=True, kw_only=True):
    """A jurisdiction's indicators: what it adds to core's, its targets, its bulletin rule."""

    definitions: tuple[IndicatorDef, ...] = ()  # added; one with a core id replaces core's
    hidden: tuple[str, ...] = ()  # ids of core indicators the jurisdiction does not use
    targets: tuple[IndicatorTarget, ...] = ()
    bulletin: BulletinRule | None = None  # None: core's default rule
    period_days: int = 90  # timeliness counts what fell due in this many days before


# Quality checks (质检) ---------------------------------------------------------------------


class Severity(StrEnum):
    """What a failed check rule does: stop submission, or only warn."""

    block = "block"  # 阻止提交
    warn = "warn"  # 提醒

    @property
    def label(self) -> str:
        return "阻止提交" if self is Severity.block else "提醒"


class RowMatch(msgspec.Struct, frozen=True, kw_only=True):
    """Rows of a table element whose ``field`` has one of ``values`` (enum values as stored)."""

    field: str  # a field of the row, e.g. "necessity" of a material
    values: tuple[str, ...]


class FilledCheck(msgspec.Struct, frozen=True, kw_only=True, tag="filled", tag_field="kind"):
    """The element is filled (a placeholder such as 无 or / does not count)."""


class MinRowsCheck(msgspec.Struct, frozen=True, kw_only=True, tag="min_rows", tag_field="kind"):
    """A table element (materials, process, faq ...) has at least ``n`` rows."""

    n: int


class AtMostCheck(msgspec.Struct, frozen=True, kw_only=True, tag="at_most", tag_field="kind"):
    """A number (visits) or a time limit's value is at most ``value``."""

    value: int


class OneOfCheck(msgspec.Struct, frozen=True, kw_only=True, tag="one_of", tag_field="kind"):
    """A choice element (online_depth, case_type ...) has one of ``values``."""

    values: tuple[str, ...]


class FieldsFilledCheck(
    msgspec.Struct, frozen=True, kw_only=True, tag="fields_filled", tag_field="kind"
):
    """Each named field is filled: of a part (result), or of every row of a table
    (only the rows ``where`` matches, if given)."""

    fields: tuple[str, ...]
    where: RowMatch | None = None


class NoRowsCheck(msgspec.Struct, frozen=True, kw_only=True, tag="no_rows", tag_field="kind"):
    """A table element has no row that ``where`` matches."""

    where: RowMatch


class NoPhrasesCheck(msgspec.Struct, frozen=True, kw_only=True, tag="no_phrases", tag_field="kind"):
    """A text element (or ``field`` of every row of a table) contains none of ``phrases``."""

    phrases: tuple[str, ...]
    field: str = ""


class IncludesCheck(msgspec.Struct, frozen=True, kw_only=True, tag="includes", tag_field="kind"):
    """A multiple-choice element (channels ...) includes every one of ``values``; with
    ``if_any``, only required when it includes one of those (online → also 窗口)."""

    values: tuple[str, ...]
    if_any: tuple[str, ...] = ()


#: The rule kinds core interprets; a plugin's rules are data in these shapes.
RuleCheck = (
    FilledCheck
    | MinRowsCheck
    | AtMostCheck
    | OneOfCheck
    | FieldsFilledCheck
    | NoRowsCheck
    | NoPhrasesCheck
    | IncludesCheck
)


class RuleCondition(msgspec.Struct, frozen=True, kw_only=True):
    """When a rule applies; every part given must hold."""

    item_types: tuple[ItemType, ...] = ()  # the item is of one of these types
    flag: str = ""  # this yes/no element is 是 (e.g. "commitment", "charged")


class QualityRule(msgspec.Struct, frozen=True, kw_only=True):
    """A check rule of the jurisdiction, as data core interprets."""

    id: str  # unique, e.g. "mycity.special_step_basis"; never starting with "core."
    severity: Severity
    element: str  # the element (ElementDocument field) the finding is shown next to
    message: str  # Chinese; names the element by its Chinese title
    check: RuleCheck
    when: RuleCondition | None = None
    basis: str = ""  # the clause (and its words) behind the rule


class ConsistencyKind(StrEnum):
    catalog = "catalog"  # each item agrees with its catalog entry (四级四同)
    divisions = "divisions"  # items of one catalog entry agree across divisions (三级三十二同)


class ConsistencyRule(msgspec.Struct, frozen=True, kw_only=True):
    """A consistency check: which elements must agree, and with what."""

    id: str
    name: str  # as users know it: 四级四同, 三级三十二同
    kind: ConsistencyKind
    elements: tuple[str, ...]  # ElementDocument field names compared
    item_types: tuple[ItemType, ...] = ()  # empty: every type
    severity: Severity = Severity.warn
    basis: str = ""


class QualityRules(msgspec.Struct, frozen=True, kw_only=True):
    """The jurisdiction's check rules and consistency checks, beside core's own."""

    rules: tuple[QualityRule, ...] = ()
    consistency: tuple[ConsistencyRule, ...] = ()
