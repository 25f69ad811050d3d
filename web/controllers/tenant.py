"""The base of every controller under ``/t/{slug}``: signed in, own tenant only."""

from __future__ import annotations

from litestar import Controller
from litestar.di import Provide

from qingdan.web.guards import provide_principal, provide_tenant_context, requires_tenant
from qingdan.web.nav import load_nav


class TenantController(Controller):
    """Guards and dependencies shared by the tenant's pages.

    ``requires_tenant`` answers 404 for another tenant's URL; ``load_nav``
    counts the work waiting for the user (full GET pages only).
    """

    # Class attributes Litestar reads once, when the app is built.
    guards = [requires_tenant, load_nav]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "ctx": Provide(provide_tenant_context),
        "principal": Provide(provide_principal),
    }
