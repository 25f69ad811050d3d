"""Bulk PDF rendering of N guides by 1 and by 2 worker processes, against WeasyPrint
alone on the same HTML: the overhead ratio is the figure.

    .venv/bin/python bench/bulk_pdf.py                        # 1,000 guides
    .venv/bin/python bench/bulk_pdf.py --guides 50

Needs the PostgreSQL bench database (bench/generate_province.py) and Redis
(database 9 by default). The first N published items of the bench tenants
are used; their stored guide PDFs are removed before each run, so every run
renders the same N guides.

- qingdan: ``qingdan worker`` processes (``--threads 4`` each, as in
  docker-compose.yml) are started and ready, then one ``generate_guide`` job
  per item is sent through Redis, as publication sends it; the time runs until
  the last PDF is recorded in the database (``guide_file``). A job renders both
  kinds (the screen and the print PDF with its QR code), stores each file and
  audits it.
- WeasyPrint alone: the same guides' HTML, built beforehand with
  core/publishing/guides.py exactly as the job builds it, rendered with
  ``HTML(string=...).write_pdf()`` in 1 and in 2 fresh processes splitting the
  list, nothing else.

Memory: each process's peak resident set (VmHWM) at the end of its run.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

import benchlib

READY = "后台任务进程已启动"
#: What one generate_guide job renders.
KINDS = ("screen", "print")


# WeasyPrint alone ------------------------------------------------------------------------------


def render_all(documents: list[str]) -> tuple[float, int, int]:
    """Render ``documents`` in this process: (seconds, bytes of PDF, peak RSS KiB)."""
    from weasyprint import HTML

    t0 = time.perf_counter()
    size = sum(len(HTML(string=html).write_pdf()) for html in documents)
    return time.perf_counter() - t0, size, benchlib.memory_kib(os.getpid())["peak"]


def weasyprint_alone(documents: list[str], processes: int) -> tuple[float, int]:
    """Wall time and the largest peak RSS of ``processes`` fresh processes sharing the list."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(processes, mp_context=context) as pool:
        # Start the processes (imports) before the clock does.
        list(pool.map(render_all, [[] for _ in range(processes)]))
        t0 = time.perf_counter()
        results = list(pool.map(render_all, [documents[i::processes] for i in range(processes)]))
        wall = time.perf_counter() - t0
    return wall, max(peak for _, _, peak in results)


# qingdan workers -------------------------------------------------------------------------------


async def chosen_items(count: int) -> list[dict[str, Any]]:
    from qingdan.core.catalog.tables import Item
    from qingdan.core.tenancy.tables import Tenant

    tenants = [r["id"] for r in await Tenant.select(Tenant.id).where(Tenant.slug.like("bench-%"))]
    rows = await (
        Item.select(Item.id, Item.tenant, Item.published_version)
        .where(Item.tenant.is_in(tenants or [0]) & Item.published_version.is_not_null())
        .order_by(Item.id)
        .limit(count)
    )
    if len(rows) < count:
        raise SystemExit(f"only {len(rows)} published bench items: run bench/generate_province.py")
    return rows


async def html_of(items: list[dict[str, Any]], kinds: list[str]) -> list[str]:
    """The HTML the job renders, built the way core builds it."""
    from qingdan.core.publishing.guides import render_guide_html
    from qingdan.core.publishing.services import guide_of
    from qingdan.core.tenancy.context import load_context

    documents = []
    for row in items:
        ctx = await load_context(tenant_id=row["tenant"])
        guide = await guide_of(ctx, row["id"], row["published_version"])
        for kind in kinds:
            documents.append(render_guide_html(guide, print_version=kind == "print", pdf=True))
    return documents


async def clear_guides(ids: list[int]) -> None:
    from qingdan.core.publishing.tables import GuideFile

    await GuideFile.delete().where(GuideFile.item.is_in(ids))


async def stored(ids: list[int], kinds: list[str]) -> int:
    from qingdan.core.publishing.tables import GuideFile

    return await GuideFile.count().where(GuideFile.item.is_in(ids) & GuideFile.kind.is_in(kinds))


