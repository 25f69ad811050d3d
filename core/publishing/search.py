"""Chinese search over published items: segmented words, not substrings.

Each item's *published* version is segmented with jieba (search mode, so
营业执照 is indexed as 营业执照, 营业 and 执照) into :class:`SearchTerm` rows:
its name, 业务办理项 name, keywords, result, materials, implementing agency,
themes, acceptance conditions, laws, FAQ questions. Every word keeps the weight
of the most important field it was found in (a word of the name weighs most).
The same rows carry the item's browse facets and its published name, so the
portal lists, counts and searches without ever opening a draft.

A query is segmented the same way. Everyday phrases are looked up first in
data/search_synonyms.json (开饭店 → 餐饮, 食品经营 ...), so a citizen's words
find the words of the guide. Each part of the query is one *group*; an item
matches a group when it has the word or one of its expansions (a multi-word
expansion needs all its words). Items matching the most groups are the
results, best score first.

``index_item`` rebuilds one item's rows from its current published version
(call it after publication, in the publishing transaction); ``reindex_tenant``
rebuilds them all. Both are idempotent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.tables import Item, ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import Audience, ItemStatus
from qingdan.core.db import atomic, is_sqlite
from qingdan.core.errors import NotFound
from qingdan.core.publishing.tables import SearchTerm
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.tables import Agency

logger = logging.getLogger("qingdan.search")

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "search_synonyms.json"

WORD, FACET, NAME = "word", "facet", "name"

#: Weight of a word by the field it was found in (the largest one counts).
WEIGHTS: dict[str, int] = {
    "name_whole": 12,  # the whole name as one term
    "name": 10,
    "handling_item_name": 8,
    "keywords": 8,
    "codes": 6,
    "result": 5,
    "materials": 4,
    "themes": 4,
    "agency": 3,
    "co_agencies": 2,
    "conditions": 2,
    "laws": 2,
    "faq": 1,
    "item_type": 1,
}
#: Expansions of a synonym count a little less than the words typed.
SYNONYM_FACTOR = 0.8
#: A word found only inside a longer indexed word (身份 in 身份证明) counts half.
PARTIAL_FACTOR = 0.5

MAX_TERM = 64
MAX_QUERY = 100
#: A query is cut to this many parts, and at most this many are looked for
#: inside longer words (a LIKE scan), so a long query cannot stall the database.
MAX_GROUPS = 8
MAX_PARTIAL_GROUPS = 3
INSERT_CHUNK = 400
PARTIAL_LIMIT = 5000

#: Statuses whose published version the public sees (a suspended item stays
#: listed, marked 暂停受理; a cancelled one is gone).
VISIBLE_STATUSES = (ItemStatus.published.value, ItemStatus.suspended.value)

#: 个人 / 法人: the portal's audience groups over the element's 服务对象 values.
AUDIENCE_GROUPS: dict[str, tuple[str, frozenset[str]]] = {
    "person": ("个人", frozenset({Audience.natural_person.value})),
    "legal": (
        "法人",
        frozenset(
            {
                Audience.enterprise.value,
                Audience.public_institution.value,
                Audience.social_organisation.value,
                Audience.government_body.value,
            }
        ),
    ),
}

#: Words that say nothing about which item is meant.
STOPWORDS = frozenset(
    """的 了 和 与 及 或 或者 以及 等 是 在 有 没有 我 我们 你 您 他 她 它 想 要 想要 需要 要求
    怎么 怎样 怎么办 如何 哪里 哪儿 哪个 什么 为什么 吗 呢 啊 吧 呀 请问 请 可以 能 能否 是否
    办 办理 去 到 个 一个 这 那 这个 那个 其他 其它 有关 相关 应当 应 按照 依法 依照 规定 之 对 于
    为 由 向 从 将 并 且 并且 但 但是 如 如果 不 不得 已 已经 其 该 所 以 及其 的话""".split()
)

_CJK = re.compile(r"[\u3400-\u9fff]")
_WORDISH = re.compile(r"[0-9a-z\u3400-\u9fff]")
_NUMBERING = re.compile(r"[第零〇一二两三四五六七八九十百千万条款项]+")


# Segmentation ------------------------------------------------------------------------------

_jieba_lock = threading.Lock()


@cache
def _jieba() -> Any:
    """jieba, its dictionary loaded (about half a second, once per process)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _jieba_lock:
        jieba.initialize()
    return jieba


async def ready() -> None:
    """Load the dictionary off the event loop (the first search would otherwise stall it)."""
    await asyncio.to_thread(_jieba)


