"""What changed between two versions of an item, element by element, for reviewers.

A reviewer approving an adjustment needs to see *which* elements changed and,
inside the tables (materials, fees, steps, FAQ ...), which rows were added,
removed, changed or moved: a flattened text diff of the whole document would
turn one renamed material into a wall of red and green.

Everything here is pure: two :class:`ElementDocument` in, a frozen
:class:`DocumentDiff` out, with every value already rendered the way a clerk
reads it (vocabulary labels, 是/否, "20个工作日"), so a template only lays it out.

Shapes of elements, read from the schema so a new element is covered without
touching this module:

* ``scalar``: text, numbers, booleans, vocabularies: before / after;
* ``values``: lists of scalars (levels, channels, keywords): before / after
  plus the values added and removed;
* ``record``: one nested struct (statutory_limit, result): before / after as
  a whole plus the sub-fields that changed (``fields``);
* ``rows``: lists of structs (materials, fees, process ...): one
  :class:`RowChange` per added, removed, changed or moved row.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import msgspec
from msgspec import inspect as mi

from qingdan.core.catalog.elements import ELEMENT_GROUPS, ElementDocument, TimeLimit
from qingdan.core.catalog.validation import element_title
from qingdan.core.catalog.vocab import LimitUnit, Vocab, label

ChangeKind = Literal["added", "removed", "changed"]
RowKind = Literal["added", "removed", "changed", "moved"]
Shape = Literal["scalar", "values", "record", "rows"]

#: The natural identity of a row, per list-of-struct element: rows with equal
#: keys in two versions are the same row. Keys are what a clerk would call the
#: row by, so they double as the label shown to the reviewer.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "materials": ("name",),
    "fees": ("item",),
    "process": ("name",),
    "special_steps": ("name",),
    "intermediary_services": ("name",),
    "legal_basis": ("law_name", "article"),
    "locations": ("name",),
    "consultation": ("kind", "value"),
    "complaints": ("kind", "value"),
    "faq": ("question",),
}

#: Rows left unmatched by key are paired when at least this similar (0..1),
#: so a renamed material is one changed row, not a removal plus an addition.
SIMILARITY_THRESHOLD = 0.6

KIND_LABELS: dict[str, str] = {
    "added": "新增",
    "removed": "删除",
    "changed": "修改",
    "moved": "移动",
}


class FieldChange(msgspec.Struct, frozen=True):
    field: str  # "necessity"
    title: str  # "必要性"
    before: str  # "必要" ("" when absent)
    after: str  # "容缺后补"


class RowChange(msgspec.Struct, frozen=True):
    kind: RowKind
    key: str  # the row as the reviewer knows it: "营业执照"
    before_index: int | None  # 1-based position in the old list
    after_index: int | None  # 1-based position in the new list
    # Changed fields; for an added or removed row, everything the row holds.
    fields: tuple[FieldChange, ...] = ()
    # A changed row may also have moved; kind stays "changed" and this says so.
    moved: bool = False


class ElementChange(msgspec.Struct, frozen=True):
    element: str  # field name: "promised_limit"
    title: str  # "承诺办结时限"
    kind: ChangeKind
    shape: Shape
    before: str = ""
    after: str = ""
    rows: tuple[RowChange, ...] = ()  # shape "rows"
    fields: tuple[FieldChange, ...] = ()  # shape "record": the sub-fields that changed
    added_values: tuple[str, ...] = ()  # shape "values"
    removed_values: tuple[str, ...] = ()

    def row_counts(self) -> dict[str, int]:
        """How many rows were added, removed, changed, moved (only non-zero ones)."""
        counts = Counter(row.kind for row in self.rows)
        return {kind: counts[kind] for kind in KIND_LABELS if counts[kind]}


class DocumentDiff(msgspec.Struct, frozen=True):
    changes: tuple[ElementChange, ...] = ()
    # The old version did not exist: a new item, every filled element "added".
    created: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.changes

    @property
    def changed_elements(self) -> list[str]:
        return [c.element for c in self.changes]

    def get(self, element: str) -> ElementChange | None:
        return next((c for c in self.changes if c.element == element), None)

    @property
    def summary(self) -> str:
        """One Chinese sentence: "修改了 申请材料(新增1行、修改1行)、承诺办结时限"."""
        if not self.changes:
            return "无变化"
        if self.created:
            return f"新建事项,填写了{len(self.changes)}项要素"
        sentences = []
        for kind, verb in (("added", "新增了"), ("removed", "删除了"), ("changed", "修改了")):
            titles = []
            for change in self.changes:
                if change.kind != kind:
                    continue
                counts = change.row_counts() if kind == "changed" else {}
                detail = "、".join(f"{KIND_LABELS[k]}{n}行" for k, n in counts.items())
                titles.append(f"{change.title}({detail})" if detail else change.title)
            if titles:
                sentences.append(f"{verb} {'、'.join(titles)}")
        return ";".join(sentences)

    def by_group(self) -> list[tuple[str, list[ElementChange]]]:
        """The changes under their element group titles, in the order of a guide."""
        grouped: list[tuple[str, list[ElementChange]]] = []
        placed: set[str] = set()
        for title, names in ELEMENT_GROUPS:
            in_group = [c for c in self.changes if c.element in names]
            placed.update(names)
            if in_group:
                grouped.append((title, in_group))
        # An element missing from ELEMENT_GROUPS must still be shown, never dropped.
        others = [c for c in self.changes if c.element not in placed]
        if others:
            grouped.append(("其他", others))
        return grouped


# --------------------------------------------------------------------------- schema


@dataclass(frozen=True)
class _Spec:
    name: str
    title: str
    shape: Shape
    vocab: type[Vocab] | None = None  # for scalar and values shapes
    cls: type | None = None  # the struct of a record or of each row


def _strip(t: mi.Type) -> mi.Type:
    """Metadata and ``| None`` off, down to the type that decides the shape."""
    while True:
        if isinstance(t, mi.Metadata):
            t = t.type
        elif isinstance(t, mi.UnionType):
            non_null = [x for x in t.types if not isinstance(x, mi.NoneType)]
            if len(non_null) != 1:
                return t
            t = non_null[0]
        else:
            return t


def _vocab_of(t: mi.Type) -> type[Vocab] | None:
    if isinstance(t, mi.EnumType) and issubclass(t.cls, Vocab):
        return t.cls
    return None


@cache
def _specs(cls: type) -> tuple[_Spec, ...]:
    specs = []
    for f in mi.type_info(cls).fields:
        t = _strip(f.type)
        title = element_title(f.encode_name, cls) or f.name
        if isinstance(t, (mi.ListType, mi.VarTupleType, mi.SetType, mi.FrozenSetType)):
            item = _strip(t.item_type)
            if isinstance(item, mi.StructType):
                specs.append(_Spec(f.name, title, "rows", cls=item.cls))
            else:
                specs.append(_Spec(f.name, title, "values", vocab=_vocab_of(item)))
        elif isinstance(t, mi.StructType):
            specs.append(_Spec(f.name, title, "record", cls=t.cls))
        else:
            specs.append(_Spec(f.name, title, "scalar", vocab=_vocab_of(t)))
    return tuple(specs)


@cache
def _order() -> dict[str, int]:
    """Element order of a guide (ELEMENT_GROUPS), then any others in schema order."""
    names = [n for _, group in ELEMENT_GROUPS for n in group]
    names += [s.name for s in _specs(ElementDocument) if s.name not in names]
    return {n: i for i, n in enumerate(names)}


# ------------------------------------------------------------------------ rendering

_UNIT_SUFFIX = {
    LimitUnit.working_day: "个工作日",
    LimitUnit.natural_day: "个自然日",
    LimitUnit.month: "个月",
    LimitUnit.year: "年",
    LimitUnit.hour: "小时",
}


def _limit_text(limit: TimeLimit) -> str:
    if limit.unit == LimitUnit.none:
        # The value means nothing without a unit, but show it if set rather than hide a change.
        text = "无法定时限" if not limit.value else f"无法定时限({limit.value})"
    else:
        text = f"{limit.value}{_UNIT_SUFFIX.get(limit.unit, label(LimitUnit, limit.unit))}"
    return f"{text}({limit.note})" if limit.note else text


def _is_empty(value: Any) -> bool:
    """Not filled in: a draft's defaults, which a new item does not "add"."""
    if value is None or value == "" or value == []:
        return True
    if isinstance(value, msgspec.Struct):
        return value == _blank(type(value))
    return False


