"""后续义务: the work a change leaves behind (hall entries, printed guides ...),
each assigned to an office with a due date in working days."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from qingdan.core.audit.services import Actor, record
from qingdan.core.errors import DomainError, PermissionDenied
from qingdan.core.hooktypes import ChangeKind, SubjectSummary
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow import notices
from qingdan.core.workflow.permissions import division_codes, holds
from qingdan.core.workflow.schemas import ObligationStatus
from qingdan.core.workflow.tables import Obligation

AGENCY_ROLES = ("clerk", "agency_reviewer")


async def create_for(
    ctx: TenantContext,
    actor: Actor,
    *,
    event: str,
    kind: ChangeKind,
    item: dict[str, Any],
    subject: SubjectSummary,
    changed: list[str],
    cr_id: int | None,
) -> list[Obligation]:
    """Store the plugin's obligations for ``event`` ("claim" or "publish")."""
    from qingdan.core.calendar.services import load_calendar

    rules = [
        r for r in ctx.plugin.obligations(kind, subject, changed, ctx.settings) if r.on == event
    ]
    if not rules:
        return []
    calendar = await load_calendar(ctx.tenant_id)
    now = datetime.now(UTC)
    created = []
    for rule in rules:
        deadline = calendar.add_working_days(now, rule.working_days)
        obligation = await ctx.scope.insert(
            Obligation,
            item=item["id"],
            change_request=cr_id,
            kind=rule.kind,
            title=rule.title,
            role=rule.role,
            agency=item["agency"] if rule.role in AGENCY_ROLES else None,
            basis=rule.basis[:500],
            due_date=deadline.due,
            due_provisional=deadline.provisional,
            escalate_to=rule.escalate_to or "",
        )
        created.append(obligation)
        await record(
            ctx.tenant_id,
            actor,
            "obligation.create",
            "item",
            item["id"],
            f"后续义务: {rule.title},{deadline.label}前完成",
            {"obligation": obligation.id, "change_request": cr_id, "role": rule.role},
        )
        await notices.notify_role(
            ctx,
            role=rule.role,
            agency_id=obligation.agency,
            kind="obligation",
            title=f"{rule.title}: {item['name']}({deadline.label}前)",
            link=f"/t/{ctx.slug}/obligations",
            dedupe_key=f"obligation:{obligation.id}",
        )
    return created


async def complete_claim_obligations(ctx: TenantContext, actor: Actor, item_id: int) -> None:
    """The claim's obligations are met when the claimed item is submitted complete."""
    open_rows = await ctx.scope.select(Obligation, Obligation.id).where(
        (Obligation.item == item_id)
        & (Obligation.change_request.is_null())
        # A release from above leaves follow-ups without a request too; they are
        # met by the item's own amendment or cancellation, not by submitting it.
        & (Obligation.kind != FOLLOW_CATALOG)
        & (Obligation.status == ObligationStatus.open.value)
    )
    for row in open_rows:
        await _mark_done(ctx, actor, row["id"], "提交时要素已填写完整")


async def _mark_done(ctx: TenantContext, actor: Actor, obligation_id: int, note: str) -> None:
    await ctx.scope.update(
        Obligation,
        {
            Obligation.status: ObligationStatus.done.value,
            Obligation.done_by: actor.user_id,
            Obligation.done_at: datetime.now(UTC),
            Obligation.note: note,
        },
    ).where(Obligation.id == obligation_id)
    await record(
        ctx.tenant_id,
        actor,
        "obligation.done",
        "obligation",
        obligation_id,
        f"完成后续义务({note})",
    )


async def mark_done(
    ctx: TenantContext, principal: Principal, obligation_id: int, note: str = ""
) -> None:
    """The office marks its obligation done (e.g. the hall display was updated)."""
    from qingdan.core.catalog.tables import Item
    from qingdan.core.db import atomic

    obligation = await ctx.scope.get(Obligation, obligation_id, "后续义务")
    if obligation.status == ObligationStatus.done.value:
        raise DomainError("该义务已完成")
    item = (
        await ctx.scope.select(Item, Item.agency, Item.division.code.as_alias("division_code"))
        .where(Item.id == obligation.item)
        .first()
    )
    codes = await division_codes(ctx)
    if not holds(principal, obligation.role, item["agency"], item["division_code"], codes):
        raise PermissionDenied("该义务不属于您的职责范围")
    async with atomic():
        await _mark_done(
            ctx, Actor(principal.user_id, principal.display_name), obligation_id, note or "已完成"
        )


async def open_obligations(ctx: TenantContext) -> list[dict[str, Any]]:

    return (
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


#: The obligation of an agency whose item's catalog entry was amended or cancelled;
#: its working days come from ``qingdan_follow_catalog_deadlines``.
FOLLOW_CATALOG = "follow_catalog"


async def create_catalog_follow_ups(
    ctx: TenantContext,
    actor: Actor,
    *,
    entry_id: int,
    entry_name: str,
    kind: ChangeKind,
    cr_id: int,
) -> int:
    """After a catalog entry changed, each agency implementing it must follow:
    amend its item (or cancel it, if the entry was cancelled)."""
    from qingdan.core.calendar.services import load_calendar
    from qingdan.core.catalog.tables import Item

    items = await ctx.scope.select(Item, Item.id, Item.name, Item.agency).where(
        (Item.catalog_entry == entry_id) & (Item.status != "cancelled")
    )
    if not items:
        return 0
    calendar = await load_calendar(ctx.tenant_id)
    deadlines = ctx.plugin.follow_catalog_deadlines(ctx.settings)
    days = deadlines.cancel_days if kind == ChangeKind.cancel else deadlines.amend_days
    deadline = calendar.add_working_days(datetime.now(UTC), days)
    what = "取消" if kind == ChangeKind.cancel else "变更"
    for item in items:
        title = f"基本目录已{what},请相应{what}实施清单"
        obligation = await ctx.scope.insert(
            Obligation,
            item=item["id"],
            change_request=cr_id,
            kind=FOLLOW_CATALOG,
            title=title,
            role="clerk",
            agency=item["agency"],
            basis=f"基本目录“{entry_name}”{what}({deadlines.basis},{days}个工作日)"[:500],
            due_date=deadline.due,
            due_provisional=deadline.provisional,
            escalate_to="reform_office",
        )
        await record(
            ctx.tenant_id,
            actor,
            "obligation.create",
            "item",
            item["id"],
            f"后续义务: {title},{deadline.label}前完成",
            {"obligation": obligation.id},
        )
        await notices.notify_role(
            ctx,
            role="clerk",
            agency_id=item["agency"],
            kind="obligation",
            title=f"{title}: {item['name']}({deadline.label}前)",
            link=f"/t/{ctx.slug}/items/{item['id']}",
            dedupe_key=f"obligation:{obligation.id}",
        )
    return len(items)


async def complete_catalog_follow_ups(
    ctx: TenantContext, actor: Actor, item_id: int, kind: ChangeKind
) -> None:
    """The item's own amendment or cancellation took effect: the follow-up is met."""
    rows = await ctx.scope.select(Obligation, Obligation.id).where(
        (Obligation.item == item_id)
        & (Obligation.kind == FOLLOW_CATALOG)
        & (Obligation.status == ObligationStatus.open.value)
    )
    for row in rows:
        await _mark_done(ctx, actor, row["id"], f"实施清单已{kind.label}")
