"""The tenant navigation: which links a user sees, and the count of work waiting.

The count comes from the user's inbox, loaded once per full page by the
``load_nav`` guard (an htmx partial has no navigation, so it skips the query).
The inbox is kept on the request state so the home page does not load it twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from qingdan.core.checks.schemas import CHECK_ROLES
from qingdan.core.tenancy.schemas import Principal, Role

#: Roles that review adjustments: they see the 审核 link.
REVIEW_ROLES = (Role.agency_reviewer, Role.reform_office, Role.legal_reviewer, Role.data_center)
#: Who sees the 指标 link (core/indicators/dashboard.py decides what each sees there).
INDICATOR_ROLES = (
    Role.tenant_admin,
    Role.data_center,
    Role.reform_office,
    Role.clerk,
    Role.agency_reviewer,
)


@dataclass(frozen=True)
class Nav:
    show_claims: bool
    show_reviews: bool
    show_calendar: bool = False  # the working-day calendar is the tenant admin's
    show_admin: bool = False  # so are the tenant administration pages (/admin/)
    show_indicators: bool = False  # 指标: leaders, and agency staff for their own agency
    show_checks: bool = False  # 质检: the offices that run the tenant-wide check
    show_accounts: bool = False  # 开户: an office the plugin lets allocate agency accounts
    waiting: int | None = None  # None: not counted for this response

    @classmethod
    def of(cls, principal: Principal, waiting: int | None = None) -> Nav:
        return cls(
            show_claims=principal.has_role(Role.clerk),
            show_reviews=principal.has_role(*REVIEW_ROLES) or bool(waiting),
            show_calendar=principal.has_role(Role.tenant_admin),
            show_admin=principal.has_role(Role.tenant_admin),
            show_indicators=principal.has_role(*INDICATOR_ROLES),
            show_checks=principal.has_role(*CHECK_ROLES),
            waiting=waiting,
        )


def is_partial(connection: ASGIConnection) -> bool:
    """An htmx request for a fragment (not a boosted link, not a history restore)."""
    headers = connection.headers
    return (
        headers.get("hx-request") == "true"
        and headers.get("hx-boosted") != "true"
        and headers.get("hx-history-restore-request") != "true"
    )


async def load_nav(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """Guard after ``requires_tenant``: count the user's waiting reviews for the nav badge.

    A handler that sends no page (a file download) opts out with ``opt={"nav": False}``.
    """
    from qingdan.core.workflow.inbox import inbox_for
    from qingdan.web.guards import tenant_context

    if not handler.opt.get("nav", True):
        return
    if connection.scope.get("method") not in ("GET", "HEAD") or is_partial(connection):
        return
    principal = connection.state.principal
    ctx = await tenant_context(connection)
    inbox = await inbox_for(ctx, principal)
    connection.state.inbox = inbox
    from dataclasses import replace

    from qingdan.core.tenancy.allocation import allocatable_roles

    nav = Nav.of(principal, waiting=len(inbox.waiting))
    connection.state.nav = replace(nav, show_accounts=bool(allocatable_roles(ctx, principal)))
