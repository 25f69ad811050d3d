"""Probes and metrics for the operator: /healthz, /readyz, /metrics (no login, no session)."""

from __future__ import annotations

from litestar import Request, Response, get

from qingdan.core.ops.health import readiness
from qingdan.core.ops.metrics import render


@get("/healthz", sync_to_thread=False, include_in_schema=False)
def healthz() -> Response:
    """The process is up and answering (a liveness probe: no dependency is touched)."""
    return Response({"status": "ok"}, headers={"cache-control": "no-store"})


@get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> Response:
    """Ready for traffic: the database (and Redis, where configured) answer."""
    from qingdan.core.jobs.dispatch import pending_count

    checks = await readiness(request.app.state.settings)
    ok = all(c.ok for c in checks)
    body: dict = {
        "status": "ready" if ok else "unavailable",
        "checks": {
            c.name: {"ok": c.ok, "ms": c.ms, **({"error": c.detail} if c.detail else {})}
            for c in checks
        },
    }
    if checks[0].ok:
        body["pending_jobs"] = await pending_count()
    return Response(body, status_code=200 if ok else 503, headers={"cache-control": "no-store"})


@get("/metrics", sync_to_thread=False, include_in_schema=False)
def metrics() -> Response:
    content, media_type = render()
    return Response(content, media_type=media_type, headers={"cache-control": "no-store"})


OPS_HANDLERS = [healthz, readyz, metrics]
