"""The file format of a catalog release from above (上级基本目录发布), xlsx or JSON.

docs/catalog-import.md describes it for the people who fill it in. Reading a
file checks every row and collects every error (row, column heading, what is
wrong) before refusing it; a file that reads cleanly becomes a
:class:`ParsedRelease` of plain element values, ready to compare with the
tenant's catalog. Writing is the inverse, used for the sample file and for
exporting a tenant's catalog to edit in Excel and import again.
"""

from __future__ import annotations

import io
import typing
from datetime import date, datetime
from typing import Any

import msgspec

from qingdan.core.catalog.codes import CodeError, CodeFormat
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.validation import (
    ElementValidationError,
    element_title,
    validate_document,
)
from qingdan.core.catalog.vocab import ItemType, Level, LimitUnit
from qingdan.core.demo.catalog import PLACE_ELEMENTS
from qingdan.core.imports import cells
from qingdan.core.imports.report import ROW_UNITS, Collector, ImportRefused

FORMAT_NAME = "qingdan.catalog-release"
FORMAT_VERSION = 1
ENTRIES_SHEET = "基本目录"
META_SHEET = "发布信息"
MAX_BYTES = 200 * 1024 * 1024

SOURCES = {"national": "国家", "provincial": "省级"}
MODES = {"full": "全量", "increment": "增量"}
_SOURCE_WORDS = {
    "national": "national",
    "国家": "national",
    "国家级": "national",
    "provincial": "provincial",
    "省级": "provincial",
    "省": "provincial",
}
_MODE_WORDS = {
    "full": "full",
    "全量": "full",
    "全量发布": "full",
    "increment": "increment",
    "增量": "increment",
    "增量发布": "increment",
}
_STATUS_WORDS = {
    "": False,
    "在用": False,
    "有效": False,
    "正常": False,
    "in_use": False,
    "取消": True,
    "已取消": True,
    "废止": True,
    "cancelled": True,
}

#: Elements a catalog entry never carries: they belong to one agency's implementation.
IMPLEMENTATION_ONLY = frozenset({*PLACE_ELEMENTS, "mobile_url", "handling_item"})
#: The identity of an entry: given in their own columns (xlsx) or fields (JSON).
IDENTITY = ("base_code", "name", "item_type", "levels")


class Column(msgspec.Struct, frozen=True):
    key: str
    heading: str
    required: bool = False


#: The columns of the 基本目录 sheet, in the order the sample file writes them.
COLUMNS: tuple[Column, ...] = (
    Column("base_code", "基本编码", True),
    Column("name", "事项名称", True),
    Column("item_type", "事项类型", True),
    Column("levels", "行使层级", True),
    Column("department", "主管部门"),
    Column("legal_basis", "设定依据"),
    Column("statutory_limit", "法定办结时限"),
    Column("limit_unit", "时限单位"),
    Column("acceptance_conditions", "受理条件"),
    Column("status", "状态"),
)
HEADINGS = {c.heading: c for c in COLUMNS}
#: Where an element's error is shown in a spreadsheet: its own column.
ELEMENT_COLUMN = {
    "base_code": "基本编码",
    "name": "事项名称",
    "item_type": "事项类型",
    "levels": "行使层级",
    "legal_basis": "设定依据",
    "statutory_limit": "法定办结时限",
    "acceptance_conditions": "受理条件",
}
META_ROWS = (
    ("format", "格式"),
    ("source", "发布来源"),
    ("mode", "发布方式"),
    ("title", "发布名称"),
    ("document_number", "发布文号"),
    ("issued_on", "发布日期"),
)
ENTRY_FIELDS = frozenset(
    {"base_code", "name", "item_type", "levels", "department", "status", "elements"}
)


class ReleaseMeta(msgspec.Struct, kw_only=True):
    source: str = ""  # national / provincial
    mode: str = ""  # full / increment
    title: str = ""
    document_number: str = ""
    issued_on: date | None = None


class ReleaseRow(msgspec.Struct, kw_only=True):
    """One entry of the release: where it is in the file and what it carries."""

    row: int
    base_code: str
    cancelled: bool = False
    department: str = ""
    # The elements the release carries (stored form, Vocab values as codes);
    # an element it leaves out keeps its value in the tenant's catalog.
    elements: dict[str, Any] = {}


