"""Request ids, access logs and request metrics, as one ASGI middleware.

Every response carries ``X-Request-ID`` (the caller's, when it sends a sane
one, so a proxy's id follows the request through), every log line written
while serving it carries the same id, and each request is counted and timed
by its route template (``/t/{slug}/items/{item_id:int}``), never by its raw
path, so the metrics do not grow with every id.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from qingdan.core.ops.logs import request_id_var
from qingdan.core.ops.metrics import IN_FLIGHT, REQUEST_SECONDS, REQUESTS

access_log = logging.getLogger("qingdan.access")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: Probes and scrapes are counted but not logged (they come every few seconds).
_QUIET = {"/healthz", "/readyz", "/metrics"}


def observability_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex[:16]
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        IN_FLIGHT.inc()
        try:
            await app(scope, receive, send_with_id)
        finally:
            IN_FLIGHT.dec()
            elapsed = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            method = scope.get("method", "GET")
            REQUESTS.labels(method, route, str(status)).inc()
            REQUEST_SECONDS.labels(method, route).observe(elapsed)
            if scope.get("path") not in _QUIET:
                access_log.info(
                    "%s %s %s",
                    method,
                    scope.get("path"),
                    status,
                    extra={
                        "method": method,
                        "path": scope.get("path"),
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 1),
                    },
                )
            request_id_var.reset(token)

    return middleware
