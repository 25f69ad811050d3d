"""The tenant's recent changes, for the home page: the versions published last
and the latest decisions on change requests (who approved, returned,
published what, and when).

Everything in a tenant is readable by all of its staff (the item list, item
pages and change request pages are), so these lists are the same for every
user of the tenant; the inbox is what is personal.
"""

from __future__ import annotations

from typing import Any

from qingdan.core.catalog.tables import ItemVersion
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.workflow.permissions import role_label
from qingdan.core.workflow.schemas import Action
from qingdan.core.workflow.tables import Decision

RECENT_LIMIT = 8

#: Decisions worth telling the whole tenant about (a submission is in the inbox already).
SHOWN_ACTIONS = (
    Action.approve,
    Action.return_,
    Action.reject,
    Action.publish,
    Action.withdraw,
    Action.skip,
)


async def recent_publications(
    ctx: TenantContext, limit: int = RECENT_LIMIT
) -> list[dict[str, Any]]:
    """The item versions published last, newest first, with the item's name and agency."""
    return await (
        ctx.scope.select(
            ItemVersion,
            ItemVersion.id,
            ItemVersion.number,
            ItemVersion.published_at,
            ItemVersion.item,
            ItemVersion.item.name.as_alias("item_name"),
            ItemVersion.item.agency.name.as_alias("agency_name"),
        )
        .where(ItemVersion.published_at.is_not_null())
        .order_by(ItemVersion.published_at, ascending=False)
        .order_by(ItemVersion.id, ascending=False)
        .limit(limit)
    )


async def recent_decisions(ctx: TenantContext, limit: int = RECENT_LIMIT) -> list[dict[str, Any]]:
    """The latest decisions on the tenant's change requests, newest first."""
    rows = await (
        ctx.scope.select(
            Decision,
            Decision.id,
            Decision.action,
            Decision.actor_name,
            Decision.reason,
            Decision.at,
            Decision.change_request,
            Decision.change_request.kind.as_alias("kind"),
            Decision.change_request.subject_name.as_alias("subject_name"),
            Decision.step.office.as_alias("office"),
            Decision.step.role.as_alias("role"),
        )
        .where(Decision.action.is_in([a.value for a in SHOWN_ACTIONS]))
        .order_by(Decision.at, ascending=False)
        .order_by(Decision.id, ascending=False)
        .limit(limit)
    )
    for row in rows:
        row["action_label"] = Action(row["action"]).label
        row["kind_label"] = ChangeKind(row["kind"]).label
        row["office"] = row["office"] or (role_label(row["role"]) if row["role"] else "")
    return rows


__all__ = ["recent_decisions", "recent_publications"]
