"""Export of 10,000 published items to xlsx, as ``qingdan export`` writes it.

    .venv/bin/python bench/export_xlsx.py                  # 10,000 items, PostgreSQL bench database
    .venv/bin/python bench/export_xlsx.py --items 1000 --format csv

Uses a bench tenant with exactly ``--items`` published items, made with
bench/generate_province.py (one tenant) when there is none. The export is
core/exports ``export_file`` (the command line's path: every column of the
实施清单, from each item's published version, written beside the target and
renamed), timed end to end; then the file is opened with openpyxl to count its
rows. Memory is this process's peak resident set (VmHWM), taken before the
file is read back.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib


async def tenant_with(items: int) -> str | None:
    from qingdan.core.catalog.tables import Item
    from qingdan.core.tenancy.tables import Tenant

    for tenant in await Tenant.select(Tenant.id, Tenant.slug).where(Tenant.slug.like("bench-%")):
        count = await Item.count().where(
            (Item.tenant == tenant["id"]) & Item.published_version.is_not_null()
        )
        if count == items:
            return tenant["slug"]
    return None


async def main(opts: argparse.Namespace) -> None:
    url = benchlib.database_url(opts.database_url)
    await benchlib.create_database(url)
    data_dir = benchlib.configure(url, opts.data_dir)
    await benchlib.open_database(url)
    slug = await tenant_with(opts.items)
    if slug is None:
        print(f"no bench tenant with {opts.items} items: generating one", flush=True)
        subprocess.run(
            [
                benchlib.PYTHON, "bench/generate_province.py", "--tenants", "1", "--items",
                str(opts.items), "--database-url", url, "--data-dir", str(data_dir),
            ],
            cwd=benchlib.REPO, check=True,
        )  # fmt: skip
        slug = await tenant_with(opts.items)
        assert slug is not None
    from qingdan.core.exports.commandline import export_file

    before = benchlib.memory_kib(os.getpid())
    with tempfile.TemporaryDirectory(prefix="qingdan-export-") as folder:
        target = Path(folder) / f"{slug}.{opts.format}"
        t0 = time.perf_counter()
        count = await export_file(slug, opts.format, target)
        seconds = time.perf_counter() - t0
        after = benchlib.memory_kib(os.getpid())
        size = target.stat().st_size
        rows = None
        if opts.format == "xlsx":
            from openpyxl import load_workbook

            book = load_workbook(target, read_only=True)
            sheet = book.worksheets[0]
            rows = sum(1 for _ in sheet.iter_rows(values_only=True))
            columns = sheet.max_column or len(next(sheet.iter_rows(values_only=True)))
            book.close()
    print(f"machine: {benchlib.machine()}")
    print(
        f"{opts.format}: {count} items of {slug} in {seconds:.2f} s = {count / seconds:.0f} items/s, "
        f"{size / 1024 / 1024:.1f} MB"
        + (f", first sheet {rows} rows x {columns} columns" if rows is not None else "")
    )
    print(
        f"memory: {benchlib.mib(before['rss'])} before, peak {benchlib.mib(after['peak'])} "
        f"(this process: imports, database pool, the export)"
    )


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--format", default="xlsx", choices=("xlsx", "csv", "json"))
    parser.add_argument("--database-url", default=None, help=benchlib.DEFAULT_DATABASE_URL)
    parser.add_argument("--data-dir", default=None)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
