"""Thin actors: each calls one service. Jobs are idempotent."""

from __future__ import annotations

import dramatiq

from qingdan.core.jobs.broker import broker  # noqa: F401 (sets the broker before actors bind)
from qingdan.core.plugins import PluginError

# A tenant whose plugin is not installed (or fails to load) stays so until an
# administrator acts: its jobs fail at once instead of retrying for minutes.
PER_TENANT = {"throws": (PluginError,)}


@dramatiq.actor(queue_name="default", max_retries=3, **PER_TENANT)
async def refresh_item_index(tenant_id: int) -> int:
    """Recopy every item's searchable columns from its current document."""
    from qingdan.core.catalog.services import refresh_index
    from qingdan.core.tenancy.context import load_context

    ctx = await load_context(tenant_id=tenant_id)
    return await refresh_index(ctx)


@dramatiq.actor(queue_name="default", max_retries=3, **PER_TENANT)
async def scan_deadlines(tenant_id: int) -> dict:
    """Publish what reached its effective date; remind, flag and escalate deadlines."""
    import msgspec

    from qingdan.core.tenancy.context import load_context
    from qingdan.core.workflow.mail import send_pending
    from qingdan.core.workflow.scan import scan_tenant

    ctx = await load_context(tenant_id=tenant_id)
    report = await scan_tenant(ctx)
    # Whatever the scan (or the day's work) left for people, mailed if SMTP is set up.
    await send_pending(ctx)
    return msgspec.to_builtins(report)


@dramatiq.actor(queue_name="default", max_retries=3)
async def scan_all_tenants() -> int:
    """Queue a deadline scan for every active tenant (the scheduler calls this)."""
    from qingdan.core.tenancy.services import list_tenants

    tenants = [t for t in await list_tenants() if t["active"]]
    for tenant in tenants:
        scan_deadlines.send(tenant["id"])
    return len(tenants)


@dramatiq.actor(
    queue_name="default", max_retries=5, min_backoff=1000, max_backoff=60_000, **PER_TENANT
)
async def generate_guide(tenant_id: int, item_id: int, version_id: int) -> list[int]:
    """Render and store the 办事指南 PDFs of a newly published version (once).

    Sent from inside the publishing transaction, it may run before that commits:
    the version then reads as unpublished and the job retries shortly after.
    """
    from qingdan.core.publishing.services import generate_guides
    from qingdan.core.tenancy.context import load_context

    ctx = await load_context(tenant_id=tenant_id)
    return [row.id for row in await generate_guides(ctx, item_id, version_id)]


@dramatiq.actor(queue_name="default", max_retries=2, time_limit=30 * 60_000, **PER_TENANT)
async def export_list(tenant_id: int, run_id: int, spec: dict) -> int:
    """Write an export (core/exports) as the job run ``run_id``, with its progress."""
    from qingdan.core.errors import DomainError
    from qingdan.core.exports.services import run_export

    try:
        return await run_export(tenant_id, run_id, spec)
    except DomainError:
        return 0  # the run says what was wrong; another try would say it again


@dramatiq.actor(queue_name="default", max_retries=3, **PER_TENANT)
async def take_indicator_snapshot(tenant_id: int) -> int:
    """Take the tenant's indicator snapshot of today (once: a second run keeps the first)."""
    from qingdan.core.indicators.snapshots import take_snapshot
    from qingdan.core.tenancy.context import load_context

    ctx = await load_context(tenant_id=tenant_id)
    row, _taken = await take_snapshot(ctx)
    return row["id"]


@dramatiq.actor(queue_name="default", max_retries=3)
async def snapshot_all_tenants() -> int:
    """Queue today's indicator snapshot for every active tenant (the scheduler calls this)."""
    from qingdan.core.tenancy.services import list_tenants

    tenants = [t for t in await list_tenants() if t["active"]]
    for tenant in tenants:
        take_indicator_snapshot.send(tenant["id"])
    return len(tenants)


@dramatiq.actor(queue_name="default", max_retries=3, **PER_TENANT)
async def issue_publication(tenant_id: int, day: str) -> int | None:
    """Issue the tenant's scheduled publication of ``day`` (ISO date, Shanghai), if its
    plugin's schedule falls on that day and the catalog changed; the new number or None.
    Running it twice issues nothing more: the second finds nothing changed."""
    from datetime import date

    from qingdan.core.publishing.publications import issue_scheduled
    from qingdan.core.tenancy.context import load_context

    ctx = await load_context(tenant_id=tenant_id)
    publication = await issue_scheduled(ctx, date.fromisoformat(day))
    return publication.number if publication else None


@dramatiq.actor(queue_name="default", max_retries=3)
async def publish_all_tenants() -> int:
    """Queue the evening's scheduled publication for every active tenant (the scheduler calls this)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from qingdan.core.tenancy.services import list_tenants

    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    tenants = [t for t in await list_tenants() if t["active"]]
    for tenant in tenants:
        issue_publication.send(tenant["id"], today)
    return len(tenants)


@dramatiq.actor(queue_name="default", max_retries=3, time_limit=30 * 60_000, **PER_TENANT)
async def run_quality_check(tenant_id: int) -> dict:
    """Run the tenant-wide quality check (质检) and store what it found."""
    import msgspec

    from qingdan.core.audit.services import Actor
    from qingdan.core.checks.services import run_tenant_check
    from qingdan.core.tenancy.context import load_context

    ctx = await load_context(tenant_id=tenant_id)
    summary = await run_tenant_check(ctx, Actor.system("定时质检"), trigger="schedule")
    return msgspec.to_builtins(msgspec.structs.replace(summary, disagreements=()))


@dramatiq.actor(queue_name="default", max_retries=3, time_limit=30 * 60_000, **PER_TENANT)
async def check_tenant_now(tenant_id: int, run_id: int, user_id: int | None) -> None:
    """The quality check a user started from the report page, with its run page."""
    from qingdan.core.checks.jobs import run_check_job

    await run_check_job(tenant_id, run_id, user_id)


@dramatiq.actor(queue_name="default", max_retries=3)
async def check_all_tenants() -> int:
    """Queue the quality check of every active tenant (the scheduler calls this nightly)."""
    from qingdan.core.tenancy.services import list_tenants

    tenants = [t for t in await list_tenants() if t["active"]]
    for tenant in tenants:
        run_quality_check.send(tenant["id"])
    return len(tenants)


@dramatiq.actor(queue_name="default", max_retries=3, time_limit=30 * 60_000)
async def import_catalog_release(
    tenant_id: int,
    run_id: int,
    key: str,
    filename: str,
    user_id: int | None,
    source: str | None = None,
    mode: str | None = None,
) -> None:
    """Import a catalog release from above kept in the file store (a large upload)."""
    from qingdan.core.imports.jobs import run_release_import

    await run_release_import(tenant_id, run_id, key, filename, user_id, source, mode)
