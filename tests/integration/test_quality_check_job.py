"""The nightly 质检: the scheduler queues it, the job runs the tenant check."""

import pytest

from qingdan.core.catalog.services import create_item, get_item, save_draft
from qingdan.core.catalog.validation import dump_document
from qingdan.core.checks.services import latest_run, open_findings_by_agency
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM
from qingdan.core.testing.jobs import settle

pytestmark = [pytest.mark.db, pytest.mark.jobs]


async def test_the_scheduled_job_runs_the_tenant_check_once_per_run(make_tenant, job_worker):
    from qingdan.core.jobs.actors import run_quality_check

    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.current) | SAMPLE_PLACE | {"visits": 2, "visits_reason": "-"}
    await save_draft(t.ctx, SYSTEM, item.id, doc, detail.item["lock_version"])

    run_quality_check.send(t.tenant_id)
    await settle(job_worker)
    run = await latest_run(t.ctx)
    assert run["trigger"] == "schedule" and run["items_checked"] == 1
    counts = await open_findings_by_agency(t.ctx.scope)
    assert counts[t.agency_ids[0]] >= 1

    run_quality_check.send(t.tenant_id)
    await settle(job_worker)
    again = await latest_run(t.ctx)
    assert again["id"] != run["id"] and (again["new_findings"], again["resolved_findings"]) == (
        0,
        0,
    )
    assert await open_findings_by_agency(t.ctx.scope) == counts


async def test_a_check_started_by_a_user_reports_on_its_run_and_is_audited_as_theirs(
    make_tenant, job_worker
):
    from datetime import UTC, datetime, timedelta

    from qingdan.core.audit.tables import AuditEntry
    from qingdan.core.checks.jobs import KIND, active_check_run, start_tenant_check
    from qingdan.core.jobs import runs
    from qingdan.core.jobs.tables import JobRun
    from qingdan.core.tenancy.services import load_principal
    from qingdan.core.workflow.services import actor_of

    t = await make_tenant()
    await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    # A run its worker lost long ago does not hold back a new check.
    lost = await runs.create_run(t.ctx.scope, kind=KIND, title="全租户质检", user_id=None)
    await t.ctx.scope.update(
        JobRun,
        {JobRun.status: "running", JobRun.created_at: datetime.now(UTC) - timedelta(hours=2)},
    ).where(JobRun.id == lost)
    assert await active_check_run(t.ctx) is None

    data_center = await load_principal(t.users["data_center"])
    run_id = await start_tenant_check(t.ctx, actor_of(data_center))
    assert run_id != lost and await active_check_run(t.ctx) == run_id
    await settle(job_worker)
    run = await runs.get_run(t.ctx.scope, run_id)
    assert run["status"] == "done" and run["done"] == run["total"] == 1
    assert run["message"].startswith("检查了1个事项") and run["result_url"].endswith("?done=run")
    assert (await latest_run(t.ctx))["trigger"] == "manual"
    (entry,) = await AuditEntry.select().where(
        (AuditEntry.tenant == t.tenant_id) & (AuditEntry.action == "checks.run")
    )
    assert entry["actor"] == data_center.user_id
    assert await active_check_run(t.ctx) is None


def test_the_scheduler_queues_every_tenants_check_nightly(monkeypatch):
    from apscheduler.schedulers.background import BackgroundScheduler

    from qingdan.core.jobs.scheduler import CHECK_AT, SNAPSHOT_AT, start_scheduler

    monkeypatch.setattr(BackgroundScheduler, "start", lambda self: None)  # inspect, do not run
    scheduler = start_scheduler()
    job = scheduler.get_job("check_all_tenants")
    assert job is not None and job.func.__self__.actor_name == "check_all_tenants"
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == tuple(str(v) for v in CHECK_AT)
    # Before the indicator snapshot, which counts the open findings.
    assert CHECK_AT < SNAPSHOT_AT
