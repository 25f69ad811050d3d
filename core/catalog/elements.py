"""The element document (要素): every field of a government service item.

A typed schema of the national element set. Each field carries its Chinese
title, so a validation error names the element the way a clerk knows it.
Structural rules live here; which elements are required for which item type
comes from the jurisdiction plugin (``qingdan_element_requirements``), and
quality rules (promised limit not above statutory, ...) are check rules.

Drafts may be incomplete, so almost every element has an empty default.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from qingdan.core.catalog.vocab import (
    AgencyNature,
    Audience,
    CaseType,
    Channel,
    ContactKind,
    CrossArea,
    ItemType,
    Level,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    MaterialType,
    Necessity,
    OnlineDepth,
    PowerSource,
    ResultType,
    ServiceKind,
)

Text = Annotated[str, Meta(max_length=20000)]
Short = Annotated[str, Meta(max_length=500)]


class Element(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of every part of the document: unknown keys are refused, not dropped."""


class LegalBasis(Element, kw_only=True):
    law_name: Annotated[str, Meta(min_length=1, max_length=300, title="法律法规名称")]
    document_number: Annotated[str, Meta(max_length=200, title="文号")] = ""
    article: Annotated[str, Meta(max_length=200, title="条款号")] = ""
    # The article's own words, pasted from the official text; never made up.
    text: Annotated[str, Meta(max_length=20000, title="条款内容")] = ""


class TimeLimit(Element, kw_only=True):
    value: Annotated[int, Meta(ge=0, le=3650, title="时限")] = 0
    unit: Annotated[LimitUnit, Meta(title="时限单位")] = LimitUnit.working_day
    note: Annotated[str, Meta(max_length=2000, title="时限说明")] = ""


class Material(Element, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=300, title="材料名称")]
    type: Annotated[MaterialType, Meta(title="材料类型")] = MaterialType.original
    form: Annotated[MaterialForm, Meta(title="材料形式")] = MaterialForm.either
    necessity: Annotated[Necessity, Meta(title="必要性")] = Necessity.required
    source: Annotated[MaterialSource | None, Meta(title="来源渠道")] = None
    copies: Annotated[int, Meta(ge=0, le=100, title="份数")] = 1
    paper_size: Annotated[str, Meta(max_length=20, title="纸质规格")] = ""
    basis: Annotated[str, Meta(max_length=2000, title="设定依据")] = ""
    blank_form: Annotated[str, Meta(max_length=500, title="空白表格")] = ""
    sample: Annotated[str, Meta(max_length=500, title="示例样表")] = ""
    notes: Annotated[str, Meta(max_length=2000, title="填报须知")] = ""
    # 容缺受理: how long the applicant has to hand in a deferrable material
    # (0 = not set); the material itself is marked by ``necessity``.
    deferral_days: Annotated[int, Meta(ge=0, le=365, title="容缺材料补交时限(工作日)")] = 0


class Fee(Element, kw_only=True):
    item: Annotated[str, Meta(min_length=1, max_length=300, title="收费项目")]
    standard: Annotated[str, Meta(max_length=1000, title="收费标准")] = ""
    basis: Annotated[str, Meta(max_length=2000, title="收费依据")] = ""
    reductions: Annotated[str, Meta(max_length=2000, title="减免政策")] = ""


class ProcessStep(Element, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, title="环节名称")]
    actor: Annotated[str, Meta(max_length=200, title="办理人员")] = ""
    standard: Annotated[str, Meta(max_length=4000, title="审查标准")] = ""
    time_limit: Annotated[str, Meta(max_length=100, title="环节时限")] = ""
    result: Annotated[str, Meta(max_length=500, title="环节结果")] = ""


class SpecialStep(Element, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=200, title="特殊环节名称")]
    time_limit: Annotated[TimeLimit, Meta(title="特殊环节时限")] = msgspec.field(
        default_factory=TimeLimit
    )
    basis: Annotated[str, Meta(max_length=2000, title="特殊环节设定依据")] = ""
    counted_in_limit: Annotated[bool, Meta(title="是否计入办理时限")] = False


