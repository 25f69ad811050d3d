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
