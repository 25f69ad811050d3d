"""One publication per number and tenant: numbers run without gaps even when
two are issued at once (the second insert of a number fails and retries)."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-22T05:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "publication number unique index"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_publication_number ON publication (tenant, number)",
    "CREATE INDEX IF NOT EXISTS ix_publication_change_lines ON publication_change "
    "(tenant, publication, change)",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
