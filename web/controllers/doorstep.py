"""家门口办: each service point's items against its target, and recording delegations.

``/t/{slug}/doorstep``: every service point (township and street centres,
village and community stations) with the published items it handles on site,
the target for its kind (from the plugin) and the gap; every signed-in role
may read it. ``/t/{slug}/doorstep/{division_id}``: one point's items; the
tenant administrator and the service centre delegate items to it (several at
once, all or nothing) and take them back. Plain form posts, 303 back; a
refused one shows the page again, status 400, with the message.
"""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from qingdan.core.doorstep import services as doorstep
from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.hooktypes import ServicePointKind
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_text
from qingdan.web.guards import requires_role
from qingdan.web.rendering import render

managers_only = requires_role(*doorstep.MANAGER_ROLES)
DONE = {"delegated": "已下沉所选事项。", "revoked": "已取消该事项的下沉。"}


class DoorstepController(TenantController):
    path = "/t/{slug:str}/doorstep"

    @get("/", name="doorstep:index")
    async def index(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        view = await doorstep.overview(ctx)
        kind = str(request.query_params.get("kind") or "")
        kind_label = next((k.label for k in ServicePointKind if k.value == kind), "")
        shown = [p for p in view.points if not kind_label or p.kind.value == kind]
        context = {
            "view": view,
            "points": shown,
            "kind_label": kind_label,
            "base": f"/t/{ctx.slug}/doorstep",
        }
        return render(request, "doorstep/index.html", context)

    async def _point(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        division_id: int,
        *,
        error: str = "",
        status_code: int = 200,
    ) -> Response:
        detail = await doorstep.point_detail(ctx, division_id)
        q = " ".join(str(request.query_params.get("q") or "").split())[:100]
        may_manage = doorstep.may_manage(principal)
        candidates = await doorstep.candidate_items(ctx, division_id, q) if may_manage and q else []
        context = {
            "detail": detail,
            "may_manage": may_manage,
            "candidates": candidates,
            "q": q,
            "modes": doorstep.MODES,
            "base": f"/t/{ctx.slug}/doorstep",
            "error": error,
            "done": DONE.get(str(request.query_params.get("done") or ""), ""),
        }
        return render(request, "doorstep/point.html", context, status_code=status_code)

    @get("/{division_id:int}", name="doorstep:point")
    async def point(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        division_id: FromPath[int],
    ) -> Response:
        return await self._point(request, ctx, principal, division_id)

    @post(
        "/{division_id:int}/delegations",
        name="doorstep:delegate",
        guards=[managers_only],
        status_code=303,
    )
    async def delegate(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        division_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        ids = []
        # No item ticked sends no item_id at all: getall needs its default then.
        for value in form.getall("item_id", []) if hasattr(form, "getall") else []:
            try:
                ids.append(int(value))
            except (TypeError, ValueError):
                continue
        try:
            await doorstep.delegate(ctx, principal, division_id, ids, form_text(form, "mode", 20))
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._point(
                request, ctx, principal, division_id, error=exc.message, status_code=400
            )
        return Redirect(
            path=f"/t/{ctx.slug}/doorstep/{division_id}?done=delegated", status_code=303
        )

    @post(
        "/{division_id:int}/delegations/{item_id:int}/revoke",
        name="doorstep:revoke",
        guards=[managers_only],
        status_code=303,
    )
    async def revoke(
        self,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        division_id: FromPath[int],
        item_id: FromPath[int],
    ) -> Response:
        await doorstep.revoke(ctx, principal, division_id, item_id)
        return Redirect(path=f"/t/{ctx.slug}/doorstep/{division_id}?done=revoked", status_code=303)
