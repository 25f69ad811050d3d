"""认领: which catalog entries issued from above a clerk's agencies may still take up.

Read-only; the claim itself is :func:`qingdan.core.workflow.services.claim`.
"""

from __future__ import annotations

from typing import Any

from qingdan.core.catalog.schemas import unpack_codes
from qingdan.core.catalog.tables import CatalogEntry, Item
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.tenancy.tables import Agency


async def claimable_entries(ctx: TenantContext, principal: Principal) -> list[dict[str, Any]]:
    """Published catalog entries that some clerk agency of ``principal`` has not implemented.

    Each entry is a dict with ``id``, ``base_code``, ``name``, ``item_type``,
    ``source``, ``levels`` (a list of Level values) and ``agencies``: the
    principal's clerk agencies (``id``, ``name``) that may still claim it, so a
    clerk of several agencies chooses which one claims. Ordered by base code.
    A principal without a clerk grant for an agency gets an empty list.
    """
    agency_ids = principal.agency_ids(Role.clerk)
    if not agency_ids or principal.tenant_id != ctx.tenant_id:
        return []
    agencies = (
        await ctx.scope.select(Agency, Agency.id, Agency.name)
        .where(Agency.id.is_in(sorted(agency_ids)) & (Agency.active == True))  # noqa: E712
        .order_by(Agency.name)
    )
    if not agencies:
        return []
    implemented: dict[int, set[int]] = {}
    for row in await ctx.scope.select(Item, Item.catalog_entry, Item.agency).where(
        Item.agency.is_in([a["id"] for a in agencies])
    ):
        implemented.setdefault(row["catalog_entry"], set()).add(row["agency"])
    entries = (
        await ctx.scope.select(
            CatalogEntry,
            CatalogEntry.id,
            CatalogEntry.base_code,
            CatalogEntry.name,
            CatalogEntry.item_type,
            CatalogEntry.levels,
            CatalogEntry.source,
        )
        .where(CatalogEntry.status == ItemStatus.published.value)
        .order_by(CatalogEntry.base_code)
    )
    claimable = []
    for entry in entries:
        done = implemented.get(entry["id"], set())
        open_to = [{"id": a["id"], "name": a["name"]} for a in agencies if a["id"] not in done]
        if open_to:
            claimable.append(entry | {"levels": unpack_codes(entry["levels"]), "agencies": open_to})
    return claimable
