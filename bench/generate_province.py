"""Province-scale data for the benchmarks, written in bulk.

    .venv/bin/python bench/generate_province.py --tenants 20 --items 300000
    .venv/bin/python bench/generate_province.py --tenants 3 --items 3000 \\
        --database-url sqlite:////tmp/qingdan-bench/qingdan.sqlite3
    .venv/bin/python bench/generate_province.py --drop      # remove the bench database

Default database: QINGDAN_DATABASE_URL, else a database of its own on the local
PostgreSQL (postgresql://postgres@127.0.0.1:5432/qingdan_bench), created when
missing (``--fresh`` drops it first). Tenants are added as bench-01, bench-02 ...
after any already there, bound in turn to the installed plugins.

Each tenant gets its plugin's demo divisions and agencies (through the tenancy
services, as ``qingdan demo`` does), then catalog entries and items in bulk:
the demo catalog (core/demo) repeated as sub-items (基本编码-001 ...) until the
tenant's share of ``--items`` is reached, one item per (agency, entry) the
agency's sectors and level cover. Every item has its full element document
(the demo entry with the place elements the demo loader adds, codes composed
by the plugin's code format, validated by core), one published version, the
indexed columns (core/catalog/services.py) and its portal search rows
(core/publishing/search.py ``index_rows``), so the data is what the services
would have written. What they would also have written per item (two audit
entries, going through 44 ms of service calls each) is one audit entry per
tenant instead, saying what was generated.

Rows go in with COPY on PostgreSQL and executemany on SQLite, a batch of
``--batch`` items per transaction. jieba's segmentation of a text is memoized
(the sub-items repeat their entry's texts); the words are the same.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import benchlib

GENERATOR = "基准数据生成"
#: Sub-item codes are three digits: 基本编码-001 ... -999.
MAX_VARIANTS = 1000


# Writing rows --------------------------------------------------------------------------------


class Writer:
    """Bulk rows into one database: ids reserved up front, one transaction per batch."""

    async def reserve(self, table: str, count: int) -> list[int]:
        raise NotImplementedError

    async def write(self, rows: dict[str, tuple[list[str], list[tuple]]]) -> None:
        """``{table: (columns, rows)}`` in that order, in one transaction."""
        raise NotImplementedError

    async def close(self) -> None:
        pass


class PostgresWriter(Writer):
    def __init__(self, conn: Any):
        self.conn = conn

    @classmethod
    async def open(cls, url: str, check_foreign_keys: bool) -> PostgresWriter:
        import asyncpg

        conn = await asyncpg.connect(url)
        if not check_foreign_keys:
            # The rows are consistent by construction (every id they point to was
            # written before them, in order); skipping the per-row foreign-key
            # triggers makes COPY about 4 times faster. The constraints stay.
            await conn.execute("SET session_replication_role = replica")
        return cls(conn)

    async def reserve(self, table: str, count: int) -> list[int]:
        rows = await self.conn.fetch(
            "SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2)",
            table,
            count,
        )
        return [r["id"] for r in rows]

    async def write(self, rows: dict[str, tuple[list[str], list[tuple]]]) -> None:
        async with self.conn.transaction():
            for table, (columns, records) in rows.items():
                if records:
                    await self.conn.copy_records_to_table(table, records=records, columns=columns)

    async def analyze(self) -> None:
        await self.conn.execute("ANALYZE")

    async def close(self) -> None:
        await self.conn.close()


class SqliteWriter(Writer):
    """One sqlite3 connection; datetimes are stored by piccolo's adapters (registered
    on import of piccolo's SQLite engine), exactly as the app stores them."""

    def __init__(self, path: Path):
        import sqlite3

        import piccolo.engine.sqlite  # noqa: F401 (registers the datetime adapters)

        # Written from a worker thread (see fill_tenant), one write at a time.
        self.conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
        self.next: dict[str, int] = {}

    async def reserve(self, table: str, count: int) -> list[int]:
        start = self.next.get(table)
        if start is None:
            query = f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"'
            start = self.conn.execute(query).fetchone()[0]
        self.next[table] = start + count
        return list(range(start, start + count))

    async def write(self, rows: dict[str, tuple[list[str], list[tuple]]]) -> None:
        await asyncio.to_thread(self._write, rows)

    def _write(self, rows: dict[str, tuple[list[str], list[tuple]]]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for table, (columns, records) in rows.items():
                names = ", ".join(f'"{c}"' for c in columns)
                marks = ", ".join("?" for _ in columns)
                self.conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', records)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    async def analyze(self) -> None:
        self.conn.execute("ANALYZE")

    async def close(self) -> None:
        self.conn.close()


# What a tenant is made of ----------------------------------------------------------------------


ENTRY_COLUMNS = [
    "id", "tenant", "base_code", "name", "item_type", "levels", "status", "source",
    "current_version", "created_at", "updated_at",
]  # fmt: skip
ENTRY_VERSION_COLUMNS = ["id", "tenant", "entry", "number", "document", "created_by", "created_at"]
ITEM_COLUMNS = [
    "id", "tenant", "catalog_entry", "agency", "division", "impl_code", "base_code",
    "handling_item", "name", "item_type", "levels", "status", "themes", "service_kind",
    "search_text", "draft_version", "published_version", "lock_version", "created_at",
    "updated_at",
]  # fmt: skip
ITEM_VERSION_COLUMNS = [
    "id", "tenant", "item", "number", "document", "note", "created_by", "created_at",
    "published_at",
]  # fmt: skip
SEARCH_COLUMNS = ["tenant", "item", "version", "kind", "term", "weight"]


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    name: str
    uscc: str
    nature: str
    division_id: int
    division_code: str
    sectors: tuple[str, ...]
    level: str


@dataclass(frozen=True)
class Pair:
    """One item to write: an agency implementing a sub-item of a demo entry."""

    variant: int
    entry: Any  # DemoEntry
    agency: AgencyInfo


def variant_code(base_code: str, variant: int) -> str:
    return base_code if variant == 0 else f"{base_code}-{variant:03d}"


def variant_name(name: str, variant: int) -> str:
    return name if variant == 0 else f"{name}(子项{variant})"


def plan(pairs: list[tuple[Any, AgencyInfo]], count: int) -> Iterator[Pair]:
    """``count`` items: every (entry, agency) pair, then again as sub-item 1, 2 ..."""
    if not pairs:
        return
    if count > len(pairs) * MAX_VARIANTS:
        raise SystemExit(f"at most {len(pairs) * MAX_VARIANTS} items per tenant of this plugin")
    for n in range(count):
        entry, agency = pairs[n % len(pairs)]
        yield Pair(n // len(pairs), entry, agency)


class TenantData:
    """Builds the rows of one tenant with core's own functions."""

    def __init__(self, ctx: Any, dataset: Any, agencies: list[AgencyInfo], now: datetime):
        from piccolo.utils.encoding import dump_json

        from qingdan.core.catalog.codes import ImplCode
        from qingdan.core.catalog.services import _indexed_columns
        from qingdan.core.catalog.validation import dump_document, validate_document
        from qingdan.core.publishing.search import index_rows

        self.ctx = ctx
        self.tenant_id = ctx.tenant_id
        self.dataset = dataset
        self.agencies = agencies
        self.now = now
        self.code_format = ctx.code_format()
        self.theme_names = ctx.taxonomies().theme_names()
        self._dump_json = dump_json
        self._impl = ImplCode
        self._indexed = _indexed_columns
        self._dump = dump_document
        self._validate = validate_document
        self._index_rows = index_rows

    def pairs(self, entries: list[Any]) -> list[tuple[Any, AgencyInfo]]:
        """What the demo loader implements: per agency, the entries of its sectors at
        its level, of the types and levels the plugin manages."""
        from qingdan.core.catalog.vocab import ItemType, Level

        plugin = self.ctx.plugin
        allowed = set(plugin.item_types(self.ctx.settings))
        covered = set(plugin.jurisdiction.levels)
        usable = [
            e
            for e in entries
            if ItemType(e.elements["item_type"]) in allowed
            and covered.intersection(Level(lv) for lv in e.levels)
        ]
        return [
            (e, a)
            for a in self.agencies
            for e in usable
            if e.sector in a.sectors and a.level in e.levels
        ]

    def entry_rows(
        self, keys: list[tuple[Any, int]], *, ids: list[int], version_ids: list[int]
    ) -> dict[str, tuple[list[str], list[tuple]]]:
        from qingdan.core.catalog.schemas import pack_codes
        from qingdan.core.catalog.vocab import ItemStatus

        entries, versions = [], []
        for (entry, variant), entry_id, version_id in zip(keys, ids, version_ids, strict=True):
            doc = self._validate(
                entry.elements
                | {
                    "base_code": variant_code(entry.base_code, variant),
                    "name": variant_name(entry.elements["name"], variant),
                }
            )
            entries.append(
                (
                    entry_id, self.tenant_id, doc.base_code, doc.name, doc.item_type.value,
                    pack_codes([lv.value for lv in doc.levels]), ItemStatus.published.value,
                    "provincial", version_id, self.now, self.now,
                )
            )  # fmt: skip
            versions.append(
                (
                    version_id, self.tenant_id, entry_id, 1,
                    self._dump_json(self._dump(doc)), None, self.now,
                )
            )  # fmt: skip
        return {
            "catalog_entry": (ENTRY_COLUMNS, entries),
            "catalog_entry_version": (ENTRY_VERSION_COLUMNS, versions),
        }

    def item_rows(
        self,
        batch: list[Pair],
        *,
        entry_ids: dict[tuple[str, int], int],
        ids: list[int],
        version_ids: list[int],
    ) -> dict[str, tuple[list[str], list[tuple]]]:
        from qingdan.core.catalog.vocab import AgencyNature, ItemStatus
        from qingdan.core.demo.loader import _place_elements

        items, versions, terms = [], [], []
        for pair, item_id, version_id in zip(batch, ids, version_ids, strict=True):
            entry, agency = pair.entry, pair.agency
            base_code = variant_code(entry.base_code, pair.variant)
            impl_code = self.code_format.compose_impl_code(
                self._impl(
                    base_code=base_code,
                    division_code=agency.division_code,
                    uscc=agency.uscc,
                    handling_item="00",
                )
            )
            # As create_item: the entry's document, the place, then the item's own codes.
            place = _place_elements(self.dataset, entry, agency.name, agency.division_code)
            doc = self._validate(
                entry.elements
                | place
                | {
                    "name": variant_name(entry.elements["name"], pair.variant),
                    "base_code": base_code,
                    "impl_code": impl_code,
                    "handling_item": "00",
                    "agency_name": agency.name,
                    "agency_uscc": agency.uscc,
                    "agency_nature": AgencyNature(agency.nature).value,
                }
            )
            indexed = {col._meta.name: v for col, v in self._indexed(doc, agency.name).items()}
            items.append(
                (
                    item_id, self.tenant_id, entry_ids[(entry.base_code, pair.variant)],
                    agency.id, agency.division_id, impl_code, base_code, "00",
                    indexed["name"], indexed["item_type"], indexed["levels"],
                    ItemStatus.published.value, indexed["themes"], indexed["service_kind"],
                    indexed["search_text"], None, version_id, 1, self.now, self.now,
                )
            )  # fmt: skip
            versions.append(
                (
                    version_id, self.tenant_id, item_id, 1, self._dump_json(self._dump(doc)),
                    "认领/新建", None, self.now, self.now,
                )
            )  # fmt: skip
            for row in self._index_rows(doc, agency.name, self.theme_names, item_id, version_id):
                terms.append(
                    (self.tenant_id, item_id, version_id, row["kind"], row["term"], row["weight"])
                )
        return {
            "item": (ITEM_COLUMNS, items),
            "item_version": (ITEM_VERSION_COLUMNS, versions),
            "search_term": (SEARCH_COLUMNS, terms),
        }


# Tenants -------------------------------------------------------------------------------------


async def next_number() -> int:
    from qingdan.core.tenancy.tables import Tenant

    rows = await Tenant.select(Tenant.slug).where(Tenant.slug.like("bench-%"))
    numbers = [int(r["slug"].split("-")[1]) for r in rows if r["slug"].split("-")[1].isdigit()]
    return max(numbers, default=0) + 1


async def create_tenant(number: int, plugin: Any, users: bool) -> tuple[Any, list[AgencyInfo]]:
    """The tenant with its plugin's demo divisions and agencies, through the services."""
    from qingdan.core.audit.services import Actor
    from qingdan.core.db import atomic
    from qingdan.core.demo import loader
    from qingdan.core.tenancy import services as tenancy
    from qingdan.core.tenancy.context import load_context
    from qingdan.core.tenancy.tables import Agency, Division

    dataset = plugin.demo_dataset()
    jurisdiction = plugin.jurisdiction
    actor = Actor.system(GENERATOR)
    async with atomic():
        tenant = await tenancy.create_tenant(
            actor, f"bench-{number:02d}", f"{jurisdiction.name}(基准{number})", plugin.name
        )
        ctx = await load_context(tenant_id=tenant.id)
        division_ids = await loader._load_divisions(ctx, dataset, jurisdiction.division_code)
        made = await loader._load_agencies(ctx, dataset, division_ids)
        if users:
            await loader._load_users(ctx, made)
    codes = {
        d["id"]: d["code"] for d in await ctx.scope.select(Division, Division.id, Division.code)
    }
    rows = {
        r["id"]: r
        for r in await ctx.scope.select(
            Agency, Agency.id, Agency.uscc, Agency.nature, Agency.division
        )
    }
    agencies = [
        AgencyInfo(
            id=a["id"],
            name=a["name"],
            uscc=rows[a["id"]]["uscc"],
            nature=rows[a["id"]]["nature"],
            division_id=rows[a["id"]]["division"],
            division_code=codes[rows[a["id"]]["division"]],
            sectors=tuple(a["sectors"]),
            level=a["level"].value,
        )
        for a in made
    ]
    return ctx, agencies


@dataclass
class Counts:
    entries: int = 0
    items: int = 0
    versions: int = 0
    terms: int = 0

    @property
    def rows(self) -> int:
        return self.entries * 2 + self.items + self.versions + self.terms


async def fill_tenant(
    writer: Writer, ctx: Any, agencies: list[AgencyInfo], count: int, batch_size: int
) -> Counts:
    from qingdan.core.audit.services import Actor, record
    from qingdan.core.db import atomic
    from qingdan.core.demo.catalog import load_national_catalog

    data = TenantData(ctx, ctx.plugin.demo_dataset(), agencies, datetime.now(UTC))
    pairs = data.pairs(load_national_catalog())
    todo = list(plan(pairs, count))
    counts = Counts()
    # The catalog entries (sub-items) the items stand on, first.
    by_code = {p.entry.base_code: p.entry for p in todo}
    keys = list(dict.fromkeys((p.entry.base_code, p.variant) for p in todo))
    entry_ids = dict(zip(keys, await writer.reserve("catalog_entry", len(keys)), strict=True))
    entry_versions = await writer.reserve("catalog_entry_version", len(keys))
    item_ids = await writer.reserve("item", len(todo))
    version_ids = await writer.reserve("item_version", len(todo))
    batches: list[tuple[Any, ...]] = [
        (
            data.entry_rows,
            [(by_code[c], v) for c, v in keys[i : i + batch_size]],
            [entry_ids[k] for k in keys[i : i + batch_size]],
            entry_versions[i : i + batch_size],
        )
        for i in range(0, len(keys), batch_size)
    ]
    batches += [
        (
            functools.partial(data.item_rows, entry_ids=entry_ids),
            todo[i : i + batch_size],
            item_ids[i : i + batch_size],
            version_ids[i : i + batch_size],
        )
        for i in range(0, len(todo), batch_size)
    ]
    # Build the next batch (in a thread) while the last one is being written.
    writing: asyncio.Task | None = None
    for build, chunk, ids, versions in batches:
        rows = await asyncio.to_thread(build, chunk, ids=ids, version_ids=versions)
        if writing is not None:
            await writing
        writing = asyncio.create_task(writer.write(rows))
        if "item" in rows:
            counts.items += len(chunk)
            counts.versions += len(chunk)
            counts.terms += len(rows["search_term"][1])
        else:
            counts.entries += len(chunk)
    if writing is not None:
        await writing
    async with atomic():
        await record(
            ctx.tenant_id, Actor.system(GENERATOR), "bench.generate", "tenant", ctx.tenant_id,
            f"批量生成基准测试数据:{counts.entries} 个基本目录事项,{counts.items} 个已发布的实施清单事项",
            {"entries": counts.entries, "items": counts.items, "search_terms": counts.terms},
        )  # fmt: skip
    return counts


# Running -------------------------------------------------------------------------------------


def shares(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def generate(args: argparse.Namespace) -> None:
    url = benchlib.database_url(args.database_url)
    if args.drop:
        await benchlib.drop_database(url)
        print(f"dropped {url}")
        return
    if args.fresh:
        await benchlib.drop_database(url)
    created = await benchlib.create_database(url)
    benchlib.configure(url, args.data_dir)
    await benchlib.open_database(url)

    from qingdan.core.plugins import get_registry
    from qingdan.core.publishing import search

    # The sub-items repeat their entry's texts: segment each text once.
    search.segment = functools.lru_cache(maxsize=200_000)(search.segment)
    await search.ready()
    plugins = sorted(
        (p for p in get_registry() if p.demo_dataset() is not None), key=lambda p: p.name
    )
    if not plugins:
        raise SystemExit("no installed plugin has demo data")
    where = url.split("@")[-1] if benchlib.is_postgres(url) else url
    print(f"{'created' if created else 'existing'} database {where}; {benchlib.machine()}")

    if benchlib.is_postgres(url):
        writer: Writer = await PostgresWriter.open(url, args.check_foreign_keys)
    else:
        writer = SqliteWriter(benchlib.sqlite_file(url))
    total = Counts()
    setup = bulk = 0.0
    first = await next_number()
    t_all = time.perf_counter()
    try:
        for i, count in enumerate(shares(args.items, args.tenants)):
            plugin = plugins[i % len(plugins)]
            t0 = time.perf_counter()
            ctx, agencies = await create_tenant(first + i, plugin, args.users)
            t1 = time.perf_counter()
            counts = await fill_tenant(writer, ctx, agencies, count, args.batch)
            t2 = time.perf_counter()
            setup, bulk = setup + t1 - t0, bulk + t2 - t1
            for name in ("entries", "items", "versions", "terms"):
                setattr(total, name, getattr(total, name) + getattr(counts, name))
            print(
                f"{ctx.slug} ({plugin.name}): {len(agencies)} agencies in {t1 - t0:.1f} s; "
                f"{counts.entries} entries, {counts.items} items, {counts.terms} search rows "
                f"in {t2 - t1:.1f} s = {counts.items / max(t2 - t1, 1e-9):.0f} items/s, "
                f"{counts.rows / max(t2 - t1, 1e-9):.0f} rows/s"
            )
        t_write = time.perf_counter() - t_all
        t3 = time.perf_counter()
        await writer.analyze()
        t_analyze = time.perf_counter() - t3
    finally:
        await writer.close()
    print(
        f"total: {args.tenants} tenants, {total.entries} catalog entries, {total.items} items, "
        f"{total.terms} search rows ({total.rows} rows) in {t_write:.1f} s "
        f"(tenants, divisions, agencies{', users' if args.users else ''}: {setup:.1f} s; "
        f"bulk rows: {bulk:.1f} s)"
    )
    print(f"bulk items/s: {total.items / max(bulk, 1e-9):.0f}")
    print(f"bulk rows/s: {total.rows / max(bulk, 1e-9):.0f}")
    print(f"overall items/s: {total.items / max(t_write, 1e-9):.0f}")
    print(f"ANALYZE: {t_analyze:.1f} s")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--items", type=int, default=300_000, help="items in all, shared out")
    parser.add_argument("--database-url", default=None, help=benchlib.DEFAULT_DATABASE_URL)
    parser.add_argument("--data-dir", type=Path, default=None, help=str(benchlib.DEFAULT_DATA_DIR))
    parser.add_argument("--batch", type=int, default=1000, help="items per transaction")
    parser.add_argument(
        "--check-foreign-keys",
        action="store_true",
        help="PostgreSQL: keep the per-row foreign-key checks while writing (slower)",
    )
    parser.add_argument("--users", action="store_true", help="the demo accounts in each tenant")
    parser.add_argument("--fresh", action="store_true", help="drop the bench database first")
    parser.add_argument("--drop", action="store_true", help="drop the bench database and stop")
    args = parser.parse_args(argv)
    if args.tenants < 1 or args.items < 0 or args.batch < 1:
        parser.error("--tenants and --batch must be at least 1, --items not negative")
    return args


if __name__ == "__main__":
    asyncio.run(generate(parse(sys.argv[1:])))
