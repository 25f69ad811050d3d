"""What an operator relies on: probes, metrics, request ids in JSON logs, and a
broker outage that delays background work without losing it or breaking pages."""

from __future__ import annotations

import json
import logging

import dramatiq
import msgspec
import pytest
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from litestar.testing import AsyncTestClient

from qingdan.core.config import get_settings
from qingdan.core.ops.logs import JsonFormatter, RequestIdFilter
from qingdan.web.app import create_app
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

#: Nothing listens here, so a Redis client fails at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"


async def test_healthz_answers_without_touching_dependencies(database):
    async with AsyncTestClient(app=shared_app()) as c:
        r = await c.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert "set-cookie" not in r.headers


async def test_readyz_reports_the_database_and_redis(database):
    async with AsyncTestClient(app=shared_app()) as c:
        r = await c.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["checks"]["database"]["ok"] is True
    assert ("redis" in body["checks"]) == bool(get_settings().redis_url)


async def test_readyz_is_503_naming_redis_when_redis_is_unreachable(database):
    settings = msgspec.structs.replace(get_settings(), redis_url=DEAD_REDIS)
    async with AsyncTestClient(app=create_app(settings)) as c:
        r = await c.get("/readyz")
    assert r.status_code == 503
    checks = r.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["redis"]["ok"] is False and checks["redis"]["error"]


async def test_metrics_count_requests_by_route_template_not_raw_path(database, make_tenant):
    t = await make_tenant()
    async with AsyncTestClient(app=shared_app()) as c:
        await c.get(f"/p/{t.slug}/")
        await c.get("/p/no-such-tenant/")
        r = await c.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'qingdan_http_requests_total{method="GET",route="/p/{slug}"' in text
    assert t.slug not in text  # ids never become label values
    assert "qingdan_http_request_duration_seconds_bucket" in text


async def test_request_id_is_echoed_generated_and_in_every_log_line(database):
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    logging.getLogger("qingdan.access").addHandler(handler)
    logging.getLogger("qingdan.access").setLevel(logging.INFO)
    try:
        async with AsyncTestClient(app=shared_app()) as c:
            given = await c.get("/", headers={"X-Request-ID": "proxy-abc.123"})
            made = await c.get("/")
            hostile = await c.get("/", headers={"X-Request-ID": "x\r\ny<script>"})
    finally:
        logging.getLogger("qingdan.access").removeHandler(handler)
    assert given.headers["x-request-id"] == "proxy-abc.123"
    assert len(made.headers["x-request-id"]) == 16
    assert hostile.headers["x-request-id"] != "x\r\ny<script>"
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    ours = [line for line in lines if line.get("request_id") == "proxy-abc.123"]
    assert ours and ours[0]["status"] == 200 and ours[0]["path"] == "/"
    assert ours[0]["level"] == "info" and "duration_ms" in ours[0]


@pytest.mark.jobs
async def test_a_job_sent_while_the_broker_is_down_is_kept_and_sent_when_it_is_back(
    database, make_tenant
):
    from qingdan.core.jobs import actors  # noqa: F401 (registers the actors)
    from qingdan.core.jobs.broker import broker
    from qingdan.core.jobs.dispatch import background_delayed, enqueue, flush_pending
    from qingdan.core.ops.tables import PendingJob

    t = await make_tenant()
    await PendingJob.delete(force=True)
    broker.flush_all()
    dead = RedisBroker(url=DEAD_REDIS)
    # The same actor name as the real one, bound to a broker nobody answers.
    down = dramatiq.Actor(
        lambda tenant_id: None,
        broker=dead,
        actor_name="refresh_item_index",
        queue_name="default",
        priority=0,
        options={},
    )
    assert await enqueue(down, t.tenant_id) is False
    assert background_delayed() is True
    kept = await PendingJob.select()
    assert [(r["actor"], json.loads(r["args"])) for r in kept] == [
        ("refresh_item_index", [t.tenant_id])
    ]
    # The page says background work is delayed instead of failing.
    async with AsyncTestClient(app=shared_app()) as c:
        page = await c.get(f"/t/{t.slug}/login")
    assert page.status_code == 200 and "后台任务暂时延迟" in page.text

    assert await flush_pending() == 1
    assert await PendingJob.count() == 0
    assert background_delayed() is False
    if isinstance(broker, StubBroker):  # the message waits in the stub's queue
        assert broker.queues["default"].qsize() == 1
    else:  # Redis: the message is in Redis's queue
        assert (
            broker.client.llen("qingdan:default") + broker.client.hlen("qingdan:default.msgs") >= 1
        )
    broker.flush_all()
