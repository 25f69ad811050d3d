"""租户管理: the tenant administrator's pages for divisions, agencies, users and
roles, and the jurisdiction plugin's settings.

Like the calendar (web/controllers/calendar.py) every change is a plain form
POST answered with 303 back to its page (POST-redirect-GET); a refused form
shows the page again, status 400, with the service's Chinese message next to
the field. The services audit every change.

The settings form is generated from the plugin's settings schema (a msgspec
Struct): each field's type picks the input, its ``title`` is the label, and
the plugin's own bounds are checked by the service, not here.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect

from qingdan.core.catalog.vocab import AgencyNature, label
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.passwords import WeakPassword
from qingdan.core.tenancy.schemas import AGENCY_ROLES, Principal, Role
from qingdan.core.tenancy.services import (
    DIVISION_LEVEL_LABELS,
    add_agency,
    add_division,
    create_user,
    grant_role,
    list_agencies,
    list_divisions,
    list_users,
    save_plugin_settings,
)
from qingdan.core.workflow.permissions import role_label
from qingdan.core.workflow.services import actor_of
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_int, form_text
from qingdan.web.guards import requires_role, requires_tenant
from qingdan.web.nav import load_nav
from qingdan.web.rendering import render

#: The pages, under ``/t/{slug}``, and who may use them (web/nav.py links them).
NAV_PATH = "/admin"
ADMIN_ROLES = (Role.tenant_admin,)

admins_only = requires_role(*ADMIN_ROLES)

#: Roles a tenant administrator may grant (the platform's own is not a tenant's).
GRANTABLE_ROLES = [r for r in Role if r != Role.platform_admin]

#: What a page says after a change (``?done=`` after the redirect).
DONE_MESSAGES = {
    "division": "已新增行政区划。",
    "agency": "已新增实施机构。",
    "user": "已新增用户。",
    "grant": "已授予角色。",
    "settings": "已保存辖区插件设置。",
}


def _redirect(ctx: TenantContext, page: str, done: str) -> Redirect:
    return Redirect(path=f"/t/{ctx.slug}{NAV_PATH}/{page}?done={done}", status_code=303)


def _field_of(exc: DomainError, fields: tuple[str, ...]) -> str:
    """The form field an error belongs to, or "" (shown above the form)."""
    return exc.field if exc.field in fields else ""


# Divisions ----------------------------------------------------------------------------------


def division_tree(divisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The divisions in tree order (each after its parent), each with its ``depth``."""
    ids = {d["id"] for d in divisions}
    children: dict[int | None, list[dict[str, Any]]] = {}
    for d in sorted(divisions, key=lambda d: d["code"]):
        parent = d["parent"] if d["parent"] in ids else None
        children.setdefault(parent, []).append(d)
    rows: list[dict[str, Any]] = []

    def walk(parent: int | None, depth: int) -> None:
        for d in children.get(parent, []):
            rows.append(
                d | {"depth": depth, "level_label": DIVISION_LEVEL_LABELS.get(d["level"], "")}
            )
            walk(d["id"], depth + 1)

    walk(None, 0)
    return rows


# Plugin settings ----------------------------------------------------------------------------


def _unwrap(t: Any) -> tuple[Any, dict[str, Any]]:
    """The type inside ``Annotated[..., Meta(...)]`` and its JSON-schema extras."""
    extra: dict[str, Any] = {}
    while isinstance(t, msgspec.inspect.Metadata):
        extra |= t.extra_json_schema or {}
        t = t.type
    return t, extra


def _choices(t: Any) -> list[tuple[str, str]] | None:
    mi = msgspec.inspect
    if isinstance(t, mi.EnumType):
        return [
            (str(m.value), getattr(m, "label", None) or str(m.value))
            for m in t.cls
            if isinstance(m, enum.Enum)
        ]
    if isinstance(t, mi.LiteralType):
        return [(str(v), str(v)) for v in t.values]
    return None


