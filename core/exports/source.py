"""What an export reads: published versions only, a batch at a time.

An item is exported when it has a published version the public may see
(status 在用 or 暂停, as on the portal); what is exported is that version, never
a draft or a change in review. The items are chosen with the item list's own
filter conditions, so "导出当前筛选" exports exactly the items the list shows
(those of them that are published). A catalog entry is exported when it is in
use, with its version in use.

Only the ids of the selection are held at once; rows and documents are read
in batches, so a list of 10,000 items exports with bounded memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from qingdan.core.catalog.services import _SORT_COLUMNS, item_conditions
from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item, ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.exports.columns import EntryRecord, ItemRecord
from qingdan.core.exports.spec import ExportSpec
from qingdan.core.publishing.search import VISIBLE_STATUSES
from qingdan.core.tenancy.context import TenantContext

#: Rows read per query: large enough to be quick, small enough to stay light.
BATCH = 500


def _live_items() -> Any:
    """Items with a published version the public may see."""
    return Item.published_version.is_not_null() & Item.status.is_in(list(VISIBLE_STATUSES))


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


@dataclass
class Selection:
    """The rows an export will write: how many, and the records batch by batch."""

    ctx: TenantContext
    list_kind: str
    ids: list[int]
    # Catalog only: {entry id: (agencies, items)} of the live items in the filter.
    counts: dict[int, tuple[int, int]]

    @property
    def total(self) -> int:
        return len(self.ids)

    async def batches(self) -> AsyncIterator[list[ItemRecord] | list[EntryRecord]]:
        for chunk in _chunks(self.ids):
            if self.list_kind == "items":
                yield await _item_records(self.ctx, chunk)
            else:
                yield await _entry_records(self.ctx, chunk, self.counts)


async def select(ctx: TenantContext, spec: ExportSpec) -> Selection:
    """The published rows ``spec`` asks for, in the order they are written."""
    if spec.list == "items":
        return Selection(ctx, "items", await _item_ids(ctx, spec), {})
    ids, counts = await _entry_ids(ctx, spec)
    return Selection(ctx, "catalog", ids, counts)


# Items --------------------------------------------------------------------------------------


async def _item_ids(ctx: TenantContext, spec: ExportSpec) -> list[int]:
    query = ctx.scope.select(Item, Item.id).where(_live_items())
    for condition in item_conditions(spec.item_query()):
        query = query.where(condition)
    sort = _SORT_COLUMNS.get(spec.sort, Item.name)
    rows = await query.order_by(sort, ascending=not spec.descending).order_by(Item.id)
    return [r["id"] for r in rows]


async def _item_records(ctx: TenantContext, ids: list[int]) -> list[ItemRecord]:
    scope = ctx.scope
    rows = await scope.select(
        Item,
        Item.id,
        Item.impl_code,
        Item.status,
        Item.published_version,
        Item.agency.name.as_alias("agency_name"),
        Item.agency.uscc.as_alias("agency_uscc"),
        Item.division.name.as_alias("division_name"),
        Item.division.code.as_alias("division_code"),
    ).where(Item.id.is_in(ids) & _live_items())
    versions = {
        v["id"]: v
        for v in await scope.select(
            ItemVersion,
            ItemVersion.id,
            ItemVersion.number,
            ItemVersion.document,
            ItemVersion.published_at,
        )
        .where(ItemVersion.id.is_in([r["published_version"] for r in rows] or [0]))
        .output(load_json=True)
    }
    by_id = {r["id"]: r for r in rows}
    records = []
    for item_id in ids:
        # An item unpublished between choosing and reading is left out, never
        # exported with some other version.
        row = by_id.get(item_id)
        version = versions.get(row["published_version"]) if row else None
        if version is None:
            continue
        records.append(
            ItemRecord(
                item_id=item_id,
                impl_code=row["impl_code"],
                status=row["status"],
                agency_name=row["agency_name"] or "",
                agency_uscc=row["agency_uscc"] or "",
                division_name=row["division_name"] or "",
                division_code=row["division_code"] or "",
                version_number=version["number"],
                published_at=version["published_at"],
                document=validate_document(version["document"]),
            )
        )
    return records


# Catalog entries -------------------------------------------------------------------------------


async def _entry_ids(
    ctx: TenantContext, spec: ExportSpec
) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """Entries in use (of the type asked), by base code; with agency or division
    filters, those implemented by a live item of that agency or division."""
    scope = ctx.scope
    query = scope.select(CatalogEntry, CatalogEntry.id).where(
        (CatalogEntry.status == ItemStatus.published.value)
        & CatalogEntry.current_version.is_not_null()
    )
    if spec.item_type:
        query = query.where(CatalogEntry.item_type == spec.item_type)
    entries = [
        r["id"] for r in await query.order_by(CatalogEntry.base_code).order_by(CatalogEntry.id)
    ]
    live = scope.select(Item, Item.catalog_entry, Item.agency).where(_live_items())
    if spec.agency_id:
        live = live.where(Item.agency == spec.agency_id)
    if spec.division_id:
        live = live.where(Item.division == spec.division_id)
    agencies: dict[int, set[int]] = {}
    items: dict[int, int] = {}
    for r in await live:
        agencies.setdefault(r["catalog_entry"], set()).add(r["agency"])
        items[r["catalog_entry"]] = items.get(r["catalog_entry"], 0) + 1
    if spec.agency_id or spec.division_id:
        entries = [e for e in entries if e in items]
    counts = {e: (len(agencies.get(e, ())), items.get(e, 0)) for e in entries}
    return entries, counts


async def _entry_records(
    ctx: TenantContext, ids: list[int], counts: dict[int, tuple[int, int]]
) -> list[EntryRecord]:
    scope = ctx.scope
    rows = await scope.select(
        CatalogEntry,
        CatalogEntry.id,
        CatalogEntry.base_code,
        CatalogEntry.source,
        CatalogEntry.current_version,
    ).where(CatalogEntry.id.is_in(ids) & (CatalogEntry.status == ItemStatus.published.value))
    versions = {
        v["id"]: v
        for v in await scope.select(
            CatalogEntryVersion,
            CatalogEntryVersion.id,
            CatalogEntryVersion.number,
            CatalogEntryVersion.document,
        )
        .where(CatalogEntryVersion.id.is_in([r["current_version"] for r in rows] or [0]))
        .output(load_json=True)
    }
    by_id = {r["id"]: r for r in rows}
    records = []
    for entry_id in ids:
        row = by_id.get(entry_id)
        version = versions.get(row["current_version"]) if row else None
        if version is None:
            continue
        agencies, items = counts.get(entry_id, (0, 0))
        records.append(
            EntryRecord(
                entry_id=entry_id,
                base_code=row["base_code"],
                source=row["source"],
                version_number=version["number"],
                agencies=agencies,
                items=items,
                document=validate_document(version["document"]),
            )
        )
    return records
