"""What the public portal and the open API read: published versions only.

Everything here starts from the items the public may see (status published or
suspended, with a published version) and reads nothing but those versions:
their search rows (core/publishing/search.py) for names, facets and words, and
their element documents for the guide. A draft, or a change in review, is never
opened, so it cannot leak. Every read goes through ``ctx.scope``.

Facets and names of a published version never change (versions are
immutable), so they are kept in memory per version id once read. The list
arranges a tenant's visible items by facet value once (``_ListIndex``) and
keeps that while one aggregate query per request finds nothing changed.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count, Max, Sum

from qingdan.core.catalog.elements import ElementDocument, TimeLimit
from qingdan.core.catalog.schemas import PAGE_SIZES, unpack_codes
from qingdan.core.catalog.tables import CatalogEntry, Item, ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import ItemStatus, ItemType, Level, ServiceKind
from qingdan.core.errors import NotFound
from qingdan.core.publishing.guides import Guide, guide_for, time_limit_text
from qingdan.core.publishing.search import (
    AUDIENCE_GROUPS,
    FACET,
    NAME,
    VISIBLE_STATUSES,
    index_item,
    normalize,
    search,
)
from qingdan.core.publishing.services import (
    PUBLIC_GUIDE_PATH,
    GuideKind,
    guide_url,
    published_guides,
)
from qingdan.core.publishing.tables import GuideFile, SearchTerm
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.tables import Agency

logger = logging.getLogger("qingdan.portal")

#: The browse facets, in the order the portal shows them.
FACET_TITLES: dict[str, str] = {
    "audience": "服务对象",
    "item_type": "事项类型",
    "theme": "主题",
    "service_kind": "服务类型",
    "level": "行使层级",
    "agency": "实施机构",
}
FACET_KEYS = tuple(FACET_TITLES)
#: A name holding the words as typed (食品经营 in 食品经营许可) comes first;
#: a name starting with them, before that; then shorter names.
NAME_PHRASE_BONUS = 5
CHUNK = 500
_CACHE_LIMIT = 200_000


# Typed values ------------------------------------------------------------------------------


class PortalQuery(msgspec.Struct, kw_only=True):
    """Search words, facet choices and page of the portal's list (every field optional)."""

    q: str = ""
    agency: int | None = None
    item_type: str = ""
    theme: str = ""
    service_kind: str = ""
    audience: str = ""  # "person" (个人) or "legal" (法人)
    level: str = ""
    entry: int | None = None  # the items implementing one catalog entry
    page: int = 1
    page_size: int = PAGE_SIZES[0]

    def selected(self, key: str) -> str:
        value = getattr(self, key)
        return "" if value is None else str(value)


class FacetValue(msgspec.Struct, kw_only=True):
    value: str
    label: str
    count: int  # items with this value among those matching the other choices
    selected: bool = False


class Facet(msgspec.Struct, kw_only=True):
    key: str  # the query parameter: agency, item_type, theme, service_kind, audience, level
    title: str
    values: list[FacetValue]

    @property
    def selected(self) -> FacetValue | None:
        return next((v for v in self.values if v.selected), None)


class PortalItem(msgspec.Struct, kw_only=True):
    """An item as the public sees it: its published version, nothing else."""

    id: int
    name: str
    subtitle: str  # 业务办理项 name, or ""
    item_type: str
    item_type_label: str
    agency_id: int
    agency_name: str
    status: str  # published, or suspended (暂停受理)
    suspended: bool
    levels: list[str]
    audience: list[str]
    themes: list[str]
    service_kind: str | None
    promised_limit: str  # 10个工作日, or ""
    statutory_limit: str
    visits: int  # 到办事现场次数
    online_depth: str | None
    version_id: int
    version_number: int
    published_at: datetime
    url: str  # the guide page
    pdf_url: str  # the guide's PDF (current version)


class PortalPage(msgspec.Struct, kw_only=True):
    rows: list[PortalItem]
    total: int
    page: int
    page_size: int
    pages: int
    facets: list[Facet]
    expansions: list[str]  # the guide's words an everyday phrase was also searched as


class GuideVersion(msgspec.Struct, kw_only=True):
    """One published version of an item's guide, with its PDFs."""

    version_id: int
    number: int
    published_at: datetime
    current: bool
    pdf_url: str
    print_pdf_url: str


