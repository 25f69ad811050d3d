"""The platform operators' area: sign-in, and the tenants of the deployment."""

from __future__ import annotations

import logging

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect

from qingdan.core.tenancy.schemas import Role
from qingdan.core.tenancy.services import authenticate, list_tenants
from qingdan.web.controllers.auth import (
    LOGIN_FAILED,
    MAX_FIELD,
    NextParam,
    login_page,
    read_credentials,
    username_tag,
)
from qingdan.web.guards import (
    current_principal,
    end_session,
    requires_role,
    safe_next,
    start_session,
)
from qingdan.web.rendering import render

logger = logging.getLogger("qingdan.web.auth")

LOGIN_TITLE = "平台管理员登录"


class AdminController(Controller):
    path = "/admin"

    @get("/", name="admin:home", guards=[requires_role(Role.platform_admin)])
    async def home(self, request: Request) -> Response:
        return render(request, "admin/home.html", {"tenants": await list_tenants()})

    @get("/login", name="admin:login")
    async def login_form(self, request: Request, next_url: NextParam = "") -> Response:
        principal = await current_principal(request)
        if principal is not None and principal.is_platform_admin:
            return Redirect(path=safe_next(next_url, "/admin", "/admin"), status_code=303)
        return login_page(request, title=LOGIN_TITLE, action="/admin/login", next_url=next_url)

    @post("/login", name="admin:login_submit", status_code=303)
    async def login(self, request: Request) -> Response:
        username, password, next_url = await read_credentials(request)
        principal = None
        if username and password and len(password) <= MAX_FIELD:
            # tenant None: only platform users (no tenant) can sign in here.
            principal = await authenticate(None, username, password)
        if principal is None:
            logger.info("平台登录失败: 用户 %s", username_tag(username))
            return login_page(
                request,
                title=LOGIN_TITLE,
                action="/admin/login",
                next_url=next_url,
                username=username,
                error=LOGIN_FAILED,
                status_code=400,
            )
        start_session(request, principal)
        logger.info("平台登录成功: 用户 %s", principal.user_id)
        return Redirect(path=safe_next(next_url, "/admin", "/admin"), status_code=303)

    @post("/logout", name="admin:logout", status_code=303)
    async def logout(self, request: Request) -> Response:
        end_session(request)
        return Redirect(path="/admin/login", status_code=303)