@cache
def _blank(cls: type) -> Any:
    try:
        return cls()
    except TypeError:  # a required field: such a struct is never blank
        return None


def _scalar_text(value: Any, vocab: type[Vocab] | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if vocab is not None:
        # Via the vocab, not value.label: a document built in code may hold the plain code.
        return str(label(vocab, value))
    if isinstance(value, msgspec.Struct):
        return _record_text(value)
    return str(value)


def _record_text(record: Any) -> str:
    if record is None or _is_empty(record):
        return ""
    if isinstance(record, TimeLimit):
        return _limit_text(record)
    parts = []
    for spec in _specs(type(record)):
        value = getattr(record, spec.name)
        if not _is_empty(value):
            parts.append(f"{spec.title}:{_text(value, spec)}")
    return ";".join(parts)


def _text(value: Any, spec: _Spec) -> str:
    """A value as a reviewer reads it; "" for absent."""
    if value is None:
        return ""
    if spec.shape == "values":
        return "、".join(_scalar_text(v, spec.vocab) for v in value)
    if spec.shape == "rows":
        return "\n".join(_record_text(r) for r in value)
    if spec.shape == "record":
        return _record_text(value)
    return _scalar_text(value, spec.vocab)


def _field_changes(cls: type, old: Any, new: Any) -> tuple[FieldChange, ...]:
    """Differing fields of two structs; with one side None, every filled field of the other."""
    out = []
    for spec in _specs(cls):
        before = getattr(old, spec.name) if old is not None else None
        after = getattr(new, spec.name) if new is not None else None
        if old is None or new is None:
            if _is_empty(before) and _is_empty(after):
                continue
        elif before == after:
            continue
        out.append(FieldChange(spec.name, spec.title, _text(before, spec), _text(after, spec)))
    return tuple(out)


# ----------------------------------------------------------------------------- rows


def _key_fields(element: str, cls: type) -> tuple[str, ...]:
    # An element without a declared key is still diffed, by its first field.
    return ROW_KEYS.get(element) or (_specs(cls)[0].name,)


def _key_text(row: Any, keys: tuple[str, ...]) -> str:
    specs = {s.name: s for s in _specs(type(row))}
    parts = (_text(getattr(row, k), specs[k]) for k in keys)
    return " ".join(p for p in parts if p)


def _rest_text(row: Any, keys: tuple[str, ...]) -> str:
    return "\n".join(
        f"{s.title}:{_text(getattr(row, s.name), s)}"
        for s in _specs(type(row))
        if s.name not in keys
    )


def _similarity(a: Any, b: Any, keys: tuple[str, ...]) -> float:
    """How alike two rows are, 0..1.

    The key and the rest weigh half each: two materials that differ only by
    name but share all-default details ("身份证" vs "户口本") stay two rows,
    while a light rename with the same details is one changed row.
    """
    key_ratio = difflib.SequenceMatcher(None, _key_text(a, keys), _key_text(b, keys)).ratio()
    if all(s.name in keys for s in _specs(type(a))):
        return key_ratio
    rest_ratio = difflib.SequenceMatcher(None, _rest_text(a, keys), _rest_text(b, keys)).ratio()
    return (key_ratio + rest_ratio) / 2


def _match(old: list[Any], new: list[Any], keys: tuple[str, ...]) -> list[tuple[int, int]]:
    """Pairs (old index, new index) of the same row: by key, then by similarity."""

    def key(row: Any) -> tuple[str, ...]:
        return tuple(str(getattr(row, k)).strip() for k in keys)

    waiting: dict[tuple[str, ...], list[int]] = {}
    for i, row in enumerate(old):
        waiting.setdefault(key(row), []).append(i)
    pairs: list[tuple[int, int]] = []
    for j, row in enumerate(new):
        # Duplicate keys pair up in order of appearance.
        if queue := waiting.get(key(row)):
            pairs.append((queue.pop(0), j))

    old_left = [i for i in range(len(old)) if i not in {p[0] for p in pairs}]
    new_left = [j for j in range(len(new)) if j not in {p[1] for p in pairs}]
    candidates = []
    for i in old_left:
        for j in new_left:
            score = _similarity(old[i], new[j], keys)
            if score >= SIMILARITY_THRESHOLD:
                # Most alike first; on a tie, the nearer position.
                candidates.append((-score, abs(i - j), i, j))
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, _, i, j in sorted(candidates):
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def _moved(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Matched rows whose relative order changed.

    The longest run of pairs already in order stays put (a longest increasing
    subsequence of new positions, taken in old order); the rest moved. A row
    inserted or removed above shifts positions but not relative order, so
    nothing is reported as moved for it.
    """
    n = len(pairs)
    if n < 2:
        return set()
    new_pos = [j for _, j in pairs]  # pairs are sorted by old index
    length = [1] * n
    prev = [-1] * n
    for b in range(n):
        for a in range(b):
            if new_pos[a] < new_pos[b] and length[a] + 1 > length[b]:
                length[b], prev[b] = length[a] + 1, a
    end = max(range(n), key=lambda k: length[k])
    keep = set()
    while end != -1:
        keep.add(end)
        end = prev[end]
    return {pairs[k] for k in range(n) if k not in keep}


def _diff_rows(element: str, cls: type, old: list[Any], new: list[Any]) -> tuple[RowChange, ...]:
    keys = _key_fields(element, cls)
    pairs = _match(old, new, keys)
    moved = _moved(pairs)
    placed: list[tuple[tuple[int, int, int], RowChange]] = []

    for i, j in pairs:
        fields = _field_changes(cls, old[i], new[j])
        is_moved = (i, j) in moved
        if fields or is_moved:
            kind: RowKind = "changed" if fields else "moved"
            change = RowChange(kind, _key_text(new[j], keys), i + 1, j + 1, fields, is_moved)
            placed.append(((j, 0, 0), change))
    for j in sorted(set(range(len(new))) - {p[1] for p in pairs}):
        change = RowChange(
            "added", _key_text(new[j], keys), None, j + 1, _field_changes(cls, None, new[j])
        )
        placed.append(((j, 0, 0), change))
    for i in sorted(set(range(len(old))) - {p[0] for p in pairs}):
        # Shown just after the row that preceded it in the old list, where a reader expects it.
        anchor = max((q for p, q in pairs if p < i), default=-1)
        change = RowChange(
            "removed", _key_text(old[i], keys), i + 1, None, _field_changes(cls, old[i], None)
        )
        placed.append(((anchor, 1, i), change))
    return tuple(change for _, change in sorted(placed, key=lambda x: x[0]))


# ----------------------------------------------------------------------- documents


def _change_kind(before: Any, after: Any) -> ChangeKind:
    if _is_empty(before) and not _is_empty(after):
        return "added"
    if _is_empty(after) and not _is_empty(before):
        return "removed"
    return "changed"


def _element_change(spec: _Spec, before: Any, after: Any) -> ElementChange:
    kind = _change_kind(before, after)
    common = {"element": spec.name, "title": spec.title, "kind": kind, "shape": spec.shape}
    if spec.shape == "rows":
        before, after = before or [], after or []
        assert spec.cls is not None
        return ElementChange(
            **common,
            before=f"共{len(before)}行" if before else "",
            after=f"共{len(after)}行" if after else "",
            rows=_diff_rows(spec.name, spec.cls, before, after),
        )
    if spec.shape == "record":
        assert spec.cls is not None
        return ElementChange(
            **common,
            before=_text(before, spec),
            after=_text(after, spec),
            # An unfilled record is absent, so filling one lists what it now holds.
            fields=_field_changes(
                spec.cls,
                None if _is_empty(before) else before,
                None if _is_empty(after) else after,
            ),
        )
    if spec.shape == "values":
        before, after = before or [], after or []
        old_texts = [_scalar_text(v, spec.vocab) for v in before]
        new_texts = [_scalar_text(v, spec.vocab) for v in after]
        return ElementChange(
            **common,
            before="、".join(old_texts),
            after="、".join(new_texts),
            added_values=tuple((Counter(new_texts) - Counter(old_texts)).elements()),
            removed_values=tuple((Counter(old_texts) - Counter(new_texts)).elements()),
        )
    return ElementChange(**common, before=_text(before, spec), after=_text(after, spec))


def diff_documents(old: ElementDocument | None, new: ElementDocument) -> DocumentDiff:
    """The difference between two versions of an item; ``old=None`` for a new item.

    Empty exactly when the two documents are equal: no field is skipped.
    """
    order = _order()
    changes = []
    for spec in sorted(_specs(ElementDocument), key=lambda s: order[s.name]):
        after = getattr(new, spec.name)
        if old is None:
            if _is_empty(after):
                continue
            before = None
        else:
            before = getattr(old, spec.name)
            if before == after:
                continue
        changes.append(_element_change(spec, before, after))
    return DocumentDiff(changes=tuple(changes), created=old is None)
