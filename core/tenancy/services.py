"""Tenants, divisions, agencies, users and role assignments."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from qingdan.core.audit.services import Actor, record
from qingdan.core.catalog.codes import USCC, CodeError, DivisionCode
from qingdan.core.catalog.vocab import AgencyNature
from qingdan.core.db import atomic
from qingdan.core.errors import DomainError, NotFound
from qingdan.core.plugins import Plugin, SettingsError, get_registry
from qingdan.core.tenancy.passwords import DUMMY_HASH, hash_password, verify_password
from qingdan.core.tenancy.schemas import AGENCY_ROLES, Grant, Principal, Role
from qingdan.core.tenancy.scope import TenantScope
from qingdan.core.tenancy.tables import Agency, Division, RoleAssignment, Tenant, User

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{2,60}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

DIVISION_LEVEL_LABELS = {
    "province": "省",
    "city": "市",
    "county": "县(区)",
    "township": "乡镇(街道)",
    "village": "村(社区)",
}


# Tenants ------------------------------------------------------------------


async def create_tenant(
    actor: Actor,
    slug: str,
    name: str,
    plugin_name: str,
    division_name: str | None = None,
) -> Tenant:
    """A new jurisdiction deployment bound to ``plugin_name``, with its root division."""
    if not SLUG_RE.match(slug or ""):
        raise DomainError("租户标识只能由小写字母、数字和连字符组成,以字母开头,2-40位", "slug")
    if not (name or "").strip():
        raise DomainError("租户名称不能为空", "name")
    plugin = get_registry().get(plugin_name)
    jurisdiction = plugin.jurisdiction
    async with atomic():
        if await Tenant.exists().where(Tenant.slug == slug):
            raise DomainError(f"租户标识“{slug}”已被使用", "slug")
        tenant = Tenant(
            slug=slug,
            name=name.strip(),
            plugin=plugin_name,
            division_code=jurisdiction.division_code,
            settings={},
        )
        await tenant.save()
        scope = TenantScope(tenant.id)
        await add_division(
            scope, actor, jurisdiction.division_code, division_name or jurisdiction.name
        )
        await record(
            tenant.id,
            actor,
            "tenant.create",
            "tenant",
            tenant.id,
            f"创建租户 {name}({slug}),辖区插件 {plugin_name} {plugin.version}",
        )
    return tenant


async def get_tenant(slug: str) -> Tenant:
    tenant = await Tenant.objects().where(Tenant.slug == slug).first()
    if tenant is None or not tenant.active:
        raise NotFound("租户")
    return tenant


async def list_tenants() -> list[dict[str, Any]]:
    return await Tenant.select().order_by(Tenant.id).output(load_json=True)


def plugin_for(tenant: Tenant | dict[str, Any]) -> Plugin:
    name = tenant["plugin"] if isinstance(tenant, dict) else tenant.plugin
    return get_registry().get(name)


def settings_for(tenant: Tenant | dict[str, Any]) -> msgspec.Struct:
    stored = tenant["settings"] if isinstance(tenant, dict) else tenant.settings
    if isinstance(stored, str):
        stored = msgspec.json.decode(stored or "{}")
    return plugin_for(tenant).settings(stored)


async def save_plugin_settings(
    tenant_id: int, actor: Actor, values: dict[str, Any]
) -> msgspec.Struct:
    """Validate ``values`` against the plugin's schema and store them."""
    tenant = await Tenant.objects().where(Tenant.id == tenant_id).first()
    if tenant is None:
        raise NotFound("租户")
    plugin = plugin_for(tenant)
    try:
        settings = plugin.settings(values)
    except SettingsError as exc:
        raise DomainError(str(exc), getattr(exc.error, "path", None)) from None
    stored = msgspec.to_builtins(settings)
    async with atomic():
        await Tenant.update({Tenant.settings: stored}).where(Tenant.id == tenant_id)
        await record(
            tenant_id, actor, "tenant.settings", "tenant", tenant_id, "修改辖区插件设置", stored
        )
    return settings


# Divisions and agencies -----------------------------------------------------


