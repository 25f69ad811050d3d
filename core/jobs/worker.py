"""Running actors: a worker process (``qingdan worker``) or a thread in the web app."""

from __future__ import annotations

import signal
import threading

from dramatiq import Worker

from qingdan.core.config import Settings


def _prepare(settings: Settings) -> None:
    from qingdan.core.db import connect

    connect(settings)
    import qingdan.core.jobs.actors  # noqa: F401 (registers the actors)


def start_inprocess_worker(settings: Settings, threads: int = 2) -> Worker:
    """A worker thread pool inside this process (the embedded default)."""
    from qingdan.core.jobs.broker import broker

    _prepare(settings)
    worker = Worker(broker, worker_threads=threads, worker_timeout=200)
    worker.start()
    return worker


def run_worker(settings: Settings, threads: int = 4) -> None:
    """Block running jobs until SIGINT or SIGTERM."""
    from qingdan.core.jobs.broker import broker

    _prepare(settings)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    worker = Worker(broker, worker_threads=threads)
    worker.start()
    try:
        stop.wait()
    finally:
        worker.stop()
