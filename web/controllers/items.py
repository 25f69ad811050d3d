"""A tenant's items: the filterable list and the read-only detail page."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from qingdan.core.catalog.schemas import PAGE_SIZES, SORTS
from qingdan.core.catalog.services import get_item, item_versions, list_items
from qingdan.core.catalog.vocab import ItemStatus, Level
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.services import list_agencies, list_divisions
from qingdan.web.display import document_groups
from qingdan.web.forms import item_query, page_window, query_string
from qingdan.web.guards import provide_principal, provide_tenant_context, requires_tenant
from qingdan.web.rendering import render, wants_block

RESULTS = "results"


class ItemController(Controller):
    path = "/t/{slug:str}/items"
    # Class attributes Litestar reads once, when the app is built.
    guards = [requires_tenant]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "ctx": Provide(provide_tenant_context),
        "principal": Provide(provide_principal),
    }

    @get("/", name="items:list")
    async def index(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        query = item_query(request.query_params)
        page = await list_items(ctx, query)
        base_url = f"/t/{ctx.slug}/items"
        context = {
            "query": query,
            "page": page,
            "base_url": base_url,
            "page_url": lambda n: base_url + query_string(query, page=n),
            "pages": page_window(page.page, page.pages),
            "sorts": SORTS,
        }
        if wants_block(request, RESULTS):
            # The filter form stays on the page; only the table is replaced.
            return render(request, "items/list.html", context, block=RESULTS)
        # Choices for the filter form, needed on the full page only.
        context |= {
            "agencies": await list_agencies(ctx.scope),
            "divisions": await list_divisions(ctx.scope),
            "item_types": [(t.value, t.label) for t in ctx.plugin.item_types(ctx.settings)],
            "statuses": ItemStatus.choices(),
            "levels": Level.choices(),
            "page_sizes": PAGE_SIZES,
        }
        return render(request, "items/list.html", context)

    @get("/{item_id:int}", name="items:detail")
    async def detail(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        item_id: FromPath[int],
        view: FromQuery[str] = "",
    ) -> Response:
        detail = await get_item(ctx, item_id)
        versions = await item_versions(ctx, item_id)
        if view == "published" and detail.published is not None:
            showing, doc = "published", detail.published
        elif view == "draft" and detail.draft is not None:
            showing, doc = "draft", detail.draft
        else:
            showing = "draft" if detail.draft is not None else "published"
            doc = detail.current
        return render(
            request,
            "items/detail.html",
            {
                "item": detail.item,
                "detail": detail,
                "doc": doc,
                "showing": showing,
                "groups": document_groups(doc),
                "versions": versions,
                "base_url": f"/t/{ctx.slug}/items",
            },
        )