async def add_division(
    scope: TenantScope, actor: Actor, code: str, name: str, parent_code: str | None = None
) -> Division:
    try:
        dc = DivisionCode.parse(code)
    except CodeError as exc:
        raise DomainError(str(exc), "code") from None
    if not (name or "").strip():
        raise DomainError("行政区划名称不能为空", "name")
    parent_id = None
    async with atomic():
        if parent_code:
            parent = await scope.objects(Division).where(Division.code == parent_code).first()
            if parent is None:
                raise DomainError(f"上级行政区划“{parent_code}”不存在", "parent_code")
            if not dc.is_within(DivisionCode.parse(parent.code)) or dc.value == parent.code:
                raise DomainError(f"行政区划“{name}”({dc})不在上级“{parent.name}”范围内", "code")
            parent_id = parent.id
        else:
            root = await scope.objects(Division).where(Division.parent.is_null()).first()
            if root is not None:
                raise DomainError("请指定上级行政区划", "parent_code")
        if await scope.count(Division).where(Division.code == dc.value) > 0:
            raise DomainError(f"行政区划代码“{dc}”已存在", "code")
        division = await scope.insert(
            Division, code=dc.value, name=name.strip(), level=dc.level, parent=parent_id
        )
        await record(
            scope.tenant_id,
            actor,
            "division.create",
            "division",
            division.id,
            f"新增行政区划 {name}({dc})",
        )
    return division


async def add_agency(
    scope: TenantScope,
    actor: Actor,
    name: str,
    uscc: str,
    division_id: int,
    nature: str = AgencyNature.statutory.value,
    parent_id: int | None = None,
) -> Agency:
    if not (name or "").strip():
        raise DomainError("实施机构名称不能为空", "name")
    try:
        code = USCC.parse(uscc)
    except CodeError as exc:
        raise DomainError(str(exc), "uscc") from None
    try:
        AgencyNature(nature)
    except ValueError:
        raise DomainError(f"实施主体性质“{nature}”无效", "nature") from None
    async with atomic():
        division = await scope.get(Division, division_id, "行政区划")
        if parent_id is not None:
            await scope.get(Agency, parent_id, "上级机构")
        if await scope.count(Agency).where(Agency.uscc == code.value) > 0:
            raise DomainError(f"统一社会信用代码“{code}”已被其他机构使用", "uscc")
        agency = await scope.insert(
            Agency,
            name=name.strip(),
            uscc=code.value,
            nature=nature,
            division=division.id,
            parent=parent_id,
        )
        await record(
            scope.tenant_id,
            actor,
            "agency.create",
            "agency",
            agency.id,
            f"新增实施机构 {name}({code})",
        )
    return agency


async def list_divisions(scope: TenantScope) -> list[dict[str, Any]]:
    return await scope.select(Division).order_by(Division.code)


async def list_agencies(scope: TenantScope) -> list[dict[str, Any]]:
    return (
        await scope.select(
            Agency,
            Agency.id,
            Agency.name,
            Agency.uscc,
            Agency.nature,
            Agency.division,
            Agency.division.name.as_alias("division_name"),
            Agency.parent,
            Agency.active,
        )
        .order_by(Agency.division)
        .order_by(Agency.name)
    )


# Users and roles -------------------------------------------------------------


async def create_user(
    tenant_id: int | None,
    actor: Actor,
    username: str,
    display_name: str,
    password: str,
    email: str = "",
) -> User:
    if not USERNAME_RE.match(username or ""):
        raise DomainError("用户名只能由字母、数字、下划线、点和连字符组成,2-60位", "username")
    email = (email or "").strip()
    if email and not EMAIL_RE.match(email):
        raise DomainError(f"电子邮箱“{email}”格式不正确", "email")
    password_hash = hash_password(password)
    async with atomic():
        clause = User.tenant.is_null() if tenant_id is None else User.tenant == tenant_id
        if await User.exists().where(clause & (User.username == username)):
            raise DomainError(f"用户名“{username}”已存在", "username")
        user = User(
            tenant=tenant_id,
            username=username,
            display_name=(display_name or username).strip(),
            password_hash=password_hash,
            email=email,
        )
        await user.save()
        await record(tenant_id, actor, "user.create", "user", user.id, f"新增用户 {username}")
    return user


