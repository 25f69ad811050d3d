"""Writing an export to a binary file as it is read: xlsx, CSV or JSON.

Each writer takes the records batch by batch and keeps nothing of them, so
memory stays flat however long the list: openpyxl's write-only workbook
streams its rows to a temporary file, CSV and JSON go straight to ``out``.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, BinaryIO, Protocol

import msgspec
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from qingdan.core.catalog.validation import dump_document
from qingdan.core.exports.columns import EntryRecord, ItemRecord, Value, headings, row_values

#: Excel keeps at most this many characters in a cell.
EXCEL_CELL_LIMIT = 32767
#: Column widths (in characters) of the sheet, by heading; others get DEFAULT_WIDTH.
WIDTHS = {
    "序号": 6,
    "事项名称": 30,
    "实施编码": 28,
    "实施主体": 24,
    "设定依据": 40,
    "受理条件": 40,
    "申请材料": 40,
    "办理流程": 30,
}
DEFAULT_WIDTH = 14
#: What a spreadsheet would take for a formula at the start of a CSV cell.
FORMULA_STARTS = ("=", "+", "-", "@")


class ExportInfo(msgspec.Struct, kw_only=True):
    """What the export is, for the 说明 sheet and the JSON header."""

    tenant: str
    tenant_name: str
    list_kind: str
    list_label: str
    exported_at: datetime
    filters: list[tuple[str, str]]  # (what, value) as the user chose them


class ExportWriter(Protocol):
    def add(self, records: list[Any]) -> None: ...

    def close(self) -> int:
        """Finish the file; returns how many rows were written."""
        ...


class _Rows:
    def __init__(self, list_kind: str) -> None:
        self.list_kind = list_kind
        self.count = 0

    def values(self, record: Any) -> list[Value]:
        self.count += 1
        return row_values(self.list_kind, self.count, record)


# xlsx ---------------------------------------------------------------------------------------


def _cell_text(value: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if len(text) > EXCEL_CELL_LIMIT:
        text = text[: EXCEL_CELL_LIMIT - 1] + "…"
    return text


class XlsxWriter(_Rows):
    """One sheet of the list (bold headings, frozen, filterable) and a 说明 sheet."""

    def __init__(self, out: BinaryIO, info: ExportInfo) -> None:
        super().__init__(info.list_kind)
        self.out, self.info = out, info
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(info.list_label)
        self.columns = headings(info.list_kind)
        for i, heading in enumerate(self.columns, start=1):
            width = WIDTHS.get(heading, DEFAULT_WIDTH)
            self.sheet.column_dimensions[get_column_letter(i)].width = width
        self.sheet.freeze_panes = "B2"
        bold, middle = Font(bold=True), Alignment(vertical="center", wrap_text=True)
        header = []
        for heading in self.columns:
            cell = WriteOnlyCell(self.sheet, value=heading)
            cell.font, cell.alignment = bold, middle
            header.append(cell)
        self.sheet.append(header)

    def _cell(self, value: Value) -> Any:
        if not isinstance(value, str):
            return value
        text = _cell_text(value)
        if text.startswith("="):
            # openpyxl would write this as a formula; it is text the user typed.
            cell = WriteOnlyCell(self.sheet, value=text)
            cell.data_type = "s"
            return cell
        return text

    def add(self, records: list[Any]) -> None:
        for record in records:
            self.sheet.append([self._cell(v) for v in self.values(record)])

    def close(self) -> int:
        last = get_column_letter(len(self.columns))
        self.sheet.auto_filter.ref = f"A1:{last}{self.count + 1}"
        about = self.book.create_sheet("说明")
        about.column_dimensions["A"].width = 14
        about.column_dimensions["B"].width = 60
        for row in _about_rows(self.info, self.count):
            about.append([_cell_text(str(v)) for v in row])
        self.book.save(self.out)
        return self.count


def _about_rows(info: ExportInfo, count: int) -> list[tuple[str, Any]]:
    from qingdan.core.exports.columns import SHANGHAI

    rows: list[tuple[str, Any]] = [
        ("租户", info.tenant_name),
        ("清单", info.list_label),
        ("导出时间", info.exported_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")),
        ("行数", count),
        ("内容", "仅含已发布的版本(在用或暂停的事项),不含草稿和审核中的修改"),
    ]
    rows += [(f"筛选:{what}", value) for what, value in info.filters] or [("筛选", "全部")]
    return rows


# CSV ----------------------------------------------------------------------------------------


def _csv_text(value: Value) -> Value:
    # A cell starting with = + - @ would run as a formula when Excel opens the
    # file; a leading apostrophe makes Excel show it as the text it is.
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class CsvWriter(_Rows):
    """UTF-8 with a byte-order mark, so Excel opens the Chinese text as it is."""

    def __init__(self, out: BinaryIO, info: ExportInfo) -> None:
        super().__init__(info.list_kind)
        self.text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        self.csv = csv.writer(self.text, lineterminator="\r\n")
        self.csv.writerow(headings(info.list_kind))

    def add(self, records: list[Any]) -> None:
        self.csv.writerows([_csv_text(v) for v in self.values(r)] for r in records)

    def close(self) -> int:
        self.text.flush()
        self.text.detach()  # leave ``out`` open for the caller
        return self.count


# JSON ---------------------------------------------------------------------------------------


def _item_json(record: ItemRecord) -> dict[str, Any]:
    return {
        "id": record.item_id,
        "impl_code": record.impl_code,
        "status": record.status,
        "agency": {"name": record.agency_name, "uscc": record.agency_uscc},
        "division": {"name": record.division_name, "code": record.division_code},
        "version": record.version_number,
        "published_at": record.published_at,
        "document": dump_document(record.document),
    }


def _entry_json(record: EntryRecord) -> dict[str, Any]:
    return {
        "id": record.entry_id,
        "base_code": record.base_code,
        "source": record.source,
        "version": record.version_number,
        "agencies": record.agencies,
        "items": record.items,
        "document": dump_document(record.document),
    }


class JsonWriter(_Rows):
    """``{"tenant": …, "list": …, "exported_at": …, "filters": {…}, "rows": [...], "count": n}``:
    each row the whole published document with where it stands, one row a line."""

    def __init__(self, out: BinaryIO, info: ExportInfo) -> None:
        super().__init__(info.list_kind)
        self.out = out
        self.encode = msgspec.json.Encoder().encode
        head = {
            "tenant": info.tenant,
            "tenant_name": info.tenant_name,
            "list": info.list_kind,
            "list_name": info.list_label,
            "exported_at": info.exported_at,
            "filters": dict(info.filters),
        }
        out.write(self.encode(head)[:-1] + b',\n"rows": [')
        self.shape = _item_json if info.list_kind == "items" else _entry_json

    def add(self, records: list[Any]) -> None:
        for record in records:
            self.count += 1
            self.out.write((b"\n" if self.count == 1 else b",\n") + self.encode(self.shape(record)))

    def close(self) -> int:
        self.out.write(b'\n],\n"count": ' + str(self.count).encode() + b"}\n")
        return self.count


WRITERS: dict[str, type] = {"xlsx": XlsxWriter, "csv": CsvWriter, "json": JsonWriter}


def open_writer(fmt: str, out: BinaryIO, info: ExportInfo) -> ExportWriter:
    return WRITERS[fmt](out, info)
