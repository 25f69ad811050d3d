"""The dramatiq broker: Redis when ``QINGDAN_REDIS_URL`` is set, else in-process.

Without Redis (the embedded default) messages go to a stub broker and a
worker thread inside the web process runs them, so one command runs the
whole product. Actors are async; dramatiq's AsyncIO middleware (off by
default) runs them on a worker-owned event loop.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.asyncio import AsyncIO

from qingdan.core.config import Settings, get_settings


def make_broker(settings: Settings) -> dramatiq.Broker:
    if settings.redis_url:
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(url=settings.redis_url, namespace="qingdan")
    else:
        broker = StubBroker()
    broker.add_middleware(AsyncIO())
    from qingdan.core.ops.metrics import JobMetrics

    broker.add_middleware(JobMetrics())
    return broker


broker = make_broker(get_settings())
dramatiq.set_broker(broker)


def is_inprocess() -> bool:
    return isinstance(broker, StubBroker)
