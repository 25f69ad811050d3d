"""An element document as people read it: groups, Chinese titles, labels, tables.

Everything is derived from the typed schema (titles from ``Meta(title=...)``,
labels from the vocabularies), so a field added to ``ElementDocument`` shows
up on the detail page without touching a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from msgspec import inspect as mi

from qingdan.core.catalog.elements import ELEMENT_GROUPS, ElementDocument, TimeLimit
from qingdan.core.catalog.vocab import LimitUnit, Vocab

EMPTY_TIME_LIMIT = TimeLimit()


@dataclass
class Cell:
    text: str
    long: bool = False  # long text keeps its line breaks


@dataclass
class FieldView:
    name: str
    title: str
    kind: str  # "value" | "table" | "record"
    value: Cell | None = None  # kind == "value"; None when not filled in
    columns: list[str] = field(default_factory=list)  # kind == "table"
    rows: list[list[Cell]] = field(default_factory=list)
    entries: list[tuple[str, Cell | None]] = field(default_factory=list)  # kind == "record"

    @property
    def empty(self) -> bool:
        if self.kind == "value":
            return self.value is None
        if self.kind == "table":
            return not self.rows
        return all(cell is None for _, cell in self.entries)


@dataclass
class GroupView:
    title: str
    fields: list[FieldView]

    @property
    def parts(self) -> list[list[FieldView]]:
        """The fields with runs of plain values kept together (one definition list each)."""
        parts: list[list[FieldView]] = []
        for f in self.fields:
            if f.kind == "value" and parts and parts[-1][-1].kind == "value":
                parts[-1].append(f)
            else:
                parts.append([f])
        return parts


def _unwrap(t: mi.Type) -> mi.Type:
    while True:
        if isinstance(t, mi.Metadata):
            t = t.type
        elif isinstance(t, mi.UnionType):
            rest = [x for x in t.types if not isinstance(x, mi.NoneType)]
            if len(rest) != 1:
                return t
            t = rest[0]
        else:
            return t


def _title(t: mi.Type, default: str) -> str:
    while isinstance(t, mi.Metadata):
        if t.extra_json_schema and "title" in t.extra_json_schema:
            return t.extra_json_schema["title"]
        t = t.type
    return default


def _is_long_text(t: mi.Type) -> bool:
    inner = _unwrap(t)
    return isinstance(inner, mi.StrType) and (inner.max_length or 0) > 500


_FIELDS: dict[type, tuple[mi.Field, ...]] = {}


def _fields(cls: type) -> tuple[mi.Field, ...]:
    if cls not in _FIELDS:
        info = mi.type_info(cls)
        assert isinstance(info, mi.StructType)
        _FIELDS[cls] = info.fields
    return _FIELDS[cls]


def time_limit_text(limit: TimeLimit) -> str:
    if limit.unit == LimitUnit.none:
        text = LimitUnit.none.label + "时限"
    else:
        text = f"{limit.value}个{limit.unit.label}"
    return f"{text}({limit.note})" if limit.note else text


def cell(value: Any, long: bool = False) -> Cell | None:
    """One value as text, or ``None`` when it is not filled in."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return Cell("是" if value else "否")
    if isinstance(value, Vocab):
        return Cell(value.label)
    if isinstance(value, TimeLimit):
        return None if value == EMPTY_TIME_LIMIT else Cell(time_limit_text(value))
    if isinstance(value, list):
        return Cell("、".join(c.text for c in (cell(v) for v in value) if c is not None))
    if isinstance(value, msgspec.Struct):
        parts = []
        for f in _fields(type(value)):
            c = cell(getattr(value, f.name))
            if c is not None:
                parts.append(f"{_title(f.type, f.name)}:{c.text}")
        return Cell(";".join(parts)) if parts else None
    return Cell(str(value), long=long)


def _table(name: str, title: str, t: mi.Type, rows: list[msgspec.Struct]) -> FieldView:
    item_type = _unwrap(_unwrap(t).item_type)  # type: ignore[attr-defined]
    assert isinstance(item_type, mi.StructType)
    cells = [
        [cell(getattr(row, f.name), _is_long_text(f.type)) for f in item_type.fields]
        for row in rows
    ]
    # A column nobody filled in is left out, so narrow screens keep what matters.
    keep = [
        i
        for i, f in enumerate(item_type.fields)
        if f.required or any(r[i] is not None for r in cells)
    ]
    return FieldView(
        name=name,
        title=title,
        kind="table",
        columns=[_title(item_type.fields[i].type, item_type.fields[i].name) for i in keep],
        rows=[[r[i] or Cell("") for i in keep] for r in cells],
    )


def field_view(doc: ElementDocument, f: mi.Field) -> FieldView:
    value = getattr(doc, f.name)
    title = _title(f.type, f.name)
    inner = _unwrap(f.type)
    if isinstance(inner, mi.ListType) and isinstance(_unwrap(inner.item_type), mi.StructType):
        return _table(f.name, title, f.type, value)
    if isinstance(inner, mi.StructType) and inner.cls is not TimeLimit:
        entries = [
            (_title(sub.type, sub.name), cell(getattr(value, sub.name))) for sub in inner.fields
        ]
        return FieldView(name=f.name, title=title, kind="record", entries=entries)
    return FieldView(
        name=f.name, title=title, kind="value", value=cell(value, _is_long_text(f.type))
    )


#: Elements that belong to one agency's implementation, not to the catalog entry
#: it stands on: left off the catalog entry's page.
IMPLEMENTATION_ELEMENTS = frozenset(
    {
        "impl_code",
        "handling_item",
        "handling_item_name",
        "agency_name",
        "agency_uscc",
        "agency_nature",
        "co_agencies",
        "entrusting_agency",
    }
)


def document_groups(doc: ElementDocument, omit: frozenset[str] = frozenset()) -> list[GroupView]:
    """Every element group of ``ELEMENT_GROUPS``, in guide order, ready to print,
    without the elements named in ``omit``."""
    by_name = {f.name: f for f in _fields(ElementDocument)}
    groups = [
        GroupView(
            title=title,
            fields=[field_view(doc, by_name[name]) for name in names if name not in omit],
        )
        for title, names in ELEMENT_GROUPS
    ]
    return [g for g in groups if g.fields]
