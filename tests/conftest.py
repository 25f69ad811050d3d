"""Test configuration: which database, a migrated schema, tenants to work in.

``QINGDAN_TEST_DB=sqlite`` (default) runs on a fresh SQLite file;
``QINGDAN_TEST_DB=postgres`` creates a fresh PostgreSQL database on
``QINGDAN_TEST_PG_URL`` (default postgresql://postgres@127.0.0.1:5432/postgres)
and drops it afterwards. The environment is set before qingdan is imported,
so every module sees the same settings.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
import uuid

import pytest

BACKEND = os.environ.get("QINGDAN_TEST_DB", "sqlite")
PG_ADMIN_URL = os.environ.get(
    "QINGDAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_TMP = tempfile.mkdtemp(prefix="qingdan-test-")
_PG_DB = f"qingdan_test_{uuid.uuid4().hex[:10]}"

os.environ["QINGDAN_DATA_DIR"] = _TMP
BROKER = os.environ.get("QINGDAN_TEST_BROKER", "stub")
if BROKER == "redis":
    _redis = os.environ.get("QINGDAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    _xdist = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... under -n
    if _xdist:
        # Each test process its own Redis database (15, 14, ...): a test flushes
        # its broker and must not drop another process's messages.
        _base, _, _db = _redis.rpartition("/")
        _redis = f"{_base}/{int(_db or 0) - int(_xdist[2:])}"
    os.environ["QINGDAN_REDIS_URL"] = _redis
else:
    os.environ.pop("QINGDAN_REDIS_URL", None)
os.environ["QINGDAN_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["QINGDAN_TEST_FAST_HASH"] = "1"
if BACKEND == "postgres":
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    os.environ["QINGDAN_DATABASE_URL"] = f"{base}/{_PG_DB}"
elif BACKEND == "sqlite":
    os.environ.pop("QINGDAN_DATABASE_URL", None)
else:
    raise RuntimeError(f"QINGDAN_TEST_DB must be sqlite or postgres, not {BACKEND!r}")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pytest_report_header(config):
    where = os.environ.get("QINGDAN_DATABASE_URL", _TMP)
    return f"qingdan test database: {BACKEND} ({where}); job broker: {BROKER}"


def pytest_sessionstart(session):
    if BACKEND == "postgres":
        asyncio.run(_pg_admin(f'CREATE DATABASE "{_PG_DB}"'))


def pytest_sessionfinish(session, exitstatus):
    if BACKEND == "postgres":
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{_PG_DB}" WITH (FORCE)'))


@pytest.fixture(scope="session")
async def database():
    """A migrated database for the whole run; tests isolate by tenant."""
    from qingdan.core.config import get_settings
    from qingdan.core.db import connect
    from qingdan.core.db.migrate import migrate

    connect(get_settings())
    await migrate()
    yield BACKEND


_counter = itertools.count(1)


@pytest.fixture
def unique():
    """A short unique suffix for slugs, usernames and codes in one test."""
    return f"{next(_counter)}{uuid.uuid4().hex[:4]}"


@pytest.fixture
async def make_tenant(database, unique):
    """Create a tenant bound to a plugin, with a city division and two agencies."""
    from qingdan.core.testing import TenantFixture, build_tenant

    async def make(plugin: str = "sample", slug: str | None = None) -> TenantFixture:
        return await build_tenant(plugin=plugin, slug=slug or f"t{unique}{next(_counter)}")

    return make


@pytest.fixture
def broker(database):
    """The broker on a clean slate, for tests that queue jobs and start a worker later."""
    from qingdan.core.testing.jobs import fresh_broker

    return fresh_broker()


@pytest.fixture
def job_worker(database):
    """A one-thread worker over a clean broker, running this test's jobs."""
    from qingdan.core.testing.jobs import start_worker, stop_worker

    worker = start_worker()
    yield worker
    stop_worker(worker)
