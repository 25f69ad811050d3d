"""API tokens: how the provincial platform (or any other system) signs in to a
tenant's integration API, acting in one role.

A token is made by the tenant administrator, shown once, and kept only as its
SHA-256: a stolen database gives no usable token. It acts in one tenant-wide
role, never an agency's: what it may read and do is what that role may.
Revoking takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from qingdan.core.audit.services import Actor, record
from qingdan.core.db import atomic
from qingdan.core.errors import DomainError, NotFound, PermissionDenied
from qingdan.core.imports.tables import ApiToken
from qingdan.core.tenancy.context import TenantContext, load_context
from qingdan.core.tenancy.schemas import ROLE_LABELS, Principal, Role

PREFIX = "qdt_"
#: The roles a token may act in: tenant-wide offices, not a person's agency role.
TOKEN_ROLES = (
    Role.data_center,
    Role.reform_office,
    Role.legal_reviewer,
    Role.service_center,
    Role.tenant_admin,
)
#: Writing the time of use at most this often keeps a busy token from writing per request.
TOUCH_EVERY = timedelta(minutes=1)


class ApiCaller(msgspec.Struct, frozen=True):
    """Who is calling the integration API: a token of a tenant, in one role."""

    token_id: int
    name: str
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor(None, f"接口令牌“{self.name}”({ROLE_LABELS[self.role]})")


class TokenError(PermissionDenied):
    """The token is missing, unknown (in this tenant) or revoked."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _guard_admin(ctx: TenantContext, principal: Principal) -> None:
    if principal.tenant_id != ctx.tenant_id or not principal.has_role(Role.tenant_admin):
        raise PermissionDenied("只有租户管理员可以管理接口令牌")


async def create_token(
    ctx: TenantContext, principal: Principal, name: str, role: str
) -> tuple[dict[str, Any], str]:
    """A new token: (its row, the token itself, to show once and never again)."""
    _guard_admin(ctx, principal)
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("请填写令牌名称(如“省一体化平台”)", "name")
    if len(name) > 100:
        raise DomainError("令牌名称不能超过100个字", "name")
    try:
        acting = Role(role)
    except ValueError:
        acting = None
    if acting not in TOKEN_ROLES:
        labels = "、".join(r.label for r in TOKEN_ROLES)
        raise DomainError(f"令牌的角色应为: {labels}", "role")
    token = PREFIX + secrets.token_urlsafe(32)
    async with atomic():
        row = await ctx.scope.insert(
            ApiToken,
            name=name,
            role=acting.value,
            prefix=token[:12],
            token_hash=token_hash(token),
            created_by=principal.user_id,
        )
        await record(
            ctx.tenant_id,
            Actor(principal.user_id, principal.display_name),
            "api_token.create",
            "api_token",
            row.id,
            f"创建接口令牌“{name}”({acting.label})",
            {"role": acting.value, "prefix": token[:12]},
        )
    return await ctx.scope.get_row(ApiToken, row.id, "接口令牌"), token


async def revoke_token(ctx: TenantContext, principal: Principal, token_id: int) -> None:
    _guard_admin(ctx, principal)
    row = await ctx.scope.get_row(ApiToken, token_id, "接口令牌")
    if row["revoked_at"] is not None:
        raise DomainError("该令牌已撤销")
    async with atomic():
        await ctx.scope.update(
            ApiToken,
            {ApiToken.revoked_at: datetime.now(UTC), ApiToken.revoked_by: principal.user_id},
        ).where(ApiToken.id == token_id)
        await record(
            ctx.tenant_id,
            Actor(principal.user_id, principal.display_name),
            "api_token.revoke",
            "api_token",
            token_id,
            f"撤销接口令牌“{row['name']}”",
        )


async def list_tokens(ctx: TenantContext) -> list[dict[str, Any]]:
    rows = await ctx.scope.select(
        ApiToken,
        ApiToken.id,
        ApiToken.name,
        ApiToken.role,
        ApiToken.prefix,
        ApiToken.created_at,
        ApiToken.last_used_at,
        ApiToken.revoked_at,
        ApiToken.created_by.display_name.as_alias("author"),
    ).order_by(ApiToken.id, ascending=False)
    for row in rows:
        row["role_label"] = ROLE_LABELS.get(Role(row["role"]), row["role"])
    return rows


async def authenticate(slug: str, authorization: str | None) -> tuple[TenantContext, ApiCaller]:
    """The tenant ``slug`` and the caller of a ``Bearer`` token valid in it.

    A token of another tenant is unknown here, like a made-up one.
    """
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX):
        raise TokenError("缺少接口令牌: 请在请求头中提供 Authorization: Bearer <令牌>")
    try:
        ctx = await load_context(slug=slug)
    except NotFound:
        raise TokenError("接口令牌无效或已撤销") from None
    row = await ctx.scope.select(ApiToken).where(ApiToken.token_hash == token_hash(token)).first()
    if row is None or row["revoked_at"] is not None:
        raise TokenError("接口令牌无效或已撤销")
    now = datetime.now(UTC)
    last = row["last_used_at"]
    if last is None or now - last > TOUCH_EVERY:
        await ctx.scope.update(ApiToken, {ApiToken.last_used_at: now}).where(
            ApiToken.id == row["id"]
        )
    return ctx, ApiCaller(token_id=row["id"], name=row["name"], role=Role(row["role"]))
