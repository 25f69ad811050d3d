"""What the bench scripts share: the bench database, percentiles, process memory.

Not a benchmark itself. The scripts import it as a sibling module (they run as
``.venv/bin/python bench/<name>.py``, which puts bench/ on the path).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse, urlunparse

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
#: The bench database: a database of its own, never the tests' or the app's.
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/qingdan_bench"
#: Redis database 9: the tests use 15 and docker-compose uses 0.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
DEFAULT_DATA_DIR = Path("/tmp/qingdan-bench")


def database_url(given: str | None) -> str:
    return given or os.environ.get("QINGDAN_DATABASE_URL") or DEFAULT_DATABASE_URL


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def sqlite_file(url: str) -> Path:
    from qingdan.core.db import sqlite_path

    return sqlite_path(url)


def configure(url: str, data_dir: Path | None = None, redis_url: str | None = None) -> Path:
    """Point this process's settings at the bench database (before qingdan reads them)."""
    data_dir = Path(data_dir or os.environ.get("QINGDAN_DATA_DIR") or DEFAULT_DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["QINGDAN_DATA_DIR"] = str(data_dir)
    os.environ["QINGDAN_DATABASE_URL"] = url
    if redis_url:
        os.environ["QINGDAN_REDIS_URL"] = redis_url
    else:
        os.environ.pop("QINGDAN_REDIS_URL", None)
    return data_dir


def _admin_url(url: str) -> tuple[str, str]:
    """The maintenance database's URL and the bench database's name."""
    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"not a bench database: {url}")
    return urlunparse(parts._replace(path="/postgres")), name


async def create_database(url: str) -> bool:
    """Create the PostgreSQL database of ``url`` if missing (True if created);
    for SQLite, make its folder."""
    if not is_postgres(url):
        sqlite_file(url).parent.mkdir(parents=True, exist_ok=True)
        return not sqlite_file(url).exists()
    import asyncpg

    admin, name = _admin_url(url)
    conn = await asyncpg.connect(admin)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    if not is_postgres(url):
        path = sqlite_file(url)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    import asyncpg

    admin, name = _admin_url(url)
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def open_database(url: str) -> None:
    """Connect qingdan to ``url`` (see :func:`configure`) and migrate it."""
    from qingdan.core.config import load_settings, set_settings
    from qingdan.core.db import connect, start_pool
    from qingdan.core.db.migrate import migrate

    settings = load_settings()
    set_settings(settings)
    connect(settings)
    await start_pool()
    await migrate()


# Figures ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100) of ``values``."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def machine() -> str:
    """One line about where the figures were taken."""
    cores = os.cpu_count()
    load = os.getloadavg()
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    return f"{cores} cores{mem}, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


# Processes -------------------------------------------------------------------------------


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak resident set since the process started), in KiB.

    Read from /proc: psutil has no peak figure on Linux. Without /proc (not
    Linux), psutil's current RSS stands for both, if psutil is installed.
    """
    out = {"rss": 0, "peak": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out["rss"] = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                out["peak"] = int(line.split()[1])
        return out
    except OSError:
        pass
    try:
        import psutil  # type: ignore[import-not-found]

        rss = psutil.Process(pid).memory_info().rss // 1024
        return {"rss": rss, "peak": rss}
    except Exception:  # no psutil, or the process is gone
        return out


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A child process in its own session, its output in ``log``."""
    handle = log.open("wb")
    return subprocess.Popen(
        args, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
    )


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a child started by :func:`start` (its process group: only what it started)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.wait()
    except ProcessLookupError:
        pass


async def wait_http(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"server exited ({proc.returncode}) before answering {url}")
            try:
                if (await client.get(url)).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"no answer from {url} within {timeout:.0f} s")
