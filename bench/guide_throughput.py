"""Public guide page (/p/{slug}/items/{id}) throughput and latency at 50 concurrent
connections, against a bare Litestar Jinja page (bench/bare_page.py) measured in
the same run: the ratio of the two is the figure.

    .venv/bin/python bench/guide_throughput.py                    # both setups
    .venv/bin/python bench/guide_throughput.py --setups embedded --duration 5

Setups:

- ``embedded``: the embedded default, ``qingdan serve`` on a SQLite file in its
  own data dir, no Redis (jobs in-process). Its data is made on first use with
  bench/generate_province.py (``--embedded-items``, one tenant).
- ``production``: ``qingdan serve`` on the PostgreSQL bench database (made with
  bench/generate_province.py beforehand) and Redis (database 9).

Each server is one uvicorn process, started in a subprocess and stopped after
its run; the bare page runs the same way. Load comes from this process: 50
keep-alive HTTP/1.1 connections (``--client raw``: a minimal asyncio client,
cheap enough not to be the bottleneck on two cores; ``--client httpx`` is
there to compare), each asking for a random published item of the tenant in
turn, with no validators (so never a 304). (wrk is not installed on the
machine the figures come from, and system packages are not installed for the
bench, so the load is Python's.) Memory is each server's peak resident set
(VmHWM) after its run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import benchlib

EMBEDDED_DIR = Path("/tmp/qingdan-bench-embedded")


# Load ------------------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    peak_kib: int = 0
    bytes: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        lat = self.latencies
        size = self.bytes / max(len(lat), 1) / 1024
        return (
            f"{self.name:<34} {self.rps:8.0f} req/s  p50 {benchlib.ms(benchlib.percentile(lat, 50))}"
            f"  p95 {benchlib.ms(benchlib.percentile(lat, 95))}"
            f"  p99 {benchlib.ms(benchlib.percentile(lat, 99))}"
            f"  errors {self.errors}  {size:.1f} KiB/page  peak RSS {benchlib.mib(self.peak_kib)}"
        )


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Status and body length of one HTTP/1.1 response (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
    if "content-length" in headers:
        size = int(headers["content-length"])
        await reader.readexactly(size)
        return status, size
    if headers.get("transfer-encoding") == "chunked":
        size = 0
        while True:
            chunk = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(chunk + 2)
            size += chunk
            if chunk == 0:
                return status, size
    return status, len(await reader.read())


async def _raw_connection(
    host: str, port: int, paths: list[str], until: float, run: Run, record_from: float
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            path = random.choice(paths)
            request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/html\r\n\r\n"
            t0 = time.perf_counter()
            writer.write(request.encode())
            status, size = await _read_response(reader)
            t1 = time.perf_counter()
            if t0 >= record_from:
                if status == 200:
                    run.latencies.append(t1 - t0)
                    run.bytes += size
                else:
                    run.errors += 1
    finally:
        writer.close()


async def _httpx_connection(
    client: object, base: str, paths: list[str], until: float, run: Run, record_from: float
) -> None:
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        response = await client.get(base + random.choice(paths))  # type: ignore[attr-defined]
        t1 = time.perf_counter()
        if t0 >= record_from:
            if response.status_code == 200:
                run.latencies.append(t1 - t0)
                run.bytes += len(response.content)
            else:
                run.errors += 1


async def load(
    base: str,
    paths: list[str],
    run: Run,
    connections: int,
    warmup: float,
    duration: float,
    client: str,
) -> None:
    """``connections`` clients asking in a loop; requests started after the warm-up count."""
    parts = urlparse(base)
    start = time.perf_counter()
    record_from, until = start + warmup, start + warmup + duration
    if client == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=60) as http:
            await asyncio.gather(
                *(
                    _httpx_connection(http, base, paths, until, run, record_from)
                    for _ in range(connections)
                )
            )
    else:
        await asyncio.gather(
            *(
                _raw_connection(parts.hostname, parts.port, paths, until, run, record_from)
                for _ in range(connections)
            )
        )
    run.seconds = time.perf_counter() - record_from


# Servers ---------------------------------------------------------------------------------------


def server_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGDAN_")}
    return env | {"QINGDAN_LOG_LEVEL": "WARNING"} | extra


async def measure(
    name: str,
    args: list[str],
    env: dict[str, str],
    port: int,
    paths: list[str],
    opts: argparse.Namespace,
) -> Run:
    logs = benchlib.DEFAULT_DATA_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    proc = benchlib.start(args, env, logs / f"{name.split()[0]}.log")
    run = Run(name)
    try:
        base = f"http://127.0.0.1:{port}"
        await benchlib.wait_http(base + paths[0], proc)
        await load(base, paths, run, opts.connections, opts.warmup, opts.duration, opts.client)
        run.peak_kib = benchlib.memory_kib(proc.pid)["peak"]
    finally:
        benchlib.stop(proc)
    print(run.line(), flush=True)
    return run


def bare_server(port: int) -> list[str]:
    return [
        benchlib.PYTHON, "-m", "uvicorn", "bare_page:app", "--app-dir", "bench",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


def qingdan_server(port: int) -> list[str]:
    return [
        benchlib.PYTHON,
        "-m",
        "qingdan.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


async def guide_paths(url: str, data_dir: Path, sample: int) -> list[str]:
    """Guide page paths of published items of the first bench tenant."""
    benchlib.configure(url, data_dir)
    await benchlib.open_database(url)
    from qingdan.core.catalog.tables import Item
    from qingdan.core.db import close_pool
    from qingdan.core.tenancy.context import load_context
    from qingdan.core.tenancy.tables import Tenant

    tenant = (
        await Tenant.select(Tenant.slug)
        .where(Tenant.slug.like("bench-%"))
        .order_by(Tenant.id)
        .first()
    )
    if tenant is None:
        raise SystemExit(f"no bench tenant in {url}: run bench/generate_province.py first")
    ctx = await load_context(slug=tenant["slug"])
    rows = await ctx.scope.select(Item, Item.id).where(Item.published_version.is_not_null())
    await close_pool()
    ids = [r["id"] for r in rows]
    random.Random(8).shuffle(ids)
    print(
        f"{url.split('@')[-1]}: tenant {ctx.slug}, {len(ids)} published items, {min(sample, len(ids))} used"
    )
    return [f"/p/{ctx.slug}/items/{i}" for i in ids[:sample]]


def ensure_embedded(items: int) -> str:
    url = f"sqlite:///{EMBEDDED_DIR / 'qingdan.sqlite3'}"
    if not (EMBEDDED_DIR / "qingdan.sqlite3").exists():
        subprocess.run(
            [
                benchlib.PYTHON, "bench/generate_province.py", "--tenants", "1", "--items",
                str(items), "--database-url", url, "--data-dir", str(EMBEDDED_DIR),
            ],
            cwd=benchlib.REPO, check=True,
        )  # fmt: skip
    return url


async def main(opts: argparse.Namespace) -> None:
    print(f"machine: {benchlib.machine()}")
    print(
        f"{opts.connections} connections, {opts.warmup:.0f} s warm-up, {opts.duration:.0f} s measured, "
        f"client {opts.client}"
    )
    production_url = benchlib.database_url(opts.database_url)  # before configure() sets it
    runs: list[tuple[Run, Run]] = []
    for setup in opts.setups.split(","):
        if setup == "embedded":
            url = ensure_embedded(opts.embedded_items)
            paths = await guide_paths(url, EMBEDDED_DIR, opts.sample)
            env = server_env({"QINGDAN_DATA_DIR": str(EMBEDDED_DIR)})
        elif setup == "production":
            url = production_url
            paths = await guide_paths(url, benchlib.DEFAULT_DATA_DIR, opts.sample)
            env = server_env(
                {
                    "QINGDAN_DATA_DIR": str(benchlib.DEFAULT_DATA_DIR),
                    "QINGDAN_DATABASE_URL": url,
                    "QINGDAN_REDIS_URL": opts.redis_url,
                }
            )
        else:
            raise SystemExit(f"unknown setup {setup!r} (embedded, production)")
        port = benchlib.free_port()
        bare = await measure(
            "bare Litestar Jinja page", bare_server(port), server_env({}), port, ["/page"], opts
        )
        port = benchlib.free_port()
        guide = await measure(f"guide page, {setup}", qingdan_server(port), env, port, paths, opts)
        runs.append((bare, guide))
    print()
    for bare, guide in runs:
        ratio = guide.rps / bare.rps if bare.rps else float("nan")
        print(f"{guide.name}: {ratio:.3f} of the bare page's throughput ({1 / ratio:.1f}x slower)")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setups", default="embedded,production")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=float, default=20, help="seconds measured per server")
    parser.add_argument("--warmup", type=float, default=3, help="seconds before measuring")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--sample", type=int, default=500, help="how many items to ask for")
    parser.add_argument("--embedded-items", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help=benchlib.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=benchlib.DEFAULT_REDIS_URL)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))
