"""Who may act on what: a role held in the tenant, a division above the item, or its agency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qingdan.core.catalog.codes import DivisionCode
from qingdan.core.errors import PermissionDenied
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import ROLE_LABELS, Principal, Role
from qingdan.core.tenancy.tables import Division
from qingdan.core.workflow.schemas import ChangeStatus, StepStatus

AUTHOR_ROLES = (Role.clerk.value, Role.agency_reviewer.value)


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


# Which actions a user gets on a request (the services check them again) ----------


def may_author(principal: Principal, item: dict[str, Any], codes: dict[int, str]) -> bool:
    """A clerk or agency reviewer of the item's agency (submits, resubmits, attaches)."""
    division_code = codes.get(item["division"], "")
    return any(
        holds(principal, role, item["agency"], division_code, codes) for role in AUTHOR_ROLES
    )


@dataclass(frozen=True)
class Allowed:
    review: bool = False  # 通过 / 退回 / 驳回
    skip: bool = False
    withdraw: bool = False
    resubmit: bool = False
    upload: bool = False

    @property
    def anything(self) -> bool:
        return self.review or self.withdraw or self.resubmit


def allowed_actions(
    principal: Principal,
    cr: Any,
    item: dict[str, Any],
    steps: list[dict[str, Any]],
    codes: dict[int, str],
) -> Allowed:
    status = ChangeStatus(cr.status)
    active = next((s for s in steps if s["status"] == StepStatus.active.value), None)
    division_code = codes.get(item["division"], "")
    author_side = may_author(principal, item, codes)
    on_step = (
        active is not None
        and status == ChangeStatus.in_review
        and holds(principal, active["role"], item["agency"], division_code, codes)
    )
    review = on_step and cr.author != principal.user_id
    undecided = not any(s["decided_by"] for s in steps)
    return Allowed(
        review=review,
        skip=review and bool(active and active["skippable"]),
        withdraw=(
            cr.author == principal.user_id
            and status in (ChangeStatus.in_review, ChangeStatus.returned)
            and undecided
        ),
        resubmit=status == ChangeStatus.returned and author_side,
        upload=status.is_open and (author_side or on_step),
    )
