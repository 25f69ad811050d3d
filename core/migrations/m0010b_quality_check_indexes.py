"""At most one open finding per item, rule and element; fast counts of open findings."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-22T01:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "quality check indexes"

INDEXES = [
    # Partial indexes (valid on SQLite and PostgreSQL): resolved findings are history.
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_quality_finding_open ON quality_finding "
    "(tenant, item, rule_id, element) WHERE resolved_at IS NULL",
    "CREATE INDEX IF NOT EXISTS ix_quality_finding_open_agency ON quality_finding "
    "(tenant, agency) WHERE resolved_at IS NULL",
    "CREATE INDEX IF NOT EXISTS ix_check_run_tenant_started ON check_run (tenant, started_at)",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
