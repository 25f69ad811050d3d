"""One stored PDF per published version and kind."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-21T21:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "guide file unique index"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_guide_file_version_kind ON guide_file "
    "(tenant, version, kind)",
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
