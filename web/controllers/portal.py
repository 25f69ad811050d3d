"""The public portal, no sign-in: ``/p/{slug}/`` and below.

- ``/p/{slug}/``: search box, facets with counts, the published items (a plain
  GET form; with htmx the same request swaps ``#results`` only).
- ``/p/{slug}/items/{id}``: the guide of the item's published version, with
  its PDFs and those of every earlier published version.
- ``/p/{slug}/items/{id}/guide.pdf?kind=screen|print&version=ID``: a PDF.
- ``/p/{slug}/catalog``: the catalog entries in use.

Only published versions are read (core/publishing/portal.py); a suspended
item is listed and its guide shown, marked 暂停受理; a cancelled or never
published item is 404, as is another tenant's. Every response carries an
ETag (and a guide or PDF its version's Last-Modified) and
``Cache-Control: public``, and answers 304 to a matching If-None-Match or
If-Modified-Since, so a hall kiosk or a proxy can keep it. These paths take
no session or CSRF cookie (web/app.py), so nothing private is ever cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery

from qingdan.core.catalog.schemas import PAGE_SIZES
from qingdan.core.catalog.vocab import ItemType, Level, ServiceKind
from qingdan.core.errors import DomainError
from qingdan.core.publishing import portal
from qingdan.core.publishing.search import AUDIENCE_GROUPS
from qingdan.core.publishing.services import GuideKind, guide_pdf
from qingdan.core.tenancy.context import TenantContext, load_context
from qingdan.web.forms import page_window, query_string
from qingdan.web.rendering import wants_block

RESULTS = "results"
#: Lists, pages and the current version's PDF: five minutes, then revalidate.
CACHE_CONTROL = "public, max-age=300"
#: One version's PDF never changes.
IMMUTABLE = "public, max-age=31536000, immutable"
MAX_Q = 100


# Conditional responses (also used by the JSON API) ------------------------------------------


def http_date(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(UTC), usegmt=True)


def body_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def not_modified(request: Request, etag: str, last_modified: datetime | None = None) -> bool:
    """True when the client's copy is current (RFC 9110: If-None-Match first;
    If-Modified-Since only without it, at one-second precision)."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = [_opaque(t) for t in match.split(",")]
        return "*" in tags or _opaque(etag) in tags
    since_header = request.headers.get("if-modified-since")
    if since_header and last_modified is not None:
        try:
            since = parsedate_to_datetime(since_header)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        if last_modified.tzinfo is None:
            last_modified = last_modified.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= since
    return False


