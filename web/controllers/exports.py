"""导出: the page to export a published list, and starting the export as a job.

The page (``GET /t/{slug}/exports``) takes the item list's own query string,
so the list's "导出当前筛选" link opens it with the current filter set; the
form posts to start the job, and the user lands on the job's run page
(web/controllers/jobs.py) with its progress bar and, when done, the download.
Only published versions are exported, which every user of the tenant may read.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect

from qingdan.core.errors import DomainError, PermissionDenied
from qingdan.core.exports import FORMATS, LISTS, ExportSpec, spec_from_params, start_export
from qingdan.core.exports.services import RUN_KIND, describe_filters
from qingdan.core.exports.source import select
from qingdan.core.jobs import runs
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.tenancy.services import list_agencies, list_divisions
from qingdan.web.controllers.jobs import run_path
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.rendering import render

TEMPLATE = "exports/page.html"
#: The item list's filters the export page carries along without a field of its own.
CARRIED = ("q", "status", "level", "theme", "service_kind", "sort", "descending")
FORM_FILTERS = {"实施机构", "行政区划", "事项类型"}
RECENT_RUNS = 10


def carried_fields(spec: ExportSpec) -> list[tuple[str, str]]:
    """Hidden form fields keeping the list's other filters (defaults left out)."""
    defaults = ExportSpec()
    fields = []
    for name in CARRIED:
        value = getattr(spec, name)
        if value != getattr(defaults, name):
            fields.append(("desc", "1") if name == "descending" else (name, str(value)))
    return fields


class ExportController(TenantController):
    path = "/t/{slug:str}/exports"

    async def _page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        spec: ExportSpec,
        *,
        error: str = "",
        status_code: int = 200,
    ) -> Response:
        filters = await describe_filters(ctx, spec)
        counts = {
            kind: (await select(ctx, ExportSpec(**(_fields(spec) | {"list": kind})))).total
            for kind in LISTS
        }
        context: dict[str, Any] = {
            "base_url": f"/t/{ctx.slug}/exports",
            "spec": spec,
            "lists": LISTS,
            "formats": FORMATS,
            "counts": counts,
            "carried": carried_fields(spec),
            "carried_filters": [f for f in filters if f[0] not in FORM_FILTERS],
            "agencies": await list_agencies(ctx.scope),
            "divisions": await list_divisions(ctx.scope),
            "item_types": [(t.value, t.label) for t in ctx.plugin.item_types(ctx.settings)],
            "recent": await runs.list_runs(
                ctx.scope, user_id=principal.user_id, kind=RUN_KIND, limit=RECENT_RUNS
            ),
            "error": error,
        }
        return render(request, TEMPLATE, context, status_code=status_code)

    @get("/", name="exports:page")
    async def page(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        return await self._page(request, ctx, principal, spec_from_params(request.query_params))

    @post("/", name="exports:start", status_code=303)
    async def start(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        spec = spec_from_params(form)
        try:
            run_id = await start_export(ctx, principal.user_id, spec)
        except PermissionDenied:
            raise
        except DomainError as exc:
            return await self._page(
                request, ctx, principal, spec, error=exc.message, status_code=400
            )
        return Redirect(path=run_path(ctx.slug, run_id), status_code=303)


def _fields(spec: ExportSpec) -> dict[str, Any]:
    return {f: getattr(spec, f) for f in spec.__struct_fields__}
