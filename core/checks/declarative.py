"""Check rules as data: the rule kinds core interprets for a jurisdiction plugin.

A plugin never runs code inside a check: it returns ``QualityRule`` values
(``qingdan_quality_rules``) whose ``check`` is one of the kinds in
``qingdan.core.hooktypes`` (``filled``, ``min_rows``, ``at_most``, ``one_of``,
``fields_filled``, ``no_rows``, ``no_phrases``, ``includes``). This module says whether such
rules make sense against the element schema (:func:`rules_problems`, run when
the plugin loads and by the conformance kit), evaluates one on a document
(:func:`evaluate`), and reads a plugin's ``data/quality.json``
(:class:`QualityBook`), in the spirit of :mod:`qingdan.core.rulebook`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, NoReturn

import msgspec
from msgspec import inspect as mi

from qingdan.core.catalog.elements import ElementDocument, Result, TimeLimit
from qingdan.core.catalog.validation import element_title
from qingdan.core.catalog.vocab import LABELS, ItemType, LimitUnit, Vocab
from qingdan.core.checks.schemas import Finding
from qingdan.core.hooktypes import (
    AtMostCheck,
    ConsistencyKind,
    ConsistencyRule,
    FieldsFilledCheck,
    FilledCheck,
    IncludesCheck,
    MinRowsCheck,
    NoPhrasesCheck,
    NoRowsCheck,
    OneOfCheck,
    QualityRule,
    QualityRules,
    RowMatch,
    RuleCheck,
    RuleCondition,
    Severity,
)

__all__ = [
    "PLACEHOLDERS",
    "QualityBook",
    "QualityDataError",
    "applies",
    "evaluate",
    "is_filled",
    "row_label",
    "rules_problems",
]

#: What clerks type to get past a required field; none of it says anything.
PLACEHOLDERS = frozenset(
    {
        "无", "暂无", "空", "略", "见上", "同上", "待定", "待补充", "待完善", "无需",
        "不涉及", "未知", "详见", "其他", "其它", "/", "-", "--", "—", "——", "…", "...",
        "na", "n/a", "null", "none", "0", "x", "?", "？",
    }
)  # fmt: skip
_TRAILING = "。.;;,,、 "
CORE_PREFIX = "core."
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
CJK = re.compile(r"[\u3400-\u9fff]")


def normalize_text(text: str) -> str:
    """Full-width forms folded, spaces collapsed: how two texts are compared."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def is_placeholder(text: str) -> bool:
    return normalize_text(text).strip(_TRAILING).lower() in PLACEHOLDERS


