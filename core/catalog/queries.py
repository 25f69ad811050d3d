"""Reading the catalog (基本目录) for its pages: the entries with how many items
implement each, one entry with its versions, items and change requests.

Read-only, and only through ``ctx.scope``: another tenant's entry is simply
not found. The writes are elsewhere (catalog/services.py creates entries;
workflow/catalog_changes.py amends and cancels them through change requests).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.schemas import PAGE_SIZES, Page, unpack_codes
from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.errors import NotFound
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.workflow.schemas import OPEN_STATUSES
from qingdan.core.workflow.tables import ChangeRequest

#: Where an entry comes from (``CatalogEntry.source``).
SOURCES = {"national": "国家", "provincial": "省级", "local": "本地"}
#: The states a catalog entry passes through (a local entry is in review until
#: its creation is published; a refused or cancelled one is cancelled).
ENTRY_STATUSES = (ItemStatus.published, ItemStatus.in_review, ItemStatus.cancelled)


class EntryQuery(msgspec.Struct, kw_only=True):
    """Filters and page of the catalog list (every field optional)."""

    q: str = ""
    item_type: str = ""
    status: str = ""
    source: str = ""
    page: int = 1
    page_size: int = PAGE_SIZES[0]


class EntryRow(msgspec.Struct, kw_only=True):
    id: int
    name: str
    base_code: str
    item_type: str
    levels: list[str]
    status: str
    source: str
    implementations: int  # items standing on the entry, cancelled ones left out
    updated_at: datetime | None = None


# The list -------------------------------------------------------------------------------


def _conditions(query: EntryQuery) -> list[Any]:
    conditions = []
    for word in query.q.split():
        like = f"%{word}%"
        conditions.append(CatalogEntry.name.like(like) | CatalogEntry.base_code.like(like))
    if query.item_type:
        conditions.append(CatalogEntry.item_type == query.item_type)
    if query.status:
        conditions.append(CatalogEntry.status == query.status)
    if query.source:
        conditions.append(CatalogEntry.source == query.source)
    return conditions


async def implementation_counts(ctx: TenantContext, entry_ids: list[int]) -> dict[int, int]:
    """``{entry id: number of items implementing it}`` (cancelled items left out)."""
    if not entry_ids:
        return {}
    rows = (
        await ctx.scope.select(Item, Item.catalog_entry, Count(alias="n"))
        .where(Item.catalog_entry.is_in(entry_ids) & (Item.status != ItemStatus.cancelled.value))
        .group_by(Item.catalog_entry)
    )
    return {r["catalog_entry"]: r["n"] for r in rows}


async def list_entries(ctx: TenantContext, query: EntryQuery) -> Page:
    """One page of the tenant's catalog entries matching ``query``, by base code."""
    count_q = ctx.scope.count(CatalogEntry)
    rows_q = ctx.scope.select(
        CatalogEntry,
        CatalogEntry.id,
        CatalogEntry.name,
        CatalogEntry.base_code,
        CatalogEntry.item_type,
        CatalogEntry.levels,
        CatalogEntry.status,
        CatalogEntry.source,
        CatalogEntry.updated_at,
    )
    for cond in _conditions(query):
        count_q = count_q.where(cond)
        rows_q = rows_q.where(cond)
    page_size = query.page_size if query.page_size in PAGE_SIZES else PAGE_SIZES[0]
    total = await count_q
    pages = max(1, -(-total // page_size))
    page = min(max(1, query.page), pages)
    rows = await (
        rows_q.order_by(CatalogEntry.base_code)
        .order_by(CatalogEntry.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    counts = await implementation_counts(ctx, [r["id"] for r in rows])
    return Page(
        rows=[
            EntryRow(
                **(r | {"levels": unpack_codes(r["levels"])}),
                implementations=counts.get(r["id"], 0),
            )
            for r in rows
        ],
        total=total,
        page=page,
        page_size=page_size,
    )


# One entry ------------------------------------------------------------------------------


async def get_entry(ctx: TenantContext, entry_id: int) -> dict[str, Any]:
    """The entry's row, with ``levels`` as a list; NotFound for another tenant's."""
    row = await ctx.scope.get_row(CatalogEntry, entry_id, "基本目录事项")
    return row | {"levels": unpack_codes(row["levels"])}


async def entry_versions(ctx: TenantContext, entry_id: int) -> list[dict[str, Any]]:
    """The entry's versions, newest first (proposed ones included), with their author."""
    return await (
        ctx.scope.select(
            CatalogEntryVersion,
            CatalogEntryVersion.id,
            CatalogEntryVersion.number,
            CatalogEntryVersion.created_at,
            CatalogEntryVersion.created_by.display_name.as_alias("author"),
        )
        .where(CatalogEntryVersion.entry == entry_id)
        .order_by(CatalogEntryVersion.number, ascending=False)
    )


async def entry_document(ctx: TenantContext, entry: dict[str, Any]) -> ElementDocument | None:
    """The elements of the entry's version in use (None before a local entry's first)."""
    if entry["current_version"] is None:
        return None
    row = await ctx.scope.get_row(CatalogEntryVersion, entry["current_version"], "基本目录版本")
    return validate_document(row["document"])


async def entry_items(ctx: TenantContext, entry_id: int) -> list[dict[str, Any]]:
    """The items implementing the entry (every status), with agency and division."""
    return await (
        ctx.scope.select(
            Item,
            Item.id,
            Item.name,
            Item.impl_code,
            Item.status,
            Item.agency.name.as_alias("agency_name"),
            Item.division.name.as_alias("division_name"),
        )
        .where(Item.catalog_entry == entry_id)
        .order_by(Item.impl_code)
    )


async def entry_requests(ctx: TenantContext, entry_id: int) -> list[dict[str, Any]]:
    """The change requests of the entry, newest first."""
    return await (
        ctx.scope.select(
            ChangeRequest,
            ChangeRequest.id,
            ChangeRequest.kind,
            ChangeRequest.status,
            ChangeRequest.reason,
            ChangeRequest.entry_version,
            ChangeRequest.submitted_at,
            ChangeRequest.closed_at,
            ChangeRequest.author.display_name.as_alias("author_name"),
        )
        .where(ChangeRequest.catalog_entry == entry_id)
        .order_by(ChangeRequest.id, ascending=False)
    )


class EntryOverview(msgspec.Struct, kw_only=True):
    entry: dict[str, Any]
    document: ElementDocument | None  # the version in use
    versions: list[dict[str, Any]]
    items: list[dict[str, Any]]
    requests: list[dict[str, Any]]

    @property
    def open_request(self) -> dict[str, Any] | None:
        """The request not yet closed (there is at most one per entry)."""
        return next((r for r in self.requests if r["status"] in OPEN_STATUSES), None)

    @property
    def current_number(self) -> int | None:
        """The number of the version in use."""
        current = self.entry["current_version"]
        return next((v["number"] for v in self.versions if v["id"] == current), None)

    @property
    def proposals(self) -> dict[int, dict[str, Any]]:
        """``{version id: the request that proposed it}``."""
        return {r["entry_version"]: r for r in self.requests if r["entry_version"] is not None}


async def entry_overview(ctx: TenantContext, entry_id: int) -> EntryOverview:
    """Everything the entry page shows."""
    if not isinstance(entry_id, int):
        raise NotFound("基本目录事项")
    entry = await get_entry(ctx, entry_id)
    return EntryOverview(
        entry=entry,
        document=await entry_document(ctx, entry),
        versions=await entry_versions(ctx, entry_id),
        items=await entry_items(ctx, entry_id),
        requests=await entry_requests(ctx, entry_id),
    )


# Catalog requests elsewhere ---------------------------------------------------------------
