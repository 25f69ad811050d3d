"""The full history of an item: its versions and its change requests, each
with every decision (who, when, what, why), oldest first."""

from __future__ import annotations

from typing import Any

import msgspec

from qingdan.core.catalog.services import item_versions
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.workflow.schemas import Action, ChangeStatus
from qingdan.core.workflow.tables import ChangeRequest, Decision


class RequestHistory(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    reason: str
    submitted_at: Any
    closed_at: Any
    decisions: list[dict[str, Any]]


class ItemHistory(msgspec.Struct, kw_only=True):
    versions: list[dict[str, Any]]
    requests: list[RequestHistory]


async def item_history(ctx: TenantContext, item_id: int) -> ItemHistory:
    versions = await item_versions(ctx, item_id)  # also refuses another tenant's item
    requests = (
        await ctx.scope.select(ChangeRequest)
        .where(ChangeRequest.item == item_id)
        .order_by(ChangeRequest.id)
    )
    ids = [r["id"] for r in requests]
    decisions = (
        await ctx.scope.select(
            Decision, *Decision.all_columns(), Decision.step.name.as_alias("step_name")
        )
        .where(Decision.change_request.is_in(ids))
        .order_by(Decision.id)
        if ids
        else []
    )
    by_request: dict[int, list[dict[str, Any]]] = {}
    for d in decisions:
        d["action_label"] = Action(d["action"]).label
        by_request.setdefault(d["change_request"], []).append(d)
    return ItemHistory(
        versions=versions,
        requests=[
            RequestHistory(
                id=r["id"],
                kind=r["kind"],
                kind_label=ChangeKind(r["kind"]).label,
                status=r["status"],
                status_label=ChangeStatus(r["status"]).label,
                reason=r["reason"],
                submitted_at=r["submitted_at"],
                closed_at=r["closed_at"],
                decisions=by_request.get(r["id"], []),
            )
            for r in requests
        ],
    )
