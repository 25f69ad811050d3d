"""One bundle per code, an item once per bundle, an item once per service point."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-22T04:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "bundle and delegation unique indexes"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_bundle_tenant_code ON bundle (tenant, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_bundle_item ON bundle_item (tenant, bundle, item)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_delegation_point_item ON delegation "
    "(tenant, division, item)",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