async def grant_role(
    tenant_id: int | None,
    actor: Actor,
    user_id: int,
    role: Role,
    division_id: int | None = None,
    agency_id: int | None = None,
) -> RoleAssignment:
    role = Role(role)
    if role == Role.platform_admin and tenant_id is not None:
        raise DomainError("平台管理员不属于任何租户", "role")
    if role != Role.platform_admin and tenant_id is None:
        raise DomainError(f"{role.label}必须属于一个租户", "role")
    if role in AGENCY_ROLES and agency_id is None:
        raise DomainError(f"{role.label}必须指定所属实施机构", "agency_id")
    async with atomic():
        user = await User.objects().where(User.id == user_id).first()
        if user is None or user.tenant != tenant_id:
            raise NotFound("用户")
        if tenant_id is not None:
            scope = TenantScope(tenant_id)
            if division_id is not None:
                await scope.get(Division, division_id, "行政区划")
            if agency_id is not None:
                await scope.get(Agency, agency_id, "实施机构")
        assignment = RoleAssignment(
            tenant=tenant_id, user=user_id, role=role.value, division=division_id, agency=agency_id
        )
        await assignment.save()
        await record(
            tenant_id,
            actor,
            "role.grant",
            "user",
            user_id,
            f"授予 {user.username} 角色 {role.label}",
            {"role": role.value, "division": division_id, "agency": agency_id},
        )
    return assignment


async def list_users(tenant_id: int) -> list[dict[str, Any]]:
    """The tenant's users by username, each with ``grants``: its role assignments
    (role, agency and division, with their names)."""
    users = await (
        User.select(User.id, User.username, User.display_name, User.email, User.active)
        .where(User.tenant == tenant_id)
        .order_by(User.username)
    )
    grants = await (
        RoleAssignment.select(
            RoleAssignment.id,
            RoleAssignment.user,
            RoleAssignment.role,
            RoleAssignment.agency,
            RoleAssignment.agency.name.as_alias("agency_name"),
            RoleAssignment.division,
            RoleAssignment.division.name.as_alias("division_name"),
        )
        .where(RoleAssignment.tenant == tenant_id)
        .order_by(RoleAssignment.id)
    )
    by_user: dict[int, list[dict[str, Any]]] = {}
    for g in grants:
        by_user.setdefault(g["user"], []).append(g)
    for user in users:
        user["grants"] = by_user.get(user["id"], [])
    return users


async def load_principal(user_id: int) -> Principal | None:
    user = (
        await User.select(
            User.id,
            User.tenant,
            User.tenant.slug.as_alias("tenant_slug"),
            User.username,
            User.display_name,
            User.active,
        )
        .where(User.id == user_id)
        .first()
    )
    if user is None or not user["active"]:
        return None
    grants = await RoleAssignment.select(
        RoleAssignment.role, RoleAssignment.division, RoleAssignment.agency
    ).where(RoleAssignment.user == user_id)
    return Principal(
        user_id=user["id"],
        tenant_id=user["tenant"],
        tenant_slug=user["tenant_slug"],
        username=user["username"],
        display_name=user["display_name"],
        grants=tuple(
            Grant(Role(g["role"]), g["division"], g["agency"])
            for g in grants
            if g["role"] in Role._value2member_map_
        ),
    )


async def authenticate(tenant_slug: str | None, username: str, password: str) -> Principal | None:
    """The principal for these credentials, or ``None`` (the reason is not told)."""
    query = User.select(User.id, User.password_hash, User.active).where(User.username == username)
    if tenant_slug is None:
        query = query.where(User.tenant.is_null())
    else:
        query = query.where(User.tenant.slug == tenant_slug)
    user = await query.first()
    if user is None:
        verify_password(DUMMY_HASH, password)
        return None
    if not user["active"] or not verify_password(user["password_hash"], password):
        return None
    return await load_principal(user["id"])
