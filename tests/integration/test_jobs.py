"""Background jobs run on the configured broker: the stub (in-process) or Redis."""

import pytest

from qingdan.core.catalog.services import create_item
from qingdan.core.catalog.tables import Item
from qingdan.core.testing import SYSTEM
from qingdan.core.testing.jobs import settle

pytestmark = [pytest.mark.db, pytest.mark.jobs]


async def _run_all(worker):
    await settle(worker, timeout_s=60)


async def test_refresh_index_job_restores_searchable_columns_and_is_idempotent(
    make_tenant, job_worker
):
    from qingdan.core.jobs.actors import refresh_item_index

    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    await t.ctx.scope.update(Item, {Item.search_text: "", Item.name: "错误名称"}).where(
        Item.id == item.id
    )

    refresh_item_index.send(t.tenant_id)
    await _run_all(job_worker)
    row = await t.ctx.scope.get_row(Item, item.id)
    assert row["name"] == "样例许可事项"
    assert "样例许可事项" in row["search_text"] and item.impl_code not in ("", None)

    refresh_item_index.send(t.tenant_id)
    await _run_all(job_worker)
    assert await t.ctx.scope.get_row(Item, item.id) == row


def test_broker_matches_configuration(database):
    import os

    from qingdan.core.jobs.broker import broker, is_inprocess

    assert is_inprocess() == (not os.environ.get("QINGDAN_REDIS_URL"))
    assert type(broker).__name__ == ("StubBroker" if is_inprocess() else "RedisBroker")


async def test_deadline_scan_job_escalates_and_mails_once(make_tenant, job_worker):
    """The scheduled scan, run as a job: overdue work is escalated and mailed, once."""
    import socket
    from datetime import timedelta

    import msgspec
    from aiosmtpd.controller import Controller

    from qingdan.core.config import get_settings, set_settings
    from qingdan.core.jobs.actors import scan_deadlines
    from qingdan.core.tenancy import services as tenancy
    from qingdan.core.tenancy.schemas import Role
    from qingdan.core.testing import PASSWORD, submitted_claim
    from qingdan.core.workflow.notices import notices_for
    from qingdan.core.workflow.services import today
    from qingdan.core.workflow.tables import ChangeStep

    class Mailbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    original = get_settings()
    set_settings(msgspec.structs.replace(original, smtp_url=f"smtp://127.0.0.1:{port}"))
    try:
        t = await make_tenant()
        boss = await tenancy.create_user(
            t.tenant_id, SYSTEM, "boss", "审改科长", PASSWORD, email="boss@example.org"
        )
        await tenancy.grant_role(t.tenant_id, SYSTEM, boss.id, Role.reform_office)
        _, cr = await submitted_claim(t)
        # The agency reviewer's step fell due a week ago.
        await t.ctx.scope.update(
            ChangeStep, {ChangeStep.due_date: today() - timedelta(days=7)}
        ).where(ChangeStep.change_request == cr.id)

        scan_deadlines.send(t.tenant_id)
        await _run_all(job_worker)
        scan_deadlines.send(t.tenant_id)
        await _run_all(job_worker)

        principal = await tenancy.load_principal(boss.id)
        escalations = [n for n in await notices_for(t.ctx, principal) if n["kind"] == "escalation"]
        assert len(escalations) == 1
        to_boss = [m for rcpt, m in mailbox.messages if rcpt == ["boss@example.org"]]
        assert len(to_boss) == 1, "mailed once although the scan ran twice"
        import email
        from email.header import decode_header, make_header

        message = email.message_from_string(to_boss[0])
        assert "督办" in str(make_header(decode_header(message["Subject"])))
    finally:
        set_settings(original)
        smtp.stop()


async def test_a_tenant_whose_plugin_is_gone_does_not_hold_up_the_others(make_tenant, job_worker):
    """The nightly fan-out: one tenant's plugin is no longer installed. Its job fails
    at once (no retries for minutes, which would also hold up the queue), the others
    get their snapshot."""
    from qingdan.core.indicators.tables import IndicatorSnapshot
    from qingdan.core.jobs.actors import snapshot_all_tenants
    from qingdan.core.tenancy.tables import Tenant

    gone, kept = await make_tenant(), await make_tenant()
    await Tenant.update({Tenant.plugin: "uninstalled_city"}).where(Tenant.id == gone.tenant_id)
    try:
        snapshot_all_tenants.send()
        # Under dramatiq's first retry backoff (15 s): a retry would time this out.
        await settle(job_worker, timeout_s=12)
        assert await kept.ctx.scope.count(IndicatorSnapshot) == 1
        assert await IndicatorSnapshot.count().where(IndicatorSnapshot.tenant == gone.tenant_id) == 0
    finally:
        # Later fan-outs in this run should not meet it again.
        await Tenant.update({Tenant.active: False}).where(Tenant.id == gone.tenant_id)
