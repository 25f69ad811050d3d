"""Thin actors: each calls one service. Jobs are idempotent."""

from __future__ import annotations

import dramatiq

from qingdan.core.jobs.broker import broker  # noqa: F401 (sets the broker before actors bind)


@dramatiq.actor(queue_name="default", max_retries=3)
async def refresh_item_index(tenant_id: int) -> int:
    """Recopy every item's searchable columns from its current document."""
    from qingdan.core.catalog.services import refresh_index
    from qingdan.core.tenancy.context import load_context

    ctx = await load_context(tenant_id=tenant_id)
    return await refresh_index(ctx)


@dramatiq.actor(queue_name="default", max_retries=3)
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


@dramatiq.actor(queue_name="default", max_retries=5, min_backoff=1000, max_backoff=60_000)
async def generate_guide(tenant_id: int, item_id: int, version_id: int) -> list[int]:
    """Render and store the 办事指南 PDFs of a newly published version (once).

    Sent from inside the publishing transaction, it may run before that commits:
    the version then reads as unpublished and the job retries shortly after.
    """
    from qingdan.core.publishing.services import generate_guides
    from qingdan.core.tenancy.context import load_context

    ctx = await load_context(tenant_id=tenant_id)
    return [row.id for row in await generate_guides(ctx, item_id, version_id)]
