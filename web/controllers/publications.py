"""Publications (公布) and their announcements (公告), for staff and for the public.

- ``/t/{slug}/publications``: the tenant's publications; for the roles the
  plugin names (``qingdan_publication_policy``), the form to issue the next
  one with what its announcement would list. ``POST`` issues it.
- ``/t/{slug}/publications/{number}`` and ``.../announcement.pdf``.
- ``/p/{slug}/publications`` (list), ``/p/{slug}/publications/{number}``,
  ``.../announcement.pdf``, ``/p/{slug}/publications.atom`` (the feed) and
  ``/p/{slug}/catalog.jsonld`` (the published catalog as CPSV-AP 3.2): no
  sign-in, cache-friendly like the rest of the portal.

The form carries the number of the latest publication the user saw, so a
double click or two colleagues at once issue one publication, not two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.hooktypes import PublicationSchedule
from qingdan.core.publishing import cpsv, publications
from qingdan.core.publishing.feeds import MEDIA_TYPE as ATOM_MEDIA_TYPE
from qingdan.core.publishing.feeds import tenant_feed
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import ROLE_LABELS, Principal
from qingdan.web.controllers.portal import IMMUTABLE, cacheable, portal_context
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_int, form_text
from qingdan.web.rendering import render

SCHEDULE_TEXT = {
    PublicationSchedule.none: "",
    PublicationSchedule.daily: "目录清单有调整的当天傍晚,系统也会自动发布一期",
    PublicationSchedule.weekly: "每周五傍晚,如目录清单有调整,系统也会自动发布一期",
    PublicationSchedule.monthly: "每月1日傍晚,如目录清单有调整,系统也会自动发布一期",
}


def portal_page(
    request: Request,
    template_name: str,
    context: dict[str, Any],
    *,
    last_modified: datetime | None = None,
) -> Response:
    """A portal page as bytes with its validators (the portal's own pages do the same)."""
    engine = request.app.template_engine
    assert engine is not None
    body = engine.get_template(template_name).render({"request": request, **context}).encode()
    return cacheable(request, body, MediaType.HTML, last_modified=last_modified)


def attachment(filename: str, fallback: str) -> str:
    """Content-Disposition with a Chinese file name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


async def _pdf_response(request: Request, ctx: TenantContext, number: int) -> Response:
    data, summary = await publications.announcement_pdf(ctx, number)
    return cacheable(
        request,
        data,
        "application/pdf",
        last_modified=summary.issued_at,
        # A publication, and so its PDF, never changes.
        cache_control=IMMUTABLE,
        headers={
            "Content-Disposition": attachment(
                publications.announcement_filename(ctx.name, number),
                f"announcement-{number}.pdf",
            )
        },
    )


class PublicationController(TenantController):
    """目录清单公布, inside the tenant."""

    path = "/t/{slug:str}/publications"

    async def _list_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        *,
        error: str = "",
        note: str = "",
        status_code: int = 200,
    ) -> Response:
        may_issue = publications.may_issue(ctx, principal)
        policy = publications.publication_policy(ctx)
        context: dict[str, Any] = {
            "publications": await publications.list_publications(ctx),
            "latest": await publications.latest_number(ctx),
            "may_issue": may_issue,
            # Only an office that may issue needs (and pays for) the preview.
            "pending": await publications.pending_announcement(ctx) if may_issue else None,
            "issuers": "、".join(ROLE_LABELS[r] for r in publications.issuing_roles(ctx)),
            "schedule_text": SCHEDULE_TEXT.get(PublicationSchedule(policy.schedule), ""),
            "error": error,
            "note": note,
        }
        return render(request, "publications/list.html", context, status_code=status_code)

    @get("/", name="publications:list")
    async def index(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        return await self._list_page(request, ctx, principal)

    @post("/", name="publications:issue", status_code=303)
    async def issue(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        note = form_text(form, "note", 500)
        expected = form_int(form, "expected_latest")
        try:
            publication = await publications.issue_publication(
                ctx, principal, note=note, expected_latest=expected if expected else 0
            )
        except PermissionDenied:
            raise
        except DomainError as exc:
            status = 409 if isinstance(exc, ConflictError) else 400
            return await self._list_page(
                request, ctx, principal, error=exc.message, note=note, status_code=status
            )
        return Redirect(
            path=f"/t/{ctx.slug}/publications/{publication.number}?done=issue", status_code=303
        )

    @get("/{number:int}", name="publications:detail")
    async def detail(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        number: FromPath[int],
        done: FromQuery[str] = "",
    ) -> Response:
        announcement = await publications.get_announcement(ctx, number)
        return render(
            request,
            "publications/detail.html",
            {"announcement": announcement, "done": done == "issue"},
        )

    @get("/{number:int}/announcement.pdf", name="publications:pdf", opt={"nav": False})
    async def pdf(
        self, request: Request, ctx: NamedDependency[TenantContext], number: FromPath[int]
    ) -> Response:
        return await _pdf_response(request, ctx, number)


class PublicPublicationController(Controller):
    """The public's side: announcements, their PDFs, the feed and the CPSV-AP export."""

    path = "/p/{slug:str}"
    dependencies = {"ctx": Provide(portal_context)}  # noqa: RUF012
    include_in_schema = False

    def _common(self, ctx: TenantContext) -> dict[str, Any]:
        return {"slug": ctx.slug, "tenant_name": ctx.name, "base": f"/p/{ctx.slug}"}

    @get("/publications", name="portal-publications")
    async def index(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        items = await publications.list_publications(ctx)
        context = self._common(ctx) | {"publications": items}
        return portal_page(
            request,
            "portal/publications.html",
            context,
            last_modified=items[0].issued_at if items else None,
        )

    @get("/publications/{number:int}", name="portal-publication")
    async def detail(
        self, request: Request, ctx: NamedDependency[TenantContext], number: FromPath[int]
    ) -> Response:
        announcement = await publications.get_announcement(ctx, number)
        context = self._common(ctx) | {"announcement": announcement}
        # Not Last-Modified: a line's link follows whether the item is still public.
        return portal_page(request, "portal/publication.html", context)

    @get("/publications/{number:int}/announcement.pdf", name="portal-publication-pdf")
    async def pdf(
        self, request: Request, ctx: NamedDependency[TenantContext], number: FromPath[int]
    ) -> Response:
        return await _pdf_response(request, ctx, number)

    @get("/publications.atom", name="portal-publications-feed")
    async def feed(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        return cacheable(request, await tenant_feed(ctx), ATOM_MEDIA_TYPE)

    @get("/catalog.jsonld", name="portal-catalog-cpsv")
    async def cpsv_ap(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        body = msgspec.json.encode(await cpsv.export_catalog_jsonld(ctx))
        return cacheable(
            request,
            body,
            cpsv.MEDIA_TYPE,
            headers={
                "Content-Disposition": attachment(
                    f"{ctx.name}政务服务事项目录清单-CPSV-AP.jsonld", f"{ctx.slug}-cpsv-ap.jsonld"
                )
            },
        )
