"""Background jobs run on the configured broker: the stub (in-process) or Redis."""

import asyncio

import pytest
from dramatiq import Worker

from qingdan.core.catalog.services import create_item
from qingdan.core.catalog.tables import Item
from qingdan.core.testing import SYSTEM

pytestmark = [pytest.mark.db, pytest.mark.jobs]


@pytest.fixture
def worker(database):
    from qingdan.core.jobs import actors  # noqa: F401 (registers the actors)
    from qingdan.core.jobs.broker import broker

    broker.flush_all()
    w = Worker(broker, worker_threads=1, worker_timeout=100)
    w.start()
    yield broker
    w.stop()


async def _run_all(broker):
    await asyncio.to_thread(broker.join, "default", timeout=30_000)


async def test_refresh_index_job_restores_searchable_columns_and_is_idempotent(make_tenant, worker):
    from qingdan.core.jobs.actors import refresh_item_index

    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    await t.ctx.scope.update(Item, {Item.search_text: "", Item.name: "错误名称"}).where(
        Item.id == item.id
    )

    refresh_item_index.send(t.tenant_id)
    await _run_all(worker)
    row = await t.ctx.scope.get_row(Item, item.id)
    assert row["name"] == "样例许可事项"
    assert "样例许可事项" in row["search_text"] and item.impl_code not in ("", None)

    refresh_item_index.send(t.tenant_id)
    await _run_all(worker)
    assert await t.ctx.scope.get_row(Item, item.id) == row


def test_broker_matches_configuration(database):
    import os

    from qingdan.core.jobs.broker import broker, is_inprocess

    assert is_inprocess() == (not os.environ.get("QINGDAN_REDIS_URL"))
    assert type(broker).__name__ == ("StubBroker" if is_inprocess() else "RedisBroker")
