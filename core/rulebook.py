"""Rules as data: approval chains and obligations read from a plugin's JSON.

A jurisdiction plugin that keeps its policy document as data (the usual
``data/rules.json``) hands that data, its settings Struct and the document's
title to a :class:`Rulebook`, and answers the ``qingdan_approval_chain`` and
``qingdan_obligations`` hooks from it::

    from qingdan.core.rulebook import Rulebook, read_package_json

    RULEBOOK = Rulebook(read_package_json("qingdan_mycity", "rules"), MySettings, "某某办法")

    @hookimpl
    def qingdan_approval_chain(kind, subject, changed_elements, settings):
        return RULEBOOK.approval_chain(kind, subject, changed_elements, settings)

The rulebook reads two sections of the data: ``approval`` (an optional
``note``, and ``attachments``, ``steps`` and ``chains``, see :class:`Rules`)
and ``obligations`` (a list of :class:`ObligationSpec`). Other keys are left to
the plugin. Every step, attachment, chain and obligation names its clause and
quotes the text; the rulebook only interprets them: it picks the chain and the
obligations for a change (by its kind, the elements it changes, the item's
type, whether the item was issued from above, and the settings), reads the
deadlines, and writes the basis ``《document》clause:text``.

The data is decoded and checked on first use (which is when core validates the
plugin, so broken data stops the plugin from loading): the structure, and that
every step, attachment, element and setting it names exists with the right
type. A :class:`RulebookError` names each problem.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from functools import cache, cached_property
from importlib.resources import files
from typing import Any, Literal, NoReturn

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

__all__ = [
    "MAX_DAYS",
    "AttachmentRef",
    "AttachmentSpec",
    "ChainSpec",
    "Condition",
    "Deadline",
    "ObligationSpec",
    "Rulebook",
    "RulebookError",
    "Rules",
    "StepRef",
    "StepSpec",
    "decode_package_json",
    "read_package_bytes",
    "read_package_json",
]

MAX_DAYS = 365  # core refuses longer deadlines


class RulebookError(ValueError):
    """The rules data is wrong; the message names the document and every problem."""


# --- reading a plugin's data files ---------------------------------------------------------


def read_package_bytes(package: str, name: str) -> bytes:
    """The raw content of ``data/<name>.json`` inside the installed package ``package``."""
    return (files(package) / "data" / f"{name}.json").read_bytes()


@cache
def _parsed(package: str, name: str) -> Any:
    return json.loads(read_package_bytes(package, name).decode("utf-8"))


def read_package_json(package: str, name: str) -> Any:
    """``data/<name>.json`` of ``package``, parsed once; each call returns a fresh copy."""
    return json.loads(json.dumps(_parsed(package, name)))


def decode_package_json(package: str, name: str, type_: Any) -> Any:
    """``data/<name>.json`` of ``package`` decoded straight into ``type_`` (msgspec validates)."""
    return msgspec.json.decode(read_package_bytes(package, name), type=type_)


# --- the data ------------------------------------------------------------------------------


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
    """A document a step may require (``approval.attachments``, by key)."""

    label: str
    clause: str
    text: str = ""


class AttachmentRef(_Data, kw_only=True):
    """An attachment a step of a chain requires, by its key, perhaps only on a condition."""

    kind: str
    when: Condition | None = None


class StepSpec(_Data, kw_only=True):
    """A step chains may use (``approval.steps``, by key): who acts, by when, and why."""

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
    """A step of a chain, by its key, with the attachments it requires there."""

    step: str
    attachments: tuple[AttachmentRef, ...] = ()
    when: Condition | None = None


class ChainSpec(_Data, kw_only=True):
    """An approval chain for some kinds of change; the first whose condition holds is used."""

    kinds: tuple[ChangeKind, ...]
    when: Condition | None = None
    steps: tuple[StepRef, ...]
    clause: str
    text: str
    note: str = ""  # for readers of the data; not part of the basis


class ObligationSpec(_Data, kw_only=True):
    """Work a change leaves behind; every obligation whose condition holds applies."""

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


class _Approval(_Data, kw_only=True):
    # attachments and steps are decoded one by one, so that an error names the key
    note: str = ""
    attachments: dict[str, Any]
    steps: dict[str, Any]
    chains: tuple[ChainSpec, ...]


class Rules(_Data, kw_only=True):
    """The decoded ``approval`` section, with the ``obligations`` list beside it."""

    note: str = ""
    attachments: dict[str, AttachmentSpec]
    steps: dict[str, StepSpec]
    chains: tuple[ChainSpec, ...]
    obligations: tuple[ObligationSpec, ...]


# --- the rulebook --------------------------------------------------------------------------


class Rulebook:
    """One plugin's approval chains and obligations, interpreted from its rules data.

    ``data`` is the plugin's rules document, decoded (a mapping) or as JSON bytes/text;
    its ``approval`` and ``obligations`` sections are used. ``settings_type`` is the
    plugin's settings Struct: the settings the data names must exist there, and their
    ``title`` metadata is quoted in the basis. ``document`` is the policy document's
    title; the basis cites it as ``citation`` (default ``《document》``).
    """

    def __init__(
        self,
        data: Mapping[str, Any] | bytes | str,
        settings_type: type[msgspec.Struct],
        document: str,
        *,
        citation: str | None = None,
    ) -> None:
        self.settings_type = settings_type
        self.document = document
        self.citation = f"《{document}》" if citation is None else citation
        self._data = data
        self._rules: Rules | None = None

    def __repr__(self) -> str:
        return f"Rulebook({self.document!r}, {self.settings_type.__name__})"

    # --- the hooks' answers ---------------------------------------------------------------

    def approval_chain(
        self,
        kind: ChangeKind,
        subject: SubjectSummary,
        changed: Sequence[str],
        settings: msgspec.Struct,
    ) -> ApprovalChain:
        """The first chain in the data for ``kind`` whose condition holds, with its steps."""
        rules = self.load()
        kind = ChangeKind(kind)
        spec = next(
            c
            for c in rules.chains
            if kind in c.kinds and _holds(c.when, subject, changed, settings)
        )
        steps = tuple(
            self._step(rules, ref, subject, changed, settings)
            for ref in spec.steps
            if _holds(ref.when, subject, changed, settings)
        )
        return ApprovalChain(steps=steps, basis=f"{self.citation}{spec.clause}:{spec.text}")

    def obligations(
        self,
        kind: ChangeKind,
        subject: SubjectSummary,
        changed: Sequence[str],
        settings: msgspec.Struct,
    ) -> list[ObligationRule]:
        """Every obligation in the data for ``kind`` whose condition holds."""
        kind = ChangeKind(kind)
        result = []
        for spec in self.load().obligations:
            if kind not in spec.kinds or not _holds(spec.when, subject, changed, settings):
                continue
            days, note = self._deadline(spec.deadline, settings)
            parts = [f"{self.citation}{spec.clause}:{spec.text}", note]
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

    # --- loading and checking the data ------------------------------------------------------

    def load(self) -> Rules:
        """The data decoded and checked (once); raises :class:`RulebookError` if it is wrong."""
        if self._rules is None:
            rules = self._decode()
            self.check(rules)
            self._rules = rules
        return self._rules

    def check(self, rules: Rules) -> None:
        """Raise :class:`RulebookError` naming every reference in ``rules`` that does not hold."""
        problems: list[str] = []
        types = self._field_types
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
            self._fail(";".join(problems))

    def _fail(self, problem: str) -> NoReturn:
        raise RulebookError(f"{self.document} 的审核链数据有误:{problem}")

    def _decode(self) -> Rules:
        data: Any = self._data
        if isinstance(data, bytes | str):
            try:
                data = msgspec.json.decode(data)
            except msgspec.DecodeError as exc:
                self._fail(f"不是有效的 JSON: {exc}")
        if not isinstance(data, Mapping):
            self._fail(f"应为对象,实为 {type(data).__name__}")
        missing = [key for key in ("approval", "obligations") if key not in data]
        if missing:
            self._fail(f"缺少 {'、'.join(missing)}")
        approval = self._convert(data["approval"], _Approval, "approval")
        return Rules(
            note=approval.note,
            attachments={
                key: self._convert(value, AttachmentSpec, f"approval.attachments.{key}")
                for key, value in approval.attachments.items()
            },
            steps={
                key: self._convert(value, StepSpec, f"approval.steps.{key}")
                for key, value in approval.steps.items()
            },
            chains=approval.chains,
            obligations=self._convert(
                data["obligations"], tuple[ObligationSpec, ...], "obligations"
            ),
        )

    def _convert(self, value: Any, type_: Any, section: str) -> Any:
        try:
            return msgspec.convert(value, type_)
        except msgspec.ValidationError as exc:
            # msgspec says where from the section's root (``$``); name the section instead
            message = str(exc)
            if "`$" in message:
                self._fail(message.replace("`$", f"`{section}"))
            self._fail(f"{message} - at `{section}`")

    @cached_property
    def _field_types(self) -> dict[str, mi.Type]:
        types = {}
        for field in mi.type_info(self.settings_type).fields:
            t = field.type
            while isinstance(t, mi.Metadata):
                t = t.type
            types[field.name] = t
        return types

    @cached_property
    def _titles(self) -> dict[str, str]:
        titles = {}
        for field in mi.type_info(self.settings_type).fields:
            t = field.type
            while isinstance(t, mi.Metadata):
                if t.extra_json_schema and "title" in t.extra_json_schema:
                    titles[field.name] = t.extra_json_schema["title"]
                    break
                t = t.type
            titles.setdefault(field.name, field.name)
        return titles

    # --- interpretation ---------------------------------------------------------------------

    def _step(
        self,
        rules: Rules,
        ref: StepRef,
        subject: SubjectSummary,
        changed: Sequence[str],
        settings: msgspec.Struct,
    ) -> ChainStep:
        spec = rules.steps[ref.step]
        days, note = self._deadline(spec.deadline, settings)
        kinds = [a.kind for a in ref.attachments if _holds(a.when, subject, changed, settings)]
        parts = [f"{self.citation}{spec.clause}:{spec.text}" if spec.clause else spec.text]
        if spec.list_setting:
            names = "、".join(getattr(settings, spec.list_setting)) or "无"
            parts.append(f"{self._titles[spec.list_setting]}:{names}")
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

    def _deadline(self, deadline: Deadline, settings: msgspec.Struct) -> tuple[int, str]:
        """The limit in working days, and a note saying where it comes from."""
        titles = self._titles
        if deadline.setting:
            days = getattr(settings, deadline.setting)
            source = f"取自设置“{titles[deadline.setting]}”,{deadline.clause}"
        elif deadline.window:
            first, last = deadline.window
            start = getattr(settings, first)
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


def _holds(
    cond: Condition | None, subject: SubjectSummary, changed: Sequence[str], settings: object
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


def _weekdays(start: datetime.date, end: datetime.date) -> int:
    """Monday to Friday from ``start`` to ``end``, both included (holidays are not known)."""
    span = (end - start).days + 1
    return sum(1 for i in range(max(span, 0)) if (start + datetime.timedelta(i)).weekday() < 5)


def _escalation(role: Role, clause: str) -> str:
    return f"逾期告知{ROLE_LABELS[role]}({clause or '平台默认'})"
