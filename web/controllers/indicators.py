"""指标: the leaders' dashboard, the daily snapshot, and bulletins (通报).

The dashboard reads the latest snapshot (or, before the first, the figures as
of now). Charts are drawn by chart.js from JSON in the page; every figure is
also in a table, so the page reads without JavaScript. Leaders see every
agency (or their division's); an agency's staff see their own agency only.
Bulletins are issued and read by the tenant-wide leaders.
"""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core.errors import DomainError, PermissionDenied
from qingdan.core.indicators import (
    build_dashboard,
    issue_bulletin,
    list_bulletins,
    may_issue,
    read_pdf,
    take_snapshot,
)
from qingdan.core.indicators.dashboard import LEADER_ROLES, view_for
from qingdan.core.indicators.snapshots import get_snapshot, latest_snapshot
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.web.controllers.changes import content_disposition
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_text
from qingdan.web.rendering import render

#: The page, under ``/t/{slug}`` (web/nav.py links it for who may see it).
NAV_PATH = "/indicators"

DONE_MESSAGES = {
    "snapshot": "已生成今日指标快照。",
    "snapshot_kept": "今日快照已存在,保持不变(同一天只保存第一份快照)。",
}


def _may_snapshot(principal: Principal) -> bool:
    return any(g.role in LEADER_ROLES for g in principal.grants) and view_for(principal).sees_all


class IndicatorController(TenantController):
    path = "/t/{slug:str}/indicators"

    @get("/", name="indicators:dashboard")
    async def dashboard(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        indicator: FromQuery[str] = "",
        done: FromQuery[str] = "",
    ) -> Response:
        board = await build_dashboard(ctx, principal, indicator)
        return render(
            request,
            "indicators/dashboard.html",
            {
                "board": board,
                "base": f"/t/{ctx.slug}/indicators",
                "chart_data": board.chart_data(),
                "may_snapshot": _may_snapshot(principal),
                "done": DONE_MESSAGES.get(done, ""),
            },
        )

    @post("/snapshots", name="indicators:snapshot", status_code=303)
    async def snapshot(
        self, ctx: NamedDependency[TenantContext], principal: NamedDependency[Principal]
    ) -> Response:
        if not _may_snapshot(principal):
            raise PermissionDenied("只有租户管理员、审改机构和大数据中心可以生成指标快照")
        _row, taken = await take_snapshot(ctx)
        done = "snapshot" if taken else "snapshot_kept"
        return Redirect(path=f"/t/{ctx.slug}/indicators/?done={done}", status_code=303)

    async def _bulletins_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        *,
        done: str = "",
        error: str = "",
        status_code: int = 200,
    ) -> Response:
        bulletins = await list_bulletins(ctx, principal)
        latest = await latest_snapshot(ctx)
        preview = None
        if latest is not None:
            from qingdan.core.indicators import named_agencies

            rule = ctx.plugin.indicators(ctx.settings).bulletin
            preview = {"rule": rule, "named": named_agencies(latest["document"], rule)}
        return render(
            request,
            "indicators/bulletins.html",
            {
                "bulletins": bulletins,
                "latest": latest,
                "preview": preview,
                "base": f"/t/{ctx.slug}/indicators",
                "done": done,
                "error": error,
            },
            status_code=status_code,
        )

    @get("/bulletins", name="indicators:bulletins")
    async def bulletins(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        done: FromQuery[str] = "",
    ) -> Response:
        message = f"已签发第{done}期通报。" if done.isdigit() else ""
        return await self._bulletins_page(request, ctx, principal, done=message)

    @post("/bulletins", name="indicators:issue", status_code=303)
    async def issue(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        if not may_issue(principal):
            raise PermissionDenied("只有租户管理员、审改机构和大数据中心可以签发通报")
        form = await request.form()
        raw = form_text(form, "snapshot", 20)
        if not raw.isdigit():
            return await self._bulletins_page(
                request, ctx, principal, error="请选择通报所依据的指标快照", status_code=400
            )
        try:
            snapshot = await get_snapshot(ctx, int(raw))
            row = await issue_bulletin(ctx, principal, snapshot["id"])
        except PermissionDenied:
            raise
        except DomainError as exc:
            return await self._bulletins_page(
                request, ctx, principal, error=str(exc), status_code=400
            )
        return Redirect(
            path=f"/t/{ctx.slug}/indicators/bulletins?done={row['number']}", status_code=303
        )

    @get("/bulletins/{bulletin_id:int}/pdf", name="indicators:bulletin_pdf", opt={"nav": False})
    async def bulletin_pdf(
        self,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        bulletin_id: FromPath[int],
    ) -> Response:
        row, data = await read_pdf(ctx, principal, bulletin_id)
        return Response(
            content=data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": content_disposition(
                    f"{ctx.name}{row['title']}第{row['number']}期.pdf"
                ),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )
