"""The Litestar application: pages, sessions, CSRF, templates, static files.

Web processes keep no state of their own (sessions live in a signed cookie),
so any number of them can run behind a load balancer (ARCHITECTURE.md,
"Embedded default and production").
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

from litestar import Litestar, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from qingdan.core import db
from qingdan.core.config import Settings, get_settings
from qingdan.web.controllers.accounts import AccountController
from qingdan.web.controllers.admin import AdminController
from qingdan.web.controllers.admin_tenant import TenantAdminController
from qingdan.web.controllers.api import PublicApiController, api_tenants
from qingdan.web.controllers.auth import TenantAuthController
from qingdan.web.controllers.bundles import BundleController, PortalBundleController
from qingdan.web.controllers.calendar import CalendarController
from qingdan.web.controllers.campaigns import CampaignController
from qingdan.web.controllers.catalog import CatalogController
from qingdan.web.controllers.changes import ChangeController
from qingdan.web.controllers.checks import CheckController
from qingdan.web.controllers.claims import ClaimController
from qingdan.web.controllers.doorstep import DoorstepController
from qingdan.web.controllers.exports import ExportController
from qingdan.web.controllers.history import ItemHistoryController
from qingdan.web.controllers.imports import ImportController
from qingdan.web.controllers.inbox import InboxController
from qingdan.web.controllers.indicators import IndicatorController
from qingdan.web.controllers.integration_api import SECURITY_SCHEME, IntegrationApiController
from qingdan.web.controllers.items import ItemController
from qingdan.web.controllers.jobs import JobController
from qingdan.web.controllers.lists import ListController, PortalListController
from qingdan.web.controllers.ops import OPS_HANDLERS
from qingdan.web.controllers.portal import PortalController
from qingdan.web.controllers.public import landing
from qingdan.web.controllers.publications import (
    PublicationController,
    PublicPublicationController,
)
from qingdan.web.errors import exception_handlers
from qingdan.web.observability import observability_middleware
from qingdan.web.rendering import build_environment
from qingdan.web.sessions import SignedCookieConfig

STATIC_DIR = Path(__file__).resolve().parent / "static"

SESSION_COOKIE = "qingdan_session"
CSRF_COOKIE = "qingdan_csrf"
CSRF_HEADER = "x-csrftoken"
#: The public portal and the open API: no session and no CSRF cookie, so their
#: responses carry no Set-Cookie and a proxy or kiosk may cache them.
PUBLIC_PATHS = ["^/p/", "^/api/", "^/healthz$", "^/readyz$", "^/metrics$"]


def _derive(secret_key: str, purpose: str) -> bytes:
    """A separate key per use, so the session cipher and CSRF signer never share one."""
    return hashlib.sha256(f"qingdan:{purpose}:{secret_key}".encode()).digest()


#: Row ids are 32-bit in PostgreSQL (serial) and at most 64-bit in SQLite.
MAX_ID = 2**31 - 1


async def _plausible_request(request: Request) -> None:
    """Refuse what no row can match before it reaches the database as an error.

    A number in a path beyond any id names nothing (404: ``/items/99999999999``
    would overflow the column's type); a NUL character in the address is no
    text anyone types (400: PostgreSQL cannot even compare with it).
    """
    for value in request.path_params.values():
        if isinstance(value, int) and not -MAX_ID <= value <= MAX_ID:
            raise NotFoundException()
    if "\x00" in request.url.path or "%00" in request.url.query.lower():
        raise ValidationException("请求地址中含有无效字符")


def _static_not_found(_request: object, _exc: Exception) -> Response:
    # A missing asset (e.g. vendor files not installed yet) is a plain 404,
    # not a whole HTML error page sent in place of a stylesheet.
    return Response(content="Not Found", status_code=404, media_type="text/plain")


async def _flush_pending_forever(every_s: float = 15.0) -> None:
    from qingdan.core.jobs.dispatch import flush_pending

    while True:
        await asyncio.sleep(every_s)
        try:
            await flush_pending()
        except Exception:  # the database may be restarting: try again next round
            logging.getLogger("qingdan.jobs").exception("暂存任务发送失败")


def create_app(settings: Settings | None = None, inprocess_jobs: bool = False) -> Litestar:
    """The web app. ``inprocess_jobs`` runs background jobs in this process when
    no Redis is configured (the embedded default of ``qingdan demo``/``serve``)."""
    settings = settings or get_settings()
    workers: list = []
    tasks: list[asyncio.Task] = []

    async def connect_database() -> None:
        db.connect(settings)
        await db.start_pool()
        if inprocess_jobs and not settings.redis_url:
            from qingdan.core.jobs.scheduler import start_scheduler
            from qingdan.core.jobs.worker import start_inprocess_worker

            workers.append(start_inprocess_worker(settings))
            workers.append(start_scheduler())
        if settings.redis_url:
            # Jobs kept while Redis was down are sent once it answers again.
            tasks.append(asyncio.create_task(_flush_pending_forever()))

    async def disconnect_database() -> None:
        for task in tasks:
            task.cancel()
        for worker in workers:
            if hasattr(worker, "shutdown"):
                worker.shutdown(wait=False)
            else:
                worker.stop()
        # The same app may start again (tests share one): begin from nothing.
        tasks.clear()
        workers.clear()
        await db.close_pool()

    session = SignedCookieConfig(
        secret=_derive(settings.secret_key, "session"),
        key=SESSION_COOKIE,
        max_age=settings.session_max_age,
        httponly=True,
        samesite="lax",
        exclude=["^/static/", *PUBLIC_PATHS],
    )
    csrf = CSRFConfig(
        secret=_derive(settings.secret_key, "csrf").hex(),
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        # Pages carry the token themselves (form field, hx-headers), so
        # no script needs to read the cookie.
        cookie_httponly=True,
        cookie_samesite="lax",
        exclude=["^/static/", *PUBLIC_PATHS],
    )
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        name="static",
        exception_handlers={NotFoundException: _static_not_found},
    )
    return Litestar(
        route_handlers=[
            landing,
            TenantAuthController,
            InboxController,
            ItemController,
            ItemHistoryController,
            JobController,
            ExportController,
            CatalogController,
            ChangeController,
            CheckController,
            ClaimController,
            AdminController,
            CalendarController,
            CampaignController,
            IndicatorController,
            TenantAdminController,
            AccountController,
            PortalController,
            ListController,
            PortalListController,
            BundleController,
            PortalBundleController,
            DoorstepController,
            PublicationController,
            PublicPublicationController,
            PublicApiController,
            api_tenants,
            ImportController,
            IntegrationApiController,
            *OPS_HANDLERS,
            static,
        ],
        on_startup=[connect_database],
        before_request=_plausible_request,
        on_shutdown=[disconnect_database],
        middleware=[observability_middleware, session.middleware],
        csrf_config=csrf,
        template_config=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(build_environment())
        ),
        request_class=HTMXRequest,
        exception_handlers=exception_handlers(settings.debug),
        state=State({"settings": settings}),
        # Only the open API is documented (its handlers opt in); pages are not.
        include_in_schema=False,
        openapi_config=OpenAPIConfig(
            title="清单 qingdan API",
            version="1.0.0",
            description=(
                "已发布的政务服务事项、办事指南和基本目录(只读,无需登录);"
                "对接接口 /api/v1/integration/{slug}/…(接口令牌,Bearer 认证):"
                "读取租户的基本目录、事项和调整申请,提交上级基本目录发布。"
            ),
            path="/api/schema",
            components=Components(
                security_schemes={
                    SECURITY_SCHEME: SecurityScheme(
                        type="http",
                        scheme="bearer",
                        description="租户管理员在“接口令牌”页面创建的令牌",
                    )
                }
            ),
            render_plugins=[
                JsonRenderPlugin(path=["/", "/openapi.json"]),
                YamlRenderPlugin(path="/openapi.yaml"),
            ],
        ),
        debug=settings.debug,
    )
