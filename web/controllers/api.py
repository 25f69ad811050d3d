"""The open, read-only JSON API of published data: ``/api/v1/...``, no sign-in.

The same published versions the portal shows (core/publishing/portal.py),
never a draft: the tenants served, a tenant's items (search and facets as on
the portal), one item's published element document with its guide's PDFs,
and the catalog entries in use; the publications of the catalog with their
announcements (what each added, changed element by element, and cancelled);
and the published catalog as CPSV-AP 3.2 JSON-LD.

The response types are msgspec Structs, so the OpenAPI schema served at
``/api/schema/openapi.json`` documents them. Responses carry an ETag and
``Cache-Control: public, max-age=300`` and answer 304 when unchanged; any
origin may read them (``Access-Control-Allow-Origin: *``). Errors are JSON:
``{"status_code": 404, "detail": "..."}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, QueryParameter

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.schemas import PAGE_SIZES
from qingdan.core.catalog.vocab import ItemType, Level, ServiceKind
from qingdan.core.errors import DomainError, NotFound
from qingdan.core.publishing import cpsv, portal, publications
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.services import list_tenants
from qingdan.web.controllers.portal import cacheable, portal_context

JSON = "application/json"
OPEN = {"Access-Control-Allow-Origin": "*"}
TAGS = ["公开数据 Published data"]


class ApiError(msgspec.Struct, kw_only=True):
    status_code: int
    detail: str


class TenantInfo(msgspec.Struct, kw_only=True):
    slug: str
    name: str
    division_code: str
    portal_url: str
    api_url: str


class ItemList(msgspec.Struct, kw_only=True):
    """One page of published items, with the facet counts of the whole result."""

    items: list[portal.PortalItem]
    total: int
    page: int
    page_size: int
    pages: int
    facets: list[portal.Facet]
    expansions: list[str]  # the guide's words an everyday phrase was also searched as


class ItemDocument(msgspec.Struct, kw_only=True):
    """An item's published version: its list row, its element document (the
    published one, never a draft) and the PDFs of every published version."""

    item: portal.PortalItem
    document: ElementDocument  # the published element document (要素)
    guide_url: str
    pdf_url: str
    print_pdf_url: str
    versions: list[portal.GuideVersion]


class PublicationList(msgspec.Struct, kw_only=True):
    """The tenant's publications, newest first, and their Atom feed."""

    publications: list[publications.PublicationSummary]
    total: int
    feed_url: str


class Catalog(msgspec.Struct, kw_only=True):
    entries: list[portal.CatalogLine]
    total: int


#: Documented on every operation of a tenant: the tenant, or the object asked
#: for, does not exist (or the public does not see it). JSON, as ApiError.
NOT_FOUND = {404: ResponseSpec(data_container=ApiError, description="地区或对象不存在")}


def _json(request: Request, value: Any) -> Response:
    return cacheable(request, msgspec.json.encode(value), JSON, headers=OPEN)


def _error(status_code: int, detail: str) -> Response:
    return Response(
        content=ApiError(status_code=status_code, detail=detail),
        status_code=status_code,
        media_type=JSON,
        headers=OPEN,
    )


def _not_found(_request: Request, exc: Exception) -> Response:
    return _error(404, getattr(exc, "args", [""])[0] or "不存在")


def _bad_request(_request: Request, exc: Exception) -> Response:
    detail = getattr(exc, "message", None) or "请求参数有误"
    return _error(400, str(detail))


def _http_error(_request: Request, exc: HTTPException) -> Response:
    return _error(exc.status_code, str(exc.detail))


@get(
    "/api/v1/tenants",
    name="api-tenants",
    tags=TAGS,
    summary="本平台服务的地区",
    include_in_schema=True,
)
async def api_tenants(request: Request) -> Response[list[TenantInfo]]:
    """The jurisdictions (租户) served here, with their portal and API addresses."""
    tenants = [
        TenantInfo(
            slug=t["slug"],
            name=t["name"],
            division_code=t.get("division_code") or "",
            portal_url=f"/p/{t['slug']}/",
            api_url=f"/api/v1/tenants/{t['slug']}",
        )
        for t in await list_tenants()
        if t["active"]
    ]
    return _json(request, tenants)


