"""One indicator snapshot per tenant and day; bulletins numbered per tenant."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-22T02:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "indicator snapshot and bulletin unique indexes"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_indicator_snapshot_tenant_day ON indicator_snapshot "
    "(tenant, day)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_bulletin_tenant_number ON bulletin (tenant, number)",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
