"""Roles and the signed-in principal."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class Role(StrEnum):
    platform_admin = "platform_admin"
    tenant_admin = "tenant_admin"
    clerk = "clerk"
    agency_reviewer = "agency_reviewer"
    reform_office = "reform_office"
    legal_reviewer = "legal_reviewer"
    data_center = "data_center"
    service_center = "service_center"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.platform_admin: "平台管理员",
    Role.tenant_admin: "租户管理员",
    Role.clerk: "信息员",
    Role.agency_reviewer: "审核员",
    Role.reform_office: "审改机构",
    Role.legal_reviewer: "司法行政部门",
    Role.data_center: "大数据中心",
    Role.service_center: "政务服务中心",
}

#: Roles that act for one agency and need an agency scope.
AGENCY_ROLES = frozenset({Role.clerk, Role.agency_reviewer})


class Grant(msgspec.Struct, frozen=True):
    """One role assignment: in the whole tenant, a division, or an agency."""

    role: Role
    division_id: int | None = None
    agency_id: int | None = None

    @property
    def scope_kind(self) -> str:
        if self.agency_id is not None:
            return "agency"
        if self.division_id is not None:
            return "division"
        return "tenant"


class Principal(msgspec.Struct, frozen=True):
    """Who is signed in, with the grants they hold."""

    user_id: int
    tenant_id: int | None
    tenant_slug: str | None
    username: str
    display_name: str
    grants: tuple[Grant, ...] = ()

    def has_role(self, *roles: Role) -> bool:
        return any(g.role in roles for g in self.grants)

    @property
    def roles(self) -> list[Role]:
        return sorted({g.role for g in self.grants}, key=lambda r: list(Role).index(r))

    def agency_ids(self, *roles: Role) -> set[int]:
        """Agencies the principal acts for in ``roles`` (any role if none given)."""
        return {
            g.agency_id
            for g in self.grants
            if g.agency_id is not None and (not roles or g.role in roles)
        }

    @property
    def is_platform_admin(self) -> bool:
        return self.has_role(Role.platform_admin)
