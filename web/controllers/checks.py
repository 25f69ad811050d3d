"""质检: the tenant-wide quality check, its report by agency, and the xlsx download.

For 大数据中心, 审改机构 and the tenant admin (``CHECK_ROLES``); everyone else
is refused on the server. ``POST /run`` queues the check as a job and sends the
user to its run page, which leads back to the report (the nightly job and
``qingdan check`` run the same service). The
report reads what is stored: open findings by agency, and the latest run's
consistency disagreements.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect

from qingdan.core.checks.jobs import active_check_run, start_tenant_check
from qingdan.core.checks.report import report_xlsx, rule_rows, run_line
from qingdan.core.checks.schemas import CHECK_ROLES
from qingdan.core.checks.services import tenant_report
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow.services import actor_of
from qingdan.web.controllers.changes import content_disposition
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.guards import requires_role, requires_tenant
from qingdan.web.nav import load_nav
from qingdan.web.rendering import render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DONE = {"run": "质检已完成,下面是最新的报告。"}


class CheckController(TenantController):
    path = "/t/{slug:str}/checks"
    guards = [requires_tenant, requires_role(*CHECK_ROLES), load_nav]  # noqa: RUF012

    @get("/", name="checks:report")
    async def report(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        agency: FromQuery[int | None] = None,
        done: FromQuery[str] = "",
    ) -> Response:
        report = await tenant_report(ctx)
        shown = [f for f in report.findings if agency is None or f["agency"] == agency]
        context = {
            "report": report,
            "run_line": run_line(report),
            "findings": shown,
            "agency": agency,
            "agency_name": next((a.agency for a in report.agencies if a.agency_id == agency), ""),
            "rules": rule_rows() + rule_rows(report.rules, ctx.plugin.jurisdiction.name),
            "base": f"/t/{ctx.slug}",
            "done": DONE.get(done, ""),
            "running": await active_check_run(ctx),
        }
        return render(request, "checks/report.html", context)

    @post("/run", name="checks:run", status_code=303)
    async def run(
        self, ctx: NamedDependency[TenantContext], principal: NamedDependency[Principal]
    ) -> Response:
        """立即运行质检: queued as a job (or the one under way); its run page shows
        the progress and leads back to the report."""
        run_id = await start_tenant_check(ctx, actor_of(principal))
        return Redirect(path=f"/t/{ctx.slug}/jobs/{run_id}", status_code=303)

    @get("/report.xlsx", name="checks:xlsx", opt={"nav": False})
    async def xlsx(self, ctx: NamedDependency[TenantContext]) -> Response:
        report = await tenant_report(ctx)
        data = report_xlsx(report, ctx.plugin.jurisdiction.name)
        day = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
        return Response(
            content=data,
            media_type=XLSX,
            headers={
                "Content-Disposition": content_disposition(f"{ctx.name}质检报告{day}.xlsx"),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )
