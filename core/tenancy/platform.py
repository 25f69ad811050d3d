"""Platform administration: a new tenant with its first tenant administrator,
and switching a tenant off (and on again).

The tenant itself is made by :func:`create_tenant`, the same service
``qingdan tenant create`` uses; here it is joined in one transaction with the
first tenant administrator, so a refused user (name taken, weak password)
leaves no tenant behind that nobody could sign in to.

A deactivated tenant keeps all its data: its pages, sign-in and public portal
answer "not found" (``load_context`` reads active tenants only) until it is
activated again.
"""

from __future__ import annotations

from typing import Any

from qingdan.core.audit.services import Actor, record
from qingdan.core.db import atomic
from qingdan.core.errors import DomainError, NotFound
from qingdan.core.plugins import PluginError, get_registry
from qingdan.core.tenancy.passwords import WeakPassword, hash_password
from qingdan.core.tenancy.schemas import Role
from qingdan.core.tenancy.services import (
    SLUG_RE,
    USERNAME_RE,
    create_tenant,
    create_user,
    grant_role,
)
from qingdan.core.tenancy.tables import Tenant

#: The fields of the new-tenant form, in the order the errors are looked for.
TENANT_FIELDS = (
    "name",
    "slug",
    "plugin",
    "admin_username",
    "admin_display_name",
    "admin_password",
)


class TenantFormError(DomainError):
    """Several fields refused at once: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors))
        super().__init__(errors[first], first)
        self.errors = errors


def installed_plugins() -> list[dict[str, str]]:
    """The jurisdiction plugins a new tenant may be bound to: name, version, jurisdiction."""
    return [
        {
            "name": plugin.name,
            "version": plugin.version,
            "jurisdiction": plugin.jurisdiction.name,
            "division_code": plugin.jurisdiction.division_code,
        }
        for plugin in get_registry()
    ]


def _check_form(
    slug: str, name: str, plugin_name: str, username: str, password: str
) -> dict[str, str]:
    """What is wrong with the form itself, before the database is asked anything."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "请填写租户名称"
    if not slug:
        errors["slug"] = "请填写租户标识"
    elif not SLUG_RE.match(slug):
        errors["slug"] = "租户标识只能由小写字母、数字和连字符组成,以字母开头,2-40位"
    if not plugin_name:
        errors["plugin"] = "请选择辖区插件"
    else:
        try:
            get_registry().get(plugin_name)
        except PluginError as exc:
            errors["plugin"] = str(exc)
    if not username:
        errors["admin_username"] = "请填写租户管理员的用户名"
    elif not USERNAME_RE.match(username):
        errors["admin_username"] = "用户名只能由字母、数字、下划线、点和连字符组成,2-60位"
    if not password:
        errors["admin_password"] = "请填写初始密码"
    else:
        try:
            hash_password(password)
        except WeakPassword as exc:
            errors["admin_password"] = str(exc)
    return errors


async def create_tenant_with_admin(
    actor: Actor,
    *,
    slug: str,
    name: str,
    plugin_name: str,
    admin_username: str,
    admin_display_name: str,
    admin_password: str,
) -> Tenant:
    """A new tenant bound to ``plugin_name`` and its first tenant administrator.

    All or nothing; every field at fault is named in one :class:`TenantFormError`.
    """
    slug, name, admin_username = slug.strip(), name.strip(), admin_username.strip()
    errors = _check_form(slug, name, plugin_name, admin_username, admin_password)
    if not errors and await Tenant.exists().where(Tenant.slug == slug):
        errors["slug"] = f"租户标识“{slug}”已被使用"
    if errors:
        raise TenantFormError(errors)
    async with atomic():
        tenant = await create_tenant(actor, slug, name, plugin_name)
        try:
            user = await create_user(
                tenant.id, actor, admin_username, admin_display_name, admin_password
            )
        except DomainError as exc:
            # The user's own field names become the form's.
            raise TenantFormError({f"admin_{exc.field or 'username'}": exc.message}) from None
        await grant_role(tenant.id, actor, user.id, Role.tenant_admin)
    return tenant


async def set_tenant_active(actor: Actor, tenant_id: int, active: bool) -> dict[str, Any]:
    """Switch a tenant on or off; audited in the tenant's own log."""
    async with atomic():
        tenant = await Tenant.select().where(Tenant.id == tenant_id).first()
        if tenant is None:
            raise NotFound("租户")
        if tenant["active"] != active:
            await Tenant.update({Tenant.active: active}).where(Tenant.id == tenant_id)
            what = "启用" if active else "停用"
            await record(
                tenant_id,
                actor,
                "tenant.activate" if active else "tenant.deactivate",
                "tenant",
                tenant_id,
                f"{what}租户 {tenant['name']}({tenant['slug']})",
            )
            tenant["active"] = active
    return tenant


__all__ = [
    "TENANT_FIELDS",
    "TenantFormError",
    "create_tenant_with_admin",
    "installed_plugins",
    "set_tenant_active",
]