class ParsedRelease(msgspec.Struct, kw_only=True):
    meta: ReleaseMeta
    rows: list[ReleaseRow]
    file_format: str  # xlsx / json
    notes: list[str] = []

    @property
    def unit(self) -> str:
        return ROW_UNITS[self.file_format]


# Reading ----------------------------------------------------------------------------------


def detect_format(data: bytes, filename: str = "") -> str:
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        return "json"
    if name.endswith((".xls", ".et")):
        raise ImportRefused([_file_error("请将文件另存为 Excel 工作簿(.xlsx)格式后再导入", "xlsx")])
    raise ImportRefused([_file_error("文件既不是 Excel(.xlsx)也不是 JSON,无法导入", "xlsx")])


def _file_error(message: str, fmt: str, column: str = ""):
    from qingdan.core.imports.report import RowError

    return RowError(row=0, column=column, message=message, unit=ROW_UNITS[fmt])


def parse_release(
    data: bytes,
    filename: str,
    code_format: CodeFormat,
    *,
    source: str | None = None,
    mode: str | None = None,
) -> ParsedRelease:
    """Read and check a release file. Raises :class:`ImportRefused` with every error.

    ``source`` and ``mode`` apply when the file itself does not say (its own
    发布信息 wins).
    """
    if len(data) > MAX_BYTES:
        raise ImportRefused([_file_error(f"文件超过{MAX_BYTES // 1024 // 1024}MB", "xlsx")])
    fmt = detect_format(data, filename)
    collector = Collector(ROW_UNITS[fmt])
    if fmt == "xlsx":
        meta, rows, notes = _read_xlsx(data, collector, code_format)
    else:
        meta, rows, notes = _read_json(data, collector, code_format)
    if not meta.source and source:
        meta.source = _word(source, _SOURCE_WORDS) or ""
    if not meta.mode:
        meta.mode = _word(mode, _MODE_WORDS) if mode else "increment"
    if not meta.source:
        collector.add(0, "发布来源", "请注明发布来源: 国家 或 省级")
    _check_duplicates(rows, collector)
    collector.refuse_if_any()
    return ParsedRelease(meta=meta, rows=rows, file_format=fmt, notes=notes)


def _word(value: Any, words: dict[str, str]) -> str | None:
    return words.get(cells.text(value).lower()) if value is not None else None


def _check_duplicates(rows: list[ReleaseRow], collector: Collector) -> None:
    first: dict[str, int] = {}
    for row in rows:
        if row.base_code in first:
            where = f"第{first[row.base_code]}{collector.unit}"
            collector.add(row.row, ELEMENT_COLUMN["base_code"], f"基本编码与{where}重复")
        else:
            first[row.base_code] = row.row


# xlsx ---------------------------------------------------------------------------------------


def _heading(cell: Any) -> str:
    return cells.text(cell).replace("*", "").replace("＊", "").replace(" ", "").strip()


