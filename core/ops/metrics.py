"""Prometheus metrics for requests and jobs.

One registry per process: the web process serves it at ``/metrics`` (with the
in-process worker's job metrics in it on the embedded default); a separate
worker process serves its own on ``QINGDAN_METRICS_PORT``.
"""

from __future__ import annotations

import time
from typing import Any

import dramatiq
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import start_http_server as _start_http_server

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "qingdan_http_requests_total",
    "HTTP requests by method, route template and status",
    ["method", "route", "status"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "qingdan_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_FLIGHT = Gauge("qingdan_http_requests_in_flight", "Requests being served", registry=REGISTRY)
JOBS = Counter(
    "qingdan_jobs_total",
    "Background jobs by actor and outcome",
    ["actor", "outcome"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "qingdan_job_duration_seconds",
    "Background job run time by actor",
    ["actor"],
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
JOBS_DELAYED = Counter(
    "qingdan_jobs_enqueue_failed_total",
    "Jobs that could not be handed to the broker and were kept for later",
    ["actor"],
    registry=REGISTRY,
)


def render() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def start_http_server(port: int) -> None:
    """Serve this process's metrics on ``port`` (a worker has no web app)."""
    _start_http_server(port, registry=REGISTRY)


class JobMetrics(dramatiq.Middleware):
    """Counts and times every job this process runs."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    def before_process_message(self, broker: Any, message: Any) -> None:
        self._started[message.message_id] = time.perf_counter()

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        started = self._started.pop(message.message_id, None)
        if started is not None:
            JOB_SECONDS.labels(message.actor_name).observe(time.perf_counter() - started)
        JOBS.labels(message.actor_name, "failed" if exception else "done").inc()

    def after_skip_message(self, broker: Any, message: Any) -> None:
        self._started.pop(message.message_id, None)
        JOBS.labels(message.actor_name, "skipped").inc()
