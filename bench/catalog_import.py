"""Time to import a catalog release of 10,000 entries, then a release changing them all.

    .venv/bin/python bench/catalog_import.py            # fresh SQLite file
    QINGDAN_DATABASE_URL=postgresql://.../existing_db .venv/bin/python bench/catalog_import.py

Each entry is a demo catalog entry under a new base code, with its line
department, so the import also writes a claim task per agency it concerns;
up to 20,000 entries each carries all its demo elements, above that the
elements a basic catalog sets (so the JSON file stays under the size limit).
Prints wall time and this process's CPU time (the machine may be shared).
"""

import argparse
import asyncio
import os
import tempfile
import time

ENTRIES = 10_000
#: Up to this many entries each carries all its demo elements (a 10,000-entry JSON
#: file is about 50 MB); above it, the elements a basic catalog itself sets, so the
#: file stays under the import's size limit.
FULL_UP_TO = 20_000
CATALOG_LEVEL = {
    "name",
    "base_code",
    "item_type",
    "levels",
    "legal_basis",
    "statutory_limit",
    "acceptance_conditions",
}


def releases(fmt: str) -> tuple[bytes, bytes]:
    from qingdan.core.demo.catalog import PLACE_ELEMENTS, load_national_catalog
    from qingdan.core.imports.release_format import ExportEntry, ReleaseMeta, write_json, write_xlsx
    from qingdan.core.imports.sample import DEPARTMENTS

    demo = load_national_catalog()
    first, second = [], []
    for i in range(ENTRIES):
        e = demo[i % len(demo)]
        code = f"B{i:08d}"
        elements = {k: v for k, v in e.elements.items() if k not in PLACE_ELEMENTS}
        if ENTRIES > FULL_UP_TO:
            elements = {k: v for k, v in elements.items() if k in CATALOG_LEVEL}
        elements |= {"base_code": code, "name": f"{elements['name']}({i})"}
        first.append(
            ExportEntry(base_code=code, elements=elements, department=DEPARTMENTS[e.sector])
        )
        limit = dict(elements.get("statutory_limit") or {}) | {"value": 30}
        second.append(ExportEntry(base_code=code, elements=elements | {"statutory_limit": limit}))
    write = write_xlsx if fmt == "xlsx" else write_json
    meta = ReleaseMeta(source="provincial", mode="increment", title="基准测试")
    return write(meta, first), write(meta, second)


async def run(fmt: str) -> None:
    from qingdan.core.imports import releases as service
    from qingdan.core.testing import SYSTEM, build_tenant

    tenant = await build_tenant(slug=f"bench{fmt}{int(time.time()) % 100000}")
    first, second = releases(fmt)
    t0, c0 = time.perf_counter(), time.process_time()
    outcome = await service.import_release(tenant.ctx, SYSTEM, first, f"bench.{fmt}")
    t1, c1 = time.perf_counter(), time.process_time()
    changed = await service.import_release(tenant.ctx, SYSTEM, second, f"bench2.{fmt}")
    t2, c2 = time.perf_counter(), time.process_time()
    size = len(first) / 1024 / 1024
    print(
        f"{fmt} ({size:.1f} MB): {ENTRIES} new entries in {t1 - t0:.2f} s "
        f"(CPU of this process {c1 - c0:.2f} s), "
        f"({outcome.counts['claim_tasks']} claim tasks)"
    )
    print(
        f"{fmt}: {changed.counts['changed']} changed entries in {t2 - t1:.2f} s "
        f"(CPU {c2 - c1:.2f} s)"
    )
    print(f"machine load (1 min): {os.getloadavg()[0]:.1f}")


async def main() -> None:
    if not os.environ.get("QINGDAN_DATABASE_URL"):
        os.environ["QINGDAN_DATA_DIR"] = tempfile.mkdtemp(prefix="qingdan-bench-")
    from qingdan.core.config import get_settings
    from qingdan.core.db import connect, start_pool
    from qingdan.core.db.migrate import migrate

    connect(get_settings())
    await start_pool()
    await migrate()
    for fmt in ("json", "xlsx"):
        await run(fmt)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("entries", type=int, nargs="?", default=ENTRIES, help="事项数(默认10000)")
    ENTRIES = parser.parse_args().entries
    asyncio.run(main())