class PublishedItem(msgspec.Struct, kw_only=True):
    item: PortalItem
    document: ElementDocument  # the published element document
    versions: list[GuideVersion]  # newest first
    print_pdf_url: str


class CatalogLine(msgspec.Struct, kw_only=True):
    """A catalog entry in use, with how many agencies implement it for the public."""

    entry_id: int
    name: str
    base_code: str
    item_type: str
    item_type_label: str
    levels: list[str]
    agencies: int
    items: int
    url: str  # the portal's list of its items


# Addresses ---------------------------------------------------------------------------------


def guide_path(slug: str, item_id: int) -> str:
    return PUBLIC_GUIDE_PATH.format(slug=slug, item_id=item_id)


def pdf_path(
    slug: str, item_id: int, kind: GuideKind | str = GuideKind.screen, version_id: int | None = None
) -> str:
    """The guide PDF: the current version's, or one version's (``version_id``)."""
    path = guide_path(slug, item_id) + "/guide.pdf"
    params = []
    if GuideKind(kind) != GuideKind.screen:
        params.append(f"kind={GuideKind(kind).value}")
    if version_id is not None:
        params.append(f"version={version_id}")
    return path + ("?" + "&".join(params) if params else "")


# What is published now ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Card:
    """A visible item in the list: its published version's name and facets."""

    item_id: int
    version_id: int
    status: str
    agency_id: int
    entry_id: int
    name: str
    values: Mapping[str, frozenset[str]]  # facet key → values


@dataclass(frozen=True)
class _Summary:
    """What a list row shows of a published version (a version never changes)."""

    number: int
    published_at: datetime
    name: str
    subtitle: str
    item_type: str
    agency_name: str
    levels: tuple[str, ...]
    audience: tuple[str, ...]
    themes: tuple[str, ...]
    service_kind: str | None
    promised_limit: str
    statutory_limit: str
    visits: int
    online_depth: str | None


# version id → (published name, facets); version id → summary. Both are pure
# functions of an immutable published version.
_INDEXED: dict[int, tuple[str, dict[str, frozenset[str]]]] = {}
_SUMMARIES: dict[int, _Summary] = {}