class IntermediaryService(Element, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=300, title="中介服务名称")]
    basis: Annotated[str, Meta(max_length=2000, title="中介服务设定依据")] = ""
    provider: Annotated[str, Meta(max_length=300, title="中介服务机构")] = ""
    charged: Annotated[bool, Meta(title="中介服务是否收费")] = False
    fee_standard: Annotated[str, Meta(max_length=1000, title="中介服务收费标准")] = ""
    time_limit: Annotated[TimeLimit, Meta(title="中介服务时限")] = msgspec.field(
        default_factory=TimeLimit
    )


class Result(Element, kw_only=True):
    name: Annotated[str, Meta(max_length=300, title="审批结果名称")] = ""
    type: Annotated[ResultType | None, Meta(title="审批结果类型")] = None
    sample: Annotated[str, Meta(max_length=500, title="审批结果样本")] = ""


class Location(Element, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=300, title="办理地点名称")]
    address: Annotated[str, Meta(max_length=500, title="办理地址")] = ""
    hours: Annotated[str, Meta(max_length=500, title="办理时间")] = ""
    phone: Annotated[str, Meta(max_length=100, title="窗口电话")] = ""
    traffic: Annotated[str, Meta(max_length=500, title="交通指引")] = ""


class Contact(Element, kw_only=True):
    kind: Annotated[ContactKind, Meta(title="方式类型")] = ContactKind.phone
    value: Annotated[str, Meta(min_length=1, max_length=500, title="联系方式")]


class FAQ(Element, kw_only=True):
    question: Annotated[str, Meta(min_length=1, max_length=1000, title="问题")]
    answer: Annotated[str, Meta(min_length=1, max_length=10000, title="解答")]


class ElementDocument(Element, kw_only=True):
    """One version of an item's elements (or of a catalog entry's)."""

    # Identity and codes
    name: Annotated[str, Meta(min_length=1, max_length=300, title="事项名称")]
    base_code: Annotated[str, Meta(max_length=40, title="基本编码")] = ""
    impl_code: Annotated[str, Meta(max_length=64, title="实施编码")] = ""
    handling_item: Annotated[str, Meta(pattern=r"^[0-9]{2}$", title="业务办理项编码")] = "00"
    handling_item_name: Annotated[str, Meta(max_length=300, title="业务办理项名称")] = ""
    item_type: Annotated[ItemType, Meta(title="事项类型")]
    levels: Annotated[list[Level], Meta(title="行使层级")] = []

    # Who implements it
    agency_name: Annotated[str, Meta(max_length=200, title="实施主体")] = ""
    agency_uscc: Annotated[str, Meta(max_length=18, title="实施主体编码")] = ""
    agency_nature: Annotated[AgencyNature | None, Meta(title="实施主体性质")] = None
    power_source: Annotated[PowerSource | None, Meta(title="权力来源")] = None
    co_agencies: Annotated[list[Short], Meta(title="联办机构")] = []
    entrusting_agency: Annotated[str, Meta(max_length=200, title="委托部门")] = ""

    # Law and conditions
    legal_basis: Annotated[list[LegalBasis], Meta(title="设定依据")] = []
    acceptance_conditions: Annotated[Text, Meta(title="受理条件")] = ""
    prohibitions: Annotated[Text, Meta(title="禁止性要求")] = ""
    legal_remedy: Annotated[Text, Meta(title="法律救济")] = ""

    # Time
    statutory_limit: Annotated[TimeLimit, Meta(title="法定办结时限")] = msgspec.field(
        default_factory=TimeLimit
    )
    promised_limit: Annotated[TimeLimit, Meta(title="承诺办结时限")] = msgspec.field(
        default_factory=TimeLimit
    )
    case_type: Annotated[CaseType | None, Meta(title="办件类型")] = None

    # How it is handled
    channels: Annotated[list[Channel], Meta(title="办理形式")] = []
    visits: Annotated[int, Meta(ge=0, le=10, title="到办事现场次数")] = 0
    visits_reason: Annotated[str, Meta(max_length=2000, title="必须现场办理原因")] = ""
    online_depth: Annotated[OnlineDepth | None, Meta(title="网上办理深度")] = None
    online_url: Annotated[str, Meta(max_length=500, title="网上办理地址")] = ""
    mobile_url: Annotated[str, Meta(max_length=500, title="移动端办理地址")] = ""
    in_hall: Annotated[bool, Meta(title="是否进驻政务大厅")] = True
    # Why an item stays out of the hall (进驻事项负面清单): what the list shows.
    hall_exclusion_reason: Annotated[str, Meta(max_length=500, title="不进驻政务大厅原因")] = ""
    appointment: Annotated[bool, Meta(title="是否支持预约办理")] = False
    courier: Annotated[bool, Meta(title="是否支持物流快递")] = False
    online_payment: Annotated[bool, Meta(title="是否支持网上支付")] = False
    kiosk: Annotated[bool, Meta(title="是否支持自助终端办理")] = False
    cross_area: Annotated[CrossArea, Meta(title="通办范围")] = CrossArea.none
    commitment: Annotated[bool, Meta(title="是否实行告知承诺制")] = False
    # 告知承诺制: what the applicant promises, and what breaking it costs.
    commitment_content: Annotated[Text, Meta(title="承诺内容")] = ""
    commitment_liability: Annotated[Text, Meta(title="违反承诺的法律责任")] = ""

    # What the applicant brings and pays
    materials: Annotated[list[Material], Meta(title="申请材料")] = []
    charged: Annotated[bool, Meta(title="是否收费")] = False
    fees: Annotated[list[Fee], Meta(title="收费项目")] = []

    # How it is processed
    process: Annotated[list[ProcessStep], Meta(title="办理流程")] = []
    special_steps: Annotated[list[SpecialStep], Meta(title="特殊环节")] = []
    intermediary_services: Annotated[list[IntermediaryService], Meta(title="中介服务")] = []
    result: Annotated[Result, Meta(title="审批结果")] = msgspec.field(default_factory=Result)

    # Where and whom to ask
    locations: Annotated[list[Location], Meta(title="办理地点")] = []
    consultation: Annotated[list[Contact], Meta(title="咨询方式")] = []
    complaints: Annotated[list[Contact], Meta(title="监督投诉方式")] = []
    faq: Annotated[list[FAQ], Meta(title="常见问题")] = []

    # Who it serves and how it is classified
    audience: Annotated[list[Audience], Meta(title="服务对象")] = []
    themes: Annotated[list[Short], Meta(title="主题分类")] = []
    service_kind: Annotated[ServiceKind | None, Meta(title="服务类型")] = None
    keywords: Annotated[list[Short], Meta(title="关键词")] = []

    def __post_init__(self) -> None:
        # Cross-field rules that make a document wrong, not merely incomplete.
        if self.visits > 0 and not self.visits_reason.strip():
            raise ValueError("到办事现场次数大于0时,必须填写“必须现场办理原因”")
        if self.charged is False and self.fees:
            raise ValueError("“是否收费”为否时,不应填写收费项目")
        if self.case_type == CaseType.instant and self.promised_limit.value > 1:
            raise ValueError("办件类型为即办件时,承诺办结时限不应超过1个工作日")
        if len(set(self.levels)) != len(self.levels):
            raise ValueError("行使层级有重复")