def normalize(text: str) -> str:
    """Full-width letters and digits to half-width, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


def _keep(token: str) -> bool:
    token = token.strip()
    if len(token) < 2 or len(token) > MAX_TERM or token in STOPWORDS:
        return False
    if not _WORDISH.search(token) or _NUMBERING.fullmatch(token):
        return False  # punctuation, spaces; 第三, 十五, 五条 (the pieces of 第三十五条)
    return not token.isdigit() or len(token) >= 4  # 第三十五条 yes, "12" no


def segment(text: str) -> list[str]:
    """The index words of ``text`` (search mode: long words and the words inside them)."""
    text = normalize(text)
    if not text:
        return []
    seen: dict[str, None] = {}
    for token in _jieba().cut_for_search(text):
        token = token.strip()
        if _keep(token):
            seen[token] = None
    return list(seen)


def _query_tokens(text: str, *, strict: bool = True) -> list[str]:
    """The words of a query as typed (precise mode), stop words left out; not
    ``strict``, a query of nothing but short or common words (证) keeps them."""
    tokens = [t.strip() for t in _jieba().cut(text) if t.strip()]
    kept = [t for t in tokens if _keep(t)]
    if kept or strict:
        return kept
    return [t for t in tokens if _CJK.search(t) or t.isalnum()]


# What an item is indexed under ----------------------------------------------------------------


def document_words(
    doc: ElementDocument, agency_name: str, theme_names: Mapping[str, str] | None = None
) -> dict[str, int]:
    """``{word: weight}`` of one published document (the largest weight per word)."""
    themes = theme_names or {}
    fields: list[tuple[str, Iterable[str]]] = [
        ("name", [doc.name]),
        ("handling_item_name", [doc.handling_item_name]),
        ("keywords", doc.keywords),
        ("result", [doc.result.name]),
        ("materials", [m.name for m in doc.materials]),
        ("themes", [themes.get(code, "") for code in doc.themes]),
        ("agency", [doc.agency_name or agency_name, agency_name]),
        ("co_agencies", [*doc.co_agencies, doc.entrusting_agency]),
        ("conditions", [doc.acceptance_conditions]),
        ("laws", [b.law_name for b in doc.legal_basis]),
        ("faq", [q.question for q in doc.faq]),
        ("item_type", [doc.item_type.label]),
    ]
    words: dict[str, int] = {}

    def add(word: str, weight: int) -> None:
        if word and len(word) <= MAX_TERM and words.get(word, 0) < weight:
            words[word] = weight

    for name, texts in fields:
        weight = WEIGHTS[name]
        for text in texts:
            for word in segment(text):
                add(word, weight)
    # Whole names and keywords, as typed: 食品经营许可, 开饭店.
    add(normalize(doc.name), WEIGHTS["name_whole"])
    for keyword in doc.keywords:
        add(normalize(keyword), WEIGHTS["keywords"])
    for code in (doc.base_code, doc.impl_code):
        if code.strip():
            add(normalize(code), WEIGHTS["codes"])
    return words


def document_facets(doc: ElementDocument) -> set[str]:
    """The browse values of a document: ``item_type:licensing``, ``level:county`` ..."""
    facets = {f"item_type:{doc.item_type.value}"}
    facets |= {f"level:{lv.value}" for lv in doc.levels}
    facets |= {f"theme:{code}" for code in doc.themes if code.strip()}
    if doc.service_kind is not None:
        facets.add(f"service_kind:{doc.service_kind.value}")
    audience = {a.value for a in doc.audience}
    for group, (_, members) in AUDIENCE_GROUPS.items():
        if audience & members:
            facets.add(f"audience:{group}")
    return facets


# Writing the index ---------------------------------------------------------------------------
# TenantScope has no delete or bulk insert (yet): these two add the scope's
# tenant to every row and every condition, exactly as its own methods do (and
# as calendar/services.py does for its rows).


def _scoped_delete(ctx: TenantContext, table: type[Any], where: Any) -> Any:
    tenant = table._meta.get_column_by_name("tenant")
    return table.delete().where((tenant == ctx.scope.tenant_id) & where)


async def _scoped_insert_many(
    ctx: TenantContext, table: type[Any], rows: list[dict[str, Any]]
) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        await table.insert(*[table(tenant=ctx.scope.tenant_id, **r) for r in chunk])


def index_rows(
    doc: ElementDocument,
    agency_name: str,
    theme_names: Mapping[str, str],
    item_id: int,
    version_id: int,
) -> list[dict[str, Any]]:
    """The :class:`SearchTerm` rows (without tenant) of one published version."""
    base = {"item": item_id, "version": version_id}
    rows = [base | {"kind": NAME, "term": doc.name[:300], "weight": 0}]
    rows += [
        base | {"kind": FACET, "term": facet[:300], "weight": 0}
        for facet in sorted(document_facets(doc))
    ]
    rows += [
        base | {"kind": WORD, "term": word, "weight": weight}
        for word, weight in sorted(document_words(doc, agency_name, theme_names).items())
    ]
    return rows


async def _take_item(ctx: TenantContext, item_id: int) -> dict[str, Any]:
    """The item's row; on PostgreSQL locked until commit, so two indexings of one
    item run one after the other (SQLite's BEGIN IMMEDIATE already serializes)."""
    query = (
        ctx.scope.select(Item, Item.id, Item.published_version, Item.agency)
        .where(Item.id == item_id)
        .first()
    )
    if not is_sqlite():
        query = query.lock_rows()
    row = await query
    if row is None:
        raise NotFound("事项")
    return row


async def index_item(ctx: TenantContext, item_id: int) -> int:
    """Rebuild the search rows of ``item_id`` from its current published version.

    Call it in the transaction that publishes a version (it joins it); an item
    without a published version is taken out of the index. Idempotent. Returns
    how many rows were written.
    """
    await ready()
    async with atomic():
        item = await _take_item(ctx, item_id)
        await _scoped_delete(ctx, SearchTerm, SearchTerm.item == item["id"])
        if item["published_version"] is None:
            return 0
        version = await ctx.scope.get_row(ItemVersion, item["published_version"], "版本")
        if version["published_at"] is None:
            return 0
        agency = await ctx.scope.get(Agency, item["agency"], "实施机构")
        doc = validate_document(version["document"])
        rows = await asyncio.to_thread(
            index_rows,
            doc,
            agency.name,
            ctx.taxonomies().theme_names(),
            item["id"],
            version["id"],
        )
        await _scoped_insert_many(ctx, SearchTerm, rows)
    return len(rows)


async def reindex_tenant(ctx: TenantContext) -> int:
    """Rebuild the index of every item of the tenant (after a plugin changed its
    theme names, or to fill the index of items published before it existed).
    Returns how many published items were indexed."""
    published = {
        r["id"]
        for r in await ctx.scope.select(Item, Item.id).where(Item.published_version.is_not_null())
    }
    indexed = {
        r["item"]
        for r in await ctx.scope.select(SearchTerm, SearchTerm.item).where(SearchTerm.kind == NAME)
    }
    for item_id in sorted(published | indexed):
        await index_item(ctx, item_id)
    return len(published)


# Reading a query ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Alternative:
    """Words that together stand for one part of the query (all must be found)."""

    terms: tuple[str, ...]
    factor: float = 1.0


@dataclass(frozen=True)
class QueryGroup:
    """One part of the query: the words typed, and what else may stand for them."""

    text: str
    alternatives: tuple[Alternative, ...]
    expansions: tuple[str, ...] = ()  # the everyday-phrase expansions used


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    """The everyday phrases of data/search_synonyms.json, normalized."""
    data = json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))
    return {
        normalize(key): tuple(normalize(v) for v in values if normalize(v))
        for key, values in data["synonyms"].items()
        if normalize(key)
    }


