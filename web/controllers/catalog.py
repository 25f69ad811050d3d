"""The catalog (基本目录): the filterable list of the tenant's entries, an entry's
page, and proposing its cancellation (取消) as a change request.

Creating and amending an entry need the element editor, which is not built
yet; the entry page says so. Who may propose is decided by the service
(``submit_catalog_change``); the page only spares others a form they could
not send.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from qingdan.core.catalog.queries import ENTRY_STATUSES, SOURCES, entry_overview, list_entries
from qingdan.core.catalog.schemas import PAGE_SIZES
from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow.catalog_changes import submit_catalog_change
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.display import IMPLEMENTATION_ELEMENTS, document_groups
from qingdan.web.forms import entry_query, form_date, form_text, page_window, query_string
from qingdan.web.rendering import render, wants_block
from qingdan.web.workflow_views import field_errors, may_propose_catalog

RESULTS = "results"
CANCEL_FIELDS = ("kind", "reason", "cancel_basis", "document_number", "effective_date")


class CatalogController(TenantController):
    path = "/t/{slug:str}/catalog"

    @get("/", name="catalog:list")
    async def index(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        query = entry_query(request.query_params)
        page = await list_entries(ctx, query)
        base_url = f"/t/{ctx.slug}/catalog"
        context: dict[str, Any] = {
            "query": query,
            "page": page,
            "base_url": base_url,
            "page_url": lambda n: base_url + query_string(query, page=n),
            "pages": page_window(page.page, page.pages),
        }
        if wants_block(request, RESULTS):
            # The filter form stays on the page; only the table is replaced.
            return render(request, "catalog/list.html", context, block=RESULTS)
        context |= {
            "item_types": [(t.value, t.label) for t in ctx.plugin.item_types(ctx.settings)],
            "statuses": [(s.value, s.label) for s in ENTRY_STATUSES],
            "sources": list(SOURCES.items()),
            "page_sizes": PAGE_SIZES,
        }
        return render(request, "catalog/list.html", context)

    async def _detail_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        entry_id: int,
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        overview = await entry_overview(ctx, entry_id)
        doc = overview.document
        context = {
            "overview": overview,
            "entry": overview.entry,
            "groups": document_groups(doc, omit=IMPLEMENTATION_ELEMENTS) if doc else [],
            "may_propose": await may_propose_catalog(ctx, principal),
            "base": f"/t/{ctx.slug}",
            "errors": errors or {},
            "values": values or {},
        }
        return render(request, "catalog/detail.html", context, status_code=status_code)

    @get("/{entry_id:int}", name="catalog:detail")
    async def detail(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        entry_id: FromPath[int],
    ) -> Response:
        return await self._detail_page(request, ctx, principal, entry_id)

    @post("/{entry_id:int}/changes", name="catalog:submit_change", status_code=303)
    async def submit_change(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        entry_id: FromPath[int],
    ) -> Response:
        """提交基本目录取消申请; on success, to the new request's page."""
        form = await request.form()
        values = {name: form_text(form, name) for name in CANCEL_FIELDS}
        try:
            if (values["kind"] or ChangeKind.cancel.value) != ChangeKind.cancel.value:
                raise DomainError("新增和变更基本目录事项需要要素编辑器,目前只能提交取消", "kind")
            cr = await submit_catalog_change(
                ctx,
                principal,
                ChangeKind.cancel,
                values["reason"],
                entry_id=entry_id,
                cancel_basis=values["cancel_basis"],
                document_number=values["document_number"],
                effective_date=form_date(form, "effective_date", "生效日期"),
            )
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._detail_page(
                request,
                ctx,
                principal,
                entry_id,
                errors=field_errors(exc, CANCEL_FIELDS),
                values=values,
                status_code=400,
            )
        return Redirect(path=f"/t/{ctx.slug}/changes/{cr.id}?done=submit", status_code=303)