def settings_fields(schema: type[msgspec.Struct]) -> list[dict[str, Any]]:
    """One form field per schema field: name, label, input kind and its limits."""
    mi = msgspec.inspect
    fields = []
    for f in mi.type_info(schema).fields:
        t, extra = _unwrap(f.type)
        optional = False
        if isinstance(t, mi.UnionType) and t.includes_none:
            rest = [x for x in t.types if not isinstance(x, mi.NoneType)]
            if len(rest) == 1:
                t, more = _unwrap(rest[0])
                extra |= more
                optional = True
        field: dict[str, Any] = {
            "name": f.name,
            "label": extra.get("title") or f.name,
            "description": extra.get("description", ""),
            "required": f.required,
            "optional": optional,
            "kind": "unsupported",
        }
        choices = _choices(t)
        if choices is not None:
            field |= {"kind": "select", "choices": choices}
        elif isinstance(t, mi.BoolType):
            field["kind"] = "checkbox"
        elif isinstance(t, mi.IntType):
            low = t.ge if t.ge is not None else (t.gt + 1 if t.gt is not None else None)
            high = t.le if t.le is not None else (t.lt - 1 if t.lt is not None else None)
            field |= {"kind": "number", "min": low, "max": high}
        elif isinstance(t, mi.DateType):
            field["kind"] = "date"
        elif isinstance(t, mi.StrType):
            field |= {"kind": "text", "maxlength": t.max_length}
        elif isinstance(t, (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)):
            item, _ = _unwrap(t.item_type)
            if isinstance(item, mi.StrType):
                field["kind"] = "lines"
        fields.append(field)
    return fields


def _shown(field: dict[str, Any], value: Any) -> Any:
    """A stored value as its input shows it."""
    if value is None:
        return ""
    if field["kind"] == "lines":
        return "\n".join(str(v) for v in value)
    if field["kind"] == "checkbox":
        return bool(value)
    return str(value)


def settings_values(fields: list[dict[str, Any]], settings: msgspec.Struct) -> dict[str, Any]:
    stored = msgspec.to_builtins(settings)
    return {f["name"]: _shown(f, stored.get(f["name"])) for f in fields}


