"""Who may act on what: a role held in the tenant, a division above the item, or its agency."""

from __future__ import annotations

from qingdan.core.catalog.codes import DivisionCode
from qingdan.core.errors import PermissionDenied
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import ROLE_LABELS, Principal, Role
from qingdan.core.tenancy.tables import Division


async def division_codes(ctx: TenantContext) -> dict[int, str]:
    rows = await ctx.scope.select(Division, Division.id, Division.code)
    return {r["id"]: r["code"] for r in rows}


def holds(
    principal: Principal,
    role: str,
    agency_id: int,
    division_code: str,
    codes: dict[int, str],
) -> bool:
    """True if ``principal`` holds ``role`` over an item of this agency and division."""
    if principal.tenant_id is None:
        return False
    target = DivisionCode.parse(division_code)
    for grant in principal.grants:
        if grant.role.value != role:
            continue
        if grant.agency_id is not None:
            if grant.agency_id == agency_id:
                return True
        elif grant.division_id is not None:
            code = codes.get(grant.division_id)
            if code and target.is_within(DivisionCode.parse(code)):
                return True
        else:
            return True
    return False


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


def require(
    principal: Principal,
    role: str,
    agency_id: int,
    division_code: str,
    codes: dict[int, str],
    doing: str,
) -> None:
    if not holds(principal, role, agency_id, division_code, codes):
        raise PermissionDenied(f"只有{role_label(role)}可以{doing}")
