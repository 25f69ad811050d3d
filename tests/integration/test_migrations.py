"""The same migrations apply to an empty SQLite file and an empty PostgreSQL database.

Each run happens in a fresh process, as ``qingdan db migrate`` would, so the
engine of the test session is not involved.
"""

import asyncio
import os
import sqlite3
import subprocess
import sys
import uuid

import pytest

from qingdan.core.db.registry import all_tables

PG_ADMIN_URL = os.environ.get(
    "QINGDAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
UNIQUE_INDEXES = {
    "ux_division_tenant_code",
    "ux_agency_tenant_uscc",
    "ux_item_tenant_impl_code",
    "ux_item_version",
    "ux_audit_tenant_seq",
    "ux_catalog_entry_tenant_code",
}
TABLES = {t._meta.tablename for t in all_tables()}


def _migrate(env_extra, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGDAN_")} | env_extra
    return subprocess.run(
        [sys.executable, "-m", "qingdan.cli", "db", "migrate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_migrations_apply_to_an_empty_sqlite_file(tmp_path):
    first = _migrate({"QINGDAN_DATA_DIR": str(tmp_path / "data")}, tmp_path)
    assert first.returncode == 0, first.stderr
    db = sqlite3.connect(tmp_path / "data" / "qingdan.sqlite3")
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    assert TABLES <= names
    assert UNIQUE_INDEXES <= names
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = _migrate({"QINGDAN_DATA_DIR": str(tmp_path / "data")}, tmp_path)
    assert again.returncode == 0 and "No migrations need to be run" in again.stdout


async def _pg(sql, database="postgres", fetch=False):
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database)
    try:
        return await (conn.fetch(sql) if fetch else conn.execute(sql))
    finally:
        await conn.close()


def _pg_available():
    try:
        asyncio.run(_pg("SELECT 1"))
        return True
    except Exception:
        return False


def test_migrations_apply_to_an_empty_postgres_database(tmp_path):
    if not _pg_available():
        if os.environ.get("QINGDAN_REQUIRE_PG"):
            pytest.fail(f"PostgreSQL is required but not reachable at {PG_ADMIN_URL}")
        pytest.skip("PostgreSQL not reachable")
    name = f"qingdan_mig_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    try:
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        first = _migrate({"QINGDAN_DATABASE_URL": url, "QINGDAN_DATA_DIR": str(tmp_path)}, tmp_path)
        assert first.returncode == 0, first.stderr
        rows = asyncio.run(
            _pg(
                "SELECT tablename AS n FROM pg_tables WHERE schemaname='public' "
                "UNION SELECT indexname FROM pg_indexes WHERE schemaname='public'",
                database=name,
                fetch=True,
            )
        )
        names = {r["n"] for r in rows}
        assert TABLES <= names
        assert UNIQUE_INDEXES <= names
        again = _migrate({"QINGDAN_DATABASE_URL": url, "QINGDAN_DATA_DIR": str(tmp_path)}, tmp_path)
        assert again.returncode == 0 and "No migrations need to be run" in again.stdout
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