def posted_settings(
    fields: list[dict[str, Any]], form: Any, current: msgspec.Struct
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(values for the service, values to show again) from the posted form.

    A field the form cannot edit keeps its stored value; the schema itself
    (in the service) checks types and bounds.
    """
    values: dict[str, Any] = msgspec.to_builtins(current)
    shown: dict[str, Any] = {}
    for f in fields:
        name, kind = f["name"], f["kind"]
        if kind == "unsupported":
            continue
        if kind == "checkbox":
            values[name] = shown[name] = form.get(name) in ("on", "1", "true")
            continue
        text = form_text(form, name, 20000 if kind == "lines" else 2000)
        shown[name] = text
        if kind == "lines":
            values[name] = [line.strip() for line in text.splitlines() if line.strip()]
        elif not text and f["optional"]:
            values[name] = None
        elif not text and kind != "text":
            raise _SettingsFormError(DomainError(f"请填写“{f['label']}”", name), shown)
        else:
            values[name] = text
    return values, shown


class _SettingsFormError(Exception):
    def __init__(self, error: DomainError, shown: dict[str, Any]):
        super().__init__(error.message)
        self.error = error
        self.shown = shown


# The controller ------------------------------------------------------------------------------


class TenantAdminController(TenantController):
    path = "/t/{slug:str}" + NAV_PATH
    # Own tenant (else 404), then tenant_admin (else 403), then the nav count.
    guards = [requires_tenant, admins_only, load_nav]  # noqa: RUF012

    @staticmethod
    def _page(
        request: Request,
        ctx: TenantContext,
        template: str,
        context: dict[str, Any],
        *,
        done: str = "",
        errors: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> Response:
        context = {
            "base": f"/t/{ctx.slug}{NAV_PATH}",
            "done": DONE_MESSAGES.get(done, ""),
            "errors": errors or {},
            "values": values or {},
            **context,
        }
        return render(request, template, context, status_code=status_code)

    # Overview --------------------------------------------------------------------------------

    @get("/", name="tenant_admin:home")
    async def home(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        scope = ctx.scope
        context = {
            "divisions": len(await list_divisions(scope)),
            "agencies": len(await list_agencies(scope)),
            "users": len(await list_users(ctx.tenant_id)),
            "plugin": ctx.plugin,
        }
        return self._page(request, ctx, "admin/tenant_home.html", context)

    # Divisions -------------------------------------------------------------------------------

    async def _divisions(self, request: Request, ctx: TenantContext, **kwargs: Any) -> Response:
        divisions = division_tree(await list_divisions(ctx.scope))
        return self._page(request, ctx, "admin/divisions.html", {"divisions": divisions}, **kwargs)

    @get("/divisions", name="tenant_admin:divisions")
    async def divisions(
        self, request: Request, ctx: NamedDependency[TenantContext], done: FromQuery[str] = ""
    ) -> Response:
        return await self._divisions(request, ctx, done=done)

    @post("/divisions", name="tenant_admin:add_division", status_code=303)
    async def new_division(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        values = {
            "code": form_text(form, "code", 20),
            "name": form_text(form, "name", 100),
            "parent_code": form_text(form, "parent_code", 20),
        }
        try:
            await add_division(
                ctx.scope,
                actor_of(principal),
                values["code"],
                values["name"],
                values["parent_code"] or None,
            )
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            field = _field_of(exc, ("code", "name", "parent_code"))
            return await self._divisions(
                request, ctx, errors={field: exc.message}, values=values, status_code=400
            )
        return _redirect(ctx, "divisions", "division")

    # Agencies --------------------------------------------------------------------------------

    async def _agencies(self, request: Request, ctx: TenantContext, **kwargs: Any) -> Response:
        agencies = await list_agencies(ctx.scope)
        names = {a["id"]: a["name"] for a in agencies}
        for a in agencies:
            a["nature_label"] = label(AgencyNature, a["nature"])
            a["parent_name"] = names.get(a["parent"], "")
        context = {
            "agencies": agencies,
            "divisions": division_tree(await list_divisions(ctx.scope)),
            "natures": AgencyNature.choices(),
        }
        return self._page(request, ctx, "admin/agencies.html", context, **kwargs)

    @get("/agencies", name="tenant_admin:agencies")
    async def agencies(
        self, request: Request, ctx: NamedDependency[TenantContext], done: FromQuery[str] = ""
    ) -> Response:
        return await self._agencies(request, ctx, done=done)

    @post("/agencies", name="tenant_admin:add_agency", status_code=303)
    async def new_agency(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        values = {
            "name": form_text(form, "name", 200),
            "uscc": form_text(form, "uscc", 30),
            "nature": form_text(form, "nature", 40),
            "division_id": form_text(form, "division_id", 20),
            "parent_id": form_text(form, "parent_id", 20),
        }
        try:
            division_id = form_int(form, "division_id")
            if division_id is None:
                raise DomainError("请选择所属行政区划", "division_id")
            try:
                await add_agency(
                    ctx.scope,
                    actor_of(principal),
                    values["name"],
                    values["uscc"],
                    division_id,
                    values["nature"] or AgencyNature.statutory.value,
                    form_int(form, "parent_id"),
                )
            except NotFound as exc:
                field = "division_id" if exc.what == "行政区划" else "parent_id"
                raise DomainError(str(exc), field) from None
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            field = _field_of(exc, tuple(values))
            return await self._agencies(
                request, ctx, errors={field: exc.message}, values=values, status_code=400
            )
        return _redirect(ctx, "agencies", "agency")

    # Users and roles -------------------------------------------------------------------------

    async def _users(self, request: Request, ctx: TenantContext, **kwargs: Any) -> Response:
        users = await list_users(ctx.tenant_id)
        for user in users:
            for g in user["grants"]:
                g["role_label"] = role_label(g["role"])
        context = {
            "users": users,
            "roles": [(r.value, r.label) for r in GRANTABLE_ROLES],
            "agency_roles": "、".join(r.label for r in GRANTABLE_ROLES if r in AGENCY_ROLES),
            "agencies": await list_agencies(ctx.scope),
            "divisions": division_tree(await list_divisions(ctx.scope)),
        }
        return self._page(request, ctx, "admin/users.html", context, **kwargs)

    @get("/users", name="tenant_admin:users")
    async def users(
        self, request: Request, ctx: NamedDependency[TenantContext], done: FromQuery[str] = ""
    ) -> Response:
        return await self._users(request, ctx, done=done)

    @post("/users", name="tenant_admin:add_user", status_code=303)
    async def new_user(
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
        }
        password = form.get("password")
        password = password if isinstance(password, str) else ""
        try:
            try:
                await create_user(
                    ctx.tenant_id,
                    actor_of(principal),
                    values["username"],
                    values["display_name"],
                    password,
                    values["email"],
                )
            except WeakPassword as exc:
                raise DomainError(str(exc), "password") from None
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            field = _field_of(exc, ("username", "display_name", "email", "password"))
            return await self._users(
                request,
                ctx,
                errors={"user": {field: exc.message}},
                values={"user": values},
                status_code=400,
            )
        return _redirect(ctx, "users", "user")

    @post("/grants", name="tenant_admin:grant_role", status_code=303)
    async def new_grant(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        values = {
            "user_id": form_text(form, "user_id", 20),
            "role": form_text(form, "role", 40),
            "agency_id": form_text(form, "agency_id", 20),
            "division_id": form_text(form, "division_id", 20),
        }
        try:
            user_id = form_int(form, "user_id")
            if user_id is None:
                raise DomainError("请选择用户", "user_id")
            if values["role"] not in {r.value for r in GRANTABLE_ROLES}:
                raise DomainError("请选择角色", "role")
            try:
                await grant_role(
                    ctx.tenant_id,
                    actor_of(principal),
                    user_id,
                    Role(values["role"]),
                    division_id=form_int(form, "division_id"),
                    agency_id=form_int(form, "agency_id"),
                )
            except NotFound as exc:
                fields = {"用户": "user_id", "行政区划": "division_id", "实施机构": "agency_id"}
                raise DomainError(str(exc), fields.get(exc.what, "")) from None
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            field = _field_of(exc, tuple(values))
            return await self._users(
                request,
                ctx,
                errors={"grant": {field: exc.message}},
                values={"grant": values},
                status_code=400,
            )
        return _redirect(ctx, "users", "grant")

    # Plugin settings -------------------------------------------------------------------------

    def _settings(
        self, request: Request, ctx: TenantContext, values: dict[str, Any], **kwargs: Any
    ) -> Response:
        context = {
            "plugin": ctx.plugin,
            "fields": settings_fields(ctx.plugin.settings_schema),
            "shown": values,
        }
        return self._page(request, ctx, "admin/settings.html", context, **kwargs)

    @get("/settings", name="tenant_admin:settings")
    async def settings(
        self, request: Request, ctx: NamedDependency[TenantContext], done: FromQuery[str] = ""
    ) -> Response:
        fields = settings_fields(ctx.plugin.settings_schema)
        return self._settings(request, ctx, settings_values(fields, ctx.settings), done=done)

    @post("/settings", name="tenant_admin:save_settings", status_code=303)
    async def save_settings(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        fields = settings_fields(ctx.plugin.settings_schema)
        names = tuple(f["name"] for f in fields)
        shown = settings_values(fields, ctx.settings)
        try:
            values, posted = posted_settings(fields, form, ctx.settings)
            shown |= posted
            await save_plugin_settings(ctx.tenant_id, actor_of(principal), values)
        except _SettingsFormError as exc:
            shown |= exc.shown
            error = exc.error
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            error = exc
        else:
            return _redirect(ctx, "settings", "settings")
        # The schema's path may point inside a field (``local_themes[2]``).
        field = (error.field or "").split("[")[0].split(".")[0]
        field = field if field in names else ""
        return self._settings(request, ctx, shown, errors={field: error.message}, status_code=400)


__all__ = ["TenantAdminController", "division_tree", "settings_fields"]
