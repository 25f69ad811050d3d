"""Catalog entries and items: create, save drafts, publish versions, list, read.

Every write happens in one transaction with its audit entry. A version row is
never changed after it is written; an item's pointers say which version is
the draft and which is published.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec

from qingdan.core.audit.services import Actor, record
from qingdan.core.catalog.codes import USCC, CodeError, DivisionCode, ImplCode
from qingdan.core.catalog.diff import diff_documents
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.schemas import (
    PAGE_SIZES,
    ItemDetail,
    ItemQuery,
    ItemRow,
    Page,
    pack_codes,
    unpack_codes,
)
from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item, ItemVersion
from qingdan.core.catalog.validation import dump_document, validate_document
from qingdan.core.catalog.vocab import AgencyNature, ItemStatus
from qingdan.core.db import atomic, is_unique_violation
from qingdan.core.errors import ConflictError, DomainError, NotFound
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.tables import Agency, Division


def _now() -> datetime:
    return datetime.now(UTC)


def _as_document(document: ElementDocument | dict[str, Any]) -> ElementDocument:
    if isinstance(document, ElementDocument):
        return document
    return validate_document(document)


def _check_item_type(ctx: TenantContext, doc: ElementDocument) -> None:
    allowed = ctx.plugin.item_types(ctx.settings)
    if doc.item_type not in allowed:
        raise DomainError(
            f"事项类型“{doc.item_type.label}”不在本辖区管理的事项类型之内", "item_type"
        )


def _check_themes(ctx: TenantContext, doc: ElementDocument) -> None:
    """A plugin with a closed theme list (e.g. a fixed 19+X theme list) refuses any other 主题分类."""
    taxonomies = ctx.plugin.taxonomies(ctx.settings)
    if not taxonomies.themes_closed or not doc.themes:
        return
    known = {t.code for t in taxonomies.themes} | {t.name for t in taxonomies.themes}
    bad = [theme for theme in doc.themes if theme not in known]
    if bad:
        names = "、".join(t.name for t in taxonomies.themes)
        raise DomainError(
            f"主题分类“{'”“'.join(bad)}”不是本辖区的主题,请从以下主题中选择:{names}", "themes"
        )


# Catalog entries -----------------------------------------------------------------


async def create_catalog_entry(
    ctx: TenantContext,
    actor: Actor,
    document: ElementDocument | dict[str, Any],
    source: str = "provincial",
) -> CatalogEntry:
    """Record a catalog entry (基本目录事项) with its first version, in use at once."""
    doc = _as_document(document)
    _check_item_type(ctx, doc)
    try:
        base_code = ctx.code_format().parse_base_code(doc.base_code).value
    except CodeError as exc:
        raise DomainError(str(exc), "base_code") from None
    scope = ctx.scope
    async with atomic():
        if await scope.count(CatalogEntry).where(CatalogEntry.base_code == base_code) > 0:
            raise DomainError(f"基本编码“{base_code}”已存在于基本目录", "base_code")
        entry = await scope.insert(
            CatalogEntry,
            base_code=base_code,
            name=doc.name,
            item_type=doc.item_type.value,
            levels=pack_codes([lv.value for lv in doc.levels]),
            status=ItemStatus.published.value,
            source=source,
        )
        version = await scope.insert(
            CatalogEntryVersion,
            entry=entry.id,
            number=1,
            document=dump_document(doc),
            created_by=actor.user_id,
        )
        await scope.update(CatalogEntry, {CatalogEntry.current_version: version.id}).where(
            CatalogEntry.id == entry.id
        )
        entry.current_version = version.id
        await record(
            ctx.tenant_id, actor, "catalog_entry.create", "catalog_entry", entry.id,
            f"新增基本目录事项 {doc.name}({base_code})",
            {"version": version.id, "source": source},
        )
    return entry


async def catalog_entry_document(ctx: TenantContext, entry_id: int) -> ElementDocument:
    entry = await ctx.scope.get(CatalogEntry, entry_id, "基本目录事项")
    row = await ctx.scope.get_row(CatalogEntryVersion, entry.current_version, "基本目录版本")
    return validate_document(row["document"])


# Items -------------------------------------------------------------------------------


def _search_text(doc: ElementDocument, agency_name: str) -> str:
    parts = [doc.name, doc.base_code, doc.impl_code, agency_name, doc.handling_item_name]
    parts += doc.keywords
    return " ".join(p for p in parts if p)


def _indexed_columns(doc: ElementDocument, agency_name: str) -> dict[Any, Any]:
    """The searchable fields, copied from the document into indexed columns."""
    return {
        Item.name: doc.name,
        Item.item_type: doc.item_type.value,
        Item.levels: pack_codes([lv.value for lv in doc.levels]),
        Item.themes: pack_codes(list(doc.themes)),
        Item.service_kind: doc.service_kind.value if doc.service_kind else "",
        Item.search_text: _search_text(doc, agency_name),
    }


async def create_item(
    ctx: TenantContext,
    actor: Actor,
    *,
    entry_id: int,
    agency_id: int,
    document: ElementDocument | dict[str, Any] | None = None,
    division_id: int | None = None,
    handling_item: str = "00",
) -> Item:
    """An agency's implementation of a catalog entry, as a first draft version.

    There are no private items: an item always stands on a catalog entry, and
    its base code, name and type come from it. The implementation code is
    composed by the tenant's code format.
    """
    scope = ctx.scope
    async with atomic():
        entry = await scope.get(CatalogEntry, entry_id, "基本目录事项")
        if entry.status != ItemStatus.published.value:
            raise DomainError(f"基本目录事项“{entry.name}”不在用,不能实施", "entry_id")
        agency = await scope.get(Agency, agency_id, "实施机构")
        division = await scope.get(
            Division, division_id if division_id is not None else agency.division, "行政区划"
        )
        base_doc = await catalog_entry_document(ctx, entry_id)
        doc = _as_document(document) if document is not None else base_doc
        if doc.base_code and doc.base_code != entry.base_code:
            raise DomainError(
                f"事项的基本编码“{doc.base_code}”与基本目录“{entry.base_code}”不一致", "base_code"
            )
        try:
            impl_code = ctx.code_format().compose_impl_code(
                ImplCode(
                    base_code=entry.base_code,
                    division_code=DivisionCode.parse(division.code).value,
                    uscc=USCC.parse(agency.uscc).value,
                    handling_item=handling_item,
                )
            )
        except CodeError as exc:
            raise DomainError(str(exc), "impl_code") from None
        if await scope.count(Item).where(Item.impl_code == impl_code) > 0:
            raise DomainError(
                f"{agency.name}已实施该事项(实施编码 {impl_code}),不能重复认领", "impl_code"
            )
        doc = validate_document(
            dump_document(doc)
            | {
                "base_code": entry.base_code,
                "impl_code": impl_code,
                "handling_item": handling_item,
                "agency_name": doc.agency_name or agency.name,
                "agency_uscc": agency.uscc,
                "agency_nature": doc.agency_nature or AgencyNature(agency.nature),
            }
        )
        _check_item_type(ctx, doc)
        try:
            item = await scope.insert(
                Item,
                catalog_entry=entry.id,
                agency=agency.id,
                division=division.id,
                impl_code=impl_code,
                base_code=entry.base_code,
                handling_item=handling_item,
                status=ItemStatus.draft.value,
                **{
                    col._meta.name: value
                    for col, value in _indexed_columns(doc, agency.name).items()
                },
            )
        except Exception as exc:
            # Two people claimed it at the same moment: the unique index took one.
            if not is_unique_violation(exc):
                raise
            raise DomainError(
                f"{agency.name}已实施该事项(实施编码 {impl_code}),不能重复认领", "impl_code"
            ) from None
        version = await _new_version(ctx, actor, item.id, doc, note="认领/新建")
        await scope.update(Item, {Item.draft_version: version.id}).where(Item.id == item.id)
        item.draft_version = version.id
        await record(
            ctx.tenant_id, actor, "item.create", "item", item.id,
            f"{agency.name} 实施事项 {doc.name}({impl_code})",
            {"entry": entry.id, "version": version.id},
        )
    return item


async def _new_version(
    ctx: TenantContext, actor: Actor, item_id: int, doc: ElementDocument, note: str = ""
) -> ItemVersion:
    last = (
        await ctx.scope.select(ItemVersion, ItemVersion.number)
        .where(ItemVersion.item == item_id)
        .order_by(ItemVersion.number, ascending=False)
        .first()
    )
    return await ctx.scope.insert(
        ItemVersion,
        item=item_id,
        number=(last["number"] + 1) if last else 1,
        document=dump_document(doc),
        note=note[:500],
        created_by=actor.user_id,
    )


async def save_draft(
    ctx: TenantContext,
    actor: Actor,
    item_id: int,
    document: ElementDocument | dict[str, Any],
    expected_lock: int,
    note: str = "",
) -> ItemVersion:
    """Save a new draft version, refused if the item changed since ``expected_lock``.

    The codes, base code and implementing agency cannot be changed here: they
    belong to the item, not to a draft.
    """
    doc = _as_document(document)
    _check_item_type(ctx, doc)
    _check_themes(ctx, doc)
    scope = ctx.scope
    async with atomic():
        item = await scope.get(Item, item_id, "事项")
        if item.status in (ItemStatus.cancelled.value,):
            raise DomainError("已取消的事项不能再编辑")
        for field, value in (("base_code", item.base_code), ("impl_code", item.impl_code)):
            if getattr(doc, field) != value:
                label = "基本编码" if field == "base_code" else "实施编码"
                raise DomainError(f"{label}不能修改", field)
        agency = await scope.get(Agency, item.agency, "实施机构")
        # Take the item first, on its lock version: of two racing saves, the
        # second waits for the first's row lock and then finds no match.
        taken = (
            await scope.update(
                Item,
                {
                    Item.lock_version: item.lock_version + 1,
                    Item.updated_at: _now(),
                    **_indexed_columns(doc, agency.name),
                },
            )
            .where((Item.id == item.id) & (Item.lock_version == expected_lock))
            .returning(Item.id)
        )
        if not taken:
            raise ConflictError(
                "该事项已被他人修改,您的保存未生效。请刷新页面,在最新内容上重新编辑。"
            )
        previous_id = item.draft_version or item.published_version
        previous = None
        if previous_id is not None:
            previous = validate_document(
                (await scope.get_row(ItemVersion, previous_id, "版本"))["document"]
            )
        version = await _new_version(ctx, actor, item.id, doc, note=note or "保存草稿")
        await scope.update(Item, {Item.draft_version: version.id}).where(Item.id == item.id)
        # Every element edit is in the audit log with its before and after.
        changes = diff_documents(previous, doc)
        await record(
            ctx.tenant_id, actor, "item.save_draft", "item", item.id,
            f"保存事项草稿 {doc.name}(版本{version.number}): {changes.summary}",
            {
                "version": version.id,
                "previous_version": previous_id,
                "changes": msgspec.to_builtins(changes.changes),
            },
        )
    return version


async def publish_draft(ctx: TenantContext, actor: Actor, item_id: int) -> ItemVersion:
    """Make the current draft the published version; the previous one is superseded.

    The approval workflow calls this on the last approval; the demo loader
    calls it directly for data that arrives already approved.
    """
    scope = ctx.scope
    async with atomic():
        item = await scope.get(Item, item_id, "事项")
        if item.draft_version is None:
            raise DomainError("该事项没有待发布的草稿")
        version = await scope.get(ItemVersion, item.draft_version, "版本")
        now = _now()
        await scope.update(ItemVersion, {ItemVersion.published_at: now}).where(
            ItemVersion.id == version.id
        )
        await scope.update(
            Item,
            {
                Item.published_version: version.id,
                Item.draft_version: None,
                Item.status: ItemStatus.published.value,
                Item.lock_version: item.lock_version + 1,
                Item.updated_at: now,
            },
        ).where(Item.id == item.id)
        await record(
            ctx.tenant_id, actor, "item.publish", "item", item.id,
            f"发布事项 {item.name}(版本{version.number})",
            {"version": version.id, "superseded": item.published_version},
        )
    return version


async def get_item(ctx: TenantContext, item_id: int) -> ItemDetail:
    scope = ctx.scope
    item = await scope.select(
        Item,
        *Item.all_columns(),
        Item.agency.name.as_alias("agency_name"),
        Item.division.name.as_alias("division_name"),
        Item.catalog_entry.name.as_alias("entry_name"),
    ).where(Item.id == item_id).first().output(load_json=True)
    if item is None:
        raise NotFound("事项")
    draft_v = published_v = None
    if item["draft_version"]:
        draft_v = await scope.get_row(ItemVersion, item["draft_version"], "版本")
    if item["published_version"]:
        published_v = await scope.get_row(ItemVersion, item["published_version"], "版本")
    return ItemDetail(
        item=item,
        draft=validate_document(draft_v["document"]) if draft_v else None,
        draft_version=draft_v,
        published=validate_document(published_v["document"]) if published_v else None,
        published_version=published_v,
    )


async def item_versions(ctx: TenantContext, item_id: int) -> list[dict[str, Any]]:
    await ctx.scope.get(Item, item_id, "事项")
    return await (
        ctx.scope.select(
            ItemVersion,
            ItemVersion.id, ItemVersion.number, ItemVersion.note, ItemVersion.created_at,
            ItemVersion.published_at, ItemVersion.created_by.display_name.as_alias("author"),
        )
        .where(ItemVersion.item == item_id)
        .order_by(ItemVersion.number, ascending=False)
    )


_SORT_COLUMNS = {
    "name": Item.name,
    "impl_code": Item.impl_code,
    "updated": Item.updated_at,
    "agency": Item.agency,
}


def item_conditions(query: ItemQuery) -> list[Any]:
    """The WHERE conditions of ``query``'s filters (its sort and page aside).

    Shared by the list and by "export the current filter", so both select the same items.
    """
    conditions = []
    if query.q.strip():
        for word in query.q.split():
            like = f"%{word}%"
            conditions.append(Item.search_text.like(like) | Item.impl_code.like(like))
    if query.agency_id:
        conditions.append(Item.agency == query.agency_id)
    if query.division_id:
        conditions.append(Item.division == query.division_id)
    if query.item_type:
        conditions.append(Item.item_type == query.item_type)
    if query.status:
        conditions.append(Item.status == query.status)
    if query.theme:
        conditions.append(Item.themes.like(f"%|{query.theme}|%"))
    if query.level:
        conditions.append(Item.levels.like(f"%|{query.level}|%"))
    if query.service_kind:
        conditions.append(Item.service_kind == query.service_kind)
    return conditions


async def list_items(ctx: TenantContext, query: ItemQuery) -> Page:
    """One page of the tenant's items matching ``query``, with the total count."""
    scope = ctx.scope
    conditions = item_conditions(query)
    page_size = query.page_size if query.page_size in PAGE_SIZES else PAGE_SIZES[0]
    count_q = scope.count(Item)
    rows_q = scope.select(
        Item,
        Item.id, Item.name, Item.impl_code, Item.base_code, Item.item_type, Item.status,
        Item.levels, Item.themes, Item.agency, Item.agency.name.as_alias("agency_name"),
        Item.division, Item.division.name.as_alias("division_name"), Item.updated_at,
    )
    for cond in conditions:
        count_q = count_q.where(cond)
        rows_q = rows_q.where(cond)
    total = await count_q
    pages = max(1, -(-total // page_size))
    page = min(max(1, query.page), pages)
    sort_col = _SORT_COLUMNS.get(query.sort, Item.name)
    rows = await (
        rows_q.order_by(sort_col, ascending=not query.descending)
        .order_by(Item.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return Page(
        rows=[
            ItemRow(
                id=r["id"],
                name=r["name"],
                impl_code=r["impl_code"],
                base_code=r["base_code"],
                item_type=r["item_type"],
                status=r["status"],
                levels=unpack_codes(r["levels"]),
                themes=unpack_codes(r["themes"]),
                agency_id=r["agency"],
                agency_name=r["agency_name"],
                division_id=r["division"],
                division_name=r["division_name"],
                updated_at=r["updated_at"],
            )
            for r in rows
        ],
        total=total,
        page=page,
        page_size=page_size,
    )


async def refresh_index(ctx: TenantContext) -> int:
    """Recopy every item's searchable columns from its current document.

    Run after a plugin changes how items are classified; running it twice
    changes nothing more. Returns how many items were looked at.
    """
    rows = await ctx.scope.select(
        Item, Item.id, Item.draft_version, Item.published_version,
        Item.agency.name.as_alias("agency_name"),
    )
    for row in rows:
        version_id = row["draft_version"] or row["published_version"]
        if version_id is None:
            continue
        version = await ctx.scope.get_row(ItemVersion, version_id, "版本")
        doc = validate_document(version["document"])
        await ctx.scope.update(Item, _indexed_columns(doc, row["agency_name"])).where(
            Item.id == row["id"]
        )
    return len(rows)