def is_filled(value: Any) -> bool:
    """Whether an element says something (a placeholder such as 无 or / does not)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip()) and not is_placeholder(value)
    if isinstance(value, (list, tuple)):
        return len(value) > 0
    if isinstance(value, TimeLimit):
        return value.unit == LimitUnit.none or value.value > 0
    if isinstance(value, Result):
        return is_filled(value.name)
    if isinstance(value, msgspec.Struct):
        return any(is_filled(getattr(value, f)) for f in value.__struct_fields__)
    return True


#: The field of a row that names it in a message, by preference.
ROW_NAMES = ("name", "item", "law_name", "question", "value")


def row_label(row: Any, index: int) -> str:
    """``第2行“营业执照”``: a row as a message names it."""
    for field in ROW_NAMES:
        text = getattr(row, field, None)
        if isinstance(text, str) and text.strip():
            return f"第{index + 1}行“{_short(text)}”"
    return f"第{index + 1}行"


def _short(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display(value: Any) -> str:
    """A value as users read it: enum labels, time limits with their unit."""
    if value is None:
        return "未填写"
    if isinstance(value, Vocab):
        return value.label
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, TimeLimit):
        if value.unit == LimitUnit.none:
            return "无"
        return f"{value.value}{value.unit.label}"
    if isinstance(value, str):
        return _short(value, 60) if value.strip() else "未填写"
    return str(value)


# --- the element schema, as the rules see it --------------------------------------------------


def _unwrap(t: mi.Type) -> mi.Type:
    while isinstance(t, mi.Metadata):
        t = t.type
    return t


@cache
def _fields(cls: type) -> dict[str, mi.Type]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    return {f.name: _unwrap(f.type) for f in info.fields}


def _optional(t: mi.Type) -> mi.Type:
    """``X | None`` → ``X``."""
    if isinstance(t, mi.UnionType):
        rest = [a for a in t.types if not isinstance(a, mi.NoneType)]
        if len(rest) == 1:
            return _unwrap(rest[0])
    return t


def _shape(t: mi.Type) -> str:
    """text, int, bool, choice, choices, rows, part, or other."""
    t = _optional(t)
    if isinstance(t, mi.StrType):
        return "text"
    if isinstance(t, mi.BoolType):
        return "bool"
    if isinstance(t, mi.IntType):
        return "int"
    if isinstance(t, mi.EnumType):
        return "choice"
    if isinstance(t, (mi.ListType, mi.VarTupleType)):
        inner = _unwrap(t.item_type)
        if isinstance(inner, mi.StructType):
            return "rows"
        return "choices" if isinstance(inner, mi.EnumType) else "texts"
    if isinstance(t, mi.StructType):
        return "part"
    return "other"


def _struct_of(t: mi.Type) -> type | None:
    t = _optional(t)
    if isinstance(t, (mi.ListType, mi.VarTupleType)):
        t = _unwrap(t.item_type)
    return t.cls if isinstance(t, mi.StructType) else None


def _enum_values(t: mi.Type) -> set[str] | None:
    t = _optional(t)
    if isinstance(t, (mi.ListType, mi.VarTupleType)):
        t = _unwrap(t.item_type)
    if isinstance(t, mi.EnumType):
        return {m.value for m in t.cls}
    return None


def _choice_label(element: str, value: str) -> str:
    """A stored choice of ``element`` (``counter``) as users read it (窗口办理)."""
    t = _optional(_fields(ElementDocument)[element])
    if isinstance(t, (mi.ListType, mi.VarTupleType)):
        t = _unwrap(t.item_type)
    if isinstance(t, mi.EnumType) and issubclass(t.cls, Vocab):
        return LABELS[t.cls].get(value, value)
    return value


def element_shape(name: str) -> str:
    return _shape(_fields(ElementDocument)[name])


# --- checking rules against the schema --------------------------------------------------------


def _check_problems(rule: QualityRule) -> list[str]:
    """What in ``rule.check`` does not fit the element it names."""
    check = rule.check
    where = f"规则 {rule.id}"
    element_type = _fields(ElementDocument)[rule.element]
    shape = _shape(element_type)
    struct = _struct_of(element_type)
    problems: list[str] = []

    def row_match(match: RowMatch | None) -> None:
        if match is None:
            return
        fields = _fields(struct) if struct else {}
        if match.field not in fields:
            problems.append(f"{where}: 行条件的字段 {match.field} 不是“{rule.element}”的字段")
            return
        allowed = _enum_values(fields[match.field])
        if _shape(fields[match.field]) == "bool":
            allowed = {"true", "false"}
        if not match.values:
            problems.append(f"{where}: 行条件没有列出取值")
        elif allowed is not None and not set(match.values) <= allowed:
            bad = sorted(set(match.values) - allowed)
            problems.append(f"{where}: 行条件的取值 {bad} 不在 {sorted(allowed)} 之内")

    if isinstance(check, FilledCheck):
        if shape in ("bool", "int"):
            problems.append(f"{where}: “是否填写”不适用于是/否或数字要素 {rule.element}")
    elif isinstance(check, MinRowsCheck):
        if shape not in ("rows", "texts", "choices"):
            problems.append(f"{where}: 行数检查只适用于表格或多项要素,{rule.element} 不是")
        if check.n < 1:
            problems.append(f"{where}: 最少行数应至少为1")
    elif isinstance(check, AtMostCheck):
        if shape != "int" and struct is not TimeLimit:
            problems.append(f"{where}: 上限检查只适用于数字或时限要素,{rule.element} 不是")
        if check.value < 0:
            problems.append(f"{where}: 上限不能为负数")
    elif isinstance(check, OneOfCheck):
        allowed = _enum_values(element_type)
        if shape not in ("choice", "text"):
            problems.append(f"{where}: 取值检查只适用于单选或文字要素,{rule.element} 不是")
        elif not check.values:
            problems.append(f"{where}: 没有列出允许的取值")
        elif allowed is not None and not set(check.values) <= allowed:
            bad = sorted(set(check.values) - allowed)
            problems.append(f"{where}: 取值 {bad} 不在 {sorted(allowed)} 之内")
    elif isinstance(check, FieldsFilledCheck):
        if struct is None:
            problems.append(f"{where}: 字段检查只适用于表格或复合要素,{rule.element} 不是")
        else:
            fields = _fields(struct)
            unknown = [f for f in check.fields if f not in fields]
            if unknown or not check.fields:
                problems.append(f"{where}: 字段 {unknown or '(无)'} 不是“{rule.element}”的字段")
            if check.where is not None and shape != "rows":
                problems.append(f"{where}: 行条件只适用于表格要素")
            row_match(check.where)
    elif isinstance(check, NoRowsCheck):
        if shape != "rows":
            problems.append(f"{where}: “不得有此类行”只适用于表格要素,{rule.element} 不是")
        else:
            row_match(check.where)
    elif isinstance(check, NoPhrasesCheck):
        if not check.phrases or not all(p.strip() for p in check.phrases):
            problems.append(f"{where}: 没有列出禁用的词句")
        if check.field:
            fields = _fields(struct) if struct else {}
            if shape != "rows" or _shape(fields.get(check.field, mi.AnyType())) != "text":
                problems.append(f"{where}: {check.field} 不是表格要素“{rule.element}”的文字字段")
        elif shape not in ("text", "texts"):
            problems.append(
                f"{where}: 词句检查只适用于文字要素,{rule.element} 不是(表格请给出 field)"
            )
    elif isinstance(check, IncludesCheck):
        allowed = _enum_values(element_type)
        if shape != "choices":
            problems.append(f"{where}: 包含检查只适用于多选要素,{rule.element} 不是")
        elif not check.values:
            problems.append(f"{where}: 没有列出应包含的取值")
        elif allowed is not None and not set(check.values) | set(check.if_any) <= allowed:
            bad = sorted((set(check.values) | set(check.if_any)) - allowed)
            problems.append(f"{where}: 取值 {bad} 不在 {sorted(allowed)} 之内")
    return problems


def rules_problems(rules: QualityRules) -> list[str]:
    """Everything in a plugin's rules that does not fit the platform, in Chinese."""
    problems: list[str] = []
    elements = _fields(ElementDocument)
    seen: set[str] = set()
    for rule in rules.rules:
        where = f"规则 {rule.id or '(无编号)'}"
        problems += _id_problems(rule.id, where, seen)
        if rule.element not in elements:
            problems.append(
                f"{where}: 要素 {rule.element} 不存在(要素名是 ElementDocument 的字段名)"
            )
            continue
        title = element_title(rule.element)
        if not CJK.search(rule.message or ""):
            problems.append(f"{where}: 提示信息应为中文")
        elif title not in rule.message:
            problems.append(f"{where}: 提示信息应写明要素名称“{title}”")
        if rule.when is not None and rule.when.flag:
            if rule.when.flag not in elements or element_shape(rule.when.flag) != "bool":
                problems.append(f"{where}: 条件 flag={rule.when.flag} 不是是/否要素")
        problems += _check_problems(rule)
    for c in rules.consistency:
        where = f"一致性检查 {c.id or '(无编号)'}"
        problems += _id_problems(c.id, where, seen)
        if not c.name.strip():
            problems.append(f"{where}: 没有名称")
        if not c.elements:
            problems.append(f"{where}: 没有列出要比较的要素")
        unknown = [e for e in c.elements if e not in elements]
        if unknown:
            problems.append(f"{where}: 要素 {unknown} 不存在")
        if len(set(c.elements)) != len(c.elements):
            problems.append(f"{where}: 要素重复列出")
    return problems


