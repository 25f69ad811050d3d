"""后台任务: the page of one job run, its polled progress, and its result file.

A feature that starts a job redirects the user here (core/jobs/runs.py). The
page shows a <progress> bar; while the run is queued or running, htmx
re-fetches the ``run`` block of the same template every second, and a
``<meta refresh>`` does the same for a browser without JS. Once done, the
result link downloads the file, for its creator or a tenant_admin/data_center
of the tenant only.
"""

from __future__ import annotations

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from qingdan.core.errors import PermissionDenied
from qingdan.core.jobs import runs
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.web.controllers.changes import content_disposition
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.rendering import render, wants_block

TEMPLATE = "jobs/run.html"
BLOCK = "job-run"  # the element htmx polls; the template's ``run`` block
#: Seconds between refreshes without JS (htmx polls every second).
REFRESH_SECONDS = 2


def run_path(slug: str, run_id: int) -> str:
    """Where a feature sends the user after starting a job."""
    return f"/t/{slug}/jobs/{run_id}"


async def _visible_run(ctx: TenantContext, principal: Principal, run_id: int) -> dict:
    run = await runs.get_run(ctx.scope, run_id)  # NotFound for another tenant's run
    if not runs.may_view(run, principal):
        raise PermissionDenied("您无权查看该任务(只有发起人、租户管理员和大数据中心可以查看)")
    return run


class JobController(TenantController):
    path = "/t/{slug:str}/jobs"

    @get("/{run_id:int}", name="jobs:run")
    async def run_page(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        run_id: FromPath[int],
    ) -> Response:
        run = await _visible_run(ctx, principal, run_id)
        context = {
            "run": run,
            "run_url": run_path(ctx.slug, run_id),
            "may_download": runs.may_download(run, principal),
            "refresh_seconds": REFRESH_SECONDS,
        }
        block = "run" if wants_block(request, BLOCK) else None
        return render(request, TEMPLATE, context, block=block)

    @get("/{run_id:int}/download", name="jobs:download", opt={"nav": False})
    async def download(
        self,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        run_id: FromPath[int],
    ) -> Response:
        run = await runs.get_run(ctx.scope, run_id)
        if not runs.may_download(run, principal):
            raise PermissionDenied("只有任务发起人、租户管理员和大数据中心可以下载该结果")
        data, name, media_type = await runs.read_result(ctx.scope, run_id)
        return Response(
            content=data,
            media_type=media_type,
            headers={
                "Content-Disposition": content_disposition(name),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )
