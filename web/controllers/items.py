"""A tenant's items: the filterable list, the detail page, and submitting a change.

The detail page carries the item's 调整 panel (its open change request, or the
form to start one) and the history of its change requests.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core.catalog.schemas import PAGE_SIZES, SORTS
from qingdan.core.catalog.services import get_item, item_versions, list_items
from qingdan.core.catalog.vocab import ItemStatus, Level
from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.tenancy.services import list_agencies, list_divisions
from qingdan.core.workflow.services import submit
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.display import document_groups
from qingdan.web.forms import form_date, form_text, item_query, page_window, query_string
from qingdan.web.rendering import render, wants_block
from qingdan.web.workflow_views import adjust_panel, field_errors

RESULTS = "results"
SUBMIT_FIELDS = ("kind", "reason", "cancel_basis", "document_number", "effective_date")


class ItemController(TenantController):
    path = "/t/{slug:str}/items"

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

    async def _detail_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        item_id: int,
        view: str = "",
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
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
        context: dict[str, Any] = {
            "item": detail.item,
            "detail": detail,
            "doc": doc,
            "showing": showing,
            "groups": document_groups(doc),
            "versions": versions,
            "base_url": f"/t/{ctx.slug}/items",
            "base": f"/t/{ctx.slug}",
            "adjust": await adjust_panel(ctx, principal, detail),
            "errors": errors or {},
            "values": values or {},
        }
        return render(request, "items/detail.html", context, status_code=status_code)

    @get("/{item_id:int}", name="items:detail")
    async def detail(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        item_id: FromPath[int],
        view: FromQuery[str] = "",
    ) -> Response:
        return await self._detail_page(request, ctx, principal, item_id, view)

    @post("/{item_id:int}/changes", name="items:submit_change", status_code=303)
    async def submit_change(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        item_id: FromPath[int],
    ) -> Response:
        """提交调整申请; on success, to the new request's page."""
        form = await request.form()
        values = {name: form_text(form, name) for name in SUBMIT_FIELDS}
        try:
            try:
                kind = ChangeKind(values["kind"])
            except ValueError:
                raise DomainError("请选择调整类型", "kind") from None
            cr = await submit(
                ctx,
                principal,
                item_id,
                kind,
                values["reason"],
                cancel_basis=values["cancel_basis"] if kind == ChangeKind.cancel else "",
                document_number=values["document_number"] if kind == ChangeKind.cancel else "",
                effective_date=form_date(form, "effective_date", "生效日期"),
            )
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._detail_page(
                request,
                ctx,
                principal,
                item_id,
                errors=field_errors(exc, SUBMIT_FIELDS),
                values=values,
                status_code=400,
            )
        return Redirect(path=f"/t/{ctx.slug}/changes/{cr.id}?done=submit", status_code=303)
