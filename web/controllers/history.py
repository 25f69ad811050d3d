"""The history of an item (调整历史): its versions, its change requests with every
decision, and the audit entries about it; and what each version changed.

Everyone in the tenant who may read the item may read its history, as on the
item page: the history is the record a reviewer, an auditor or the agency
itself goes back to when asking "who changed this, and on whose approval".
"""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from qingdan.core.catalog.services import get_item
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.workflow.history import item_audit, item_history, version_diff
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.rendering import render


class ItemHistoryController(TenantController):
    path = "/t/{slug:str}/items/{item_id:int}/history"

    @get("/", name="items:history")
    async def history(
        self, request: Request, ctx: NamedDependency[TenantContext], item_id: FromPath[int]
    ) -> Response:
        detail = await get_item(ctx, item_id)
        history = await item_history(ctx, item_id)
        # Oldest decision first inside a request; the newest request first.
        requests = list(reversed(history.requests))
        audit = await item_audit(ctx, item_id, [r.id for r in history.requests])
        numbers = [v["number"] for v in history.versions]
        base = f"/t/{ctx.slug}"
        context = {
            "item": detail.item,
            "versions": history.versions,
            # A version has something to compare with when an older one exists.
            "has_previous": {n: any(m < n for m in numbers) for n in numbers},
            "requests": requests,
            "audit": audit,
            "base": base,
            "item_url": f"{base}/items/{item_id}",
            "history_url": f"{base}/items/{item_id}/history",
        }
        return render(request, "items/history.html", context)

    @get("/versions/{number:int}", name="items:version_diff")
    async def version(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        item_id: FromPath[int],
        number: FromPath[int],
    ) -> Response:
        detail = await get_item(ctx, item_id)
        change = await version_diff(ctx, item_id, number)
        base = f"/t/{ctx.slug}"
        context = {
            "item": detail.item,
            "before": change.before,
            "after": change.after,
            "diff": change.diff,
            "base": base,
            "item_url": f"{base}/items/{item_id}",
            "history_url": f"{base}/items/{item_id}/history",
        }
        return render(request, "items/version_diff.html", context)