def _read_xlsx(
    data: bytes, collector: Collector, code_format: CodeFormat
) -> tuple[ReleaseMeta, list[ReleaseRow], list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportRefused([_file_error("Excel 文件已损坏或无法读取", "xlsx")]) from None
    try:
        meta = _read_meta_sheet(book, collector)
        names = [n for n in book.sheetnames if n != META_SHEET and n != "说明"]
        if ENTRIES_SHEET in book.sheetnames:
            sheet = book[ENTRIES_SHEET]
        elif names:
            sheet = book[names[0]]
        else:
            collector.add(0, "", f"文件中没有“{ENTRIES_SHEET}”工作表")
            return meta, [], []
        rows_iter = sheet.iter_rows(values_only=True)
        header = next(rows_iter, None) or ()
        columns, notes = _header_columns(header, collector)
        if collector:
            return meta, [], notes
        rows: list[ReleaseRow] = []
        for number, values in enumerate(rows_iter, start=2):
            if not any(cells.text(v) for v in values):
                continue
            cellmap = {key: values[i] if i < len(values) else None for key, i in columns.items()}
            row = _xlsx_row(number, cellmap, collector, code_format)
            if row is not None:
                rows.append(row)
        if not rows and not collector:
            collector.add(0, "", f"“{sheet.title}”工作表中没有事项")
        return meta, rows, notes
    finally:
        book.close()


def _read_meta_sheet(book: Any, collector: Collector) -> ReleaseMeta:
    meta = ReleaseMeta()
    if META_SHEET not in book.sheetnames:
        return meta
    labels = {label: key for key, label in META_ROWS}
    for number, values in enumerate(book[META_SHEET].iter_rows(values_only=True), start=1):
        if not values or len(values) < 2:
            continue
        key = labels.get(_heading(values[0]))
        value = values[1]
        if key is None:
            continue
        where = f"{META_SHEET}第{number}行"
        if key == "format":
            text = cells.text(value)
            if text and not text.startswith(FORMAT_NAME):
                collector.add(0, where, f"格式应为“{FORMAT_NAME}”,实际为“{text}”")
        elif key == "source":
            meta.source = _word(value, _SOURCE_WORDS) or ""
            if cells.text(value) and not meta.source:
                collector.add(0, where, f"发布来源“{cells.text(value)}”无法识别,可填: 国家、省级")
        elif key == "mode":
            meta.mode = _word(value, _MODE_WORDS) or ""
            if cells.text(value) and not meta.mode:
                collector.add(0, where, f"发布方式“{cells.text(value)}”无法识别,可填: 全量、增量")
        elif key == "issued_on":
            try:
                meta.issued_on = cells.a_date(value)
            except cells.CellError as exc:
                collector.add(0, where, str(exc))
        else:
            setattr(meta, key, cells.text(value)[: 300 if key == "title" else 200])
    return meta


def _header_columns(header: tuple, collector: Collector) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for i, cell in enumerate(header):
        heading = _heading(cell)
        if not heading:
            continue
        column = HEADINGS.get(heading)
        if column is None:
            unknown.append(heading)
        elif column.key in columns:
            collector.add(1, heading, "该列重复出现")
        else:
            columns[column.key] = i
    for column in COLUMNS:
        if column.required and column.key not in columns:
            collector.add(1, column.heading, "缺少必填列(请使用样例文件的表头)")
    notes = [f"以下列未识别,已忽略: {'、'.join(unknown)}"] if unknown else []
    return columns, notes


def _xlsx_row(
    number: int, cellmap: dict[str, Any], collector: Collector, code_format: CodeFormat
) -> ReleaseRow | None:
    bad = False

    def error(key: str, message: str) -> None:
        nonlocal bad
        bad = True
        collector.add(number, HEADINGS_BY_KEY[key], message)

    try:
        raw_code = cells.code_text(cellmap.get("base_code"), "基本编码")
    except cells.CellError as exc:
        error("base_code", str(exc))
        raw_code = ""
    base_code = ""
    if not raw_code and not bad:
        error("base_code", "必须填写")
    elif raw_code:
        try:
            base_code = code_format.parse_base_code(raw_code).value
        except CodeError as exc:
            error("base_code", str(exc))
    status = cells.text(cellmap.get("status"))
    cancelled = _STATUS_WORDS.get(status.lower())
    if cancelled is None:
        error("status", f"“{status}”无法识别,可填: 在用、取消(不填为在用)")
        cancelled = False
    department = cells.text(cellmap.get("department"))
    if len(department) > 100:
        error("department", "不能超过100个字")
    if cancelled:
        return None if bad else ReleaseRow(row=number, base_code=base_code, cancelled=True)
    elements: dict[str, Any] = {"base_code": base_code}
    name = cells.text(cellmap.get("name"))
    if name:
        elements["name"] = name
    else:
        error("name", "必须填写")
    for key, vocab, many in (("item_type", ItemType, False), ("levels", Level, True)):
        try:
            reader = cells.choice_list if many else cells.choice
            elements[key] = reader(cellmap.get(key), vocab, required=True)
        except cells.CellError as exc:
            error(key, str(exc))
    if cells.text(cellmap.get("legal_basis")):
        try:
            elements["legal_basis"] = _legal_basis(cellmap["legal_basis"])
        except cells.CellError as exc:
            error("legal_basis", str(exc))
    limit = unit = None
    try:
        limit = cells.integer(cellmap.get("statutory_limit"))
    except cells.CellError as exc:
        error("statutory_limit", str(exc))
    try:
        unit = cells.choice(cellmap.get("limit_unit"), LimitUnit)
    except cells.CellError as exc:
        error("limit_unit", str(exc))
    if limit is not None:
        elements["statutory_limit"] = {"value": limit, "unit": unit or "working_day"}
    elif unit == LimitUnit.none.value:
        elements["statutory_limit"] = {"value": 0, "unit": unit}
    elif unit:
        error("statutory_limit", "填写了时限单位,但没有填写时限")
    conditions = cells.text(cellmap.get("acceptance_conditions"))
    if conditions:
        elements["acceptance_conditions"] = conditions
    # Checked even when a cell above is wrong, so the row's every error is reported.
    for column, message in check_elements(elements, ELEMENT_COLUMN):
        bad = True
        collector.add(number, column, message)
    if bad:
        return None
    return ReleaseRow(row=number, base_code=base_code, department=department, elements=elements)


HEADINGS_BY_KEY = {c.key: c.heading for c in COLUMNS}


def _legal_basis(cell: Any) -> list[dict[str, str]]:
    """One law a line: ``名称 | 文号 | 条款号`` (文号 and 条款号 may be left out)."""
    laws = []
    for n, line in enumerate(cells.lines(cell), start=1):
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if len(parts) > 3:
            raise cells.CellError(f"第{n}条依据应写作“名称 | 文号 | 条款号”,多了分隔符“|”")
        parts += [""] * (3 - len(parts))
        if not parts[0]:
            raise cells.CellError(f"第{n}条依据缺少法律法规名称")
        laws.append({"law_name": parts[0], "document_number": parts[1], "article": parts[2]})
    return laws


# Element checks ----------------------------------------------------------------------------------

_HINTS = typing.get_type_hints(ElementDocument, include_extras=True)


def check_elements(
    elements: dict[str, Any], columns: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """Every (column, message) wrong with ``elements`` as an element document.

    A full validation gives the first error only; when it fails each element is
    checked on its own to find them all, then the whole again for the rules
    that join two elements (到办事现场次数 and its reason ...).
    """
    columns = columns or {}
    # A row whose name or type is wrong is still checked: stand-ins fill them
    # (their own errors were reported by the reader).
    stand_in = {"name": "校验", "item_type": "licensing"}
    try:
        validate_document(stand_in | elements)
        return []
    except ElementValidationError as exc:
        whole = exc.errors
    found: list[tuple[str, str]] = []
    for key, value in elements.items():
        if key not in _HINTS:
            found.append((key, f"“{key}”不是要素名称"))
            continue
        probe = stand_in | {key: value}
        try:
            validate_document(probe)
        except ElementValidationError as exc:
            for err in exc.errors:
                if err.path:  # a rule joining two elements is for the whole check below
                    found.append((_column(err.path, columns), err.message))
    if found:
        return found
    return [(_column(e.path, columns), e.message) for e in whole]


def _column(path: str, columns: dict[str, str]) -> str:
    if not path:
        return ""
    top = path.split(".")[0].split("[")[0]
    if top in columns and "." not in path and "[" not in path:
        return columns[top]
    return element_title(path) or path


# JSON ---------------------------------------------------------------------------------------------------


def _read_json(
    data: bytes, collector: Collector, code_format: CodeFormat
) -> tuple[ReleaseMeta, list[ReleaseRow], list[str]]:
    try:
        doc = msgspec.json.decode(data.lstrip(b"\xef\xbb\xbf"))
    except msgspec.DecodeError as exc:
        raise ImportRefused([_file_error(f"不是有效的 JSON: {exc}", "json")]) from None
    if isinstance(doc, list):
        doc = {"entries": doc}
    if not isinstance(doc, dict):
        raise ImportRefused([_file_error("JSON 的最外层应为对象 {…}", "json")])
    meta = ReleaseMeta()
    fmt = doc.get("format")
    if fmt is not None and fmt != FORMAT_NAME:
        collector.add(0, "format", f"格式应为“{FORMAT_NAME}”,实际为“{fmt}”")
    version = doc.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        collector.add(0, "format_version", f"格式版本应为{FORMAT_VERSION},实际为{version!r}")
    for key, words, label in (
        ("source", _SOURCE_WORDS, "国家、省级"),
        ("mode", _MODE_WORDS, "全量、增量"),
    ):
        if doc.get(key) not in (None, ""):
            value = _word(doc[key], words)
            if value is None:
                collector.add(0, key, f"“{doc[key]}”无法识别,可填: {label}")
            setattr(meta, key, value or "")
    for key, limit in (("title", 300), ("document_number", 200)):
        value = doc.get(key)
        if value is not None and not isinstance(value, str):
            collector.add(0, key, "应为文本")
        elif value:
            setattr(meta, key, value.strip()[:limit])
    if doc.get("issued_on"):
        try:
            meta.issued_on = cells.a_date(doc["issued_on"])
        except cells.CellError as exc:
            collector.add(0, "issued_on", str(exc))
    entries = doc.get("entries")
    if not isinstance(entries, list):
        collector.add(0, "entries", "缺少事项列表 entries(应为数组)")
        return meta, [], []
    if not entries:
        collector.add(0, "entries", "事项列表为空")
    unknown = sorted(
        set(doc)
        - {
            "format",
            "format_version",
            "source",
            "mode",
            "title",
            "document_number",
            "issued_on",
            "entries",
        }
    )
    notes = [f"以下字段未识别,已忽略: {'、'.join(unknown)}"] if unknown else []
    rows = []
    for number, entry in enumerate(entries, start=1):
        row = _json_entry(number, entry, collector, code_format)
        if row is not None:
            rows.append(row)
    return meta, rows, notes


def _json_entry(
    number: int, entry: Any, collector: Collector, code_format: CodeFormat
) -> ReleaseRow | None:
    bad = False

    def error(column: str, message: str) -> None:
        nonlocal bad
        bad = True
        collector.add(number, column, message)

    if not isinstance(entry, dict):
        error("", "应为对象 {…}")
        return None
    for key in sorted(set(entry) - ENTRY_FIELDS):
        error(key, f"未知字段“{key}”")
    raw_code = entry.get("base_code")
    base_code = ""
    if not isinstance(raw_code, str) or not raw_code.strip():
        error("base_code", "必须填写(文本)")
    else:
        try:
            base_code = code_format.parse_base_code(raw_code).value
        except CodeError as exc:
            error("base_code", str(exc))
    status = entry.get("status", "")
    cancelled = _STATUS_WORDS.get(str(status).lower()) if isinstance(status, str) else None
    if cancelled is None:
        error("status", f"“{status}”无法识别,可填: in_use、cancelled")
        cancelled = False
    department = entry.get("department", "")
    if not isinstance(department, str) or len(department) > 100:
        error("department", "应为不超过100个字的文本")
        department = ""
    if cancelled:
        return None if bad else ReleaseRow(row=number, base_code=base_code, cancelled=True)
    given = entry.get("elements", {})
    if not isinstance(given, dict):
        error("elements", "应为对象 {…}")
        given = {}
    elements = dict(given)
    for key in sorted(IMPLEMENTATION_ONLY & set(elements)):
        error(f"elements.{key}", "属于实施清单的要素,基本目录不应填写")
        elements.pop(key)
    for key in IDENTITY[1:]:
        if key in entry and key in given and entry[key] != given[key]:
            error(f"elements.{key}", f"与条目的 {key} 不一致")
    elements["base_code"] = base_code
    name = entry.get("name", given.get("name"))
    if not isinstance(name, str) or not name.strip():
        error("name", "必须填写(文本)")
    else:
        elements["name"] = name.strip()
    for key, vocab, many in (("item_type", ItemType, False), ("levels", Level, True)):
        value = entry.get(key, given.get(key))
        try:
            if many:
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise cells.CellError('应为文本数组,如 ["municipal", "county"]')
                elements[key] = cells.choice_list("、".join(value), vocab, required=True)
            else:
                if not isinstance(value, str):
                    raise cells.CellError("必须填写(文本)")
                elements[key] = cells.choice(value, vocab, required=True)
        except cells.CellError as exc:
            error(key, str(exc))
    for column, message in check_elements(elements):
        error(column, message)
    if bad:
        return None
    return ReleaseRow(
        row=number, base_code=base_code, department=department.strip(), elements=elements
    )


# Writing ------------------------------------------------------------------------------------------------


class ExportEntry(msgspec.Struct, kw_only=True):
    """An entry as a release file writes it (from the demo catalog or a tenant's)."""

    base_code: str
    elements: dict[str, Any]  # a (partial) element document in stored form
    department: str = ""
    cancelled: bool = False


def write_json(meta: ReleaseMeta, entries: list[ExportEntry]) -> bytes:
    body: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "source": meta.source,
        "mode": meta.mode or "increment",
        "title": meta.title,
        "document_number": meta.document_number,
        "issued_on": meta.issued_on.isoformat() if meta.issued_on else None,
        "entries": [],
    }
    for entry in entries:
        if entry.cancelled:
            body["entries"].append({"base_code": entry.base_code, "status": "cancelled"})
            continue
        rest = {
            k: v
            for k, v in entry.elements.items()
            if k not in IDENTITY and k not in IMPLEMENTATION_ONLY and v not in ("", [], None, {})
        }
        line: dict[str, Any] = {
            "base_code": entry.base_code,
            "name": entry.elements["name"],
            "item_type": entry.elements["item_type"],
            "levels": list(entry.elements.get("levels") or []),
        }
        if entry.department:
            line["department"] = entry.department
        if rest:
            line["elements"] = rest
        body["entries"].append(line)
    return msgspec.json.format(msgspec.json.encode(body), indent=2)


def write_xlsx(meta: ReleaseMeta, entries: list[ExportEntry]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(ENTRIES_SHEET)
    bold = Font(bold=True)
    header = []
    for column in COLUMNS:
        cell = WriteOnlyCell(sheet, value=column.heading + ("*" if column.required else ""))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for width, letter in zip((14, 36, 12, 20, 16, 48, 14, 10, 48, 8), "ABCDEFGHIJ", strict=True):
        sheet.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for entry in entries:
        values = _xlsx_values(entry)
        row = []
        for column in COLUMNS:
            cell = WriteOnlyCell(sheet, value=values.get(column.key, ""))
            if column.key == "base_code":
                cell.number_format = "@"  # text: Excel keeps the leading zeros
            if column.key in ("legal_basis", "acceptance_conditions"):
                cell.alignment = wrap
            row.append(cell)
        sheet.append(row)
    info = book.create_sheet(META_SHEET)
    info.append(["项目", "内容"])
    values = {
        "format": f"{FORMAT_NAME} v{FORMAT_VERSION}",
        "source": SOURCES.get(meta.source, ""),
        "mode": MODES.get(meta.mode or "increment", ""),
        "title": meta.title,
        "document_number": meta.document_number,
        "issued_on": meta.issued_on.isoformat() if meta.issued_on else "",
    }
    for key, label in META_ROWS:
        info.append([label, values[key]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_values(entry: ExportEntry) -> dict[str, Any]:
    if entry.cancelled:
        return {"base_code": entry.base_code, "status": "取消"}
    e = entry.elements
    limit = e.get("statutory_limit") or {}
    values = {
        "base_code": entry.base_code,
        "name": e["name"],
        "item_type": cells.label_of(ItemType, e["item_type"]),
        "levels": cells.labels_of(Level, e.get("levels")),
        "department": entry.department,
        "legal_basis": "\n".join(
            " | ".join(
                [law.get("law_name", ""), law.get("document_number", ""), law.get("article", "")]
            ).rstrip(" |")
            for law in e.get("legal_basis") or []
        ),
        "acceptance_conditions": e.get("acceptance_conditions", ""),
        "status": "在用",
    }
    if limit and (limit.get("value") or limit.get("unit") == LimitUnit.none.value):
        values["statutory_limit"] = limit.get("value", 0)
        values["limit_unit"] = cells.label_of(LimitUnit, limit.get("unit", "working_day"))
    return values


def file_name(meta: ReleaseMeta, fmt: str, stem: str = "基本目录") -> str:
    today = datetime.now().strftime("%Y%m%d")
    return f"{stem}-{SOURCES.get(meta.source, '')}-{today}.{fmt}"
