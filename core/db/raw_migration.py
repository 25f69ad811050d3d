"""Migrations written as raw DDL (composite or partial indexes, triggers):
what piccolo's own migration operations cannot express on SQLite."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.base import Engine


def ddl_migration(
    migration_id: str,
    description: str,
    statements: Sequence[str] | Callable[[Engine], Sequence[str]],
) -> MigrationManager:
    """A migration that runs ``statements`` (or those chosen for the engine) in order."""
    manager = MigrationManager(
        migration_id=migration_id, app_name="qingdan", description=description
    )

    async def run() -> None:
        from qingdan.core.db import get_engine

        engine = get_engine()
        for sql in statements(engine) if callable(statements) else statements:
            await engine.run_ddl(sql)

    manager.add_raw(run)
    return manager
