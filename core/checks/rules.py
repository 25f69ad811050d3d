"""Core's check rules (质检): what holds for every jurisdiction.

Each rule has an id, a severity (``block`` stops submission, ``warn`` only
shows), the elements it is about, a summary and a reason for the rule table in
docs/quality-checks.md (generated from this module), and a test that returns
the failures on one element document: the element each is shown next to and
a Chinese message naming it by its title.

Blocking rules are the ones where the document contradicts itself or the law
(a promise longer than the statute, a fee without a basis); the rules about
completeness a guide still lacks (a FAQ, a result sample, an article number)
warn, so that an agency can still submit and finish them later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from qingdan.core.catalog.elements import ElementDocument, TimeLimit
from qingdan.core.catalog.validation import element_title
from qingdan.core.catalog.vocab import CaseType, ItemType, LimitUnit, Necessity, OnlineDepth
from qingdan.core.checks.declarative import display, is_filled, normalize_text, row_label
from qingdan.core.hooktypes import Severity

#: (element, message) for each failure of a rule on a document.
Failures = list[tuple[str, str]]


@dataclass(frozen=True)
class CoreRule:
    id: str
    severity: Severity
    elements: tuple[str, ...]  # what the rule is about; findings name one of them
    summary: str  # the rule in one Chinese sentence (the docs table)
    why: str  # why the rule exists (the docs table)
    test: Callable[[ElementDocument], Failures]

    @property
    def element_titles(self) -> list[str]:
        return [element_title(e) for e in self.elements]


# --- time limits --------------------------------------------------------------------------------

# Bounds of a time limit in calendar days, to compare limits in different units
# without the calendar: a promise is refused only when it is longer however the
# days fall (holidays allowed for), never on a guess.
_HOLIDAY_ALLOWANCE = 14  # the longest run of holidays and weekends in a Chinese year, roughly


def _min_days(limit: TimeLimit) -> float:
    per = {"working_day": 1, "natural_day": 1, "month": 28, "year": 365, "hour": 1 / 24}
    return limit.value * per[limit.unit.value]


def _max_days(limit: TimeLimit) -> float:
    if limit.unit == LimitUnit.working_day:
        return math.ceil(limit.value * 7 / 5) + _HOLIDAY_ALLOWANCE
    if limit.unit == LimitUnit.hour:  # working hours, 8 a day
        return math.ceil(limit.value / 8 * 7 / 5) + _HOLIDAY_ALLOWANCE
    per = {"natural_day": 1, "month": 31, "year": 366}
    return limit.value * per[limit.unit.value]


def _promised_within_statutory(doc: ElementDocument) -> Failures:
    statutory, promised = doc.statutory_limit, doc.promised_limit
    if statutory.unit == LimitUnit.none or statutory.value == 0:
        return []  # no statutory limit (or not filled yet: the required elements say so)
    if promised.unit == LimitUnit.none:
        longer = True
    elif promised.value == 0:
        longer = False
    elif promised.unit == statutory.unit:
        longer = promised.value > statutory.value
    else:
        longer = _min_days(promised) > _max_days(statutory)
    if not longer:
        return []
    return [
        (
            "promised_limit",
            f"承诺办结时限({display(promised)})超过了法定办结时限({display(statutory)}),"
            "承诺时限不得长于法定时限",
        )
    ]


def _instant_no_waiting(doc: ElementDocument) -> Failures:
    if doc.case_type != CaseType.instant:
        return []
    failures: Failures = []
    promised = doc.promised_limit
    same_day = (
        promised.value == 0
        or (promised.unit in (LimitUnit.working_day, LimitUnit.natural_day) and promised.value <= 1)
        or (promised.unit == LimitUnit.hour and promised.value <= 24)
    )
    if not same_day:
        failures.append(
            (
                "case_type",
                f"办件类型为即办件,承诺办结时限却为{display(promised)}:"
                "即办件应当场或当日办结,没有等待的时间",
            )
        )
    waiting = [
        f"{row_label(s, i)}({display(s.time_limit)})"
        for i, s in enumerate(doc.special_steps)
        if s.time_limit.unit != LimitUnit.none and s.time_limit.value > 0
    ]
    if waiting:
        failures.append(
            (
                "case_type",
                f"办件类型为即办件,却设有需要等待的特殊环节{'、'.join(waiting)}:"
                "有需要等待的环节的事项应为承诺件",
            )
        )
    return failures


# --- handling online and on site --------------------------------------------------------------


def _full_online_zero_visits(doc: ElementDocument) -> Failures:
    if doc.online_depth == OnlineDepth.IV and doc.visits > 0:
        return [
            (
                "visits",
                f"网上办理深度为四级(全程网办),到办事现场次数应为0次(现为{doc.visits}次)",
            )
        ]
    return []


def _visits_reason(doc: ElementDocument) -> Failures:
    if doc.visits > 0 and not is_filled(doc.visits_reason):
        got = doc.visits_reason.strip()
        shown = f"(现为“{got}”)" if got else ""
        return [
            (
                "visits_reason",
                f"到办事现场次数为{doc.visits}次,须写明必须现场办理原因{shown}",
            )
        ]
    return []


# --- fees -----------------------------------------------------------------------------------


def _fee_basis_standard(doc: ElementDocument) -> Failures:
    if not doc.charged:
        return []
    if not doc.fees:
        return [("fees", "是否收费为“是”,但没有填写收费项目(须写明收费标准和收费依据)")]
    gaps = []
    for i, fee in enumerate(doc.fees):
        missing = [
            title
            for field, title in (("basis", "收费依据"), ("standard", "收费标准"))
            if not is_filled(getattr(fee, field))
        ]
        if missing:
            gaps.append(f"{row_label(fee, i)}缺少{'、'.join(missing)}")
    if gaps:
        return [("fees", f"收费项目须有收费标准和收费依据:{';'.join(gaps)}")]
    return []


# --- where to ask and complain -----------------------------------------------------------------

_CONTACT_NOISE = re.compile(r"[\s\-—–()()]")


def _contact_key(value: str) -> str:
    return _CONTACT_NOISE.sub("", normalize_text(value)).lower()


def _contact_channels(doc: ElementDocument) -> Failures:
    consultation = [c for c in doc.consultation if is_filled(c.value)]
    complaints = [c for c in doc.complaints if is_filled(c.value)]
    failures: Failures = []
    if not consultation:
        failures.append(("consultation", "咨询方式未填写(须有可用的电话、地址或网址)"))
    if not complaints:
        failures.append(("complaints", "监督投诉方式未填写(须有可用的电话、地址或网址)"))
    if consultation and complaints:
        asked = {_contact_key(c.value) for c in consultation}
        if all(_contact_key(c.value) in asked for c in complaints):
            same = "、".join(f"“{c.value}”" for c in complaints)
            failures.append(
                (
                    "complaints",
                    f"监督投诉方式与咨询方式相同({same}),应另有独立的监督投诉渠道",
                )
            )
    return failures


# --- materials --------------------------------------------------------------------------------

#: A material named by what it is not: 其他材料, 相关材料, 其他需要提交的材料,
#: 法律法规规定的其他材料, 审批部门要求的其他材料. A specific material that
#: merely mentions a kind (有关备案材料, 其他权属证明 after a named document) is not.
CATCH_ALL = re.compile(
    r"^(?:.{0,10}?(?:规定|要求|认为需要|需要|所需)(?:提交|提供)?的)?"
    r"(?:其[他它]|相关|有关|其余|另需|补充|必要|所需)的?"
    r"(?:需要|需|应当|要求)?(?:提交|提供|补充)?的?"
    r"(?:申请|证明|相关|有关|其他)?(?:材料|资料|文件|证明|证件)$"
    r"|^(?:材料|资料|文件|其[他它])$"
)


_END_PUNCTUATION = re.compile(r"[。.;;、\s]+$")


def _is_catch_all(name: str) -> bool:
    return bool(CATCH_ALL.search(_END_PUNCTUATION.sub("", normalize_text(name))))


def _material_source(doc: ElementDocument) -> Failures:
    rows = [row_label(m, i) for i, m in enumerate(doc.materials) if m.source is None]
    if rows:
        return [("materials", f"申请材料须写明来源渠道:{'、'.join(rows)}未填写来源渠道")]
    return []


def _material_basis(doc: ElementDocument) -> Failures:
    rows = [
        row_label(m, i)
        for i, m in enumerate(doc.materials)
        if m.necessity == Necessity.required and not is_filled(m.basis)
    ]
    if rows:
        return [("materials", f"必要的申请材料须写明设定依据:{'、'.join(rows)}未写设定依据")]
    return []


def _no_catch_all_material(doc: ElementDocument) -> Failures:
    rows = [
        row_label(m, i)
        for i, m in enumerate(doc.materials)
        if _is_catch_all(m.name) and not (is_filled(m.notes) and not _is_catch_all(m.notes))
    ]
    if rows:
        return [
            (
                "materials",
                f"申请材料不得用“其他材料”之类的兜底表述而不写明是什么材料:{'、'.join(rows)}"
                "(请写明具体材料,或在填报须知中写明)",
            )
        ]
    return []


# --- licensing items -------------------------------------------------------------------------

MIN_LICENSING_STEPS = 2  # at least 受理 and 决定


def _licensing_process(doc: ElementDocument) -> Failures:
    if doc.item_type != ItemType.licensing:
        return []
    steps = [s for s in doc.process if is_filled(s.name)]
    if len(steps) < MIN_LICENSING_STEPS:
        return [
            (
                "process",
                f"行政许可事项的办理流程至少应有受理、决定等{MIN_LICENSING_STEPS}个环节"
                f"(现有{len(steps)}个)",
            )
        ]
    return []


def _licensing_faq(doc: ElementDocument) -> Failures:
    if doc.item_type == ItemType.licensing and not doc.faq:
        return [("faq", "行政许可事项应至少有1条常见问题及解答")]
    return []


# --- result and legal basis -------------------------------------------------------------------


def _result_name_sample(doc: ElementDocument) -> Failures:
    result = doc.result
    if doc.item_type == ItemType.public_service and not is_filled(result.name):
        return []  # a public service need not end in a document
    missing = [
        title
        for field, title in (("name", "审批结果名称"), ("sample", "审批结果样本"))
        if not is_filled(getattr(result, field))
    ]
    if missing:
        return [("result", f"审批结果须有名称和样本:缺少{'、'.join(missing)}")]
    return []


def _legal_basis_article(doc: ElementDocument) -> Failures:
    gaps = []
    for i, basis in enumerate(doc.legal_basis):
        missing = [
            title
            for field, title in (("law_name", "法律法规名称"), ("article", "条款号"))
            if not is_filled(getattr(basis, field))
        ]
        if missing:
            gaps.append(f"{row_label(basis, i)}缺少{'、'.join(missing)}")
    if gaps:
        return [("legal_basis", f"设定依据须写明法律法规名称和条款号:{';'.join(gaps)}")]
    return []


CORE_RULES: tuple[CoreRule, ...] = (
    CoreRule(
        id="core.promised_within_statutory",
        severity=Severity.block,
        elements=("promised_limit", "statutory_limit"),
        summary="承诺办结时限不得超过法定办结时限",
        why="承诺时限是在法定时限内的压缩;单位不同时按最宽的折算比较,只拒绝无论如何都更长的承诺",
        test=_promised_within_statutory,
    ),
    CoreRule(
        id="core.instant_no_waiting",
        severity=Severity.block,
        elements=("case_type", "promised_limit", "special_steps"),
        summary="办件类型为即办件的,承诺办结时限不超过当日,且不设需要等待的特殊环节",
        why="即办件当场或当日办结;需要等待(按月计的时限、现场踏勘、专家评审等)的事项是承诺件",
        test=_instant_no_waiting,
    ),
    CoreRule(
        id="core.full_online_zero_visits",
        severity=Severity.block,
        elements=("visits", "online_depth"),
        summary="网上办理深度为四级(全程网办)的,到办事现场次数为0",
        why="全程网办指申请、受理、审查、决定、送达全部在网上完成,不需要到现场",
        test=_full_online_zero_visits,
    ),
    CoreRule(
        id="core.visits_reason",
        severity=Severity.block,
        elements=("visits_reason", "visits"),
        summary="到办事现场次数大于0的,写明必须现场办理原因(“无”“/”等不算)",
        why="减跑动:每一次到现场都须有依据,公众才知道为什么要跑",
        test=_visits_reason,
    ),
    CoreRule(
        id="core.fee_basis_standard",
        severity=Severity.block,
        elements=("fees", "charged"),
        summary="收费的事项有收费项目,每个收费项目有收费标准和收费依据",
        why="没有依据的收费不得收取;收费标准须向公众公开",
        test=_fee_basis_standard,
    ),
    CoreRule(
        id="core.contact_channels",
        severity=Severity.block,
        elements=("consultation", "complaints"),
        summary="咨询方式和监督投诉方式均已填写,且监督投诉方式不与咨询方式相同",
        why="公众须能咨询,也须能向办理机构以外的渠道投诉;投诉只能打给办理窗口等于没有监督",
        test=_contact_channels,
    ),
    CoreRule(
        id="core.material_source",
        severity=Severity.block,
        elements=("materials",),
        summary="每项申请材料写明来源渠道",
        why="来源渠道决定材料能否通过共享或电子证照免交(减材料)",
        test=_material_source,
    ),
    CoreRule(
        id="core.material_basis",
        severity=Severity.warn,
        elements=("materials",),
        summary="必要的申请材料写明设定依据",
        why="没有法律法规依据的材料应予取消;依据待补的材料先提醒,不阻止提交",
        test=_material_basis,
    ),
    CoreRule(
        id="core.no_catch_all_material",
        severity=Severity.block,
        elements=("materials",),
        summary="申请材料不用“其他材料”“相关材料”“……等材料”之类的兜底表述而不写明具体是什么",
        why="指南之外无材料:兜底材料让窗口可以随意要求材料",
        test=_no_catch_all_material,
    ),
    CoreRule(
        id="core.licensing_process",
        severity=Severity.block,
        elements=("process",),
        summary=f"行政许可事项的办理流程至少有{MIN_LICENSING_STEPS}个环节(受理、决定)",
        why="行政许可须依法受理并作出决定;办理流程图由环节生成",
        test=_licensing_process,
    ),
    CoreRule(
        id="core.licensing_faq",
        severity=Severity.warn,
        elements=("faq",),
        summary="行政许可事项至少有1条常见问题及解答",
        why="常见问题是办事指南的组成部分,减少群众反复咨询",
        test=_licensing_faq,
    ),
    CoreRule(
        id="core.result_name_sample",
        severity=Severity.warn,
        elements=("result",),
        summary="审批结果有名称和样本(公共服务事项没有审批结果的除外)",
        why="申请人须知道将得到什么;样本待上传的先提醒",
        test=_result_name_sample,
    ),
    CoreRule(
        id="core.legal_basis_article",
        severity=Severity.warn,
        elements=("legal_basis",),
        summary="每条设定依据写明法律法规名称和条款号",
        why="依据须能核对到条;只写法规名称的先提醒",
        test=_legal_basis_article,
    ),
)

#: Consistency with the catalog that holds for every item (not a plugin's choice).
CATALOG_AGREEMENT_ID = "core.catalog_agreement"
CATALOG_AGREEMENT_ELEMENTS = ("name", "item_type")
CATALOG_AGREEMENT_SUMMARY = "事项名称、事项类型与基本目录一致"
CATALOG_AGREEMENT_WHY = "实施清单是基本目录的实施,名称和类型由基本目录确定(清单之外无事项)"


def core_rule(rule_id: str) -> CoreRule:
    for rule in CORE_RULES:
        if rule.id == rule_id:
            return rule
    raise KeyError(rule_id)
