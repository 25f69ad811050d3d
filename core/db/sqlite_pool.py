"""SQLite with reused connections.

Piccolo's SQLite engine opens a new connection for every statement outside a
transaction, and aiosqlite gives each connection a thread of its own: a public
guide page of ten queries started ten threads and ten connections. This engine
keeps a few idle connections and lends one per statement instead (a statement
never shares a connection with another in flight), which is what makes the
embedded default serve pages at a useful rate.

A lent connection is checked against the file it was opened on: if the
database file is gone or replaced (moved away, restored from a backup), idle
connections are dropped and the next statement opens the file anew, so it
fails or succeeds exactly as a fresh connection would.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from typing import Any

import aiosqlite
from piccolo.engine.sqlite import SQLiteEngine, dict_factory

#: Idle connections kept per engine; more may be open while busy.
MAX_IDLE = 8

_FileId = tuple[int, int]


class PooledSQLiteEngine(SQLiteEngine):
    """:class:`SQLiteEngine` that reuses connections for single statements."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle: deque[tuple[aiosqlite.Connection, _FileId]] = deque()
        self._lock = threading.Lock()  # web loop, worker loop and test loops share it
        self._disposed = False

    def _file_id(self) -> _FileId | None:
        try:
            st = os.stat(self.connection_kwargs["database"])
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    async def _open(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self.connection_kwargs)
        # An idle connection's thread must not keep the process alive at exit.
        thread = getattr(connection, "_thread", None)
        if thread is not None:
            thread.daemon = True
        await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]
        await connection.execute("PRAGMA foreign_keys = 1")
        return connection

    async def _borrow(self) -> tuple[aiosqlite.Connection, _FileId | None]:
        file_id = self._file_id()
        stale = []
        found = None
        with self._lock:
            while self._idle:
                connection, opened_on = self._idle.pop()
                if opened_on == file_id and file_id is not None:
                    found = connection
                    break
                stale.append(connection)
        for connection in stale:
            connection.stop()
        if found is not None:
            return found, file_id
        return await self._open(), file_id

    def _give_back(self, connection: aiosqlite.Connection, file_id: _FileId | None) -> None:
        with self._lock:
            if not self._disposed and file_id is not None and len(self._idle) < MAX_IDLE:
                self._idle.append((connection, file_id))
                return
        connection.stop()

    def dispose(self) -> None:
        """Close the idle connections (the engine is being replaced or shut down)."""
        with self._lock:
            self._disposed = True
            idle = [connection for connection, _ in self._idle]
            self._idle.clear()
        for connection in idle:
            connection.stop()

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: Any = None,
    ) -> Any:
        if query_type == "insert" and self.get_version_sync() < 3.35:
            # Without RETURNING, piccolo reads the new key its own way.
            return await super()._run_in_new_connection(query, args, query_type, table)
        connection, file_id = await self._borrow()
        try:
            async with connection.execute(query, args or []) as cursor:
                await connection.commit()
                rows = await cursor.fetchall()
        except BaseException:
            # Its state is unknown (an open implicit transaction, a cut file):
            # close it rather than lend it again.
            connection.stop()
            raise
        self._give_back(connection, file_id)
        return rows