def _id_problems(rule_id: str, where: str, seen: set[str]) -> list[str]:
    problems = []
    if not RULE_ID.match(rule_id or ""):
        problems.append(f"{where}: 编号应形如“城市.规则名”(小写字母、数字、下划线,以点分隔)")
    if (rule_id or "").startswith(CORE_PREFIX):
        problems.append(f"{where}: 编号不能以 {CORE_PREFIX} 开头(那是平台自己的规则)")
    if rule_id in seen:
        problems.append(f"{where}: 编号重复")
    seen.add(rule_id)
    return problems


# --- evaluating a rule on a document ----------------------------------------------------------


def applies(
    when: RuleCondition | None, doc: ElementDocument, item_types: Sequence[ItemType] = ()
) -> bool:
    if item_types and doc.item_type not in item_types:
        return False
    if when is None:
        return True
    if when.item_types and doc.item_type not in when.item_types:
        return False
    return not (when.flag and getattr(doc, when.flag) is not True)


def _stored(value: Any) -> str:
    """A value as a rule's data writes it: an enum's value, ``true``/``false``."""
    if isinstance(value, Vocab):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _matches(row: Any, match: RowMatch | None) -> bool:
    if match is None:
        return True
    return _stored(getattr(row, match.field, None)) in match.values


def _failure(check: RuleCheck, element: str, value: Any) -> str | None:
    """``None`` when ``value`` passes; else what is wrong ("" when the message says it all)."""
    if isinstance(check, FilledCheck):
        return None if is_filled(value) else ""
    if isinstance(check, MinRowsCheck):
        n = len(value or ())
        return None if n >= check.n else f"现有{n}行,至少应有{check.n}行"
    if isinstance(check, AtMostCheck):
        number = value.value if isinstance(value, TimeLimit) else value
        return None if number <= check.value else f"现为{display(value)}"
    if isinstance(check, OneOfCheck):
        got = value.value if isinstance(value, Vocab) else (value or "")
        return None if got in check.values else f"现为“{display(value)}”"
    if isinstance(check, FieldsFilledCheck):
        struct = _struct_of(_fields(ElementDocument)[element])
        titles = {f: element_title(f, struct) for f in check.fields} if struct else {}
        if isinstance(value, list):
            parts = []
            for i, row in enumerate(value):
                if not _matches(row, check.where):
                    continue
                missing = [titles[f] for f in check.fields if not is_filled(getattr(row, f))]
                if missing:
                    parts.append(f"{row_label(row, i)}缺少{'、'.join(missing)}")
            return ";".join(parts) or None
        missing = [titles[f] for f in check.fields if not is_filled(getattr(value, f))]
        return f"缺少{'、'.join(missing)}" if missing else None
    if isinstance(check, NoRowsCheck):
        rows = [row_label(r, i) for i, r in enumerate(value) if _matches(r, check.where)]
        return "、".join(rows) or None
    if isinstance(check, NoPhrasesCheck):
        if check.field:
            hits = []
            for i, row in enumerate(value):
                text = normalize_text(getattr(row, check.field) or "")
                found = [p for p in check.phrases if normalize_text(p) in text]
                if found:
                    hits.append(f"{row_label(row, i)}含有“{'”“'.join(found)}”")
            return ";".join(hits) or None
        text = normalize_text("\n".join(value) if isinstance(value, list) else (value or ""))
        found = [p for p in check.phrases if normalize_text(p) in text]
        return f"含有“{'”“'.join(found)}”" if found else None
    if isinstance(check, IncludesCheck):
        got = {_stored(v) for v in value or ()}
        if check.if_any and not got & set(check.if_any):
            return None  # the condition (e.g. handled online) does not hold
        missing = [v for v in check.values if v not in got]
        labels = "”“".join(_choice_label(element, v) for v in missing)
        return f"缺少“{labels}”" if missing else None
    raise TypeError(f"unknown rule kind {type(check).__name__}")


