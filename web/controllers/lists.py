"""各类清单: the lists the tenant keeps, as pages and Excel downloads.

Signed in (``/t/{slug}/lists``): every list the tenant keeps, for every role:
the lists are read off published items, which every signed-in user may see.
Public (``/p/{slug}/lists``): the lists the plugin publishes (告知承诺 and
容缺受理 among them), with the portal's caching headers and no session. A list
the tenant does not keep, or does not publish, is 404.

Each list page is a GET form (search by name); with htmx the same request
swaps ``#results`` only. ``…/{kind}/export.xlsx`` downloads the list as it is
now, headed in Chinese.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import FromPath

from qingdan.core.catalog import lists
from qingdan.core.tenancy.context import TenantContext
from qingdan.web.controllers.portal import cacheable, portal_context
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.rendering import render, wants_block

RESULTS = "results"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_Q = 100


def attachment(filename: str) -> str:
    """Content-Disposition with the Chinese file name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"list.xlsx\"; filename*=UTF-8''{quote(filename)}"


def _q(request: Request) -> str:
    return " ".join(str(request.query_params.get("q") or "").split())[:MAX_Q]


async def _list_context(ctx: TenantContext, kind: str, q: str, base: str, *, public: bool) -> dict:
    spec = lists.spec_for(ctx, kind, public_only=public)
    built = await lists.build_list(ctx, spec, q)
    # An item links to its guide on the portal, or to its page for signed-in staff.
    items = f"/p/{ctx.slug}/items" if public else f"/t/{ctx.slug}/items"
    return {
        "catalog_list": built,
        "item_url": lambda item_id: f"{items}/{item_id}",
        "q": q,
        "list_url": f"{base}/{spec.kind.value}",
        "export_url": f"{base}/{spec.kind.value}/export.xlsx"
        + (f"?{urlencode({'q': q})}" if q else ""),
    }


async def _xlsx(ctx: TenantContext, kind: str, q: str, *, public: bool) -> tuple[bytes, str, str]:
    """(workbook, file name, ETag). The workbook records when it was made, so its
    bytes differ on every request; the ETag is taken from what it lists."""
    spec = lists.spec_for(ctx, kind, public_only=public)
    built = await lists.build_list(ctx, spec, q)
    content = repr((built.title, built.basis, built.headings, built.rows, ctx.name))
    etag = '"' + hashlib.sha256(content.encode()).hexdigest()[:32] + '"'
    return lists.workbook_bytes(built, ctx.name), lists.filename(built, ctx.name), etag


class ListController(TenantController):
    """The tenant's lists, for every signed-in role."""

    path = "/t/{slug:str}/lists"

    @get("/", name="lists:index")
    async def index(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        context = {"lists": await lists.all_lists(ctx), "base": f"/t/{ctx.slug}/lists"}
        return render(request, "lists/index.html", context)

    @get("/{kind:str}", name="lists:list")
    async def one(
        self, request: Request, ctx: NamedDependency[TenantContext], kind: FromPath[str]
    ) -> Response:
        base = f"/t/{ctx.slug}/lists"
        context = await _list_context(ctx, kind, _q(request), base, public=False)
        context |= {"base": base, "public": False}
        block = RESULTS if wants_block(request, RESULTS) else None
        return render(request, "lists/list.html", context, block=block)

    @get("/{kind:str}/export.xlsx", name="lists:xlsx", opt={"nav": False})
    async def export(
        self, request: Request, ctx: NamedDependency[TenantContext], kind: FromPath[str]
    ) -> Response:
        data, name, _ = await _xlsx(ctx, kind, _q(request), public=False)
        return Response(
            content=data,
            media_type=XLSX,
            headers={"Content-Disposition": attachment(name), "Cache-Control": "no-store"},
        )


def portal_page(
    request: Request, template: str, context: dict[str, Any], block: str | None
) -> Response:
    engine = request.app.template_engine
    assert engine is not None
    tpl = engine.get_template(template)
    values = {"request": request, **context}
    if block is None:
        body = tpl.render(values).encode()
    else:
        body = "".join(tpl.blocks[block](tpl.new_context(values))).encode()
    return cacheable(request, body, MediaType.HTML, headers={"Vary": "HX-Request, HX-Target"})


def portal_common(ctx: TenantContext) -> dict[str, Any]:
    """What every portal page's layout needs."""
    return {"slug": ctx.slug, "tenant_name": ctx.name, "base": f"/p/{ctx.slug}"}


class PortalListController(Controller):
    """The lists the tenant publishes, for anyone (no session, cacheable)."""

    path = "/p/{slug:str}/lists"
    dependencies = {"ctx": Provide(portal_context)}  # noqa: RUF012
    include_in_schema = False

    @get("/", name="portal-lists")
    async def index(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        context = portal_common(ctx) | {"lists": await lists.all_lists(ctx, public_only=True)}
        return portal_page(request, "portal/lists.html", context, None)

    @get("/{kind:str}", name="portal-list")
    async def one(
        self, request: Request, ctx: NamedDependency[TenantContext], kind: FromPath[str]
    ) -> Response:
        base = f"/p/{ctx.slug}/lists"
        context = portal_common(ctx) | await _list_context(
            ctx, kind, _q(request), base, public=True
        )
        context |= {"public": True}
        block = RESULTS if wants_block(request, RESULTS) else None
        return portal_page(request, "portal/list.html", context, block)

    @get("/{kind:str}/export.xlsx", name="portal-list-xlsx")
    async def export(
        self, request: Request, ctx: NamedDependency[TenantContext], kind: FromPath[str]
    ) -> Response:
        data, name, etag = await _xlsx(ctx, kind, _q(request), public=True)
        return cacheable(
            request, data, XLSX, etag=etag, headers={"Content-Disposition": attachment(name)}
        )
