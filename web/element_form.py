"""The item editor's form: one description of the element schema that both lays
out the inputs and reads the posted form back, so the two cannot drift apart.

Everything comes from ``ElementDocument`` through ``msgspec.inspect``: a field
added to the schema gets its input without touching a template. Form names
spell the element's path with ``-``: ``name``, ``statutory_limit-value``,
``materials-0-copies``, ``special_steps-1-time_limit-unit``; a validation error
at ``materials[0].copies`` therefore lands next to the input ``materials-0-copies``.

- :func:`parse_form` turns a posted form into the nested dict that
  ``validate_document`` takes (a checkbox left out is ``False``, an empty number
  is the element's default, rows come in the order the form has them). What
  does not parse (``两份`` for a number) is kept as typed, so the page can show
  it again next to its message.
- :func:`apply_row_action` adds, removes or moves a row of a table element.
- :func:`editor_form` builds what the template renders from such a dict (or a
  stored document dumped with ``dump_document``), with the errors placed next
  to their inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import msgspec
from msgspec import inspect as mi

from qingdan.core.catalog.elements import ELEMENT_GROUPS, ElementDocument
from qingdan.core.catalog.vocab import Vocab

SEP = "-"
#: A string element longer than this is edited in a textarea.
LONG_TEXT = 500
#: Codes and the implementing agency belong to the item, not to a draft: shown, never posted.
READONLY = frozenset({"base_code", "impl_code", "handling_item", "agency_name", "agency_uscc"})
ROW_ACTIONS = ("add", "remove", "up", "down")


class FormError(ValueError):
    """A row action that does not fit the form (an unknown element, a row past the end)."""


# The schema, described once ----------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One element (or part of one) and how it is edited."""

    name: str
    title: str
    # text | textarea | number | checkbox | select | checkboxes | lines | group | rows
    kind: str
    required: bool = False  # the schema has no default: must be filled (in every row)
    nullable: bool = False  # a select offering "未选择"
    choices: tuple[tuple[str, str], ...] = ()
    default: Any = None  # as a dumped document holds it
    children: tuple[Spec, ...] = ()  # group and rows
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    readonly: bool = False

    def blank(self) -> Any:
        """The value of an element nobody filled in (a new row for ``rows`` children)."""
        if self.kind == "group":
            return {c.name: c.blank() for c in self.children}
        if self.kind in ("rows", "checkboxes", "lines"):
            return []
        if self.default is None and self.kind in ("text", "textarea"):
            return ""
        return self.default


def _title(t: mi.Type, default: str) -> str:
    while isinstance(t, mi.Metadata):
        if t.extra_json_schema and "title" in t.extra_json_schema:
            return t.extra_json_schema["title"]
        t = t.type
    return default


def _unwrap(t: mi.Type) -> tuple[mi.Type, bool]:
    """The element's own type without metadata and ``| None``; and whether None is allowed."""
    nullable = False
    while True:
        if isinstance(t, mi.Metadata):
            t = t.type
        elif isinstance(t, mi.UnionType):
            rest = [x for x in t.types if not isinstance(x, mi.NoneType)]
            nullable = nullable or len(rest) < len(t.types)
            if len(rest) != 1:
                return t, nullable
            t = rest[0]
        else:
            return t, nullable


def _plain(value: Any) -> Any:
    """A default as a dumped document holds it (enum members as their values)."""
    if isinstance(value, msgspec.Struct):
        return {f: _plain(getattr(value, f)) for f in value.__struct_fields__}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def _default(f: mi.Field) -> Any:
    if f.default is not msgspec.NODEFAULT:
        return _plain(f.default)
    if f.default_factory is not msgspec.NODEFAULT:
        return _plain(f.default_factory())
    return None


def _choices(cls: type) -> tuple[tuple[str, str], ...]:
    if issubclass(cls, Vocab):
        return tuple(cls.choices())
    return tuple((m.value, str(m.value)) for m in cls)  # pragma: no cover - every enum is a Vocab


