"""Each user's inbox: what waits for them, what was returned to them, which
obligations are theirs, and which of those are due soon or overdue."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import msgspec

from qingdan.core.imports.tasks import open_task_groups
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow import notices
from qingdan.core.workflow.permissions import division_codes, holds
from qingdan.core.workflow.schemas import ChangeStatus, ObligationStatus, StepStatus
from qingdan.core.workflow.services import today
from qingdan.core.workflow.tables import ChangeRequest, ChangeStep, Obligation

DUE_SOON_DAYS = 2  # working days


class InboxEntry(msgspec.Struct, kw_only=True):
    kind: str  # "step" | "returned" | "obligation" | "claim"
    title: str
    item_name: str
    link: str
    office: str = ""
    due_date: date | None = None
    provisional: bool = False
    overdue: bool = False
    due_soon: bool = False
    count: int = 1  # a claim entry stands for this many tasks


class Inbox(msgspec.Struct, kw_only=True):
    waiting: list[InboxEntry]
    returned: list[InboxEntry]
    obligations: list[InboxEntry]
    notices: list[dict[str, Any]]
    #: New entries from above the principal's agencies must claim (应认领), or,
    #: for 审改机构, must assign to an agency.
    claims: list[InboxEntry] = []

    @property
    def dated(self) -> list[InboxEntry]:
        return self.waiting + self.claims + self.obligations

    @property
    def overdue(self) -> list[InboxEntry]:
        return [e for e in self.dated if e.overdue]

    @property
    def due_soon(self) -> list[InboxEntry]:
        return [e for e in self.dated if e.due_soon]


async def due_timing(
    ctx: TenantContext, on: date | None = None
) -> Callable[[date | None], tuple[bool, bool]]:
    """``timing(due) -> (overdue, due_soon)`` on the tenant's working-day calendar."""
    from qingdan.core.calendar.services import load_calendar

    day = on or today()
    calendar = await load_calendar(ctx.tenant_id)

    def timing(due: date | None) -> tuple[bool, bool]:
        if due is None:
            return False, False
        if due < day:
            return True, False
        return False, calendar.working_days_between(day, due) <= DUE_SOON_DAYS

    return timing


async def inbox_for(ctx: TenantContext, principal: Principal, on: date | None = None) -> Inbox:
    timing = await due_timing(ctx, on)
    codes = await division_codes(ctx)

    steps = (
        await ctx.scope.select(
            ChangeStep,
            *ChangeStep.all_columns(),
            ChangeStep.change_request.subject_name.as_alias("item_name"),
            ChangeStep.change_request.agency.as_alias("agency_id"),
            ChangeStep.change_request.author.as_alias("author"),
            ChangeStep.change_request.kind.as_alias("kind"),
            ChangeStep.change_request.catalog_entry.as_alias("entry_id"),
            ChangeStep.change_request.item.division.code.as_alias("division_code"),
        )
        .where(ChangeStep.status == StepStatus.active.value)
        .order_by(ChangeStep.due_date)
    )
    waiting = []
    for s in steps:
        if s["author"] == principal.user_id:
            continue
        # A catalog request belongs to no division of its own: the tenant's.
        division = s["division_code"] or ctx.tenant["division_code"]
        if not holds(principal, s["role"], s["agency_id"], division, codes):
            continue
        overdue, soon = timing(s["due_date"])
        waiting.append(
            InboxEntry(
                kind="step",
                title=f"{s['name']}",
                item_name=(f"基本目录:{s['item_name']}" if s["entry_id"] else s["item_name"]),
                link=f"/t/{ctx.slug}/changes/{s['change_request']}",
                office=s["office"],
                due_date=s["due_date"],
                provisional=s["due_provisional"],
                overdue=overdue,
                due_soon=soon,
            )
        )

    returned_rows = await ctx.scope.select(
        ChangeRequest, ChangeRequest.id, ChangeRequest.subject_name.as_alias("item_name")
    ).where(
        (ChangeRequest.status == ChangeStatus.returned.value)
        & (ChangeRequest.author == principal.user_id)
    )
    returned = [
        InboxEntry(
            kind="returned",
            title="已退回,请修改后重新提交",
            item_name=r["item_name"],
            link=f"/t/{ctx.slug}/changes/{r['id']}",
        )
        for r in returned_rows
    ]

    obligation_rows = (
        await ctx.scope.select(
            Obligation,
            *Obligation.all_columns(),
            Obligation.item.name.as_alias("item_name"),
            Obligation.item.agency.as_alias("item_agency"),
            Obligation.item.division.code.as_alias("division_code"),
        )
        .where(Obligation.status == ObligationStatus.open.value)
        .order_by(Obligation.due_date)
    )
    mine = []
    for o in obligation_rows:
        if not holds(principal, o["role"], o["item_agency"], o["division_code"], codes):
            continue
        overdue, soon = timing(o["due_date"])
        mine.append(
            InboxEntry(
                kind="obligation",
                title=o["title"],
                item_name=o["item_name"],
                link=f"/t/{ctx.slug}/obligations",
                due_date=o["due_date"],
                provisional=o["due_provisional"],
                overdue=overdue,
                due_soon=soon,
            )
        )
    claims = []
    for group in await open_task_groups(ctx, principal):
        overdue, soon = timing(group["due_date"])
        assigned = group["agency"] is not None
        claims.append(
            InboxEntry(
                kind="claim",
                title=(
                    f"上级基本目录第{group['batch_number']}批 {group['count']}个新事项"
                    + ("待认领" if assigned else "未找到实施机构,待分派")
                ),
                item_name=group["agency_name"] if assigned else "待分派",
                link=f"/t/{ctx.slug}/imports/tasks" + ("" if assigned else "?assign=1"),
                due_date=group["due_date"],
                provisional=group["due_provisional"],
                overdue=overdue,
                due_soon=soon,
                count=group["count"],
            )
        )
    return Inbox(
        waiting=waiting,
        returned=returned,
        obligations=mine,
        claims=claims,
        notices=await notices.notices_for(ctx, principal, unread_only=True),
    )
