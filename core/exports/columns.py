"""The columns of the exported lists: a Chinese heading and how to read a row's value.

Headings are the element titles of the element schema (core/catalog/elements.py),
so a column reads the way a clerk knows the element from the editor and the
guide; a few columns that are not elements (行政区划, 事项状态, 版本号 ...)
say what they are. xlsx and CSV share these columns; JSON carries the whole
published document instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec

from qingdan.core.catalog.elements import ElementDocument, LegalBasis, TimeLimit
from qingdan.core.catalog.validation import element_title
from qingdan.core.catalog.vocab import ItemStatus, LimitUnit, Vocab
from qingdan.core.catalog.vocab import label as vocab_label
from qingdan.core.publishing.guides import time_limit_text

#: Joins the values of a repeating element in one cell.
SEPARATOR = ";"
#: Where a catalog entry comes from (``CatalogEntry.source``), as the list says it.
SOURCE_LABELS = {"national": "国家", "provincial": "省级", "local": "本地"}
# China keeps one offset without daylight saving, so a fixed +08:00 is exact.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
#: The first column: the row's number in the export.
NUMBER_HEADING = "序号"


class ItemRecord(msgspec.Struct, kw_only=True):
    """One item of the implementation list: its published version and where it stands."""

    item_id: int
    impl_code: str
    status: str
    agency_name: str
    agency_uscc: str
    division_name: str
    division_code: str
    version_number: int
    published_at: datetime | None
    document: ElementDocument


class EntryRecord(msgspec.Struct, kw_only=True):
    """One entry of the catalog: its version in use, and how many live items implement it."""

    entry_id: int
    base_code: str
    source: str
    version_number: int
    agencies: int
    items: int
    document: ElementDocument


Value = str | int


class Column(msgspec.Struct, frozen=True):
    heading: str
    value: Callable[[Any], Value]


# Values as text ------------------------------------------------------------------------


def text(value: Any) -> Value:
    """A value as a cell shows it: labels for codes, 是/否, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Vocab):
        return value.label
    if isinstance(value, TimeLimit):
        return limit_text(value)
    if isinstance(value, int):
        return value
    if isinstance(value, list | tuple):
        return SEPARATOR.join(str(t) for t in (text(v) for v in value) if t != "")
    return str(value).strip()


def limit_text(limit: TimeLimit) -> str:
    """20个工作日; "" for a limit nobody filled in (not the same as 无法定时限)."""
    if limit == TimeLimit() and limit.unit != LimitUnit.none:
        return ""
    return time_limit_text(limit)


def basis_text(basis: LegalBasis) -> str:
    """《中华人民共和国行政许可法》(主席令第七号)第十二条."""
    name = basis.law_name.strip()
    if not name.startswith("《"):
        name = f"《{name}》"
    number = f"({basis.document_number.strip()})" if basis.document_number.strip() else ""
    return f"{name}{number}{basis.article.strip()}"


def _local_time(value: datetime | None) -> str:
    """A stored timestamp as read in Shanghai (naive values are UTC, as stored)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _element(name: str, read: Callable[[ElementDocument], Any] | None = None) -> Column:
    """A column of the element ``name``, headed by its title."""
    getter = read or (lambda doc: getattr(doc, name))
    return Column(element_title(name), lambda record: text(getter(record.document)))


def _own(heading: str, read: Callable[[Any], Any]) -> Column:
    """A column that is not an element of the document."""
    return Column(heading, lambda record: text(read(record)))


# The lists -----------------------------------------------------------------------------------

ITEM_COLUMNS: tuple[Column, ...] = (
    _element("name"),
    _element("base_code"),
    _element("impl_code"),
    _element("handling_item"),
    _element("handling_item_name"),
    _element("item_type"),
    _element("levels"),
    Column(
        element_title("agency_name"),
        lambda r: r.document.agency_name.strip() or r.agency_name,
    ),
    Column(element_title("agency_uscc"), lambda r: r.document.agency_uscc or r.agency_uscc),
    _element("agency_nature"),
    _own("行政区划", lambda r: r.division_name),
    _own("行政区划代码", lambda r: r.division_code),
    _element("power_source"),
    _element("co_agencies"),
    _element("entrusting_agency"),
    _element("legal_basis", lambda doc: [basis_text(b) for b in doc.legal_basis]),
    _element("acceptance_conditions"),
    _element("statutory_limit"),
    _element("promised_limit"),
    _element("case_type"),
    _element("channels"),
    _element("visits"),
    _element("visits_reason"),
    _element("online_depth"),
    _element("online_url"),
    _element("in_hall"),
    _element("charged"),
    _element(
        "fees",
        lambda doc: [f"{f.item}:{f.standard}" if f.standard else f.item for f in doc.fees],
    ),
    _element("materials", lambda doc: [m.name for m in doc.materials]),
    _element("process", lambda doc: " → ".join(s.name for s in doc.process)),
    _element("result", lambda doc: doc.result.name),
    _element("audience"),
    _element("themes"),
    _element("commitment"),
    _element("cross_area"),
    _own("事项状态", lambda r: vocab_label(ItemStatus, r.status)),
    _own("版本号", lambda r: r.version_number),
    _own("发布时间", lambda r: _local_time(r.published_at)),
)

ENTRY_COLUMNS: tuple[Column, ...] = (
    _element("name"),
    Column(element_title("base_code"), lambda r: r.base_code),
    _element("item_type"),
    _element("levels"),
    _element("legal_basis", lambda doc: [basis_text(b) for b in doc.legal_basis]),
    _element("acceptance_conditions"),
    _element("statutory_limit"),
    _element("promised_limit"),
    _element("case_type"),
    _element("audience"),
    _own("目录来源", lambda r: SOURCE_LABELS.get(r.source, r.source)),
    _own("实施机构数", lambda r: r.agencies),
    _own("实施事项数", lambda r: r.items),
    _own("版本号", lambda r: r.version_number),
)


def columns_for(list_kind: str) -> tuple[Column, ...]:
    return ITEM_COLUMNS if list_kind == "items" else ENTRY_COLUMNS


def headings(list_kind: str) -> list[str]:
    return [NUMBER_HEADING, *(c.heading for c in columns_for(list_kind))]


def row_values(list_kind: str, number: int, record: Any) -> list[Value]:
    return [number, *(c.value(record) for c in columns_for(list_kind))]