def _spec(f: mi.Field, top: bool) -> Spec:
    title = _title(f.type, f.name)
    inner, nullable = _unwrap(f.type)
    common = {
        "name": f.name,
        "title": title,
        "required": f.required,
        "default": _default(f),
        "readonly": top and f.name in READONLY,
    }
    if isinstance(inner, mi.StrType):
        long = (inner.max_length or 0) > LONG_TEXT
        return Spec(kind="textarea" if long else "text", max_length=inner.max_length, **common)
    if isinstance(inner, mi.BoolType):
        return Spec(kind="checkbox", **common)
    if isinstance(inner, mi.IntType):
        return Spec(kind="number", minimum=inner.ge, maximum=inner.le, **common)
    if isinstance(inner, mi.EnumType):
        return Spec(kind="select", nullable=nullable, choices=_choices(inner.cls), **common)
    if isinstance(inner, mi.StructType):
        children = tuple(_spec(c, top=False) for c in inner.fields)
        return Spec(kind="group", children=children, **common)
    if isinstance(inner, mi.ListType):
        item, _ = _unwrap(inner.item_type)
        if isinstance(item, mi.EnumType):
            return Spec(kind="checkboxes", choices=_choices(item.cls), **common)
        if isinstance(item, mi.StructType):
            children = tuple(_spec(c, top=False) for c in item.fields)
            return Spec(kind="rows", children=children, **common)
        if isinstance(item, mi.StrType):
            return Spec(kind="lines", max_length=item.max_length, **common)
    raise TypeError(f"要素“{title}”({f.name})的类型无法编辑: {inner!r}")


def _document_specs() -> dict[str, Spec]:
    info = mi.type_info(ElementDocument)
    assert isinstance(info, mi.StructType)
    return {f.name: _spec(f, top=True) for f in info.fields}


#: Every element of the document, in schema order.
SPECS: dict[str, Spec] = _document_specs()


def _groups() -> list[tuple[str, list[str]]]:
    """ELEMENT_GROUPS, plus any element it does not list yet, so none is left off the form."""
    grouped = {name for _, names in ELEMENT_GROUPS for name in names}
    rest = [name for name in SPECS if name not in grouped]
    groups = [(title, [n for n in names if n in SPECS]) for title, names in ELEMENT_GROUPS]
    return groups + ([("其他要素", rest)] if rest else [])


#: The editor's sections: (title, element names), in the order of a service guide.
GROUPS: list[tuple[str, list[str]]] = _groups()

#: Chinese title → field name, for messages that name an element by its title.
TITLE_TO_NAME: dict[str, str] = {spec.title: name for name, spec in SPECS.items()}


def form_name(path: str) -> str:
    """``materials[0].copies`` → ``materials-0-copies``."""
    return re.sub(r"\[(\d+)\]", rf"{SEP}\1", path).replace(".", SEP)


# Reading a posted form -----------------------------------------------------------------------


def _get(form: Mapping[str, Any], key: str) -> str | None:
    value = form.get(key)
    return value if isinstance(value, str) else None


def _getall(form: Mapping[str, Any], key: str) -> list[str]:
    getall = getattr(form, "getall", None)
    values = getall(key, []) if getall is not None else form.get(key, [])
    if isinstance(values, str):
        values = [values]
    return [v for v in values if isinstance(v, str)]


def _keys(form: Mapping[str, Any]) -> list[str]:
    # keys(), not Litestar's multi_items(), which does not keep the posted order.
    return list(form.keys())


def _text(raw: str) -> str:
    # Browsers post line breaks as CRLF; Excel pastes bring stray spaces and tabs
    # (and now and then a NUL, which PostgreSQL cannot store).
    return raw.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()


def _number(raw: str | None, spec: Spec) -> Any:
    text = _text(raw or "")
    if not text:
        return spec.default if spec.default is not None else 0
    try:
        return int(text)  # also full-width digits (３)
    except ValueError:
        return text  # kept as typed: validation names it, the page shows it again


