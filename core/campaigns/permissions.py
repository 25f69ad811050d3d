"""Who may do what in a campaign; the services check these on every call."""

from __future__ import annotations

from collections.abc import Iterable

from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.workflow.permissions import holds

#: Who creates a campaign and sets its dates: the administrator, and 大数据中心,
#: which runs the platform for the tenant (allocates accounts, publishes).
MANAGER_ROLES = (Role.tenant_admin, Role.data_center)
#: The offices that follow every agency's progress (besides the campaign's reviewers).
OVERSEER_ROLES = (
    Role.tenant_admin,
    Role.data_center,
    Role.reform_office,
    Role.legal_reviewer,
    Role.service_center,
)
#: The agency's own people: they submit its list and attach the head's sign-off.
AGENCY_SIDE = (Role.clerk.value, Role.agency_reviewer.value)


def may_manage(principal: Principal) -> bool:
    return principal.tenant_id is not None and principal.has_role(*MANAGER_ROLES)


def may_oversee(principal: Principal, reviewer_roles: Iterable[str] = ()) -> bool:
    """May see the progress of every agency: the offices, and whoever reviews."""
    if principal.tenant_id is None:
        return False
    roles = {r.value for r in OVERSEER_ROLES} | set(reviewer_roles)
    return any(g.role.value in roles for g in principal.grants)


def acts_for_agency(
    principal: Principal, agency_id: int, division_code: str, codes: dict[int, str]
) -> bool:
    """A clerk or agency reviewer of this agency (or of a division above it)."""
    return any(holds(principal, r, agency_id, division_code, codes) for r in AGENCY_SIDE)


def may_review_as(
    principal: Principal, role: str, agency_id: int, division_code: str, codes: dict[int, str]
) -> bool:
    return holds(principal, role, agency_id, division_code, codes)