def evaluate(rule: QualityRule, doc: ElementDocument) -> Finding | None:
    """The finding ``rule`` makes on ``doc``, or ``None`` if it passes or does not apply."""
    if not applies(rule.when, doc):
        return None
    detail = _failure(rule.check, rule.element, getattr(doc, rule.element))
    if detail is None:
        return None
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        element=rule.element,
        element_title=element_title(rule.element),
        message=f"{rule.message}({detail})" if detail else rule.message,
    )


# --- a plugin's data file -------------------------------------------------------------------


class QualityDataError(ValueError):
    """A plugin's quality data is wrong; the message names the document and each problem."""


class _Data(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class RuleSpec(_Data, kw_only=True):
    """A rule in ``data/quality.json``: a ``QualityRule`` with its clause and words."""

    id: str
    severity: Severity
    element: str
    message: str
    check: RuleCheck
    when: RuleCondition | None = None
    clause: str
    text: str
    note: str = ""  # for readers of the data; not part of the basis


class ConsistencySpec(_Data, kw_only=True):
    id: str
    name: str
    kind: ConsistencyKind
    elements: tuple[str, ...]
    item_types: tuple[ItemType, ...] = ()
    severity: Severity = Severity.warn
    clause: str
    text: str
    note: str = ""


class QualityData(_Data, kw_only=True):
    note: str = ""
    rules: tuple[RuleSpec, ...] = ()
    consistency: tuple[ConsistencySpec, ...] = ()


class QualityBook:
    """One plugin's check rules, read from its data (decoded and checked once).

    ``data`` is the decoded ``data/quality.json`` (or its bytes); each rule's
    basis is written ``《document》clause:text`` (or with ``citation``)::

        QUALITY = QualityBook(load("quality"), DOCUMENT)

        @hookimpl
        def qingdan_quality_rules():
            return QUALITY.rules()
    """

    def __init__(
        self, data: Mapping[str, Any] | bytes | str, document: str, *, citation: str | None = None
    ) -> None:
        self.document = document
        self.citation = f"《{document}》" if citation is None else citation
        self._data = data
        self._rules: QualityRules | None = None

    def __repr__(self) -> str:
        return f"QualityBook({self.document!r})"

    def _fail(self, problem: str) -> NoReturn:
        raise QualityDataError(f"{self.document} 的质检规则数据有误:{problem}")

    def rules(self) -> QualityRules:
        if self._rules is None:
            data: Any = self._data
            try:
                if isinstance(data, (bytes, str)):
                    spec = msgspec.json.decode(data, type=QualityData)
                else:
                    spec = msgspec.convert(data, QualityData)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                self._fail(str(exc))
            rules = QualityRules(
                rules=tuple(
                    QualityRule(
                        id=r.id,
                        severity=r.severity,
                        element=r.element,
                        message=r.message,
                        check=r.check,
                        when=r.when,
                        basis=self._basis(r.clause, r.text),
                    )
                    for r in spec.rules
                ),
                consistency=tuple(
                    ConsistencyRule(
                        id=c.id,
                        name=c.name,
                        kind=c.kind,
                        elements=c.elements,
                        item_types=c.item_types,
                        severity=c.severity,
                        basis=self._basis(c.clause, c.text),
                    )
                    for c in spec.consistency
                ),
            )
            problems = rules_problems(rules)
            if problems:
                self._fail(";".join(problems))
            self._rules = rules
        return self._rules

    def _basis(self, clause: str, text: str) -> str:
        return f"{self.citation}{clause}:{text}" if clause else text


def choice_label(element: str, value: str) -> str:
    """The Chinese label of a stored choice value of ``element`` (for documents)."""
    t = _optional(_fields(ElementDocument)[element])
    if isinstance(t, (mi.ListType, mi.VarTupleType)):
        t = _unwrap(t.item_type)
    if isinstance(t, mi.EnumType) and t.cls in LABELS:
        return LABELS[t.cls].get(value, value)
    return value
