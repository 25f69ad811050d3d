"""Backup and restore of one deployment: the database and the file store.

A backup is one ``.tar.gz`` holding ``manifest.json`` (engine, time, the
migrations applied, row counts per table), the database (``database.sqlite3``
from SQLite's online backup, or ``database.pgdump`` from ``pg_dump -Fc``) and
``files/`` (attachments and generated PDFs). Restore only goes into an empty
database, then checks the row counts against the manifest, so a restore that
silently lost rows is reported, not trusted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from qingdan.core.config import Settings
from qingdan.core.db import sqlite_path


class BackupError(RuntimeError):
    pass


def _tables() -> list[str]:
    from qingdan.core.db.registry import all_tables

    return [t._meta.tablename for t in all_tables()]


def _pg_env(url: str) -> tuple[list[str], dict[str, str]]:
    # pg_dump/pg_restore take the URL as the database name (libpq parses it).
    return ["--dbname", url], dict(os.environ)


def _counts_sqlite(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return {
            t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
            for t in _tables()
            if t in present
        }


async def _counts_pg(url: str) -> dict[str, int]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        present = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        return {
            t: await conn.fetchval(f'SELECT COUNT(*) FROM "{t}"') for t in _tables() if t in present
        }
    finally:
        await conn.close()


async def row_counts(settings: Settings) -> dict[str, int]:
    """Rows per table of the app, as the database holds them now."""
    if settings.is_sqlite:
        path = sqlite_path(settings.database_url)
        return _counts_sqlite(path) if path.exists() else {}
    return await _counts_pg(settings.database_url)


async def _migrations(settings: Settings) -> list[str]:
    if settings.is_sqlite:
        with sqlite3.connect(sqlite_path(settings.database_url)) as conn:
            return [r[0] for r in conn.execute("SELECT name FROM migration ORDER BY name")]
    import asyncpg

    conn = await asyncpg.connect(settings.database_url)
    try:
        return [r["name"] for r in await conn.fetch("SELECT name FROM migration ORDER BY name")]
    finally:
        await conn.close()


async def backup(settings: Settings, output: Path) -> dict:
    """Write a backup archive to ``output``; returns its manifest."""
    output = output.resolve()
    with tempfile.TemporaryDirectory(prefix="qingdan-backup-") as tmp:
        work = Path(tmp)
        if settings.is_sqlite:
            source = sqlite_path(settings.database_url)
            if not source.exists():
                raise BackupError(f"数据库文件不存在: {source}")
            # The online backup API copies a consistent state while the
            # web process and workers keep writing (WAL included).
            with sqlite3.connect(source) as src, sqlite3.connect(work / "database.sqlite3") as dst:
                src.backup(dst)
            engine, dump = "sqlite", "database.sqlite3"
        else:
            args, env = _pg_env(settings.database_url)
            done = subprocess.run(
                [
                    "pg_dump",
                    "-Fc",
                    "--no-owner",
                    "--no-acl",
                    "-f",
                    str(work / "database.pgdump"),
                    *args,
                ],
                capture_output=True,
                text=True,
                env=env,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_dump 失败: {done.stderr.strip()}")
            engine, dump = "postgresql", "database.pgdump"
        manifest = {
            "format": 1,
            "engine": engine,
            "database": dump,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "migrations": await _migrations(settings),
            "row_counts": await row_counts(settings),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
        output.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(output, "w:gz") as tar:
            tar.add(work / "manifest.json", arcname="manifest.json")
            tar.add(work / dump, arcname=dump)
            if settings.files_dir.exists():
                tar.add(settings.files_dir, arcname="files")
    return manifest


async def restore(settings: Settings, archive: Path) -> dict:
    """Restore ``archive`` into the (empty) database and file store of ``settings``."""
    counts = await row_counts(settings)
    if sum(counts.values()) > 0 or (counts and not settings.is_sqlite):
        # pg_restore recreates the schema itself, so even empty tables are in its way.
        raise BackupError("目标数据库不是空的:恢复只能写入新建的空数据库(不要先运行迁移)")
    with tempfile.TemporaryDirectory(prefix="qingdan-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        wanted = "sqlite" if settings.is_sqlite else "postgresql"
        if manifest["engine"] != wanted:
            raise BackupError(f"备份来自 {manifest['engine']},目标是 {wanted}:请用同一种数据库恢复")
        if settings.is_sqlite:
            target = sqlite_path(settings.database_url)
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(work / manifest["database"], target)
        else:
            args, env = _pg_env(settings.database_url)
            done = subprocess.run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-acl",
                    "--exit-on-error",
                    *args,
                    str(work / manifest["database"]),
                ],
                capture_output=True,
                text=True,
                env=env,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_restore 失败: {done.stderr.strip()}")
        if (work / "files").exists():
            shutil.copytree(work / "files", settings.files_dir, dirs_exist_ok=True)
    restored = await row_counts(settings)
    lost = {
        t: (n, restored.get(t, 0))
        for t, n in manifest["row_counts"].items()
        if restored.get(t) != n
    }
    if lost:
        detail = ", ".join(f"{t}: 备份 {a} 行, 恢复 {b} 行" for t, (a, b) in sorted(lost.items()))
        raise BackupError(f"恢复后的行数与备份不一致: {detail}")
    return manifest
