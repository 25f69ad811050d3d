"""Signing in and out of a tenant (staff) and of the platform (operators).

A failed sign-in says only "用户名或密码错误": it never tells whether the
user exists. Passwords are read from the form and passed on, never logged.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from qingdan.core.tenancy.context import TenantContext, load_context
from qingdan.core.tenancy.services import authenticate
from qingdan.web.guards import current_principal, end_session, safe_next, start_session
from qingdan.web.rendering import render

logger = logging.getLogger("qingdan.web.auth")

#: The page to return to after signing in (``?next=``).
NextParam = Annotated[str, QueryParameter(name="next")]

LOGIN_FAILED = "用户名或密码错误"
# Long enough for any real name or passphrase; more is refused before hashing.
MAX_FIELD = 1024


async def provide_login_tenant(slug: FromPath[str]) -> TenantContext:
    """The tenant named in the URL (404 when there is none, or it is inactive)."""
    return await load_context(slug=slug)


def username_tag(username: str) -> str:
    """A short digest standing for the username in the log.

    People sometimes type their password into the username box; a digest
    still lets an operator see repeated failures on one account.
    """
    return "#" + hashlib.sha256(username.encode()).hexdigest()[:12]


async def read_credentials(request: Request) -> tuple[str, str, str]:
    form = await request.form()
    username = str(form.get("username") or "").strip()[:MAX_FIELD]
    password = str(form.get("password") or "")
    next_url = str(form.get("next") or "")[:MAX_FIELD]
    return username, password, next_url


def login_page(
    request: Request,
    *,
    title: str,
    action: str,
    next_url: str,
    username: str = "",
    error: str = "",
    status_code: int = 200,
    tenant: TenantContext | None = None,
) -> Response:
    return render(
        request,
        "login.html",
        {
            "title": title,
            "action": action,
            "next_url": next_url,
            "username": username,
            "error": error,
            "tenant": tenant,
        },
        status_code=status_code,
    )


class TenantAuthController(Controller):
    path = "/t/{slug:str}"
    dependencies = {"tenant": Provide(provide_login_tenant)}  # noqa: RUF012 (Litestar reads it)

    @get("/login", name="tenant:login")
    async def login_form(
        self,
        request: Request,
        tenant: NamedDependency[TenantContext],
        next_url: NextParam = "",
    ) -> Response:
        home_url = f"/t/{tenant.slug}/"
        principal = await current_principal(request)
        if principal is not None and principal.tenant_slug == tenant.slug:
            return Redirect(path=safe_next(next_url, home_url, home_url), status_code=303)
        return login_page(
            request,
            title=f"{tenant.name} 工作人员登录",
            action=f"/t/{tenant.slug}/login",
            next_url=next_url,
            tenant=tenant,
        )

    @post("/login", name="tenant:login_submit", status_code=303)
    async def login(self, request: Request, tenant: NamedDependency[TenantContext]) -> Response:
        username, password, next_url = await read_credentials(request)
        principal = None
        if username and password and len(password) <= MAX_FIELD:
            principal = await authenticate(tenant.slug, username, password)
        if principal is None:
            logger.info("登录失败: 租户 %s 用户 %s", tenant.slug, username_tag(username))
            return login_page(
                request,
                title=f"{tenant.name} 工作人员登录",
                action=f"/t/{tenant.slug}/login",
                next_url=next_url,
                username=username,
                error=LOGIN_FAILED,
                status_code=400,
                tenant=tenant,
            )
        start_session(request, principal)
        logger.info("登录成功: 租户 %s 用户 %s", tenant.slug, principal.user_id)
        # The home page is the user's inbox (待办).
        target = safe_next(next_url, f"/t/{tenant.slug}/", f"/t/{tenant.slug}/")
        return Redirect(path=target, status_code=303)

    @post("/logout", name="tenant:logout", status_code=303)
    async def logout(self, request: Request, tenant: NamedDependency[TenantContext]) -> Response:
        end_session(request)
        return Redirect(path=f"/t/{tenant.slug}/login", status_code=303)
