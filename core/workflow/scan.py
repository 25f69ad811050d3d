"""The deadline scan: publish what reached its effective date, remind before a
step, obligation or claim task is due, flag what is overdue and tell the office above.

Idempotent: every notice carries a dedupe key and every publication checks
the request's state, so running a scan twice (or on two workers) changes
nothing more.
"""

from __future__ import annotations

from datetime import UTC, date

import msgspec

from qingdan.core.audit.services import Actor
from qingdan.core.db import atomic
from qingdan.core.errors import ConflictError, DomainError
from qingdan.core.imports.tasks import scan_claim_tasks
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.workflow import notices
from qingdan.core.workflow.permissions import role_label
from qingdan.core.workflow.schemas import ChangeStatus, ObligationStatus, StepStatus
from qingdan.core.workflow.services import publish, today
from qingdan.core.workflow.tables import ChangeRequest, ChangeStep, Obligation

SCANNER = Actor.system("期限扫描")
#: Remind when a deadline is this many working days away (or less).
REMIND_WITHIN = 1


class ScanReport(msgspec.Struct):
    published: int = 0
    reminded: int = 0
    overdue: int = 0
    escalated: int = 0


async def scan_tenant(ctx: TenantContext, on: date | None = None) -> ScanReport:
    from qingdan.core.calendar.services import load_calendar

    day = on or today()
    report = ScanReport()
    calendar = await load_calendar(ctx.tenant_id)

    due_requests = await ctx.scope.select(ChangeRequest, ChangeRequest.id).where(
        (ChangeRequest.status == ChangeStatus.approved.value)
        & (ChangeRequest.effective_date.is_null() | (ChangeRequest.effective_date <= day))
    )
    for row in due_requests:
        try:
            await publish(ctx, SCANNER, row["id"], on=day)
            report.published += 1
        except (ConflictError, DomainError):
            continue  # someone else published it, or it is no longer approved

    steps = await ctx.scope.select(
        ChangeStep,
        *ChangeStep.all_columns(),
        ChangeStep.change_request.subject_name.as_alias("item_name"),
        ChangeStep.change_request.agency.as_alias("agency_id"),
    ).where((ChangeStep.status == StepStatus.active.value) & ChangeStep.due_date.is_not_null())
    for step in steps:
        link = f"/t/{ctx.slug}/changes/{step['change_request']}"
        what = f"{step['item_name']}({step['name']})"
        agency = step["agency_id"] if step["role"] in ("clerk", "agency_reviewer") else None
        await _check(
            ctx, report, calendar, day, ChangeStep, step, link, what, agency, f"step:{step['id']}"
        )

    obligations = await ctx.scope.select(
        Obligation, *Obligation.all_columns(), Obligation.item.name.as_alias("item_name")
    ).where(Obligation.status == ObligationStatus.open.value)
    for ob in obligations:
        link = f"/t/{ctx.slug}/obligations"
        what = f"{ob['item_name']}({ob['title']})"
        await _check(
            ctx, report, calendar, day, Obligation, ob, link, what, ob["agency"], f"ob:{ob['id']}"
        )

    claims = await scan_claim_tasks(ctx, calendar, day, REMIND_WITHIN)
    report.reminded += claims.reminded
    report.overdue += claims.overdue
    report.escalated += claims.escalated
    return report


async def _check(ctx, report, calendar, day, table, row, link, what, agency, key) -> None:
    due: date = row["due_date"]
    if due < day:
        report.overdue += 1
        async with atomic():
            await notices.notify_role(
                ctx,
                role=row["role"],
                agency_id=agency,
                kind="overdue",
                title=f"已逾期: {what},应于{due}前完成",
                link=link,
                dedupe_key=f"overdue:{key}:{due}",
            )
            if row["escalate_to"] and row["escalated_at"] is None:
                await notices.notify_role(
                    ctx,
                    role=row["escalate_to"],
                    agency_id=None,
                    kind="escalation",
                    title=f"督办: {role_label(row['role'])}逾期未办 {what},应于{due}前完成",
                    link=link,
                    dedupe_key=f"escalate:{key}:{due}",
                )
                await ctx.scope.update(table, {table.escalated_at: _now()}).where(
                    table.id == row["id"]
                )
                report.escalated += 1
        return
    if row["reminded_at"] is None and calendar.working_days_between(day, due) <= REMIND_WITHIN:
        async with atomic():
            sent = await notices.notify_role(
                ctx,
                role=row["role"],
                agency_id=agency,
                kind="due_soon",
                title=f"即将到期: {what},请于{due}前完成",
                link=link,
                dedupe_key=f"remind:{key}:{due}",
            )
            await ctx.scope.update(table, {table.reminded_at: _now()}).where(table.id == row["id"])
        report.reminded += int(sent)


def _now():
    from datetime import datetime

    return datetime.now(UTC)
