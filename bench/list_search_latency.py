"""Item list and search latency (p50, p95) at the size of the bench database.

    .venv/bin/python bench/list_search_latency.py                 # PostgreSQL bench database
    .venv/bin/python bench/list_search_latency.py --repeat 50 --tenant bench-02

N is what bench/generate_province.py put in the database (300,000 items for
the issue's figure). Queries run one at a time, through the core services a
page calls:

- the signed-in item list (core/catalog/services.py ``list_items``, what
  /t/{slug}/items runs): page 1 unfiltered, filtered by agency, by type and
  status, a later page by last update, words in the search box, words and an
  agency;
- the public portal (core/publishing/portal.py ``browse``, what /p/{slug}/
  runs): the first page, a search in the guide's words, a citizen's everyday
  phrase (synonyms), a search with a facet.

Each query runs once cold (its first time in this process: the portal keeps
published versions' names and facets in memory) and then ``--repeat`` times;
p50 and p95 are of the repeats.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import benchlib


async def timed(
    name: str, call: Callable[[], Awaitable[Any]], repeat: int, size: Callable[[Any], int]
) -> None:
    t0 = time.perf_counter()
    result = await call()
    cold = time.perf_counter() - t0
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await call()
        times.append(time.perf_counter() - t0)
    print(
        f"{name:<46} {size(result):>7} found  cold {benchlib.ms(cold):>10}"
        f"  p50 {benchlib.ms(benchlib.percentile(times, 50)):>10}"
        f"  p95 {benchlib.ms(benchlib.percentile(times, 95)):>10}",
        flush=True,
    )


async def main(opts: argparse.Namespace) -> None:
    url = benchlib.database_url(opts.database_url)
    benchlib.configure(url, opts.data_dir)
    await benchlib.open_database(url)
    from qingdan.core.catalog.schemas import ItemQuery
    from qingdan.core.catalog.services import list_items
    from qingdan.core.catalog.tables import Item
    from qingdan.core.publishing import portal, search
    from qingdan.core.tenancy.context import load_context
    from qingdan.core.tenancy.tables import Agency, Tenant

    total = await Item.count()
    if opts.tenant:
        slug = opts.tenant
    else:
        # The tenant with the most items.
        counts: dict[int, int] = {}
        for r in await Item.select(Item.tenant):
            counts[r["tenant"]] = counts.get(r["tenant"], 0) + 1
        if not counts:
            raise SystemExit(f"no items in {url}: run bench/generate_province.py first")
        top = max(counts, key=lambda t: counts[t])
        slug = (await Tenant.select(Tenant.slug).where(Tenant.id == top).first())["slug"]
    ctx = await load_context(slug=slug)
    mine = await ctx.scope.count(Item)
    # The agency with the most items, and a type it implements.
    by_agency: dict[int, int] = {}
    for r in await ctx.scope.select(Item, Item.agency):
        by_agency[r["agency"]] = by_agency.get(r["agency"], 0) + 1
    agency_id = max(by_agency, key=lambda a: by_agency[a])
    agency = await ctx.scope.get(Agency, agency_id, "实施机构")
    item_type = (
        await ctx.scope.select(Item, Item.item_type).where(Item.agency == agency_id).first()
    )["item_type"]
    await search.ready()
    where = url.split("@")[-1] if benchlib.is_postgres(url) else url
    print(f"{where}: {total} items in all; tenant {slug}: {mine} items")
    print(f"machine: {benchlib.machine()}; {opts.repeat} repeats each\n")

    def rows(page: Any) -> int:
        return page.total

    lists: list[tuple[str, ItemQuery]] = [
        ("list: page 1, by name", ItemQuery()),
        (f"list: agency ({by_agency[agency_id]} items)", ItemQuery(agency_id=agency_id)),
        ("list: type and status", ItemQuery(item_type=item_type, status="published")),
        ("list: page 10, by last update", ItemQuery(sort="updated", descending=True, page=10)),
        ("list: search 营业执照", ItemQuery(q="营业执照")),
        ("list: search 许可 + agency", ItemQuery(q="许可", agency_id=agency_id)),
        ("list: 100 a page, search 登记", ItemQuery(q="登记", page_size=100)),
    ]
    for name, query in lists:
        await timed(name, lambda q=query: list_items(ctx, q), opts.repeat, rows)
    print(f"  (agency: {agency.name})")
    portals: list[tuple[str, Any]] = [
        ("portal: first page", portal.PortalQuery()),
        ("portal: search 营业执照", portal.PortalQuery(q="营业执照")),
        ("portal: search 开饭店 (everyday phrase)", portal.PortalQuery(q="开饭店")),
        ("portal: search 身份证 + type facet", portal.PortalQuery(q="身份证", item_type=item_type)),
        ("portal: search 食品经营许可证 办理", portal.PortalQuery(q="食品经营许可证 办理")),
    ]
    for name, query in portals:
        await timed(name, lambda q=query: portal.browse(ctx, q), opts.repeat, rows)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help=benchlib.DEFAULT_DATABASE_URL)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--tenant", default=None, help="slug (default: the one with most items)")
    parser.add_argument("--repeat", type=int, default=20)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