def _value(form: Mapping[str, Any], spec: Spec, key: str, drop_blank_rows: bool) -> Any:
    if spec.kind in ("text", "textarea"):
        raw = _get(form, key)
        return spec.blank() if raw is None else _text(raw)
    if spec.kind == "number":
        return _number(_get(form, key), spec)
    if spec.kind == "checkbox":
        return _get(form, key) is not None
    if spec.kind == "select":
        raw = _text(_get(form, key) or "")
        if not raw:
            return None if spec.nullable else spec.default
        return raw
    if spec.kind == "checkboxes":
        chosen = set(_getall(form, key))
        known = [value for value, _ in spec.choices if value in chosen]
        return known + sorted(chosen - set(known))  # an unknown value is left to validation
    if spec.kind == "lines":
        return [line.strip() for line in _text(_get(form, key) or "").split("\n") if line.strip()]
    if spec.kind == "group":
        return {
            c.name: _value(form, c, f"{key}{SEP}{c.name}", drop_blank_rows) for c in spec.children
        }
    if spec.kind == "rows":
        return _rows(form, spec, key, drop_blank_rows)
    raise TypeError(spec.kind)  # pragma: no cover


def _row_indexes(form: Mapping[str, Any], key: str) -> list[str]:
    """The row numbers of ``key`` in the order the form has them."""
    pattern = re.compile(rf"^{re.escape(key)}{SEP}(\d+){SEP}")
    seen: dict[str, None] = {}
    for name in _keys(form):
        if m := pattern.match(name):
            seen.setdefault(m.group(1))
    return list(seen)


def _rows(form: Mapping[str, Any], spec: Spec, key: str, drop_blank_rows: bool) -> list[dict]:
    blank = blank_row(spec)
    rows = []
    for index in _row_indexes(form, key):
        prefix = f"{key}{SEP}{index}"
        row = {
            c.name: _value(form, c, f"{prefix}{SEP}{c.name}", drop_blank_rows)
            for c in spec.children
        }
        if drop_blank_rows and row == blank:
            continue  # a row added and never filled in is not an error, just nothing
        rows.append(row)
    return rows


def blank_row(spec: Spec) -> dict[str, Any]:
    return {c.name: c.blank() for c in spec.children}


def parse_form(
    form: Mapping[str, Any],
    base: Mapping[str, Any] | None = None,
    *,
    drop_blank_rows: bool = True,
) -> dict[str, Any]:
    """The posted editor form as the nested dict ``validate_document`` takes.

    The read-only elements (codes, the implementing agency) are not posted:
    they come from ``base``, the document being edited. ``drop_blank_rows``
    leaves out rows nobody filled in (when saving); a row action keeps them,
    so a row just added stays on the page.
    """
    values: dict[str, Any] = {}
    for name, spec in SPECS.items():
        if spec.readonly:
            values[name] = (base or {}).get(name, spec.blank())
        else:
            values[name] = _value(form, spec, name, drop_blank_rows)
        if spec.kind == "checkboxes" and base:
            values[name] = _keep_order(values[name], base.get(name))
    return values


def _keep_order(chosen: list[str], before: Any) -> list[str]:
    """Ticked boxes in the order the document had them, new ones after.

    The boxes post in the schema's order; stored documents (imports, the
    demo) may list the same values otherwise, and saving unchanged boxes must
    not show up as a change of 服务对象 or 办理形式 in the version's diff.
    """
    if not isinstance(before, list):
        return chosen
    kept = [value for value in before if value in chosen]
    return kept + [value for value in chosen if value not in kept]


# Row actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowAction:
    action: str
    element: str
    index: int

    @classmethod
    def parse(cls, raw: str | None) -> RowAction:
        """``up:materials:2`` (the value of the row buttons)."""
        action, _, rest = (raw or "").partition(":")
        element, _, index = rest.partition(":")
        spec = SPECS.get(element)
        if action not in ROW_ACTIONS or spec is None or spec.kind != "rows" or spec.readonly:
            raise FormError("无法识别的表格操作,请刷新页面后重试")
        if action == "add":
            return cls(action, element, -1)
        if not index.isdigit():
            raise FormError("无法识别的表格操作,请刷新页面后重试")
        return cls(action, element, int(index))


