"""One stored PDF per published version and kind."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-21T21:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "guide file unique index"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_guide_file_version_kind ON guide_file "
    "(tenant, version, kind)",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
