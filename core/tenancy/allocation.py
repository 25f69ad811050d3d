"""Accounts opened by an office other than the tenant administrator (开户).

Some policies give the allocation of agency accounts to an office, e.g. a
大数据中心 that 对实施机构分配信息员、审核员账号; the plugin says which office
and which roles (``qingdan_account_allocation``). Such an office may only open
accounts with those agency roles, each tied to one agency: never an
administrator, never a reviewing office's role.
"""

from __future__ import annotations

from typing import Any

from qingdan.core.db import atomic
from qingdan.core.errors import DomainError, PermissionDenied
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.tenancy.services import create_user, grant_role


def allocatable_roles(ctx: TenantContext, principal: Principal) -> tuple[Role, ...]:
    """The roles ``principal`` may grant through the plugin's allocation (may be none)."""
    allocation = ctx.plugin.account_allocation(ctx.settings)
    held = {g.role.value for g in principal.grants}
    roles: list[Role] = []
    for entry in allocation.allocations:
        if entry.allocator in held:
            roles.extend(Role(r) for r in entry.roles if Role(r) not in roles)
    return tuple(roles)


def allocation_basis(ctx: TenantContext, principal: Principal) -> str:
    allocation = ctx.plugin.account_allocation(ctx.settings)
    held = {g.role.value for g in principal.grants}
    return ";".join(e.basis for e in allocation.allocations if e.allocator in held and e.basis)


async def open_account(
    ctx: TenantContext,
    principal: Principal,
    actor: Any,
    *,
    username: str,
    display_name: str,
    password: str,
    email: str,
    role: str,
    agency_id: int | None,
) -> int:
    """Create a user holding ``role`` at ``agency_id``, both or neither; the new user's id."""
    allowed = allocatable_roles(ctx, principal)
    if not allowed:
        raise PermissionDenied("您无权为实施机构开设账号")
    if role not in {r.value for r in allowed}:
        names = "、".join(r.label for r in allowed)
        raise DomainError(f"只能分配以下角色:{names}", "role")
    if agency_id is None:
        raise DomainError("请选择实施机构:信息员、审核员账号属于一个实施机构", "agency_id")
    async with atomic():
        user = await create_user(ctx.tenant_id, actor, username, display_name, password, email)
        await grant_role(ctx.tenant_id, actor, user.id, Role(role), agency_id=agency_id)
    return user.id