#: Element groups in the order of a service guide, for editors and guides.
ELEMENT_GROUPS: list[tuple[str, list[str]]] = [
    (
        "基本信息",
        [
            "name",
            "base_code",
            "impl_code",
            "handling_item",
            "handling_item_name",
            "item_type",
            "levels",
            "agency_name",
            "agency_uscc",
            "agency_nature",
            "power_source",
            "co_agencies",
            "entrusting_agency",
            "audience",
            "themes",
            "service_kind",
            "keywords",
        ],
    ),
    ("设定依据", ["legal_basis"]),
    ("受理条件", ["acceptance_conditions", "prohibitions"]),
    ("申请材料", ["materials"]),
    ("办理流程", ["process", "special_steps", "intermediary_services"]),
    ("办理时限", ["statutory_limit", "promised_limit", "case_type"]),
    (
        "办理方式",
        [
            "channels",
            "visits",
            "visits_reason",
            "online_depth",
            "online_url",
            "mobile_url",
            "in_hall",
            "hall_exclusion_reason",
            "appointment",
            "courier",
            "online_payment",
            "kiosk",
            "cross_area",
            "commitment",
            "commitment_content",
            "commitment_liability",
        ],
    ),
    ("收费", ["charged", "fees"]),
    ("办理地点和时间", ["locations"]),
    ("咨询和监督投诉", ["consultation", "complaints", "legal_remedy"]),
    ("常见问题", ["faq"]),
    ("审批结果", ["result"]),
]
