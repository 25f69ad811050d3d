"""开户: an office the plugin names (e.g. 大数据中心) opens agency accounts.

The tenant administrator keeps the full user pages (/admin/users); this page
lets the allocating office open clerk and reviewer accounts, each bound to
one agency, and nothing else. Who may, and which roles, is the plugin's
``qingdan_account_allocation``; the service checks it again on every POST.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect

from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.tenancy.allocation import allocatable_roles, allocation_basis, open_account
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.passwords import WeakPassword
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.tenancy.services import list_agencies, list_users
from qingdan.core.workflow.permissions import role_label
from qingdan.core.workflow.services import actor_of
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_int, form_text
from qingdan.web.guards import requires_tenant
from qingdan.web.nav import load_nav
from qingdan.web.rendering import render

FIELDS = ("username", "display_name", "email", "password", "role", "agency_id")


class AccountController(TenantController):
    path = "/t/{slug:str}/accounts"
    guards = [requires_tenant, load_nav]  # noqa: RUF012

    async def _page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        *,
        done: bool = False,
        errors: dict[str, str] | None = None,
        values: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response:
        roles = allocatable_roles(ctx, principal)
        if not roles:
            raise PermissionDenied("您无权为实施机构开设账号")
        wanted = {r.value for r in roles}
        accounts = []
        for user in await list_users(ctx.tenant_id):
            grants = [g for g in user["grants"] if g["role"] in wanted]
            if grants:
                for g in grants:
                    g["role_label"] = role_label(g["role"])
                accounts.append(user | {"grants": grants})
        context = {
            "base": f"/t/{ctx.slug}/accounts",
            "roles": [(r.value, r.label) for r in roles],
            "agencies": await list_agencies(ctx.scope),
            "accounts": accounts,
            "basis": allocation_basis(ctx, principal),
            "done": done,
            "errors": errors or {},
            "values": values or {},
        }
        return render(request, "accounts/index.html", context, status_code=status_code)

    @get("/", name="accounts:index")
    async def index(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        done: FromQuery[str] = "",
    ) -> Response:
        return await self._page(request, ctx, principal, done=done == "1")

    @post("/", name="accounts:open", status_code=303)
    async def open(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        values = {
            "username": form_text(form, "username", 60),
            "display_name": form_text(form, "display_name", 100),
            "email": form_text(form, "email", 200),
            "role": form_text(form, "role", 40),
            "agency_id": form_text(form, "agency_id", 20),
        }
        password = form.get("password")
        try:
            try:
                await open_account(
                    ctx,
                    principal,
                    actor_of(principal),
                    username=values["username"],
                    display_name=values["display_name"],
                    password=password if isinstance(password, str) else "",
                    email=values["email"],
                    role=values["role"],
                    agency_id=form_int(form, "agency_id"),
                )
            except WeakPassword as exc:
                raise DomainError(str(exc), "password") from None
            except NotFound as exc:
                raise DomainError(str(exc), "agency_id") from None
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            field = exc.field if getattr(exc, "field", "") in FIELDS else ""
            return await self._page(
                request,
                ctx,
                principal,
                errors={field: exc.message},
                values=values,
                status_code=400,
            )
        return Redirect(f"/t/{ctx.slug}/accounts/?done=1", status_code=303)