class PublicApiController(Controller):
    """A tenant's published items, guides and catalog."""

    path = "/api/v1/tenants/{slug:str}"
    dependencies = {"ctx": Provide(portal_context)}  # noqa: RUF012
    include_in_schema = True
    tags = TAGS
    exception_handlers = {  # noqa: RUF012
        NotFound: _not_found,
        NotFoundException: _not_found,
        DomainError: _bad_request,
        ValidationException: _bad_request,
        HTTPException: _http_error,
    }

    @get("/items", name="api-items", responses=NOT_FOUND, summary="已发布事项:搜索、分类筛选、分页")
    async def items(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        q: Annotated[
            str,
            QueryParameter(description="搜索词(中文分词,含口语说法,如“开饭店”)", max_length=100),
        ] = "",
        agency: Annotated[int | None, QueryParameter(description="实施机构 id", gt=0)] = None,
        item_type: Annotated[ItemType | None, QueryParameter(description="事项类型")] = None,
        theme: Annotated[str, QueryParameter(description="主题代码", max_length=100)] = "",
        service_kind: Annotated[ServiceKind | None, QueryParameter(description="服务类型")] = None,
        audience: Annotated[
            Literal["person", "legal"] | None, QueryParameter(description="服务对象:个人/法人")
        ] = None,
        level: Annotated[Level | None, QueryParameter(description="行使层级")] = None,
        entry: Annotated[int | None, QueryParameter(description="基本目录事项 id", gt=0)] = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        page_size: Annotated[
            int, QueryParameter(description="每页条数: 20、50 或 100")
        ] = PAGE_SIZES[0],
    ) -> Response[ItemList]:
        """Published items of the tenant (a draft is never listed), best matches
        first when ``q`` is given, else by name; facet counts of the whole result."""
        if page_size not in PAGE_SIZES:
            raise DomainError("page_size 应为 20、50 或 100", "page_size")
        result = await portal.browse(
            ctx,
            portal.PortalQuery(
                q=q.strip(),
                agency=agency,
                item_type=item_type.value if item_type else "",
                theme=theme.strip(),
                service_kind=service_kind.value if service_kind else "",
                audience=audience or "",
                level=level.value if level else "",
                entry=entry,
                page=page,
                page_size=page_size,
            ),
        )
        return _json(
            request,
            ItemList(
                items=result.rows,
                total=result.total,
                page=result.page,
                page_size=result.page_size,
                pages=result.pages,
                facets=result.facets,
                expansions=result.expansions,
            ),
        )

    @get(
        "/items/{item_id:int}", name="api-item", responses=NOT_FOUND, summary="一个事项的已发布版本"
    )
    async def item(
        self, request: Request, ctx: NamedDependency[TenantContext], item_id: FromPath[int]
    ) -> Response[ItemDocument]:
        """The item's published element document and guide (404 for an item the
        public does not see: never published, cancelled, or another tenant's)."""
        detail = await portal.published_item(ctx, item_id)
        return _json(
            request,
            ItemDocument(
                item=detail.item,
                document=detail.document,
                guide_url=detail.item.url,
                pdf_url=detail.item.pdf_url,
                print_pdf_url=detail.print_pdf_url,
                versions=detail.versions,
            ),
        )

    @get(
        "/items/{item_id:int}/guides",
        name="api-item-guides",
        responses=NOT_FOUND,
        summary="办事指南的历次公布版本",
    )
    async def guides(
        self, request: Request, ctx: NamedDependency[TenantContext], item_id: FromPath[int]
    ) -> Response[list[portal.GuideVersion]]:
        """Every published version of the item's guide, newest first, with its PDFs."""
        detail = await portal.published_item(ctx, item_id)
        return _json(request, detail.versions)

    @get("/catalog", name="api-catalog", responses=NOT_FOUND, summary="在用的基本目录")
    async def catalog(
        self, request: Request, ctx: NamedDependency[TenantContext]
    ) -> Response[Catalog]:
        """The catalog entries in use, by base code, with the number of agencies
        implementing each that the public can see."""
        lines = await portal.published_catalog(ctx)
        return _json(request, Catalog(entries=lines, total=len(lines)))

    @get("/publications", name="api-publications", responses=NOT_FOUND, summary="目录清单历次公布")
    async def publication_list(
        self, request: Request, ctx: NamedDependency[TenantContext]
    ) -> Response[PublicationList]:
        """Every publication of the catalog, newest first: its number, date and
        how many entries and items it added, changed and cancelled."""
        items = await publications.list_publications(ctx)
        return _json(
            request,
            PublicationList(
                publications=items,
                total=len(items),
                feed_url=publications.FEED_PATH.format(slug=ctx.slug),
            ),
        )

    @get(
        "/publications/{number:int}",
        name="api-publication",
        responses=NOT_FOUND,
        summary="一期公布的公告",
    )
    async def publication(
        self, request: Request, ctx: NamedDependency[TenantContext], number: FromPath[int]
    ) -> Response[publications.Announcement]:
        """The announcement (公告) of publication ``number``: the catalog entries and
        items it added, changed (with the elements that changed, before and after)
        and cancelled since the previous one."""
        return _json(request, await publications.get_announcement(ctx, number))

    @get(
        "/cpsv-ap",
        name="api-cpsv-ap",
        responses=NOT_FOUND,
        summary="已发布目录清单(CPSV-AP 3.2 JSON-LD)",
        media_type=cpsv.MEDIA_TYPE,
    )
    async def cpsv_ap(
        self, request: Request, ctx: NamedDependency[TenantContext]
    ) -> Response[dict[str, Any]]:
        """The published catalog as CPSV-AP 3.2 JSON-LD (PublicService, PublicOrganisation,
        Requirement, Evidence, Output, Cost, Channel, Rule, LegalResource, ContactPoint),
        valid against the official SHACL shapes. Its context is the release's."""
        document = await cpsv.export_catalog_jsonld(ctx)
        return cacheable(request, msgspec.json.encode(document), cpsv.MEDIA_TYPE, headers=OPEN)
