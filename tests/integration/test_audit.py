"""The audit log: append-only, hash-chained, verifiable from the command line."""

import asyncio

import pytest
from click.testing import CliRunner

from qingdan.core.audit.services import verify_chain
from qingdan.core.audit.tables import AuditEntry
from qingdan.core.catalog.services import create_item
from qingdan.core.db import get_engine, is_sqlite
from qingdan.core.testing import SYSTEM

pytestmark = pytest.mark.db


async def test_the_database_refuses_to_change_or_delete_audit_entries(make_tenant):
    t = await make_tenant()
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.update({AuditEntry.summary: "改过"}).where(
            AuditEntry.tenant == t.tenant_id
        )
    with pytest.raises(Exception, match="append-only"):
        await AuditEntry.delete().where(AuditEntry.tenant == t.tenant_id)
    assert (await verify_chain(t.tenant_id)).ok


async def _without_triggers(sql: str) -> None:
    """What someone with direct database access could do: bypass the triggers."""
    engine = get_engine()
    if is_sqlite():
        await engine.run_ddl("DROP TRIGGER audit_entry_no_update")
        await engine.run_ddl("DROP TRIGGER audit_entry_no_delete")
        try:
            await engine.run_ddl(sql)
        finally:
            import importlib

            migration = importlib.import_module("qingdan.core.migrations.m0005_audit_append_only")
            for statement in migration.SQLITE:
                await engine.run_ddl(statement)
    else:
        await engine.run_ddl("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only")
        try:
            await engine.run_ddl(sql)
        finally:
            await engine.run_ddl("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only")


async def test_verification_detects_an_altered_and_a_deleted_row(make_tenant):
    from qingdan.cli import main

    t = await make_tenant()
    await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    report = await verify_chain(t.tenant_id)
    assert report.ok and report.entries > 5
    # The command runs its own event loop, so it runs in a thread here.
    ok = await asyncio.to_thread(CliRunner().invoke, main, ["audit", "verify", "--tenant", t.slug])
    assert ok.exit_code == 0 and "完好" in ok.output

    await _without_triggers(
        f"UPDATE audit_entry SET summary = '篡改' WHERE tenant = {t.tenant_id} AND seq = 3"
    )
    report = await verify_chain(t.tenant_id)
    assert not report.ok and report.first_bad_seq == 3 and "改动" in report.reason
    bad = await asyncio.to_thread(CliRunner().invoke, main, ["audit", "verify", "--tenant", t.slug])
    assert bad.exit_code == 2 and "第 3 条" in bad.output

    other = await make_tenant()
    await _without_triggers(f"DELETE FROM audit_entry WHERE tenant = {other.tenant_id} AND seq = 2")
    report = await verify_chain(other.tenant_id)
    assert not report.ok and "删除" in report.reason
