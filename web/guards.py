"""Who is signed in, and the guards that let a request through or not.

The session holds only the user id, the tenant slug it signed in to, and the
time of sign-in; the principal (user and grants) is loaded from the database
on every request, so a deactivated user or a revoked role takes effect at
once instead of when the cookie expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlsplit

from litestar.connection import ASGIConnection, Request
from litestar.handlers import BaseRouteHandler

from qingdan.core.errors import NotFound, PermissionDenied
from qingdan.core.tenancy.context import TenantContext, load_context
from qingdan.core.tenancy.schemas import ROLE_LABELS, Principal, Role
from qingdan.core.tenancy.services import load_principal

SESSION_USER = "uid"
SESSION_TENANT = "tenant"
SESSION_SINCE = "since"

_UNSET = object()


class LoginRequired(Exception):
    """No one is signed in: the handler sends the browser to ``login_url``."""

    def __init__(self, login_url: str):
        super().__init__(login_url)
        self.login_url = login_url


# Session -------------------------------------------------------------------------


def start_session(request: Request, principal: Principal) -> None:
    """Replace whatever the browser carried with a fresh session for ``principal``."""
    request.clear_session()
    request.set_session(
        {
            SESSION_USER: principal.user_id,
            SESSION_TENANT: principal.tenant_slug,
            SESSION_SINCE: int(time.time()),
        }
    )
    request.state.principal = principal


def end_session(request: Request) -> None:
    request.clear_session()
    request.state.principal = None


def _session(connection: ASGIConnection) -> dict[str, Any]:
    session = connection.scope.get("session")
    return session if isinstance(session, dict) else {}


async def current_principal(connection: ASGIConnection) -> Principal | None:
    """The signed-in principal, loaded once per request and kept on its state."""
    cached = connection.state.get("principal", _UNSET)
    if cached is not _UNSET:
        return cached
    principal = None
    session = _session(connection)
    user_id = session.get(SESSION_USER)
    since = session.get(SESSION_SINCE)
    max_age = connection.app.state.settings.session_max_age
    # The cookie's own expiry slides with every response; this one does not,
    # so a session ends ``session_max_age`` after sign-in however busy it is.
    fresh = isinstance(since, int) and 0 <= time.time() - since <= max_age
    if isinstance(user_id, int) and fresh:
        principal = await load_principal(user_id)
        if principal is not None and principal.tenant_slug != session.get(SESSION_TENANT):
            principal = None
    if principal is None and session:
        connection.scope["session"] = {}
    connection.state.principal = principal
    return principal


# Where to sign in ------------------------------------------------------------------


def login_url_for(connection: ASGIConnection) -> str:
    """The sign-in page of the area the request is in, coming back to where it was."""
    slug = connection.path_params.get("slug")
    base = f"/t/{slug}/login" if slug else "/admin/login"
    back = connection.url.path
    if connection.url.query:
        back += "?" + connection.url.query
    htmx_page = connection.headers.get("hx-current-url")
    if htmx_page:
        # An htmx request fetches a fragment; after sign-in the user wants the page.
        parts = urlsplit(htmx_page)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{base}?next={quote(back, safe='/')}"


def safe_next(next_url: str | None, prefix: str, default: str) -> str:
    """``next_url`` if it stays inside ``prefix`` on this site, else ``default``.

    Refusing anything with a scheme, a host or a backslash keeps the sign-in
    form from becoming an open redirect.
    """
    if not next_url or "\\" in next_url:
        return default
    parts = urlsplit(next_url)
    if parts.scheme or parts.netloc or not parts.path.startswith(prefix):
        return default
    if next_url.startswith("//"):
        return default
    return next_url


# Guards ----------------------------------------------------------------------------


async def requires_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    if await current_principal(connection) is None:
        raise LoginRequired(login_url_for(connection))


async def requires_tenant(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The page's ``{slug}`` must be the principal's own tenant.

    A mismatch answers 404, the same as a tenant that does not exist, so a
    user cannot learn which other tenants (or their items) exist.
    """
    await requires_login(connection, handler)
    principal = connection.state.principal
    if principal.tenant_slug is None or principal.tenant_slug != connection.path_params.get("slug"):
        raise NotFound("页面")


def requires_role(*roles: Role) -> Callable[[ASGIConnection, BaseRouteHandler], Coroutine]:
    """A guard letting through a principal holding any of ``roles``."""
    wanted = tuple(Role(r) for r in roles)
    names = "、".join(ROLE_LABELS[r] for r in wanted)

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        await requires_login(connection, handler)
        if not connection.state.principal.has_role(*wanted):
            raise PermissionDenied(f"您没有访问该页面的权限(需要角色:{names})")

    guard.__name__ = f"requires_role({', '.join(r.value for r in wanted)})"
    # Declared, so the role matrix (tests/integration/test_role_matrix.py) reads
    # who a route lets through instead of keeping a copy of it.
    guard.roles = wanted  # type: ignore[attr-defined]
    return guard


# Dependencies ------------------------------------------------------------------------


async def provide_principal(request: Request) -> Principal:
    """The principal a guard has already loaded (handlers behind ``requires_login``)."""
    principal = await current_principal(request)
    if principal is None:
        raise LoginRequired(login_url_for(request))
    return principal


async def tenant_context(connection: ASGIConnection) -> TenantContext:
    """The signed-in user's own tenant; never the one named in the URL.

    ``requires_tenant`` has checked that both are the same; loading by the
    principal's tenant id means even a guard left off a route cannot read
    another tenant's data. Loaded once per request and kept on its state.
    """
    cached = connection.state.get("ctx")
    if cached is not None:
        return cached
    principal = await current_principal(connection)
    if principal is None:
        raise LoginRequired(login_url_for(connection))
    if principal.tenant_id is None:
        raise NotFound("页面")
    ctx = await load_context(tenant_id=principal.tenant_id)
    connection.state.ctx = ctx
    return ctx


async def provide_tenant_context(request: Request) -> TenantContext:
    return await tenant_context(request)