@cache
def _synonym_keys() -> tuple[str, ...]:
    return tuple(sorted(synonyms(), key=lambda k: (-len(k), k)))


def _alternatives(words: str, factor: float) -> list[Alternative]:
    """``words`` as one term, and as the words inside it (all of them)."""
    whole = normalize(words)
    alts = [Alternative((whole,), factor)] if whole else []
    parts = tuple(_query_tokens(whole))
    if parts and parts != (whole,):
        alts.append(Alternative(parts, factor * 0.9))
    return alts


def parse_query(q: str) -> list[QueryGroup]:
    """The groups of a query: everyday phrases first (longest first), then the
    remaining words one by one. Needs the dictionary (``await ready()``)."""
    text = normalize(q)[:MAX_QUERY]
    groups: list[QueryGroup] = []
    seen: set[str] = set()
    for key in _synonym_keys():
        if key not in text:
            continue
        text = text.replace(key, " ")
        alts = _alternatives(key, 1.0)
        for expansion in synonyms()[key]:
            alts += _alternatives(expansion, SYNONYM_FACTOR)
        groups.append(QueryGroup(key, tuple(dict.fromkeys(alts)), synonyms()[key]))
        seen.add(key)
    if text.strip():
        for token in _query_tokens(text, strict=bool(groups)):
            if token in seen:
                continue
            seen.add(token)
            groups.append(QueryGroup(token, tuple(dict.fromkeys(_alternatives(token, 1.0)))))
    return groups[:MAX_GROUPS]


