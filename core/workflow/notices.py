"""In-app notices: to one user, or to everyone holding a role (in an agency).

Each notice has a dedupe key, unique per tenant, so a scan that runs twice, or
two workers running the same scan, send it once.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from qingdan.core.errors import NotFound
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow.tables import Notice


async def _send(ctx: TenantContext, dedupe_key: str, **values: Any) -> bool:
    if await ctx.scope.count(Notice).where(Notice.dedupe_key == dedupe_key) > 0:
        return False
    await ctx.scope.insert(Notice, dedupe_key=dedupe_key[:200], **values)
    return True


async def notify_user(
    ctx: TenantContext, *, user_id: int, kind: str, title: str, link: str, dedupe_key: str
) -> bool:
    return await _send(ctx, dedupe_key, user=user_id, kind=kind, title=title[:300], link=link)


async def notify_role(
    ctx: TenantContext,
    *,
    role: str,
    agency_id: int | None,
    kind: str,
    title: str,
    link: str,
    dedupe_key: str,
) -> bool:
    return await _send(
        ctx, dedupe_key, role=role, agency=agency_id, kind=kind, title=title[:300], link=link
    )


def _addressed_to(principal: Principal):
    clause = Notice.user == principal.user_id
    for grant in principal.grants:
        role_clause = Notice.role == grant.role.value
        if grant.agency_id is not None:
            role_clause = role_clause & (
                (Notice.agency == grant.agency_id) | Notice.agency.is_null()
            )
        clause = clause | role_clause
    return clause


async def notices_for(
    ctx: TenantContext, principal: Principal, unread_only: bool = False, limit: int = 50
) -> list[dict[str, Any]]:
    query = ctx.scope.select(Notice).where(_addressed_to(principal))
    if unread_only:
        query = query.where(Notice.read_at.is_null())
    return await query.order_by(Notice.id, ascending=False).limit(limit)


async def mark_read(ctx: TenantContext, principal: Principal, notice_id: int) -> None:
    from datetime import datetime

    mine = (Notice.id == notice_id) & _addressed_to(principal)
    # Someone else's notice (or another tenant's) is "not found", not silently "done".
    if not await ctx.scope.count(Notice).where(mine):
        raise NotFound("通知")
    await ctx.scope.update(Notice, {Notice.read_at: datetime.now(UTC)}).where(mine)
