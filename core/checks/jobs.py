"""The tenant-wide quality check started from the report page, as a background job.

A tenant of 15,000 items takes longer to check than a page may take to answer,
so ``POST /checks/run`` creates a job run and sends ``check_tenant_now``
(core/jobs/actors.py), which calls :func:`run_check_job`; the user watches the
run page and is sent back to the report when it is done. While one check of
the tenant is queued or running, starting another sends the user to that one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qingdan.core.audit.services import Actor
from qingdan.core.jobs import runs
from qingdan.core.jobs.tables import JobRun
from qingdan.core.tenancy.context import TenantContext, load_context

KIND = "quality_check"
TITLE = "全租户质检"
#: A run older than the job's time limit that still says running was lost with
#: its worker: it no longer holds back a new one.
STALE_AFTER = timedelta(minutes=30)


async def active_check_run(ctx: TenantContext) -> int | None:
    """The id of the tenant's check that is queued or running now, if any."""
    since = datetime.now(UTC) - STALE_AFTER
    rows = (
        await ctx.scope.select(JobRun, JobRun.id)
        .where(
            (JobRun.kind == KIND)
            & JobRun.status.is_in(list(runs.ACTIVE))
            & (JobRun.created_at >= since)
        )
        .order_by(JobRun.id, ascending=False)
        .limit(1)
    )
    return rows[0]["id"] if rows else None


async def start_tenant_check(ctx: TenantContext, actor: Actor) -> int:
    """Queue the check (or find the one under way); returns the run id to watch."""
    from qingdan.core.jobs.actors import check_tenant_now
    from qingdan.core.jobs.dispatch import enqueue

    running = await active_check_run(ctx)
    if running is not None:
        return running
    run_id = await runs.create_run(ctx.scope, kind=KIND, title=TITLE, user_id=actor.user_id)
    await enqueue(check_tenant_now, ctx.tenant_id, run_id, actor.user_id)
    return run_id


async def run_check_job(tenant_id: int, run_id: int, user_id: int | None) -> None:
    """The job: check every item, then finish with a link to the report."""
    from qingdan.core.checks.services import run_tenant_check
    from qingdan.core.tenancy.services import load_principal

    ctx = await load_context(tenant_id=tenant_id)
    principal = await load_principal(user_id) if user_id else None
    actor = Actor(principal.user_id, principal.display_name) if principal else Actor.system("质检")

    async def progress(done: int, total: int, message: str) -> None:
        await runs.progress(ctx.scope, run_id, done, total, message)

    async with runs.failing_on_error(ctx.scope, run_id):
        await runs.start(ctx.scope, run_id)
        summary = await run_tenant_check(ctx, actor, trigger="manual", progress=progress)
    await runs.finish(
        ctx.scope,
        run_id,
        result_url=f"/t/{ctx.slug}/checks/?done=run",
        message=(
            f"检查了{summary.items_checked}个事项:新发现{summary.new}项,已整改{summary.resolved}项,"
            f"未整改{summary.open_block + summary.open_warn}项(其中阻止提交{summary.open_block}项)。"
        ),
    )
