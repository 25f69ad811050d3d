"""The signed-in user's work: the home page (待办), the review queue, notices,
and the obligations a change left behind."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core.indicators.dashboard import home_figures
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow.inbox import Inbox, inbox_for
from qingdan.core.workflow.notices import mark_read
from qingdan.core.workflow.obligations import mark_done
from qingdan.core.workflow.recent import recent_decisions, recent_publications
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_text
from qingdan.web.rendering import render, wants_block
from qingdan.web.workflow_views import obligations_for

NOTICES = "notices"
OBLIGATIONS = "obligations"


async def _inbox(request: Request, ctx: TenantContext, principal: Principal) -> Inbox:
    """The inbox the nav guard already loaded for this request, or a fresh one."""
    inbox = request.state.get("inbox")
    if inbox is None:
        inbox = await inbox_for(ctx, principal)
    return inbox


class InboxController(TenantController):
    path = "/t/{slug:str}"

    @get("/", name="tenant:home")
    async def home(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        inbox = await _inbox(request, ctx, principal)
        context = {"inbox": inbox, "base": f"/t/{ctx.slug}", "oob": False}
        if wants_block(request, NOTICES):
            return render(request, "inbox/home.html", context, block=NOTICES)
        # The tenant's recent changes, below the user's own work (the full page only).
        context |= {
            "recent_publications": await recent_publications(ctx),
            "recent_decisions": await recent_decisions(ctx),
            "key_figures": await home_figures(ctx, principal),
        }
        return render(request, "inbox/home.html", context)

    @post("/notices/{notice_id:int}/read", name="notices:read", status_code=303)
    async def read_notice(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        notice_id: FromPath[int],
    ) -> Response:
        await mark_read(ctx, principal, notice_id)
        if wants_block(request, NOTICES):
            inbox = await inbox_for(ctx, principal)
            context = {"inbox": inbox, "base": f"/t/{ctx.slug}", "oob": True}
            return render(request, "inbox/home.html", context, block=NOTICES, status_code=200)
        return Redirect(path=f"/t/{ctx.slug}/#notices", status_code=303)

    @get("/reviews", name="reviews:list")
    async def reviews(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        inbox = await _inbox(request, ctx, principal)
        return render(
            request, "inbox/reviews.html", {"waiting": inbox.waiting, "base": f"/t/{ctx.slug}"}
        )

    async def _obligations_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        done: bool = False,
    ) -> Response:
        context = {
            "obligations": await obligations_for(ctx, principal),
            "base": f"/t/{ctx.slug}",
            "done": done,
        }
        block = OBLIGATIONS if wants_block(request, OBLIGATIONS) else None
        return render(request, "obligations/list.html", context, block=block)

    @get("/obligations", name="obligations:list")
    async def obligations(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        done: FromQuery[str] = "",
    ) -> Response:
        return await self._obligations_page(request, ctx, principal, done=done == "1")

    @post("/obligations/{obligation_id:int}/done", name="obligations:done", status_code=303)
    async def obligation_done(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        obligation_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        await mark_done(ctx, principal, obligation_id, form_text(form, "note", 500))
        if wants_block(request, OBLIGATIONS):
            return await self._obligations_page(request, ctx, principal, done=True)
        return Redirect(path=f"/t/{ctx.slug}/obligations?done=1", status_code=303)
