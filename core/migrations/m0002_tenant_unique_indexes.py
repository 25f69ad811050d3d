"""Composite unique indexes, written as raw SQL because piccolo's composite
constraints fail on SQLite. Every index on tenant data starts with the tenant,
so the database can later be distributed by tenant."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-21T19:51:04:000000"
VERSION = "1.38.0"
DESCRIPTION = "tenant-scoped unique indexes"

INDEXES = [
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_division_tenant_code ON division (tenant, code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_agency_tenant_uscc ON agency (tenant, uscc)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_user_tenant_username ON app_user (tenant, username)",
    # Platform admins have no tenant; NULLs are distinct in a unique index, so
    # their usernames get an index of their own.
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_user_platform_username ON app_user (username) "
    "WHERE tenant IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_role_assignment ON role_assignment "
    '(tenant, "user", role, division, agency)',
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_catalog_entry_tenant_code ON catalog_entry "
    "(tenant, base_code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_catalog_entry_version ON catalog_entry_version "
    "(tenant, entry, number)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_item_tenant_impl_code ON item (tenant, impl_code)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_item_version ON item_version (tenant, item, number)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_audit_tenant_seq ON audit_entry (tenant, seq)",
    "CREATE UNIQUE INDEX IF NOT EXISTS ux_audit_platform_seq ON audit_entry (seq) "
    "WHERE tenant IS NULL",
]


async def forwards():
    return ddl_migration(ID, DESCRIPTION, INDEXES)
