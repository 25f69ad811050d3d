"""The tenant check as people read it: rows of rules, the xlsx report, the command's text."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from qingdan.core.catalog.validation import element_title
from qingdan.core.checks.consistency import CATALOG_AGREEMENT
from qingdan.core.checks.rules import (
    CATALOG_AGREEMENT_ID,
    CATALOG_AGREEMENT_SUMMARY,
    CATALOG_AGREEMENT_WHY,
    CORE_RULES,
)
from qingdan.core.checks.services import TRIGGERS, TenantReport
from qingdan.core.hooktypes import ConsistencyKind, QualityRules, Severity

SHANGHAI = ZoneInfo("Asia/Shanghai")
PLATFORM = "平台"
KIND_LABELS = {
    ConsistencyKind.catalog: "与基本目录比对",
    ConsistencyKind.divisions: "同一事项各区划之间比对",
}


@dataclass(frozen=True)
class RuleRow:
    """One rule as the report and the docs list it."""

    id: str
    severity: Severity
    elements: str  # Chinese titles
    rule: str  # what it requires
    why: str  # the reason, or the clause and its words
    source: str  # 平台, or the jurisdiction


def rule_rows(plugin_rules: QualityRules | None = None, source: str = "") -> list[RuleRow]:
    """Core's rules (``source`` empty), or a plugin's rules and consistency checks."""
    if plugin_rules is None:
        rows = [
            RuleRow(
                id=r.id,
                severity=r.severity,
                elements="、".join(r.element_titles),
                rule=r.summary,
                why=r.why,
                source=PLATFORM,
            )
            for r in CORE_RULES
        ]
        rows.append(
            RuleRow(
                id=CATALOG_AGREEMENT_ID,
                severity=CATALOG_AGREEMENT.severity,
                elements="、".join(element_title(e) for e in CATALOG_AGREEMENT.elements),
                rule=CATALOG_AGREEMENT_SUMMARY,
                why=CATALOG_AGREEMENT_WHY,
                source=PLATFORM,
            )
        )
        return rows
    rows = [
        RuleRow(
            id=r.id,
            severity=r.severity,
            elements=element_title(r.element),
            rule=r.message,
            why=r.basis,
            source=source,
        )
        for r in plugin_rules.rules
    ]
    rows += [
        RuleRow(
            id=c.id,
            severity=c.severity,
            elements="、".join(element_title(e) for e in c.elements),
            rule=f"{c.name}({KIND_LABELS[c.kind]}):所列要素须一致",
            why=c.basis,
            source=source,
        )
        for c in plugin_rules.consistency
    ]
    return rows


def local_time(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # stored in UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def run_line(report: TenantReport) -> str:
    run = report.run
    if run is None:
        return "尚未运行过全租户质检"
    who = run.get("started_by_name") or "系统"
    return (
        f"最近一次质检:{local_time(run['started_at'])}({TRIGGERS.get(run['trigger'], run['trigger'])},"
        f"{who}),检查{run['items_checked']}个事项,新发现{run['new_findings']}项,"
        f"已整改{run['resolved_findings']}项"
    )


# --- the command's text ----------------------------------------------------------------------


def summary_lines(report: TenantReport) -> list[str]:
    """What ``qingdan check`` prints: totals, agencies with findings, disagreements."""
    lines = [
        f"{report.tenant_name}:{run_line(report)}",
        f"未整改的质检问题 {report.open_block + report.open_warn} 项"
        f"(阻止提交 {report.open_block} 项,提醒 {report.open_warn} 项)",
    ]
    lagging = [a for a in report.agencies if a.total]
    if lagging:
        lines.append("按实施机构:")
        lines += [
            f"  {a.agency}({a.division}):阻止提交 {a.block},提醒 {a.warn},涉及事项 {a.items}"
            for a in lagging
        ]
    if report.disagreements:
        lines.append(f"一致性检查发现 {len(report.disagreements)} 处不一致:")
        lines += [f"  {d.text()}" for d in report.disagreements]
    return lines


# --- the xlsx report -----------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BLOCK_FONT = Font(color="9C0006", bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _table(ws: Worksheet, header: list[str], rows: list[list[object]], widths: list[int]) -> None:
    start = ws.max_row + 1 if ws.max_row > 1 else 1
    ws.append(header)
    for cell in ws[start]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    for row in rows:
        ws.append(row)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    end = ws.max_row
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    ws.auto_filter.ref = f"A{start}:{get_column_letter(len(header))}{max(end, start)}"
    for row in ws.iter_rows(min_row=start + 1, max_row=end):
        for cell in row:
            cell.alignment = _WRAP


def report_xlsx(report: TenantReport, plugin_source: str) -> bytes:
    """The report by agency as a workbook: 汇总, 问题明细, 一致性检查, 规则."""
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([f"{report.tenant_name} 政务服务事项质检报告"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([run_line(report)])
    ws.append(
        [
            f"未整改 {report.open_block + report.open_warn} 项:阻止提交 {report.open_block} 项,"
            f"提醒 {report.open_warn} 项;一致性检查不一致 {len(report.disagreements)} 处"
        ]
    )
    ws.append([])
    _table(
        ws,
        ["实施机构", "所在区划", "阻止提交", "提醒", "合计", "涉及事项数"],
        [[a.agency, a.division, a.block, a.warn, a.total, a.items] for a in report.agencies],
        [36, 20, 10, 10, 10, 12],
    )

    detail = wb.create_sheet("问题明细")
    _table(
        detail,
        [
            "实施机构",
            "所在区划",
            "事项名称",
            "实施编码",
            "要素",
            "严重程度",
            "问题",
            "规则编号",
            "首次发现",
        ],
        [
            [
                f["agency_name"],
                f["division_name"],
                f["item_name"],
                f["impl_code"],
                element_title(f["element"]) if f["element"] else "",
                Severity(f["severity"]).label,
                f["message"],
                f["rule_id"],
                local_time(f["first_found"]),
            ]
            for f in report.findings
        ],
        [28, 16, 30, 28, 16, 10, 70, 30, 17],
    )
    for row in detail.iter_rows(min_row=2, min_col=6, max_col=6):
        for cell in row:
            if cell.value == Severity.block.label:
                cell.font = _BLOCK_FONT

    consistency = wb.create_sheet("一致性检查")
    rows: list[list[object]] = []
    for d in report.disagreements:
        for group in d.values:
            rows.append(
                [
                    d.rule_name,
                    d.entry_name,
                    d.base_code,
                    d.handling_item,
                    d.element_title,
                    group.value,
                    "、".join(f"{p.division}({p.agency})" for p in group.places),
                    d.severity.label,
                ]
            )
    _table(
        consistency,
        [
            "检查",
            "基本目录事项",
            "基本编码",
            "业务办理项",
            "要素",
            "取值",
            "区划(实施机构)",
            "严重程度",
        ],
        rows,
        [14, 30, 16, 10, 16, 50, 50, 10],
    )

    rules = wb.create_sheet("规则")
    all_rules = rule_rows() + rule_rows(report.rules, plugin_source)
    _table(
        rules,
        ["规则编号", "严重程度", "要素", "规则", "依据或理由", "来源"],
        [[r.id, r.severity.label, r.elements, r.rule, r.why, r.source] for r in all_rules],
        [32, 10, 24, 50, 70, 16],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