def apply_row_action(values: dict[str, Any], act: RowAction) -> str:
    """Change ``values`` in place; returns the id of what should have the focus next."""
    rows: list[dict[str, Any]] = values.setdefault(act.element, [])
    spec = SPECS[act.element]
    if act.action == "add":
        rows.append(blank_row(spec))
        return widget_id(f"{act.element}{SEP}{len(rows) - 1}{SEP}{spec.children[0].name}")
    i = act.index
    if i >= len(rows):
        raise FormError("该行已不存在,请刷新页面后重试")
    if act.action == "remove":
        rows.pop(i)
        if not rows:
            return button_id(act.element, None, "add")
        return button_id(act.element, min(i, len(rows) - 1), "remove")
    target = i - 1 if act.action == "up" else i + 1
    if 0 <= target < len(rows):
        rows[i], rows[target] = rows[target], rows[i]
    else:
        target = i
    # Keep the focus on the same button of the moved row, or its twin at the edge.
    if target == 0 and len(rows) > 1:
        return button_id(act.element, target, "down")
    if target == len(rows) - 1 and len(rows) > 1:
        return button_id(act.element, target, "up")
    return button_id(act.element, target, act.action)


# What the template renders -----------------------------------------------------------------


def widget_id(name: str) -> str:
    return f"el{SEP}{name}"


def button_id(element: str, index: int | None, action: str) -> str:
    where = element if index is None else f"{element}{SEP}{index}"
    return f"el{SEP}{where}{SEP}{action}"


