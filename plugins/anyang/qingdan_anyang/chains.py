"""审核链与后续义务:把 ``data/rules.json`` 的 ``approval`` 与 ``obligations`` 变成核心的类型化值。

规则全是数据:每个步骤、附件、义务都写明条款号和原文;本模块只负责解释——按变更种类
(以及变更的要素、事项类型、是否上级下发、设置)选出审核链和义务,读出时限,拼出依据。
数据在第一次使用时按下面的结构解码并核对引用(步骤、附件、设置项是否存在),
写错的数据让插件在加载时就失败。
"""

from __future__ import annotations

import datetime
from functools import cache
from typing import Literal

import msgspec
from msgspec import inspect as mi

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import (
    ApprovalChain,
    ChainStep,
    ChangeKind,
    ObligationRule,
    RequiredAttachment,
    SubjectSummary,
)
from qingdan.core.tenancy.schemas import ROLE_LABELS, Role
from qingdan_anyang.loader import load
from qingdan_anyang.settings import DOCUMENT, AnyangSettings

SETTINGS = AnyangSettings
CITATION = f"《{DOCUMENT}》"
MAX_DAYS = 365  # core refuses longer deadlines


class _Data(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class Condition(_Data, kw_only=True):
    """When a chain, a step, an attachment or an obligation applies; every part given must hold."""

    item_types: tuple[ItemType, ...] = ()  # the subject is of one of these types
    from_above: bool | None = None  # the subject was (True) or was not (False) issued from above
    changed_any: tuple[str, ...] = ()  # at least one of these elements changed
    changed_none_of: tuple[str, ...] = ()  # elements changed, and none of them is one of these
    setting: str = ""  # this boolean setting is on


class Deadline(_Data, kw_only=True):
    """A time limit in working days: fixed, an integer setting, or a window of two date settings."""

    days: int | None = None
    setting: str = ""
    window: tuple[str, str] | None = (
        None  # working days (Mon–Fri) from the first date to the second
    )
    window_from_next_day: bool = False  # count from the day after the first date
    platform_default: bool = False  # the policy document sets no limit; ``days`` is the platform's
    clause: str = ""  # where a limit from the document comes from


class AttachmentSpec(_Data, kw_only=True):
    label: str
    clause: str
    text: str = ""


class AttachmentRef(_Data, kw_only=True):
    kind: str
    when: Condition | None = None


class StepSpec(_Data, kw_only=True):
    name: str
    role: Role
    office: str
    deadline: Deadline
    escalate_to: Role | None = None
    escalate_clause: str = ""  # why that office is told; empty: the platform's choice
    clause: str = ""  # empty: the step is the platform's default, ``text`` says so
    text: str
    list_setting: str = ""  # a setting of names to list in the basis (e.g. allowed exclusions)


class StepRef(_Data, kw_only=True):
    step: str
    attachments: tuple[AttachmentRef, ...] = ()
    when: Condition | None = None


class ChainSpec(_Data, kw_only=True):
    kinds: tuple[ChangeKind, ...]
    when: Condition | None = None
    steps: tuple[StepRef, ...]
    clause: str
    text: str
    note: str = ""  # for readers of the data; not part of the basis


class ObligationSpec(_Data, kw_only=True):
    kind: str
    title: str
    role: Role
    deadline: Deadline
    on: Literal["publish", "claim"]
    kinds: tuple[ChangeKind, ...]
    when: Condition | None = None
    escalate_to: Role | None = None
    escalate_clause: str = ""
    clause: str
    text: str


class Rules(_Data, kw_only=True):
    note: str = ""
    attachments: dict[str, AttachmentSpec]
    steps: dict[str, StepSpec]
    chains: tuple[ChainSpec, ...]
    obligations: tuple[ObligationSpec, ...]


# --- the hooks' answers ----------------------------------------------------------------


def approval_chain(
    kind: ChangeKind, subject: SubjectSummary, changed: list[str], settings: AnyangSettings
) -> ApprovalChain:
    """The first chain in ``rules.json`` for ``kind`` whose condition holds, with its steps."""
    rules = load_rules()
    kind = ChangeKind(kind)
    spec = next(
        c for c in rules.chains if kind in c.kinds and _holds(c.when, subject, changed, settings)
    )
    steps = tuple(
        _step(rules, ref, subject, changed, settings)
        for ref in spec.steps
        if _holds(ref.when, subject, changed, settings)
    )
    return ApprovalChain(steps=steps, basis=f"{CITATION}{spec.clause}:{spec.text}")


def obligations(
    kind: ChangeKind, subject: SubjectSummary, changed: list[str], settings: AnyangSettings
) -> list[ObligationRule]:
    """Every obligation in ``rules.json`` for ``kind`` whose condition holds."""
    kind = ChangeKind(kind)
    result = []
    for spec in load_rules().obligations:
        if kind not in spec.kinds or not _holds(spec.when, subject, changed, settings):
            continue
        days, note = _deadline(spec.deadline, settings)
        parts = [f"{CITATION}{spec.clause}:{spec.text}", note]
        if spec.escalate_to:
            parts.append(_escalation(spec.escalate_to, spec.escalate_clause))
        result.append(
            ObligationRule(
                kind=spec.kind,
                title=spec.title,
                role=spec.role.value,
                working_days=days,
                on=spec.on,
                escalate_to=spec.escalate_to.value if spec.escalate_to else None,
                basis=";".join(parts),
            )
        )
    return result


# --- interpretation ----------------------------------------------------------------------


def _holds(
    cond: Condition | None, subject: SubjectSummary, changed: list[str], settings: object
) -> bool:
    if cond is None:
        return True
    if cond.item_types and subject.item_type not in cond.item_types:
        return False
    if cond.from_above is not None and subject.from_above != cond.from_above:
        return False
    if cond.changed_any and not set(changed) & set(cond.changed_any):
        return False
    if cond.changed_none_of and (not changed or set(changed) & set(cond.changed_none_of)):
        return False
    return not (cond.setting and not getattr(settings, cond.setting))


def _step(
    rules: Rules, ref: StepRef, subject: SubjectSummary, changed: list[str], settings: object
) -> ChainStep:
    spec = rules.steps[ref.step]
    days, note = _deadline(spec.deadline, settings)
    kinds = [a.kind for a in ref.attachments if _holds(a.when, subject, changed, settings)]
    parts = [f"{CITATION}{spec.clause}:{spec.text}" if spec.clause else spec.text]
    if spec.list_setting:
        names = "、".join(getattr(settings, spec.list_setting)) or "无"
        parts.append(f"{_titles()[spec.list_setting]}:{names}")
    parts += [f"须附{rules.attachments[k].label}({rules.attachments[k].clause})" for k in kinds]
    parts.append(note)
    if spec.escalate_to:
        parts.append(_escalation(spec.escalate_to, spec.escalate_clause))
    return ChainStep(
        name=spec.name,
        role=spec.role.value,
        office=spec.office,
        deadline_days=days,
        required_attachments=tuple(
            RequiredAttachment(kind=k, label=rules.attachments[k].label) for k in kinds
        ),
        escalate_to=spec.escalate_to.value if spec.escalate_to else None,
        basis=";".join(parts),
    )


def _deadline(deadline: Deadline, settings: object) -> tuple[int, str]:
    """The limit in working days, and a note saying where it comes from."""
    if deadline.setting:
        days = getattr(settings, deadline.setting)
        source = f"取自设置“{_titles()[deadline.setting]}”,{deadline.clause}"
    elif deadline.window:
        first, last = deadline.window
        start = getattr(settings, first)
        titles = _titles()
        since = f"“{titles[first]}”"
        if deadline.window_from_next_day:
            start += datetime.timedelta(days=1)
            since += "次日"
        days = _weekdays(start, getattr(settings, last))
        source = f"按设置{since}至“{titles[last]}”的工作日数折算,{deadline.clause}"
    elif deadline.platform_default:
        days = deadline.days or 0
        source = "政策文件未规定时限,为平台默认值"
    else:
        days = deadline.days or 0
        source = deadline.clause
    days = max(0, min(days, MAX_DAYS))
    limit = "当日完成" if days == 0 else f"时限{days}个工作日"
    return days, f"{limit}({source})"


def _weekdays(start: datetime.date, end: datetime.date) -> int:
    """Monday to Friday from ``start`` to ``end``, both included (the plugin knows no holidays)."""
    span = (end - start).days + 1
    return sum(1 for i in range(max(span, 0)) if (start + datetime.timedelta(i)).weekday() < 5)


def _escalation(role: Role, clause: str) -> str:
    return f"逾期告知{ROLE_LABELS[role]}({clause or '平台默认'})"


# --- loading and checking the data ---------------------------------------------------------


@cache
def _field_types() -> dict[str, mi.Type]:
    types = {}
    for field in mi.type_info(SETTINGS).fields:
        t = field.type
        while isinstance(t, mi.Metadata):
            t = t.type
        types[field.name] = t
    return types


@cache
def _titles() -> dict[str, str]:
    titles = {}
    for field in mi.type_info(SETTINGS).fields:
        t = field.type
        while isinstance(t, mi.Metadata):
            if t.extra_json_schema and "title" in t.extra_json_schema:
                titles[field.name] = t.extra_json_schema["title"]
                break
            t = t.type
        titles.setdefault(field.name, field.name)
    return titles


@cache
def load_rules() -> Rules:
    """``rules.json`` 的 ``approval`` 与 ``obligations``,解码并核对引用。"""
    data = load("rules")
    rules = msgspec.convert({**data["approval"], "obligations": data["obligations"]}, Rules)
    _check(rules)
    return rules


def _check(rules: Rules) -> None:
    problems: list[str] = []
    types = _field_types()
    elements = set(ElementDocument.__struct_fields__)

    def setting(name: str, expected: type | tuple[type, ...], where: str) -> None:
        if name and not isinstance(types.get(name), expected):
            problems.append(f"{where}: 设置项 {name} 不存在或类型不符")

    def condition(cond: Condition | None, where: str) -> None:
        if cond is not None:
            setting(cond.setting, mi.BoolType, where)
            unknown = set(cond.changed_any + cond.changed_none_of) - elements
            if unknown:
                problems.append(f"{where}: 要素 {sorted(unknown)} 不存在")

    def deadline(d: Deadline, where: str) -> None:
        given = [d.days is not None, bool(d.setting), d.window is not None]
        if sum(given) != 1:
            problems.append(f"{where}: 时限须且只须给出 days、setting、window 之一")
        if d.days is not None and not 0 <= d.days <= MAX_DAYS:
            problems.append(f"{where}: 时限 {d.days} 超出范围")
        if not d.platform_default and not d.clause:
            problems.append(f"{where}: 时限没有出处")
        setting(d.setting, mi.IntType, where)
        for name in d.window or ():
            setting(name, mi.DateType, where)

    for key, step in rules.steps.items():
        deadline(step.deadline, f"步骤 {key}")
        setting(step.list_setting, (mi.VarTupleType, mi.ListType), f"步骤 {key}")
    for i, chain in enumerate(rules.chains):
        condition(chain.when, f"审核链 {i}")
        for ref in chain.steps:
            if ref.step not in rules.steps:
                problems.append(f"审核链 {i}: 步骤 {ref.step} 不存在")
            condition(ref.when, f"审核链 {i} 的步骤 {ref.step}")
            for att in ref.attachments:
                if att.kind not in rules.attachments:
                    problems.append(f"审核链 {i}: 附件 {att.kind} 不存在")
                condition(att.when, f"审核链 {i} 的附件 {att.kind}")
        if all(ref.when is not None for ref in chain.steps):
            problems.append(f"审核链 {i} 没有无条件的步骤,可能为空")
    for kind in ChangeKind:
        if not any(kind in c.kinds and c.when is None for c in rules.chains):
            problems.append(f"变更种类 {kind.value} 没有无条件的审核链")
    for spec in rules.obligations:
        deadline(spec.deadline, f"后续义务 {spec.kind}")
        condition(spec.when, f"后续义务 {spec.kind}")
    if problems:
        raise ValueError(f"{DOCUMENT} 的审核链数据有误:" + ";".join(problems))
