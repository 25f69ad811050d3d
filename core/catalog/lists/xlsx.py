"""A list as an Excel workbook: the way the offices that keep lists read and file them.

Sheet one is the list itself, headed in Chinese in row 1 (so the file reads
back by its headings), frozen below the headings and numbered 序号 1, 2, ...;
sheet two, 说明, says what the list is, whose it is, on what basis, and when
it was read from the catalog.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta, timezone

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qingdan.core.catalog.lists.views import CatalogList

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
NUMBER_HEADING = "序号"
STATUS_HEADING = "状态"
NOTES_SHEET = "说明"
_HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def sheet_title(title: str) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\."""
    return _BAD_SHEET_CHARS.sub("", title)[:31] or "清单"


def workbook_bytes(catalog_list: CatalogList, tenant_name: str) -> bytes:
    """The list as .xlsx bytes."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(catalog_list.title)
    headings = (NUMBER_HEADING, *catalog_list.headings, STATUS_HEADING)
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap = Alignment(vertical="top", wrap_text=True)
    for n, row in enumerate(catalog_list.rows, start=1):
        sheet.append((n, *row.cells, "暂停" if row.suspended else "在用"))
        for cell in sheet[sheet.max_row]:
            cell.alignment = wrap
    widths = (6, *catalog_list.widths, 8)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    if catalog_list.rows:
        sheet.auto_filter.ref = sheet.dimensions

    notes = book.create_sheet(NOTES_SHEET)
    generated = catalog_list.generated_at
    if generated.tzinfo is None:
        generated = generated.replace(tzinfo=UTC)
    for pair in (
        ("清单名称", catalog_list.title),
        ("所属地区", tenant_name),
        ("数据来源", "政务服务事项基本目录和实施清单中已发布的事项要素(与事项目录同源)"),
        ("设立依据", catalog_list.basis or "—"),
        ("事项数", catalog_list.items),
        ("行数", len(catalog_list.rows)),
        ("生成时间", generated.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")),
    ):
        notes.append(pair)
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 90
    for row in notes.iter_rows():
        row[0].font = Font(bold=True)
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(catalog_list: CatalogList, tenant_name: str, on: datetime | None = None) -> str:
    """某某市-告知承诺事项清单-20260301.xlsx"""
    when = (on or catalog_list.generated_at).astimezone(SHANGHAI)
    return f"{tenant_name}-{catalog_list.title}-{when:%Y%m%d}.xlsx"
