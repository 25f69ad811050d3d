"""The full history of an item: its versions and its change requests, each
with every decision (who, when, what, why, at which office), oldest first;
the audit entries about it; and what changed from one version to the next."""

from __future__ import annotations

from typing import Any

import msgspec

from qingdan.core.audit.tables import AuditEntry
from qingdan.core.catalog.diff import DocumentDiff, diff_documents
from qingdan.core.catalog.services import item_versions
from qingdan.core.catalog.tables import ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.errors import NotFound
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.workflow.permissions import role_label
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
            Decision,
            *Decision.all_columns(),
            Decision.step.name.as_alias("step_name"),
            Decision.step.office.as_alias("step_office"),
            Decision.step.role.as_alias("step_role"),
        )
        .where(Decision.change_request.is_in(ids))
        .order_by(Decision.id)
        if ids
        else []
    )
    by_request: dict[int, list[dict[str, Any]]] = {}
    for d in decisions:
        d["action_label"] = Action(d["action"]).label
        # The office that decided: the step's, named by its role when the plugin gave none.
        d["office"] = d["step_office"] or (role_label(d["step_role"]) if d["step_role"] else "")
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


async def item_audit(
    ctx: TenantContext, item_id: int, request_ids: list[int]
) -> list[dict[str, Any]]:
    """The audit entries about the item and about its change requests, newest first."""
    about = (AuditEntry.object_type == "item") & (AuditEntry.object_id == item_id)
    if request_ids:
        about = about | (
            (AuditEntry.object_type == "change_request") & AuditEntry.object_id.is_in(request_ids)
        )
    # The audit log is read across tenants by construction (its chain is per
    # tenant), so the tenant is named here rather than through the scope.
    return (
        await AuditEntry.select(
            AuditEntry.seq,
            AuditEntry.at,
            AuditEntry.actor_name,
            AuditEntry.action,
            AuditEntry.object_type,
            AuditEntry.object_id,
            AuditEntry.summary,
        )
        .where((AuditEntry.tenant == ctx.tenant_id) & about)
        .order_by(AuditEntry.seq, ascending=False)
    )


class VersionDiff(msgspec.Struct, kw_only=True):
    before: dict[str, Any] | None  # the version before (None: the item's first version)
    after: dict[str, Any]
    diff: DocumentDiff


async def version_diff(ctx: TenantContext, item_id: int, number: int) -> VersionDiff:
    """What version ``number`` of the item changed from the version before it."""
    rows = (
        await ctx.scope.select(ItemVersion)
        .where((ItemVersion.item == item_id) & (ItemVersion.number <= number))
        .order_by(ItemVersion.number, ascending=False)
        .limit(2)
        .output(load_json=True)
    )
    if not rows or rows[0]["number"] != number:
        raise NotFound("版本")
    after = rows[0]
    before = rows[1] if len(rows) > 1 else None
    old = validate_document(before["document"]) if before else None
    diff = diff_documents(old, validate_document(after["document"]))
    strip = ("document",)
    return VersionDiff(
        before={k: v for k, v in before.items() if k not in strip} if before else None,
        after={k: v for k, v in after.items() if k not in strip},
        diff=diff,
    )
