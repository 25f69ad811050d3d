"""The platform operators' area: sign-in, and the tenants of the deployment.

A platform administrator creates a tenant (bound to one of the installed
jurisdiction plugins, with its first tenant administrator) and switches
tenants off and on. Like the tenant administration pages, every change is a
plain form POST answered with 303 (POST-redirect-GET); a refused form shows
the page again, status 400, each message next to its field.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core.errors import DomainError
from qingdan.core.tenancy.platform import (
    TENANT_FIELDS,
    TenantFormError,
    create_tenant_with_admin,
    installed_plugins,
    set_tenant_active,
)
from qingdan.core.tenancy.schemas import Role
from qingdan.core.tenancy.services import authenticate, list_tenants
from qingdan.core.workflow.services import actor_of
from qingdan.web.controllers.auth import (
    LOGIN_FAILED,
    MAX_FIELD,
    NextParam,
    login_page,
    read_credentials,
    username_tag,
)
from qingdan.web.forms import form_text
from qingdan.web.guards import (
    current_principal,
    end_session,
    provide_principal,
    requires_role,
    safe_next,
    start_session,
)
from qingdan.web.rendering import render

logger = logging.getLogger("qingdan.web.auth")

LOGIN_TITLE = "平台管理员登录"

platform_admins = requires_role(Role.platform_admin)

#: What the page says after a change (``?done=`` after the redirect).
DONE_MESSAGES = {
    "created": "已创建租户及其租户管理员。",
    "activated": "已启用租户。",
    "deactivated": "已停用租户:其工作人员不能再登录,公众门户也不再显示。",
}


async def _tenants_page(
    request: Request,
    *,
    done: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "tenants": await list_tenants(),
        "plugins": installed_plugins(),
        "done": DONE_MESSAGES.get(done, ""),
        "created": request.query_params.get("slug", "") if done == "created" else "",
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "admin/home.html", context, status_code=status_code)


class AdminController(Controller):
    path = "/admin"

    @get("/", name="admin:home", guards=[platform_admins])
    async def home(self, request: Request, done: FromQuery[str] = "") -> Response:
        return await _tenants_page(request, done=done)

    @post("/tenants", name="admin:create_tenant", status_code=303, guards=[platform_admins])
    async def create_tenant(self, request: Request) -> Response:
        form = await request.form()
        values = {
            "name": form_text(form, "name", 100),
            "slug": form_text(form, "slug", 40),
            "plugin": form_text(form, "plugin", 100),
            "admin_username": form_text(form, "admin_username", 60),
            "admin_display_name": form_text(form, "admin_display_name", 100),
        }
        password = form.get("admin_password")
        principal = await provide_principal(request)
        try:
            tenant = await create_tenant_with_admin(
                actor_of(principal),
                slug=values["slug"],
                name=values["name"],
                plugin_name=values["plugin"],
                admin_username=values["admin_username"],
                admin_display_name=values["admin_display_name"],
                admin_password=password if isinstance(password, str) else "",
            )
        except TenantFormError as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = {exc.field if exc.field in TENANT_FIELDS else "": exc.message}
        else:
            logger.info("平台管理员 %s 创建租户 %s", principal.user_id, tenant.slug)
            return Redirect(path=f"/admin?done=created&slug={tenant.slug}", status_code=303)
        # The password is never sent back into the page.
        return await _tenants_page(request, errors=errors, values=values, status_code=400)

    @post(
        "/tenants/{tenant_id:int}/active",
        name="admin:tenant_active",
        status_code=303,
        guards=[platform_admins],
    )
    async def tenant_active(self, request: Request, tenant_id: FromPath[int]) -> Response:
        form = await request.form()
        active = form_text(form, "active", 5) == "1"
        principal = await provide_principal(request)
        await set_tenant_active(actor_of(principal), tenant_id, active)
        done = "activated" if active else "deactivated"
        return Redirect(path=f"/admin?done={done}#tenant-{tenant_id}", status_code=303)

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
