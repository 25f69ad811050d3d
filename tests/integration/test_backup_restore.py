"""A backup restored into an empty database holds the same catalog (docs/operations.md)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid

import pytest

from qingdan.core.catalog.tables import CatalogEntry, Item
from qingdan.core.config import get_settings

pytestmark = pytest.mark.db

PG_ADMIN_URL = os.environ.get(
    "QINGDAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qingdan.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _catalog_rows(settings_env: dict[str, str], tenant_id: int) -> list[tuple]:
    query = (
        "SELECT e.base_code, e.name, e.status, i.impl_code, i.status FROM catalog_entry e "
        f"JOIN item i ON i.catalog_entry = e.id WHERE e.tenant = {int(tenant_id)} ORDER BY i.impl_code"
    )
    url = settings_env.get("QINGDAN_DATABASE_URL")
    if url:
        import asyncpg

        conn = await asyncpg.connect(url)
        try:
            return [tuple(r) for r in await conn.fetch(query)]
        finally:
            await conn.close()
    path = os.path.join(settings_env["QINGDAN_DATA_DIR"], "qingdan.sqlite3")
    with sqlite3.connect(path) as conn:
        return [tuple(r) for r in conn.execute(query)]


async def test_backup_restored_into_an_empty_database_has_the_same_catalog(
    database, make_tenant, tmp_path
):
    from qingdan.core.catalog.services import create_item
    from qingdan.core.testing import SYSTEM

    t = await make_tenant()
    await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    source_env = dict(os.environ)
    expected = await _catalog_rows(source_env, t.tenant_id)
    assert len(expected) == await t.ctx.scope.count(Item) >= 1
    assert await t.ctx.scope.count(CatalogEntry) >= 1

    archive = tmp_path / "qingdan-backup.tar.gz"
    made = _cli("backup", "--output", str(archive), env=source_env)
    assert made.returncode == 0, made.stderr
    assert archive.stat().st_size > 0

    target_env = {k: v for k, v in os.environ.items() if not k.startswith("QINGDAN_")}
    target_env["QINGDAN_DATA_DIR"] = str(tmp_path / "restored")
    target_env["QINGDAN_SECRET_KEY"] = "restore-test"
    target_db = None
    if not get_settings().is_sqlite:
        target_db = f"qingdan_restore_{uuid.uuid4().hex[:8]}"
        await _pg(f'CREATE DATABASE "{target_db}"')
        target_env["QINGDAN_DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + target_db
    try:
        restored = _cli("restore", str(archive), env=target_env)
        assert restored.returncode == 0, restored.stderr
        assert "行数核对一致" in restored.stdout
        assert await _catalog_rows(target_env, t.tenant_id) == expected
        # The audit chain came across intact, and a second restore is refused.
        verified = _cli("audit", "verify", "--tenant", t.slug, env=target_env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        again = _cli("restore", str(archive), env=target_env)
        assert again.returncode == 1 and "不是空的" in again.stderr
    finally:
        if target_db:
            await _pg(f'DROP DATABASE IF EXISTS "{target_db}" WITH (FORCE)')


def test_restore_refuses_a_backup_of_the_other_engine(tmp_path):
    import io
    import json
    import tarfile

    archive = tmp_path / "other.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = json.dumps(
            {
                "engine": "postgresql",
                "database": "database.pgdump",
                "row_counts": {},
                "migrations": [],
                "created_at": "x",
            }
        ).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGDAN_")}
    env["QINGDAN_DATA_DIR"] = str(tmp_path / "empty")
    env["QINGDAN_SECRET_KEY"] = "x"
    done = _cli("restore", str(archive), env=env)
    assert done.returncode == 1 and "同一种数据库" in done.stderr
