"""Running jobs in tests: a worker over a clean broker, and waiting for it.

The stub broker keeps its queue counters across workers: a stopped worker
drops the retries it held in memory without marking them done, so a later
``join`` would wait for them forever. A worker started here therefore begins
on fresh queues (the stub's; Redis is flushed instead), and ``settle`` waits
for what is queued without failing on another test's dead letters.
"""

from __future__ import annotations

import asyncio
from queue import Queue

import dramatiq
from dramatiq import Worker
from dramatiq.brokers.stub import StubBroker


def fresh_broker() -> dramatiq.Broker:
    """The shared broker with nothing queued and no stale counters."""
    from qingdan.core.jobs import actors  # noqa: F401 (registers the actors)
    from qingdan.core.jobs.broker import broker

    if isinstance(broker, StubBroker):
        for name in broker.queues:
            broker.queues[name] = Queue()
        for letters in broker.dead_letters_by_queue.values():
            letters.clear()
    else:
        broker.flush_all()
    return broker


def start_worker(*, clean: bool = True) -> Worker:
    """A one-thread worker; ``clean=False`` keeps what tests already queued."""
    from qingdan.core.jobs.broker import broker

    if clean:
        fresh_broker()
    worker = Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    return worker


def stop_worker(worker: Worker) -> None:
    worker.stop()
    # Worker() adds a middleware that stop() leaves behind: drop it, or every
    # later worker finds one more and warns.
    broker = worker.broker
    broker.middleware[:] = [
        m for m in broker.middleware if getattr(m, "worker", None) is not worker
    ]


async def settle(worker: Worker, timeout_s: float = 120) -> None:
    """Wait until everything queued (retries included) has run."""
    broker = worker.broker
    kwargs = {"fail_fast": False} if isinstance(broker, StubBroker) else {}
    await asyncio.to_thread(broker.join, "default", timeout=int(timeout_s * 1000), **kwargs)
