"""The audit log is append-only in the database itself: triggers refuse any
UPDATE or DELETE of audit_entry, whoever sends it (no role of the app can,
and neither can a stray SQL console session of the app's database user)."""

from qingdan.core.db.raw_migration import ddl_migration

ID = "2026-11-21T20:25:15:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit log append-only triggers"

SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
    "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
]

POSTGRES = [
    "CREATE OR REPLACE FUNCTION qingdan_audit_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END $$",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION qingdan_audit_append_only()",
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION qingdan_audit_append_only()",
]


def statements(engine) -> list[str]:
    from piccolo.engine.sqlite import SQLiteEngine

    return SQLITE if isinstance(engine, SQLiteEngine) else POSTGRES


async def forwards():
    return ddl_migration(ID, DESCRIPTION, statements)
