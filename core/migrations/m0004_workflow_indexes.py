"""Unique indexes for the calendar and the workflow (raw SQL: see m0002).

The partial index on change_request is the database's own guard for "one
open change request per item", beneath the service's check."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-21T20:25:14:000000"
VERSION = "1.38.0"
DESCRIPTION = "calendar and workflow unique indexes"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_calendar_year_tenant ON calendar_year (tenant, year)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_calendar_year_platform ON calendar_year (year) "
    "WHERE tenant IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_calendar_day_tenant ON calendar_day (tenant, day)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_calendar_day_platform ON calendar_day (day) "
    "WHERE tenant IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_change_request_open ON change_request (tenant, item) "
    "WHERE status IN ('in_review', 'returned', 'approved')",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_change_request_open_entry ON change_request "
    "(tenant, catalog_entry) WHERE status IN ('in_review', 'returned', 'approved')",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_change_step ON change_step "
    "(tenant, change_request, position)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_notice_dedupe ON notice (tenant, dedupe_key)",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
