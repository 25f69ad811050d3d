"""一件事一次办: setting bundles up (signed in) and their guides on the portal.

Signed in, ``/t/{slug}/bundles``: every role sees the bundles and previews
their guides; the tenant administrator and the big-data centre
(core/bundles/services.py ``MANAGER_ROLES``) set them up from the plugin's
definitions or on their own, edit the one form, join and remove items, and
put them online. Every change is a plain form POST answered with 303
(POST-redirect-GET); a refused one shows the page again, status 400, with the
message. The services check the role too and audit every change.

Public, ``/p/{slug}/bundles``: the bundles online, their guides and PDFs
(the items' published versions only), cacheable, no session.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core.bundles import services as bundles
from qingdan.core.bundles.guide import bundle_guide, bundle_pdf, pdf_filename, pdf_key
from qingdan.core.bundles.schemas import AUDIENCES, BundleField, BundleInput
from qingdan.core.bundles.targets import bundle_progress
from qingdan.core.catalog.schemas import ItemQuery
from qingdan.core.catalog.services import list_items
from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.publishing.guides import FontMissing
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.tenancy.services import list_agencies
from qingdan.web.controllers.lists import portal_common, portal_page
from qingdan.web.controllers.portal import (
    CACHE_CONTROL,
    cacheable,
    not_modified,
    portal_context,
)
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_int, form_text
from qingdan.web.guards import requires_role
from qingdan.web.rendering import render

managers_only = requires_role(*bundles.MANAGER_ROLES)
#: Empty rows the form offers for new fields of the one form.
BLANK_FIELDS = 3
MAX_FIELDS = 100
DONE = {
    "created": "已设立。",
    "saved": "已保存。",
    "added": "已加入事项。",
    "removed": "已移除事项。",
    "published": "已上线,门户可见。",
    "withdrawn": "已下线。",
}


def _kind(value: str) -> bool:
    if value not in ("screen", "print"):
        raise DomainError(f"办事指南类型“{value}”不存在(应为 screen 或 print)", "kind")
    return value == "print"


def _content_disposition(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"bundle.pdf\"; filename*=UTF-8''{quote(filename)}"


def _form_input(form: Any) -> BundleInput:
    """The bundle form: name, description, audience, lead agency, and the field rows."""
    fields = []
    for n in range(MAX_FIELDS + BLANK_FIELDS):
        name = form_text(form, f"field-{n}-name", 100)
        if name:
            fields.append(
                BundleField(
                    name=name,
                    required=form.get(f"field-{n}-required") == "1",
                    note=form_text(form, f"field-{n}-note", 500),
                )
            )
    return BundleInput(
        name=form_text(form, "name", 200),
        description=form_text(form, "description", 5000),
        audience=form_text(form, "audience", 30),
        lead_agency_id=form_int(form, "lead_agency_id"),
        form=fields,
    )


class BundleController(TenantController):
    path = "/t/{slug:str}/bundles"

    async def _index(
        self, request: Request, ctx: TenantContext, principal: Principal, *, error: str = "",
        status_code: int = 200,
    ) -> Response:  # fmt: skip
        context = {
            "rows": await bundles.list_bundles(ctx),
            "progress": await bundle_progress(ctx),
            "pending": await bundles.pending_definitions(ctx),
            "may_manage": bundles.may_manage(principal),
            "audiences": AUDIENCES,
            "base": f"/t/{ctx.slug}/bundles",
            "error": error,
            "done": DONE.get(str(request.query_params.get("done") or ""), ""),
        }
        return render(request, "bundles/index.html", context, status_code=status_code)

    @get("/", name="bundles:index")
    async def index(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        return await self._index(request, ctx, principal)

    @post("/", name="bundles:create", guards=[managers_only], status_code=303)
    async def create(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        code = form_text(form, "code", 60)
        try:
            if code:
                bundle_id = await bundles.create_bundle(ctx, principal, code=code)
            else:
                data = BundleInput(
                    name=form_text(form, "name", 200), audience=form_text(form, "audience", 30)
                )
                bundle_id = await bundles.create_bundle(ctx, principal, data=data)
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._index(request, ctx, principal, error=exc.message, status_code=400)
        return Redirect(path=f"/t/{ctx.slug}/bundles/{bundle_id}?done=created", status_code=303)

    async def _detail(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        bundle_id: int,
        *,
        error: str = "",
        status_code: int = 200,
        values: BundleInput | None = None,
    ) -> Response:
        detail = await bundles.bundle_detail(ctx, bundle_id)
        guide = await bundle_guide(ctx, bundle_id, public=False)
        q = " ".join(str(request.query_params.get("q") or "").split())[:100]
        candidates = []
        if q:
            joined = {m.item_id for m in detail.members}
            page = await list_items(ctx, ItemQuery(q=q, page_size=20))
            candidates = [r for r in page.rows if r.id not in joined and r.status != "cancelled"]
        form = values or BundleInput(
            name=detail.row.name,
            description=detail.description,
            audience=detail.row.audience,
            lead_agency_id=detail.lead_agency_id,
            form=detail.form,
        )
        context = {
            "detail": detail,
            "values": form,
            "fields": [*form.form, *([None] * BLANK_FIELDS)],
            "materials": guide.materials,
            "agencies": await list_agencies(ctx.scope),
            "audiences": AUDIENCES,
            "may_manage": bundles.may_manage(principal),
            "candidates": candidates,
            "q": q,
            "base": f"/t/{ctx.slug}/bundles",
            "error": error,
            "done": DONE.get(str(request.query_params.get("done") or ""), ""),
        }
        return render(request, "bundles/detail.html", context, status_code=status_code)

    @get("/{bundle_id:int}", name="bundles:detail")
    async def detail(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        bundle_id: FromPath[int],
    ) -> Response:
        return await self._detail(request, ctx, principal, bundle_id)

    async def _act(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        bundle_id: int,
        done: str,
        action: Any,
        values: BundleInput | None = None,
    ) -> Response:
        """Run ``action`` (a coroutine); 303 back to the page, or the page with the error."""
        try:
            await action
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._detail(
                request, ctx, principal, bundle_id, error=exc.message, status_code=400,
                values=values,
            )  # fmt: skip
        return Redirect(path=f"/t/{ctx.slug}/bundles/{bundle_id}?done={done}", status_code=303)

    @post("/{bundle_id:int}", name="bundles:save", guards=[managers_only], status_code=303)
    async def save(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        bundle_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        data = _form_input(form)
        lock = form_int(form, "lock_version") or 0
        action = bundles.save_bundle(ctx, principal, bundle_id, data, lock)
        return await self._act(request, ctx, principal, bundle_id, "saved", action, values=data)

    @post(
        "/{bundle_id:int}/items", name="bundles:add_item", guards=[managers_only], status_code=303
    )
    async def add_item(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        bundle_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        item_id = form_int(form, "item_id") or 0
        lock = form_int(form, "lock_version") or 0
        action = bundles.add_item(ctx, principal, bundle_id, item_id, lock)
        return await self._act(request, ctx, principal, bundle_id, "added", action)

    @post(
        "/{bundle_id:int}/items/{item_id:int}/remove",
        name="bundles:remove_item",
        guards=[managers_only],
        status_code=303,
    )
    async def remove_item(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        bundle_id: FromPath[int],
        item_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        lock = form_int(form, "lock_version") or 0
        action = bundles.remove_item(ctx, principal, bundle_id, item_id, lock)
        return await self._act(request, ctx, principal, bundle_id, "removed", action)

    @post(
        "/{bundle_id:int}/publish", name="bundles:publish", guards=[managers_only], status_code=303
    )
    async def publish(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        bundle_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        lock = form_int(form, "lock_version") or 0
        action = bundles.publish_bundle(ctx, principal, bundle_id, lock)
        return await self._act(request, ctx, principal, bundle_id, "published", action)

    @post(
        "/{bundle_id:int}/withdraw",
        name="bundles:withdraw",
        guards=[managers_only],
        status_code=303,
    )
    async def withdraw(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        bundle_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        lock = form_int(form, "lock_version") or 0
        action = bundles.withdraw_bundle(ctx, principal, bundle_id, lock)
        return await self._act(request, ctx, principal, bundle_id, "withdrawn", action)

    @get("/{bundle_id:int}/guide", name="bundles:guide")
    async def guide(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        bundle_id: FromPath[int],
    ) -> Response:
        """The guide as it is (or would be) online: staff preview it before going online."""
        built = await bundle_guide(ctx, bundle_id, public=False)
        context = {"built": built, "guide": built.guide, "qr": "", "base": f"/t/{ctx.slug}/bundles"}
        return render(request, "bundles/guide.html", context | {"bundle_id": bundle_id})

    @get("/{bundle_id:int}/guide.pdf", name="bundles:guide_pdf", opt={"nav": False})
    async def guide_pdf(
        self,
        ctx: NamedDependency[TenantContext],
        bundle_id: FromPath[int],
        kind: FromQuery[str] = "screen",
    ) -> Response:
        print_version = _kind(kind)
        guide = (await bundle_guide(ctx, bundle_id, public=False)).guide
        try:
            data, _ = await bundle_pdf(guide, print_version=print_version)
        except FontMissing as exc:
            raise DomainError(str(exc)) from None
        return Response(
            content=data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": _content_disposition(pdf_filename(guide, print_version)),
                "Cache-Control": "no-store",
            },
        )


class PortalBundleController(Controller):
    """一件事一次办 on the portal: the bundles online and their guides, for anyone."""

    path = "/p/{slug:str}/bundles"
    dependencies = {"ctx": Provide(portal_context)}  # noqa: RUF012
    include_in_schema = False

    @get("/", name="portal-bundles")
    async def index(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        rows = [r for r in await bundles.list_bundles(ctx, published_only=True) if r.visible_items]
        groups: dict[str, list[Any]] = {}
        for row in rows:
            groups.setdefault(row.audience_label, []).append(row)
        context = portal_common(ctx) | {"groups": list(groups.items()), "total": len(rows)}
        return portal_page(request, "portal/bundles.html", context, None)

    @get("/{bundle_id:int}", name="portal-bundle")
    async def guide(
        self, request: Request, ctx: NamedDependency[TenantContext], bundle_id: FromPath[int]
    ) -> Response:
        built = await bundle_guide(ctx, bundle_id, public=True)
        context = portal_common(ctx) | {
            "built": built,
            "guide": built.guide,
            "qr": "",
            "bundle_id": bundle_id,
        }
        return portal_page(request, "portal/bundle.html", context, None)

    @get("/{bundle_id:int}/guide.pdf", name="portal-bundle-pdf")
    async def guide_pdf(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        bundle_id: FromPath[int],
        kind: FromQuery[str] = "screen",
    ) -> Response:
        print_version = _kind(kind)
        built = await bundle_guide(ctx, bundle_id, public=True)
        # The ETag is the hash of what the PDF shows: a kiosk's copy is checked
        # without rendering anything.
        etag = f'"{pdf_key(built.guide, print_version=print_version)[:32]}"'
        if not_modified(request, etag, built.last_modified):
            return cacheable(
                request, b"", "application/pdf", etag=etag, last_modified=built.last_modified
            )
        data, _ = await bundle_pdf(built.guide, print_version=print_version)
        return cacheable(
            request,
            data,
            "application/pdf",
            etag=etag,
            last_modified=built.last_modified,
            cache_control=CACHE_CONTROL,
            headers={
                "Content-Disposition": _content_disposition(
                    pdf_filename(built.guide, print_version)
                )
            },
        )


__all__ = ["BundleController", "PortalBundleController"]
