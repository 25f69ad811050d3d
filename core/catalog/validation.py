"""Validation of element documents, with errors in Chinese naming the element.

msgspec finds the first structural error and says where (``$.materials[0].copies``);
we turn the path into the element titles a clerk knows (申请材料第1行 › 份数) and the
message into Chinese.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from msgspec import inspect as mi

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.vocab import LABELS, Vocab


class ElementError(msgspec.Struct, frozen=True):
    path: str  # "materials[0].copies"
    element: str  # "申请材料第1行 › 份数"
    message: str  # "应为整数"

    def __str__(self) -> str:
        return f"{self.element}: {self.message}" if self.element else self.message


class ElementValidationError(ValueError):
    """The document is not valid; ``errors`` name each element in Chinese."""

    def __init__(self, errors: list[ElementError]):
        self.errors = errors
        super().__init__(";".join(str(e) for e in errors))


_TYPE_WORDS = {
    "int": "整数",
    "float": "数字",
    "str": "文本",
    "bool": "是/否",
    "array": "列表",
    "object": "对象",
    "null": "空值",
}


def _unwrap(t: mi.Type) -> mi.Type:
    """Strip metadata and ``| None`` to reach the element's real type."""
    while True:
        if isinstance(t, mi.Metadata):
            t = t.type
            continue
        if isinstance(t, mi.UnionType):
            non_null = [x for x in t.types if not isinstance(x, mi.NoneType)]
            if len(non_null) == 1:
                t = non_null[0]
                continue
        return t


def _field_title(t: mi.Type) -> str:
    """msgspec keeps Meta(title=...) on Metadata nodes; find it."""
    while isinstance(t, mi.Metadata):
        if t.extra_json_schema and "title" in t.extra_json_schema:
            return t.extra_json_schema["title"]
        t = t.type
    return ""


_INFO_CACHE: dict[type, mi.Type] = {}


def _info(cls: type) -> mi.Type:
    if cls not in _INFO_CACHE:
        _INFO_CACHE[cls] = mi.type_info(cls)
    return _INFO_CACHE[cls]


def _struct_fields(t: mi.Type) -> dict[str, mi.Field]:
    t = _unwrap(t)
    if isinstance(t, mi.StructType):
        return {f.encode_name: f for f in t.fields}
    return {}


_SEGMENT = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def element_title(path: str, schema: type = ElementDocument) -> str:
    """``materials[0].copies`` → ``申请材料第1行 › 份数``."""
    current: mi.Type = _info(schema)
    parts: list[str] = []
    for m in _SEGMENT.finditer("." + path if path and path[0] != "[" else path):
        name, index = m.group(1), m.group(2)
        if name is not None:
            field = _struct_fields(current).get(name)
            if field is None:
                parts.append(name)
                break
            parts.append(_field_title(field.type) or name)
            current = field.type
        else:
            inner = _unwrap(current)
            if parts:
                parts[-1] = f"{parts[-1]}第{int(index) + 1}行"
            if isinstance(inner, (mi.ListType, mi.TupleType, mi.VarTupleType)):
                current = inner.item_type
    return " › ".join(parts)


def _translate(message: str, path: str, schema: type) -> tuple[str, str]:
    """Returns (path, Chinese message) for one msgspec error message."""
    if m := re.fullmatch(r"Object missing required field `(\w+)`", message):
        sub = f"{path}.{m.group(1)}" if path else m.group(1)
        return sub, "必须填写"
    if m := re.fullmatch(r"Object contains unknown field `(\w+)`", message):
        return path, f"含有未知的要素“{m.group(1)}”"
    if m := re.fullmatch(r"Expected `(\w+)`, got `(\w+)`", message):
        want, got = (_TYPE_WORDS.get(x, x) for x in m.groups())
        return path, f"应为{want},实际为{got}"
    if m := re.fullmatch(r"Expected `str` of length >= (\d+)", message):
        return path, "不能为空" if m.group(1) == "1" else f"至少{m.group(1)}个字"
    if m := re.fullmatch(r"Expected `str` of length <= (\d+)", message):
        return path, f"不能超过{m.group(1)}个字"
    if m := re.fullmatch(r"Expected `(?:int|float)` >= (-?[\d.]+)", message):
        return path, f"不能小于{m.group(1)}"
    if m := re.fullmatch(r"Expected `(?:int|float)` <= (-?[\d.]+)", message):
        return path, f"不能大于{m.group(1)}"
    if re.fullmatch(r"Expected `str` matching regex .*", message):
        return path, "格式不正确"
    if m := re.fullmatch(r"Invalid enum value (.+)", message):
        return path, f"取值{m.group(1)}不在允许范围内{_allowed(path, schema)}"
    if m := re.fullmatch(r"Expected `array` of length <= (\d+)", message):
        return path, f"不能超过{m.group(1)}行"
    return path, message


def _allowed(path: str, schema: type) -> str:
    current: mi.Type = _info(schema)
    for m in _SEGMENT.finditer("." + path if path and path[0] != "[" else path):
        name = m.group(1)
        if name is not None:
            field = _struct_fields(current).get(name)
            if field is None:
                return ""
            current = field.type
        else:
            inner = _unwrap(current)
            if isinstance(inner, (mi.ListType, mi.TupleType, mi.VarTupleType)):
                current = inner.item_type
    inner = _unwrap(current)
    if isinstance(inner, (mi.ListType, mi.VarTupleType)):
        inner = _unwrap(inner.item_type)
    if isinstance(inner, mi.EnumType) and issubclass(inner.cls, Vocab):
        labels = LABELS[inner.cls]
        return "(可选: " + "、".join(f"{v}={labels[v]}" for v in labels) + ")"
    return ""


def to_element_error(exc: msgspec.ValidationError, schema: type = ElementDocument) -> ElementError:
    text = str(exc)
    message, _, where = text.partition(" - at `$")
    where = where.rstrip("`")
    path = where[1:] if where.startswith(".") else where
    path, chinese = _translate(message, path, schema)
    return ElementError(path=path, element=element_title(path, schema), message=chinese)


def validate_document(data: Any, schema: type = ElementDocument) -> ElementDocument:
    """Convert a plain dict (from a form, an import, the JSON column) to a document.

    Raises :class:`ElementValidationError` with a Chinese message naming the element.
    """
    if isinstance(data, (str, bytes)):
        try:
            return msgspec.json.decode(data, type=schema)
        except msgspec.ValidationError as exc:
            raise ElementValidationError([to_element_error(exc, schema)]) from None
        except msgspec.DecodeError:
            raise ElementValidationError(
                [ElementError(path="", element="", message="要素文档不是有效的JSON")]
            ) from None
    try:
        return msgspec.convert(data, type=schema, strict=False)
    except msgspec.ValidationError as exc:
        raise ElementValidationError([to_element_error(exc, schema)]) from None


def dump_document(doc: ElementDocument) -> dict[str, Any]:
    """The JSON-ready dict stored in a version row: every element present, even
    empty ones, so a stored document is whole and self-describing."""
    return _with_defaults(doc)


def _with_defaults(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        return {f: _with_defaults(getattr(value, f)) for f in value.__struct_fields__}
    if isinstance(value, list):
        return [_with_defaults(v) for v in value]
    if isinstance(value, Vocab):
        return value.value
    return value