def cacheable(
    request: Request,
    body: bytes,
    media_type: str,
    *,
    etag: str | None = None,
    last_modified: datetime | None = None,
    cache_control: str = CACHE_CONTROL,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``body`` with its validators, or 304 when the client already has it."""
    etag = etag or body_etag(body)
    out = {"ETag": etag, "Cache-Control": cache_control, **(headers or {})}
    if last_modified is not None:
        out["Last-Modified"] = http_date(last_modified)
    if not_modified(request, etag, last_modified):
        return Response(content=b"", status_code=304, headers=out)
    return Response(content=body, media_type=media_type, headers=out)


# Pages -------------------------------------------------------------------------------------


async def portal_context(slug: FromPath[str]) -> TenantContext:
    """The tenant of ``/p/{slug}``: an unknown or inactive one is 404."""
    return await load_context(slug=slug)


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _choice(value: Any, allowed: Any) -> str:
    return value if isinstance(value, str) and value in allowed else ""


def portal_query(params: Mapping[str, Any]) -> portal.PortalQuery:
    """The list's query from request parameters; anything malformed is left out."""
    page_size = _int(params.get("page_size"))
    theme = params.get("theme")
    return portal.PortalQuery(
        q=str(params.get("q") or "").strip()[:MAX_Q],
        agency=_int(params.get("agency")),
        item_type=_choice(params.get("item_type"), {t.value for t in ItemType}),
        theme=theme.strip()[:100] if isinstance(theme, str) else "",
        service_kind=_choice(params.get("service_kind"), {k.value for k in ServiceKind}),
        audience=_choice(params.get("audience"), AUDIENCE_GROUPS),
        level=_choice(params.get("level"), {lv.value for lv in Level}),
        entry=_int(params.get("entry")),
        page=_int(params.get("page")) or 1,
        page_size=page_size if page_size in PAGE_SIZES else PAGE_SIZES[0],
    )


def _render(
    request: Request, template_name: str, context: Mapping[str, Any], block: str | None = None
) -> bytes:
    """A portal template as bytes (so its ETag can be taken): the whole page, or one block."""
    engine = request.app.template_engine
    assert engine is not None
    template = engine.get_template(template_name)
    values = {"request": request, **context}
    if block is None:
        return template.render(values).encode()
    return "".join(template.blocks[block](template.new_context(values))).encode()


def _page(
    request: Request,
    template_name: str,
    context: Mapping[str, Any],
    *,
    block: str | None = None,
    last_modified: datetime | None = None,
) -> Response:
    body = _render(request, template_name, context, block)
    return cacheable(
        request,
        body,
        MediaType.HTML,
        last_modified=last_modified,
        # The same address gives a whole page or its #results block.
        headers={"Vary": "HX-Request, HX-Target"},
    )


def _common(ctx: TenantContext) -> dict[str, Any]:
    return {"slug": ctx.slug, "tenant_name": ctx.name, "base": f"/p/{ctx.slug}"}


class PortalController(Controller):
    """办事指南公开查询: a tenant's published items, for anyone."""

    path = "/p/{slug:str}"
    dependencies = {"ctx": Provide(portal_context)}  # noqa: RUF012
    include_in_schema = False

    @get("/", name="portal-home")
    async def home(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        query = portal_query(request.query_params)
        result = await portal.browse(ctx, query)
        base = f"/p/{ctx.slug}/"

        def url(**changes: Any) -> str:
            return base + query_string(query, **({"page": 1} | changes)).rstrip("?")

        def facet_url(key: str, value: str | None) -> str:
            if key == "agency":
                return url(agency=int(value) if value else None)
            return url(**{key: value or ""})

        def page_url(n: int) -> str:
            return url(page=n)

        chips = [
            (facet.title, facet.selected.label, facet_url(facet.key, None))
            for facet in result.facets
            if facet.selected is not None
        ]
        context = _common(ctx) | {
            "query": query,
            "page": result,
            "pages": page_window(result.page, result.pages),
            "chips": chips,
            "url": url,
            "facet_url": facet_url,
            "page_url": page_url,
            "filtered": bool(chips or query.entry),
        }
        block = RESULTS if wants_block(request, RESULTS) else None
        return _page(request, "portal/home.html", context, block=block)

    @get("/items/{item_id:int}", name="portal-guide")
    async def guide(
        self, request: Request, ctx: NamedDependency[TenantContext], item_id: FromPath[int]
    ) -> Response:
        detail, guide = await portal.guide_page(ctx, item_id)
        context = _common(ctx) | {
            "item": detail.item,
            "detail": detail,
            "guide": guide,
            "qr": "",
        }
        # A suspension changes the page but not the version: the page's
        # ETag follows it; Last-Modified (the publication) only while in use.
        last_modified = None if detail.item.suspended else detail.item.published_at
        return _page(request, "portal/guide.html", context, last_modified=last_modified)

    @get("/items/{item_id:int}/guide.pdf", name="portal-guide-pdf")
    async def guide_pdf(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        item_id: FromPath[int],
        kind: FromQuery[str] = GuideKind.screen.value,
        version: FromQuery[int | None] = None,
    ) -> Response:
        if kind not in {k.value for k in GuideKind}:
            raise DomainError(f"办事指南类型“{kind}”不存在(应为 screen 或 print)", "kind")
        version_id, published_at = await portal.guide_version(ctx, item_id, version)
        cache_control = IMMUTABLE if version is not None else CACHE_CONTROL
        sha = await portal.stored_pdf_sha256(ctx, version_id, kind)
        if sha is not None:
            etag = f'"{sha}"'
            if not_modified(request, etag, published_at):
                return cacheable(
                    request,
                    b"",
                    "application/pdf",
                    etag=etag,
                    last_modified=published_at,
                    cache_control=cache_control,
                )
        data, meta = await guide_pdf(ctx, item_id, version_id, kind)
        return cacheable(
            request,
            data,
            meta.content_type,
            etag=f'"{meta.sha256}"',
            last_modified=published_at,
            cache_control=cache_control,
            headers={"Content-Disposition": _attachment(meta.filename)},
        )

    @get("/catalog", name="portal-catalog")
    async def catalog(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        lines = await portal.published_catalog(ctx)
        groups: dict[str, list[portal.CatalogLine]] = {}
        for line in lines:
            groups.setdefault(line.item_type_label, []).append(line)
        order = {t.label: n for n, t in enumerate(ItemType)}
        context = _common(ctx) | {
            "groups": sorted(groups.items(), key=lambda pair: order.get(pair[0], 99)),
            "total": len(lines),
            "in_use": sum(1 for line in lines if line.agencies),
        }
        return _page(request, "portal/catalog.html", context)


def _attachment(filename: str) -> str:
    """Content-Disposition with the Chinese file name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"guide.pdf\"; filename*=UTF-8''{quote(filename)}"
