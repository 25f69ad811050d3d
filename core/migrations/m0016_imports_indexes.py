"""Batches numbered once per tenant and kind; a token's hash names one token; one
row per entry and batch; one mapping per department and agency."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-22T07:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "imports unique indexes"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_import_batch_number ON import_batch "
    "(tenant, kind, number)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_api_token_hash ON api_token (token_hash)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_release_change_entry ON release_change "
    "(tenant, batch, catalog_entry)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_department_agency ON department_agency "
    "(tenant, department, agency)",
    "CREATE INDEX IF NOT EXISTS ix_claim_task_entry_agency ON claim_task "
    "(tenant, catalog_entry, agency)",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