# Searching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    item_id: int
    version_id: int
    score: float
    matched: int  # how many groups of the query the item answers


@dataclass
class SearchResult:
    groups: list[QueryGroup]
    hits: list[SearchHit] = field(default_factory=list)  # best first

    @property
    def expansions(self) -> list[str]:
        """The guide's words a citizen's phrase was also searched as (餐饮, 食品经营)."""
        return list(dict.fromkeys(e for g in self.groups for e in g.expansions))


async def visible_versions(ctx: TenantContext) -> dict[int, int]:
    """``{item id: published version id}`` of the items the public sees."""
    rows = await ctx.scope.select(Item, Item.id, Item.published_version).where(
        Item.published_version.is_not_null() & Item.status.is_in(list(VISIBLE_STATUSES))
    )
    return {r["id"]: r["published_version"] for r in rows}


async def search(
    ctx: TenantContext, q: str, current: Mapping[int, int] | None = None
) -> SearchResult:
    """The published items matching ``q``: those answering the most parts of the
    query, best score first. ``current`` ({item: published version}) limits the
    search to those versions (default: every item the public sees); words of
    any other version, a draft's above all, are never looked at."""
    await ready()
    groups = parse_query(q)
    result = SearchResult(groups=groups)
    if not groups:
        return result
    if current is None:
        current = await visible_versions(ctx)
    terms = sorted({t for g in groups for a in g.alternatives for t in a.terms})
    found: dict[int, dict[str, int]] = {}
    rows = await ctx.scope.select(
        SearchTerm, SearchTerm.item, SearchTerm.version, SearchTerm.term, SearchTerm.weight
    ).where((SearchTerm.kind == WORD) & SearchTerm.term.is_in(terms))
    for r in rows:
        if current.get(r["item"]) == r["version"]:
            words = found.setdefault(r["item"], {})
            words[r["term"]] = max(words.get(r["term"], 0), r["weight"])

    def best(group: QueryGroup, words: Mapping[str, int]) -> float:
        score = 0.0
        for alt in group.alternatives:
            if all(t in words for t in alt.terms):
                score = max(score, alt.factor * sum(words[t] for t in alt.terms) / len(alt.terms))
        return score

    # A part found nowhere as a word may be inside longer words: 身份 → 身份证明.
    partial: list[dict[int, float]] = []
    scans = 0
    for group in groups:
        extra: dict[int, float] = {}
        if scans < MAX_PARTIAL_GROUPS and not any(best(group, words) for words in found.values()):
            scans += 1
            for alt in group.alternatives:
                if len(alt.terms) != 1 or alt.factor < 1.0:
                    continue
                needle = alt.terms[0].replace("%", "").replace("_", "")
                if not needle:
                    continue
                like = await (
                    ctx.scope.select(
                        SearchTerm, SearchTerm.item, SearchTerm.version, SearchTerm.weight
                    )
                    .where((SearchTerm.kind == WORD) & SearchTerm.term.like(f"%{needle}%"))
                    .limit(PARTIAL_LIMIT)
                )
                for r in like:
                    if current.get(r["item"]) == r["version"]:
                        value = r["weight"] * PARTIAL_FACTOR
                        extra[r["item"]] = max(extra.get(r["item"], 0.0), value)
        partial.append(extra)

    hits: list[SearchHit] = []
    for item_id in set(found) | {i for extra in partial for i in extra}:
        words = found.get(item_id, {})
        matched, score = 0, 0.0
        for group, extra in zip(groups, partial, strict=True):
            value = max(best(group, words), extra.get(item_id, 0.0))
            if value > 0:
                matched += 1
                score += value
        if matched:
            hits.append(SearchHit(item_id, current[item_id], score, matched))
    if hits:
        top = max(h.matched for h in hits)
        hits = [h for h in hits if h.matched == top]
    result.hits = sorted(hits, key=lambda h: (-h.score, h.item_id))
    return result


__all__ = [
    "AUDIENCE_GROUPS",
    "VISIBLE_STATUSES",
    "Alternative",
    "QueryGroup",
    "SearchHit",
    "SearchResult",
    "document_facets",
    "document_words",
    "index_item",
    "index_rows",
    "normalize",
    "parse_query",
    "ready",
    "reindex_tenant",
    "search",
    "segment",
    "synonyms",
    "visible_versions",
]
