"""Database engines: one piccolo engine per process, SQLite or PostgreSQL.

The embedded default is a SQLite file in WAL mode with a busy timeout, so the
web process and an in-process worker can share it; production points
``QINGDAN_DATABASE_URL`` at PostgreSQL. The same migrations serve both.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from qingdan.core.config import Settings

SQLITE_BUSY_TIMEOUT_S = 30

_engine: Engine | None = None


def sqlite_path(url: str) -> Path:
    return Path(urlparse(url).path if url.startswith("sqlite:////") else url[len("sqlite:///") :])


def build_engine(database_url: str) -> Engine:
    if database_url.startswith("sqlite:"):
        path = sqlite_path(database_url)
        path.parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers work while a writer writes; the mode is stored in
        # the file, so setting it once here holds for every later connection.
        with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        from qingdan.core.db.sqlite_pool import PooledSQLiteEngine

        return PooledSQLiteEngine(path=str(path), timeout=SQLITE_BUSY_TIMEOUT_S)
    if database_url.startswith(("postgres://", "postgresql://")):
        return PostgresEngine(config={"dsn": database_url}, log_queries=False)
    raise ValueError(
        f"QINGDAN_DATABASE_URL 不受支持: {database_url!r}(应以 sqlite:/// 或 postgresql:// 开头)"
    )


def connect(settings: Settings) -> Engine:
    """Bind every table to the engine of ``settings`` (idempotent per URL)."""
    global _engine
    from qingdan.core.db import piccolo_conf
    from qingdan.core.db.registry import all_tables

    engine = build_engine(settings.database_url)
    if _engine is not None and hasattr(_engine, "dispose"):
        _engine.dispose()  # its idle SQLite connections; queries in flight finish
    _engine = engine
    piccolo_conf.DB = engine
    for table in all_tables():
        table._meta.db = engine
    return engine


def get_engine() -> Engine:
    if _engine is None:
        from qingdan.core.config import get_settings

        return connect(get_settings())
    return _engine


def is_sqlite() -> bool:
    return isinstance(get_engine(), SQLiteEngine)


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """One transaction around a unit of work; a nested call joins the outer one.

    On SQLite the write lock is taken up front (BEGIN IMMEDIATE), so two
    writers queue on the busy timeout instead of deadlocking on upgrade.
    """
    engine = get_engine()
    if isinstance(engine, SQLiteEngine):
        async with engine.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with engine.transaction():
            yield


def is_unique_violation(exc: BaseException) -> bool:
    """True when ``exc`` is a unique index refusing a row (asyncpg or sqlite3 says so
    by name): another transaction wrote the same key first."""
    names = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__) if e is not None}
    if "UniqueViolationError" in names:
        return True
    return "IntegrityError" in names and "UNIQUE" in str(exc).upper()


#: SQLite's words for a database file it cannot reach right now.
_SQLITE_UNAVAILABLE = ("unable to open database", "database is locked", "disk i/o error")


def database_unavailable(exc: BaseException) -> bool:
    """True when ``exc`` says the database cannot be reached right now (restarting,
    refusing connections, a connection cut, the file gone), not that a query is wrong.

    Such a request can be answered "try again shortly" instead of as a bug.
    """
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sqlite3.OperationalError):
            return any(words in str(exc).lower() for words in _SQLITE_UNAVAILABLE)
        if isinstance(exc, (ConnectionError, TimeoutError)):  # refused, reset, timed out
            return True
        code = getattr(exc, "sqlstate", None)
        if isinstance(code, str) and type(exc).__module__.startswith("asyncpg"):
            # 08: connection exception; 57P: shutdown or restart; 53300: too many
            # connections; 55000: "database ... is not currently accepting connections".
            if code.startswith(("08", "57P")) or code == "53300":
                return True
            return code == "55000" and "accepting connections" in str(exc)
        if type(exc).__name__ == "InternalClientError" and "another operation" in str(exc):
            # A pooled connection the server cut while it sat idle (asyncpg notices
            # only when it is used next); the pool replaces it.
            return True
        if type(exc).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and (
            "closed" in str(exc) or "connection" in str(exc).lower()
        ):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


async def start_pool() -> None:
    engine = get_engine()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)


async def close_pool() -> None:
    engine = get_engine()
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()
