"""Composite indexes for portal search (raw SQL, as in m0002)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-21T21:43:36:000000"
VERSION = "1.38.0"
DESCRIPTION = "search term indexes"

INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_search_term_lookup ON search_term (tenant, kind, term)",
    "CREATE INDEX IF NOT EXISTS ix_search_term_version ON search_term (tenant, version)",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="qingdan", description=DESCRIPTION)

    async def run():
        from qingdan.core.db import get_engine

        engine = get_engine()
        for sql in INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(run)
    return manager