def _remember(cache: dict[int, Any], key: int, value: Any) -> None:
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _chunks(values: Iterable[int]) -> Iterable[list[int]]:
    values = sorted(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


async def _live(ctx: TenantContext, item_id: int | None = None) -> list[dict[str, Any]]:
    query = ctx.scope.select(
        Item, Item.id, Item.published_version, Item.status, Item.agency, Item.catalog_entry
    ).where(Item.published_version.is_not_null() & Item.status.is_in(list(VISIBLE_STATUSES)))
    if item_id is not None:
        query = query.where(Item.id == item_id)
    return await query


async def _load_indexed(ctx: TenantContext, versions: set[int]) -> None:
    for chunk in _chunks(versions):
        rows = await ctx.scope.select(
            SearchTerm, SearchTerm.version, SearchTerm.kind, SearchTerm.term
        ).where(SearchTerm.kind.is_in([NAME, FACET]) & SearchTerm.version.is_in(chunk))
        names: dict[int, str] = {}
        facets: dict[int, dict[str, set[str]]] = {}
        for r in rows:
            if r["kind"] == NAME:
                names[r["version"]] = r["term"]
            else:
                key, _, value = r["term"].partition(":")
                facets.setdefault(r["version"], {}).setdefault(key, set()).add(value)
        for version, name in names.items():
            values = {k: frozenset(v) for k, v in facets.get(version, {}).items()}
            _remember(_INDEXED, version, (name, values))


async def _cards(ctx: TenantContext) -> list[_Card]:
    """The visible items, each with its published version's name and facets.

    A published version missing from the index (published before the index
    existed, or by a path that did not index it) is indexed here, so the list
    is never short of an item nor shows another version of it.
    """
    live = await _live(ctx)
    await _load_indexed(ctx, {r["published_version"] for r in live} - _INDEXED.keys())
    stale = [r for r in live if r["published_version"] not in _INDEXED]
    if stale:
        logger.info("公开检索索引缺少 %s 个已发布事项,现在补建", len(stale))
        for r in stale:
            await index_item(ctx, r["id"])
        await _load_indexed(ctx, {r["published_version"] for r in stale})
    cards = []
    for r in live:
        indexed = _INDEXED.get(r["published_version"])
        if indexed is None:
            continue  # published meanwhile: its version is indexed by the next request
        name, values = indexed
        cards.append(
            _Card(
                item_id=r["id"],
                version_id=r["published_version"],
                status=r["status"],
                agency_id=r["agency"],
                entry_id=r["catalog_entry"],
                name=name,
                values=values,  # shared with the version's cache entry; agency is apart
            )
        )
    return cards


@dataclass(frozen=True)
class _ListIndex:
    """A tenant's visible items arranged for the list: ids by facet value, by
    catalog entry and in name order. Facet counts are then set intersections,
    not a pass over every item per facet per request."""

    stamp: tuple[Any, ...]
    built: float  # time.monotonic() when built
    cards: Mapping[int, _Card]  # item id → card
    by_name: tuple[int, ...]  # item ids in (name, id) order
    by_value: Mapping[str, Mapping[str, frozenset[int]]]  # facet key → value → item ids
    by_entry: Mapping[int, frozenset[int]]

    @classmethod
    def of(cls, stamp: tuple[Any, ...], cards: list[_Card]) -> _ListIndex:
        by_value: dict[str, dict[str, set[int]]] = {key: {} for key in FACET_KEYS}
        by_entry: dict[int, set[int]] = {}
        for card in cards:
            for key, values in card.values.items():
                if key in by_value:
                    for value in values:
                        by_value[key].setdefault(value, set()).add(card.item_id)
            by_value["agency"].setdefault(str(card.agency_id), set()).add(card.item_id)
            by_entry.setdefault(card.entry_id, set()).add(card.item_id)
        return cls(
            stamp=stamp,
            built=time.monotonic(),
            cards={c.item_id: c for c in cards},
            by_name=tuple(c.item_id for c in sorted(cards, key=lambda c: (c.name, c.item_id))),
            by_value={k: {v: frozenset(ids) for v, ids in d.items()} for k, d in by_value.items()},
            by_entry={e: frozenset(ids) for e, ids in by_entry.items()},
        )

    def ids(self, key: str, value: str) -> frozenset[int]:
        return self.by_value.get(key, {}).get(value, frozenset())


# (tenant id, slug) → its list index. Each web process keeps its own and checks it
# against the database on every request (``_stamp``), so a publication in another
# process shows at once; ``_INDEX_TTL`` bounds what a stamp could ever miss.
_LIST_INDEXES: dict[tuple[int, str], _ListIndex] = {}
_INDEX_TTL = 300.0  # seconds
_INDEX_LIMIT = 64  # tenants


async def _stamp(ctx: TenantContext) -> tuple[Any, ...]:
    """What changes whenever the visible items do: per status, how many, the sums
    of their ids, published versions, agencies and entries, and the latest update
    (publishing and every status change set ``updated_at``)."""
    rows = (
        await ctx.scope.select(
            Item,
            Item.status,
            Count(alias="n"),
            Sum(Item.id, alias="ids"),
            Sum(Item.published_version, alias="versions"),
            Sum(Item.agency, alias="agencies"),
            Sum(Item.catalog_entry, alias="entries"),
            Max(Item.updated_at, alias="updated"),
        )
        .where(Item.published_version.is_not_null() & Item.status.is_in(list(VISIBLE_STATUSES)))
        .group_by(Item.status)
    )
    return tuple(
        sorted(
            (
                r["status"],
                r["n"],
                r["ids"],
                r["versions"],
                r["agencies"],
                r["entries"],
                str(r["updated"]),
            )
            for r in rows
        )
    )


async def _list_index(ctx: TenantContext) -> _ListIndex:
    key = (ctx.tenant_id, ctx.slug)
    stamp = await _stamp(ctx)
    index = _LIST_INDEXES.get(key)
    if index is not None and index.stamp == stamp and time.monotonic() - index.built < _INDEX_TTL:
        return index
    index = _ListIndex.of(stamp, await _cards(ctx))
    if len(index.cards) < sum(row[1] for row in stamp):
        # A version published meanwhile was not indexed yet: do not keep this one.
        return index
    if key not in _LIST_INDEXES and len(_LIST_INDEXES) >= _INDEX_LIMIT:
        _LIST_INDEXES.pop(next(iter(_LIST_INDEXES)))
    _LIST_INDEXES[key] = index
    return index


def _limit(limit: TimeLimit) -> str:
    if limit == TimeLimit():
        return ""
    return time_limit_text(limit)


def _summary(version: dict[str, Any], doc: ElementDocument) -> _Summary:
    return _Summary(
        number=version["number"],
        published_at=_aware(version["published_at"]),
        name=doc.name,
        subtitle=doc.handling_item_name if doc.handling_item_name != doc.name else "",
        item_type=doc.item_type.value,
        agency_name=doc.agency_name,
        levels=tuple(lv.value for lv in doc.levels),
        audience=tuple(a.value for a in doc.audience),
        themes=tuple(doc.themes),
        service_kind=doc.service_kind.value if doc.service_kind else None,
        promised_limit=_limit(doc.promised_limit),
        statutory_limit=_limit(doc.statutory_limit),
        visits=doc.visits,
        online_depth=doc.online_depth.value if doc.online_depth else None,
    )


async def _summaries(ctx: TenantContext, versions: set[int]) -> dict[int, _Summary]:
    for chunk in _chunks(versions - _SUMMARIES.keys()):
        rows = (
            await ctx.scope.select(
                ItemVersion,
                ItemVersion.id,
                ItemVersion.number,
                ItemVersion.published_at,
                ItemVersion.document,
            )
            .where(ItemVersion.id.is_in(chunk) & ItemVersion.published_at.is_not_null())
            .output(load_json=True)
        )
        for r in rows:
            _remember(_SUMMARIES, r["id"], _summary(r, validate_document(r["document"])))
    return {v: _SUMMARIES[v] for v in versions if v in _SUMMARIES}


async def _agency_names(ctx: TenantContext) -> dict[int, str]:
    return {r["id"]: r["name"] for r in await ctx.scope.select(Agency, Agency.id, Agency.name)}


def _portal_item(
    ctx: TenantContext,
    card: tuple[int, str, int, int],
    s: _Summary,
    agency_names: Mapping[int, str],
) -> PortalItem:
    """``card``: (item id, status, agency id, published version id)."""
    item_id, status, agency_id, version_id = card
    return PortalItem(
        id=item_id,
        name=s.name,
        subtitle=s.subtitle,
        item_type=s.item_type,
        item_type_label=ItemType(s.item_type).label,
        agency_id=agency_id,
        agency_name=s.agency_name or agency_names.get(agency_id, ""),
        status=status,
        suspended=status == ItemStatus.suspended.value,
        levels=list(s.levels),
        audience=list(s.audience),
        themes=list(s.themes),
        service_kind=s.service_kind,
        promised_limit=s.promised_limit,
        statutory_limit=s.statutory_limit,
        visits=s.visits,
        online_depth=s.online_depth,
        version_id=version_id,
        version_number=s.number,
        published_at=s.published_at,
        url=guide_path(ctx.slug, item_id),
        pdf_url=pdf_path(ctx.slug, item_id),
    )


# The list ----------------------------------------------------------------------------------


def _labels(ctx: TenantContext, key: str, agency_names: Mapping[int, str]) -> dict[str, str]:
    """``{value: label}`` of one facet, in the order the portal lists them."""
    if key == "audience":
        return {k: label for k, (label, _) in AUDIENCE_GROUPS.items()}
    if key == "item_type":
        return {t.value: t.label for t in ItemType}
    if key == "level":
        return {lv.value: lv.label for lv in Level}
    taxonomies = ctx.taxonomies()
    if key == "theme":
        return {t.code: t.name for t in taxonomies.themes}
    if key == "service_kind":
        names = {d.kind.value: d.name for d in taxonomies.service_kinds}
        return {k.value: names.get(k.value, k.label) for k in ServiceKind}
    ordered = sorted(agency_names.items(), key=lambda pair: (pair[1], pair[0]))
    return {str(agency_id): name for agency_id, name in ordered}


def _intersect(sets: Iterable[frozenset[int]]) -> frozenset[int] | None:
    """The ids in every set, smallest first; None (no limit) for no sets."""
    ordered = sorted(sets, key=len)
    if not ordered:
        return None
    result = ordered[0]
    for other in ordered[1:]:
        result = result & other
    return result


def _facets(
    ctx: TenantContext,
    index: _ListIndex,
    base: frozenset[int] | None,
    selected: Mapping[str, str],
    agency_names: Mapping[int, str],
) -> list[Facet]:
    """Each facet's values with counts among the items matching every *other*
    choice (and ``base``: the entry and the search words), so a chosen value can
    be switched for another in one step."""
    chosen = {k: index.ids(k, v) for k, v in selected.items()}
    facets = []
    for key in FACET_KEYS:
        pool = _intersect(
            [ids for k, ids in chosen.items() if k != key] + ([base] if base is not None else [])
        )
        counts = {
            value: len(ids) if pool is None else len(ids & pool)
            for value, ids in index.by_value.get(key, {}).items()
        }
        labels = _labels(ctx, key, agency_names)
        order = list(labels) + sorted(set(counts) - set(labels))
        values = [
            FacetValue(
                value=value,
                label=labels.get(value, value),
                count=counts.get(value, 0),
                selected=selected.get(key) == value,
            )
            for value in order
            if counts.get(value) or selected.get(key) == value
        ]
        if values:
            facets.append(Facet(key=key, title=FACET_TITLES[key], values=values))
    return facets


async def browse(ctx: TenantContext, query: PortalQuery) -> PortalPage:
    """One page of the published items matching ``query``, with the facets.

    With search words the best matches come first; without, the items are in
    name order.
    """
    index = await _list_index(ctx)
    limits: list[frozenset[int]] = []
    if query.entry is not None:
        limits.append(index.by_entry.get(query.entry, frozenset()))
    scores: dict[int, float] | None = None
    expansions: list[str] = []
    if query.q.strip():
        among = _intersect(limits)
        candidates = index.cards if among is None else among
        result = await search(ctx, query.q, {i: index.cards[i].version_id for i in candidates})
        scores = {h.item_id: h.score for h in result.hits}
        expansions = result.expansions
        limits.append(frozenset(scores))
    base = _intersect(limits)
    selected = {key: query.selected(key) for key in FACET_KEYS if query.selected(key)}
    agency_names = await _agency_names(ctx)
    facets = _facets(ctx, index, base, selected, agency_names)
    matching = _intersect([index.ids(k, v) for k, v in selected.items()] + limits)
    if scores is not None:
        phrase = "".join(normalize(query.q).split())

        def rank(card: _Card) -> tuple[float, int, str, int]:
            name = normalize(card.name)
            bonus = (NAME_PHRASE_BONUS if phrase in name else 0) + (
                NAME_PHRASE_BONUS if name.startswith(phrase) else 0
            )
            return (-(scores[card.item_id] + bonus), len(card.name), card.name, card.item_id)

        ordered = sorted((index.cards[i] for i in matching or ()), key=rank)
    elif matching is None:
        ordered = [index.cards[i] for i in index.by_name]
    else:
        ordered = [index.cards[i] for i in index.by_name if i in matching]
    page_size = query.page_size if query.page_size in PAGE_SIZES else PAGE_SIZES[0]
    total = len(ordered)
    pages = max(1, -(-total // page_size))
    page = min(max(1, query.page), pages)
    shown = ordered[(page - 1) * page_size : page * page_size]
    summaries = await _summaries(ctx, {c.version_id for c in shown})
    rows = [
        _portal_item(
            ctx,
            (c.item_id, c.status, c.agency_id, c.version_id),
            summaries[c.version_id],
            agency_names,
        )
        for c in shown
        if c.version_id in summaries
    ]
    return PortalPage(
        rows=rows,
        total=total,
        page=page,
        page_size=page_size,
        pages=pages,
        facets=facets,
        expansions=expansions,
    )


# One item ----------------------------------------------------------------------------------


async def visible_item(ctx: TenantContext, item_id: int) -> dict[str, Any]:
    """The item's row if the public may see it (published or suspended, with a
    published version); :class:`NotFound` otherwise, as for another tenant's."""
    if not isinstance(item_id, int):
        raise NotFound("事项")
    rows = await _live(ctx, item_id)
    if not rows:
        raise NotFound("事项")
    return rows[0]


async def guide_version(
    ctx: TenantContext, item_id: int, version_id: int | None = None
) -> tuple[int, datetime]:
    """(version id, published at) of the item's current published version, or
    of its published version ``version_id``; NotFound for anything else."""
    item = await visible_item(ctx, item_id)
    version_id = item["published_version"] if version_id is None else version_id
    row = (
        await ctx.scope.select(ItemVersion, ItemVersion.id, ItemVersion.published_at)
        .where(
            (ItemVersion.id == version_id)
            & (ItemVersion.item == item_id)
            & ItemVersion.published_at.is_not_null()
        )
        .first()
    )
    if row is None:
        raise NotFound("版本")
    return row["id"], _aware(row["published_at"])


async def stored_pdf_sha256(ctx: TenantContext, version_id: int, kind: str) -> str | None:
    """The SHA-256 of a version's stored PDF of ``kind``, if it was rendered."""
    row = (
        await ctx.scope.select(GuideFile, GuideFile.sha256)
        .where((GuideFile.version == version_id) & (GuideFile.kind == kind))
        .first()
    )
    return row["sha256"] if row else None


async def published_item(ctx: TenantContext, item_id: int) -> PublishedItem:
    """The item's published version: the list row, the element document and
    every published version's PDFs. NotFound unless the public may see it."""
    detail, _version, _agency = await _published(ctx, item_id)
    return detail


async def guide_page(ctx: TenantContext, item_id: int) -> tuple[PublishedItem, Guide]:
    """What the public guide page shows: the published item and its 办事指南,
    from one reading of the item, its version and its agency."""
    detail, version, agency_name = await _published(ctx, item_id)
    guide = guide_for(
        detail.document,
        tenant_name=ctx.name,
        agency_name=agency_name,
        version_number=version["number"],
        published_at=version["published_at"],
        url=guide_url(ctx, item_id),
    )
    return detail, guide


async def _published(ctx: TenantContext, item_id: int) -> tuple[PublishedItem, dict[str, Any], str]:
    item = await visible_item(ctx, item_id)
    version = await ctx.scope.get_row(ItemVersion, item["published_version"], "版本")
    if version["published_at"] is None:
        raise NotFound("事项")
    doc = validate_document(version["document"])
    summary = _summary(version, doc)
    agency_name = (await ctx.scope.get(Agency, item["agency"], "实施机构")).name
    row = _portal_item(
        ctx,
        (item_id, item["status"], item["agency"], version["id"]),
        summary,
        {item["agency"]: agency_name},
    )
    versions = [
        GuideVersion(
            version_id=g.version_id,
            number=g.version_number,
            published_at=_aware(g.published_at),
            current=g.current,
            pdf_url=pdf_path(ctx.slug, item_id, GuideKind.screen, g.version_id),
            print_pdf_url=pdf_path(ctx.slug, item_id, GuideKind.print, g.version_id),
        )
        for g in await published_guides(ctx, item_id, current=item["published_version"])
    ]
    detail = PublishedItem(
        item=row,
        document=doc,
        versions=versions,
        print_pdf_url=pdf_path(ctx.slug, item_id, GuideKind.print),
    )
    return detail, version, agency_name


# The catalog -------------------------------------------------------------------------------


async def published_catalog(ctx: TenantContext) -> list[CatalogLine]:
    """The catalog entries in use (基本目录), by base code, each with the number
    of agencies (and items) implementing it that the public can see."""
    entries = await (
        ctx.scope.select(
            CatalogEntry,
            CatalogEntry.id,
            CatalogEntry.name,
            CatalogEntry.base_code,
            CatalogEntry.item_type,
            CatalogEntry.levels,
        )
        .where(CatalogEntry.status == ItemStatus.published.value)
        .order_by(CatalogEntry.base_code)
        .order_by(CatalogEntry.id)
    )
    agencies: dict[int, set[int]] = {}
    items: Counter[int] = Counter()
    for r in await _live(ctx):
        agencies.setdefault(r["catalog_entry"], set()).add(r["agency"])
        items[r["catalog_entry"]] += 1
    return [
        CatalogLine(
            entry_id=e["id"],
            name=e["name"],
            base_code=e["base_code"],
            item_type=e["item_type"],
            item_type_label=ItemType(e["item_type"]).label,
            levels=unpack_codes(e["levels"]),
            agencies=len(agencies.get(e["id"], ())),
            items=items.get(e["id"], 0),
            url=f"/p/{ctx.slug}/?entry={e['id']}",
        )
        for e in entries
    ]


__all__ = [
    "FACET_KEYS",
    "FACET_TITLES",
    "CatalogLine",
    "Facet",
    "FacetValue",
    "GuideVersion",
    "PortalItem",
    "PortalPage",
    "PortalQuery",
    "PublishedItem",
    "browse",
    "guide_path",
    "guide_version",
    "pdf_path",
    "published_catalog",
    "published_item",
    "stored_pdf_sha256",
    "visible_item",
]
