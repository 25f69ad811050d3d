"""The progress view as an Excel workbook (the offices work in Excel).

One sheet 报送情况 with a row per agency as the page shows it (filters
applied) and a totals row; one sheet 工作阶段 with the phases and dates.
"""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qingdan.core.campaigns.progress import Progress
from qingdan.core.campaigns.schemas import SubmissionKind

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
LATE_FILL = PatternFill("solid", fgColor="FCE4D6")
BOLD = Font(bold=True)


def _date(d: date | None) -> str:
    return d.isoformat() if d else ""


def _yes(flag: bool) -> str:
    return "是" if flag else ""


def progress_workbook(progress: Progress) -> bytes:
    """The workbook's bytes."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = "报送情况"
    campaign = progress.campaign
    sheet.append([f"{campaign['name']}({campaign['year']}年)报送与审核情况"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"统计日期:{progress.today.isoformat()};当前阶段:{progress.stage}"])
    if progress.filtered:
        sheet.append(["(已按页面上的筛选条件筛选)"])
    sheet.append([])
    headers = [
        "序号",
        "部门",
        "行政区划",
        "报送状态",
        "报送类型",
        "报送事项数",
        "系统现有事项数",
        "零报告说明",
        "主要负责人审签件",
        "报送日期",
        "计入日期",
        "逾期报送",
        "逾期未报送",
    ]
    for r in progress.reviewers:
        headers.append(f"{r.office}审核({r.phase_name})")
    headers += ["审核逾期", "待审核机构"]
    sheet.append(headers)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for n, row in enumerate(progress.rows, 1):
        kind = SubmissionKind(row.kind).label if row.kind and row.status != "pending" else ""
        values: list[object] = [
            n,
            row.agency_name,
            row.division_name,
            row.status_label,
            kind,
            row.item_count if row.status != "pending" else None,
            row.items_now,
            row.zero_reason if row.kind == SubmissionKind.zero_report.value else "",
            row.signoff_name if row.signed else "无",
            _date(row.submitted_on),
            _date(row.counted_on),
            _yes(row.late),
            _yes(row.overdue),
        ]
        for cell in row.reviews:
            text = cell.label
            if cell.reason:
                text += f":{cell.reason}"
            if cell.decided_on:
                text += f"({cell.decided_on.isoformat()}{',逾期' if cell.late else ''})"
            values.append(text)
        values += [_yes(row.review_late), row.waiting_for]
        sheet.append(values)
        if row.any_late:
            for cell in sheet[sheet.max_row]:
                cell.fill = LATE_FILL
    t = progress.totals
    summary = [
        "合计",
        f"{t.agencies}个部门",
        "",
        f"已报送{t.counted},待审签{t.unsigned},未报送{t.pending},已退回{t.returned},"
        f"审核通过{t.passed}",
        f"零报告{t.zero_reports}",
        t.items,
        None,
        "",
        "",
        "",
        "",
        t.late,
        t.overdue,
        *[f"通过{n}" for n in t.reviews_passed],
        "",
        "",
    ]
    sheet.append(summary)
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    widths = [6, 28, 14, 14, 10, 10, 12, 30, 24, 12, 12, 10, 10]
    widths += [24] * len(progress.reviewers) + [10, 18]
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=3)

    phases = wb.create_sheet("工作阶段")
    phases.append(
        ["阶段", "开始日期", "结束日期", "报送截止日期", "审核机构(按顺序)", "状态", "依据"]
    )
    for cell in phases[1]:
        cell.font = BOLD
        cell.fill = HEADER_FILL
    for p in progress.phases:
        phases.append(
            [
                p.name,
                _date(p.start),
                _date(p.end),
                _date(p.due),
                " → ".join(p.offices),
                p.state_label,
                p.basis,
            ]
        )
    for i, width in enumerate([12, 12, 12, 14, 36, 8, 80], 1):
        phases.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