@dataclass
class Widget:
    """One input (or fieldset, or table) with its value and message."""

    spec: Spec
    name: str  # form name
    value: Any
    error: str = ""
    required: bool = False  # the plugin requires it for this item type (top level only)
    missing: bool = False  # required and still empty
    children: list[Widget] = field(default_factory=list)  # group
    rows: list[list[Widget]] = field(default_factory=list)  # rows
    focus: str = ""  # the id that gets the focus (autofocus) after this response

    @property
    def id(self) -> str:
        return widget_id(self.name)

    @property
    def error_id(self) -> str:
        return f"{self.id}{SEP}error"

    @property
    def kind(self) -> str:
        if self.spec.kind == "text" and isinstance(self.value, str) and "\n" in self.value:
            return "textarea"  # an <input> would drop the line breaks
        return self.spec.kind

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def text(self) -> str:
        if self.value is None:
            return ""
        if isinstance(self.value, list):
            return "\n".join(str(v) for v in self.value)
        return str(self.value)

    def text_rows(self, per_line: int, low: int = 2, high: int = 12) -> int:
        """Rows for a textarea to show the value (``per_line`` characters a line), within limits."""
        estimate = sum(1 + len(line) // per_line for line in self.text.split("\n"))
        return max(low, min(estimate, high))

    @property
    def is_number(self) -> bool:
        """A number input can show the value (``两份`` needs a text input to be seen again)."""
        return isinstance(self.value, int) and not isinstance(self.value, bool)

    @property
    def checked(self) -> bool:
        return self.value is True

    def selected(self, choice: str) -> bool:
        if isinstance(self.value, list):
            return choice in self.value
        return self.value == choice

    @property
    def columns(self) -> tuple[Spec, ...]:
        return self.spec.children

    @property
    def autofocus(self) -> bool:
        return bool(self.focus) and self.focus == self.id

    def button_id(self, index: int | None, action: str) -> str:
        return button_id(self.name, index, action)

    def focused(self, some_id: str) -> bool:
        return bool(self.focus) and self.focus == some_id


@dataclass
class GroupForm:
    index: int
    title: str
    widgets: list[Widget]
    names: list[str]

    @property
    def id(self) -> str:
        return f"group{SEP}{self.index}"

    @property
    def missing(self) -> int:
        return sum(1 for w in self.widgets if w.missing)

    @property
    def errors(self) -> int:
        return sum(1 for w in _walk(self.widgets) if w.error)


@dataclass
class PlacedError:
    target: str  # the id of the input it is about ("" when about no input)
    element: str  # 申请材料第1行 › 份数
    message: str


@dataclass
class EditorForm:
    groups: list[GroupForm]
    errors: list[PlacedError]

    def group_of(self, element: str) -> GroupForm:
        for group in self.groups:
            if element in group.names:
                return group
        raise KeyError(element)


def _walk(widgets: Iterable[Widget]) -> Iterable[Widget]:
    for w in widgets:
        yield w
        yield from _walk(w.children)
        for row in w.rows:
            yield from _walk(row)


def _widget(spec: Spec, name: str, value: Any, focus: str) -> Widget:
    w = Widget(spec=spec, name=name, value=value, focus=focus)
    if spec.kind == "group":
        value = value if isinstance(value, Mapping) else {}
        w.value = None
        w.children = [
            _widget(c, f"{name}{SEP}{c.name}", value.get(c.name, c.blank()), focus)
            for c in spec.children
        ]
    elif spec.kind == "rows":
        rows = value if isinstance(value, list) else []
        w.value = None
        w.rows = [
            [
                _widget(
                    c, f"{name}{SEP}{i}{SEP}{c.name}", (row or {}).get(c.name, c.blank()), focus
                )
                for c in spec.children
            ]
            for i, row in enumerate(r if isinstance(r, Mapping) else {} for r in rows)
        ]
    return w


def _message_target(message: str) -> str:
    """For a rule about several elements (no path): the element it names, quoted first."""
    for quoted in re.findall(r"“([^”]+)”", message):
        if quoted in TITLE_TO_NAME:
            return TITLE_TO_NAME[quoted]
    found = [(message.find(t), n) for t, n in TITLE_TO_NAME.items() if t in message]
    return min(found)[1] if found else ""


def editor_form(
    values: Mapping[str, Any],
    *,
    errors: Iterable[Any] = (),
    required: Iterable[str] = (),
    missing: Iterable[str] = (),
    choices: Mapping[str, list[tuple[str, str]]] | None = None,
    focus: str = "",
) -> EditorForm:
    """The editor's groups and inputs for ``values`` (a dumped document or what
    :func:`parse_form` read), with ``errors`` (``ElementError``-like: path,
    element, message) next to their inputs and the plugin's ``required`` and
    still ``missing`` element names marked. ``choices`` narrows a select."""
    required, missing = set(required), set(missing)
    widgets: dict[str, Widget] = {}
    for name, spec in SPECS.items():
        if choices and name in choices:
            spec = replace(spec, choices=tuple(choices[name]))
        w = _widget(spec, name, values.get(name, spec.blank()), focus)
        w.required = name in required
        w.missing = name in missing
        widgets[name] = w
    by_name = {w.name: w for w in _walk(widgets.values())}
    placed = []
    for err in errors:
        target_name = form_name(err.path) if err.path else _message_target(err.message)
        # An error about a part no input shows (a whole row, say) goes to its nearest holder.
        while target_name and target_name not in by_name:
            target_name = target_name.rpartition(SEP)[0]
        element = err.element or (by_name[target_name].title if target_name else "")
        if target_name:
            holder = by_name[target_name]
            holder.error = holder.error or err.message
        placed.append(
            PlacedError(
                target=widget_id(target_name) if target_name else "",
                element=element,
                message=err.message,
            )
        )
    groups = [
        GroupForm(index=i, title=title, widgets=[widgets[n] for n in names], names=list(names))
        for i, (title, names) in enumerate(GROUPS, start=1)
    ]
    return EditorForm(groups=groups, errors=placed)
