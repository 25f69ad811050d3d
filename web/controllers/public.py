"""Pages anyone may open without signing in."""

from __future__ import annotations

from litestar import Request, Response, get

from qingdan.core.tenancy.services import list_tenants
from qingdan.web.rendering import render


@get("/", name="landing")
async def landing(request: Request) -> Response:
    """The jurisdictions served here, each with its public portal and its staff sign-in."""
    tenants = [t for t in await list_tenants() if t["active"]]
    return render(request, "landing.html", {"tenants": tenants})
