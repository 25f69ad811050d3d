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