def worker_env(url: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGDAN_")}
    return env | {
        "QINGDAN_DATABASE_URL": url,
        "QINGDAN_REDIS_URL": redis_url,
        "QINGDAN_DATA_DIR": str(data_dir),
        "QINGDAN_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }


async def wait_ready(log: Path, proc: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"worker exited ({proc.returncode}); see {log}")
        if READY in log.read_text(errors="replace"):
            await asyncio.sleep(2)  # connect and start its consumer threads
            return
        await asyncio.sleep(0.2)
    raise SystemExit(f"worker not ready within {timeout:.0f} s; see {log}")


async def with_workers(
    items: list[dict[str, Any]], kinds: list[str], workers: int, opts: argparse.Namespace, url: str
) -> tuple[float, int]:
    """Wall time from the first job sent to the last PDF recorded, and the largest peak RSS."""
    from qingdan.core.jobs.actors import generate_guide
    from qingdan.core.jobs.broker import broker

    ids = [r["id"] for r in items]
    await clear_guides(ids)
    broker.flush_all()  # nothing left over from an interrupted run
    logs = benchlib.DEFAULT_DATA_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = worker_env(url, opts.redis_url, benchlib.DEFAULT_DATA_DIR)
    procs = []
    try:
        for n in range(workers):
            log = logs / f"worker-{workers}-{n}.log"
            proc = benchlib.start(
                [benchlib.PYTHON, "-m", "qingdan.cli", "worker", "--threads", str(opts.threads)],
                env,
                log,
            )
            procs.append(proc)
            await wait_ready(log, proc)
        expected = len(ids) * len(kinds)
        t0 = time.perf_counter()
        for row in items:
            generate_guide.send(row["tenant"], row["id"], row["published_version"])
        deadline = t0 + opts.timeout
        while (done := await stored(ids, kinds)) < expected:
            if time.perf_counter() > deadline:
                raise SystemExit(
                    f"{done} of {expected} PDFs after {opts.timeout:.0f} s; see {logs}"
                )
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a worker exited; see {logs}")
            await asyncio.sleep(0.25)
        wall = time.perf_counter() - t0
        peak = max(benchlib.memory_kib(p.pid)["peak"] for p in procs)
    finally:
        for proc in procs:
            benchlib.stop(proc)
    return wall, peak


async def main(opts: argparse.Namespace) -> None:
    url = benchlib.database_url(opts.database_url)
    if not benchlib.is_postgres(url):
        raise SystemExit("workers need PostgreSQL and Redis: give a postgresql:// URL")
    benchlib.configure(url, redis_url=opts.redis_url)
    await benchlib.open_database(url)
    kinds = list(KINDS)
    items = await chosen_items(opts.guides)
    documents = await html_of(items, kinds)
    pdfs = len(documents)
    print(f"machine: {benchlib.machine()}")
    print(f"{opts.guides} guides x {'+'.join(kinds)} = {pdfs} PDFs\n")

    figures = {}
    for n in opts.workers:
        wall, peak = weasyprint_alone(documents, n)
        print(
            f"WeasyPrint alone, {n} process{'es' if n > 1 else ''}:  {wall:7.1f} s  "
            f"{pdfs / wall:5.2f} PDF/s  peak RSS {benchlib.mib(peak)}",
            flush=True,
        )
        figures[("alone", n)] = wall
    for n in opts.workers:
        wall, peak = await with_workers(items, kinds, n, opts, url)
        print(
            f"qingdan, {n} worker{'s' if n > 1 else ''}:           {wall:7.1f} s  "
            f"{pdfs / wall:5.2f} PDF/s  peak RSS {benchlib.mib(peak)} (largest worker)",
            flush=True,
        )
        figures[("qingdan", n)] = wall
    print()
    for n in opts.workers:
        ratio = figures[("qingdan", n)] / figures[("alone", n)]
        print(f"overhead with {n} worker{'s' if n > 1 else ''}: {ratio:.2f}x WeasyPrint alone")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guides", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--timeout", type=float, default=7200)
    parser.add_argument("--database-url", default=None, help=benchlib.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=benchlib.DEFAULT_REDIS_URL)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
