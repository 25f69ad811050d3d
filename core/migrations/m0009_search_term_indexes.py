"""Composite indexes for portal search (raw SQL, as in m0002)."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-21T21:43:36:000000"
VERSION = "1.38.0"
DESCRIPTION = "search term indexes"

INDEXES = [
    "CREATE INDEX IF NOT EXISTS ix_search_term_lookup ON search_term (tenant, kind, term)",
    "CREATE INDEX IF NOT EXISTS ix_search_term_version ON search_term (tenant, version)",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
