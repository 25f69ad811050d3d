"""导入: catalog releases from above, the claim tasks they leave, bulk editing of
an agency's items in Excel, and the tenant's API tokens.

- /t/{slug}/imports/            upload a release (大数据中心, tenant admin); the batches
- /t/{slug}/imports/{batch_id}  one batch: what it added, changed, cancelled
- /t/{slug}/imports/tasks       应认领 tasks (a clerk's own; 审改机构 assigns the rest)
- /t/{slug}/imports/items       download an agency's items, edit, upload
- /t/{slug}/imports/tokens      API tokens of the integration API (tenant admin)

A small file is imported while the page waits; a large one runs as a job and
the user follows it on the job run page. A refused file shows every error in
a table (row, column, what is wrong) and changes nothing.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from qingdan.core.audit.services import Actor
from qingdan.core.errors import DomainError, NotFound, PermissionDenied
from qingdan.core.imports import item_sheet, releases, tasks, tokens
from qingdan.core.imports.jobs import start_release_import
from qingdan.core.imports.release_format import MAX_BYTES
from qingdan.core.imports.report import ImportRefused
from qingdan.core.imports.sample import export_catalog, sample_release
from qingdan.core.jobs.runs import CONTENT_TYPES
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.web.controllers.changes import content_disposition
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_int, form_text
from qingdan.web.guards import requires_role
from qingdan.web.rendering import render

#: Who imports releases and exports the catalog.
IMPORT_ROLES = (Role.data_center, Role.tenant_admin)
#: Who sees the batches (审改机构 manages the catalog and assigns claim tasks).
VIEW_ROLES = (*IMPORT_ROLES, Role.reform_office)
#: Files above this size are imported in the background with progress.
JOB_BYTES = 1024 * 1024
MAX_BODY = MAX_BYTES + 1024 * 1024
BATCH_ROWS = 500  # changes listed on a batch page; the counts cover them all

importers = requires_role(*IMPORT_ROLES)
viewers = requires_role(*VIEW_ROLES)
editors = requires_role(Role.clerk, Role.agency_reviewer)
admins = requires_role(Role.tenant_admin)
task_readers = requires_role(Role.clerk, Role.agency_reviewer, *tasks.ASSIGN_ROLES)


def _download(data: bytes, name: str) -> Response:
    suffix = "." + name.rsplit(".", 1)[-1]
    return Response(
        content=data,
        media_type=CONTENT_TYPES.get(suffix, "application/octet-stream"),
        headers={
            "Content-Disposition": content_disposition(name),
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _upload(request: Request) -> tuple[dict[str, Any], bytes, str]:
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise DomainError("请选择要导入的文件", "file")
    data = await upload.read()
    if not data:
        raise DomainError(f"文件“{upload.filename}”是空的", "file")
    return form, data, upload.filename


def _actor(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.display_name)


class ImportController(TenantController):
    path = "/t/{slug:str}/imports"

    # Releases from above ----------------------------------------------------------------

    async def _index(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        *,
        refused: ImportRefused | None = None,
        outcome: releases.ReleaseOutcome | None = None,
        error: str = "",
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        return render(
            request,
            "imports/index.html",
            {
                "base": f"/t/{ctx.slug}/imports",
                "batches": await releases.list_batches(ctx),
                "may_import": principal.has_role(*IMPORT_ROLES),
                "refused": refused,
                "outcome": outcome,
                "error": error,
                "values": values or {},
                "max_mb": MAX_BYTES // 1024 // 1024,
                "job_mb": JOB_BYTES / 1024 / 1024,
            },
            status_code=status_code,
        )

    @get("/", name="imports:index", guards=[viewers])
    async def index(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        return await self._index(request, ctx, principal)

    @post("/", name="imports:upload", guards=[importers], request_max_body_size=MAX_BODY)
    async def upload(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        try:
            form, data, filename = await _upload(request)
        except DomainError as exc:
            return await self._index(request, ctx, principal, error=exc.message, status_code=400)
        source = form_text(form, "source", 20) or None
        mode = form_text(form, "mode", 20) or None
        values = {"source": source or "", "mode": mode or ""}
        if len(data) > JOB_BYTES:
            run_id = await start_release_import(
                ctx, _actor(principal), data, filename, source=source, mode=mode
            )
            return Redirect(path=f"/t/{ctx.slug}/jobs/{run_id}", status_code=303)
        try:
            outcome = await releases.import_release(
                ctx, _actor(principal), data, filename, via="web", source=source, mode=mode
            )
        except ImportRefused as exc:
            return await self._index(
                request, ctx, principal, refused=exc, values=values, status_code=422
            )
        if outcome.applied:
            return Redirect(path=f"/t/{ctx.slug}/imports/{outcome.batch_id}", status_code=303)
        return await self._index(request, ctx, principal, outcome=outcome, values=values)

    @get("/{batch_id:int}", name="imports:batch", guards=[viewers])
    async def batch(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        batch_id: FromPath[int],
    ) -> Response:
        batch = await releases.get_batch(ctx, batch_id)
        if batch["kind"] != releases.RELEASE:
            raise NotFound("导入批次")
        changes = await releases.batch_changes(ctx, batch_id)
        return render(
            request,
            "imports/batch.html",
            {
                "base": f"/t/{ctx.slug}/imports",
                "batch": batch,
                "changes": changes[:BATCH_ROWS],
                "more": max(0, len(changes) - BATCH_ROWS),
                "kinds": releases.KIND_LABELS,
            },
        )

    @get("/sample/{fmt:str}", name="imports:sample", opt={"nav": False})
    async def sample(self, fmt: FromPath[str]) -> Response:
        """The sample release (anyone signed in: it holds only the demo catalog)."""
        if fmt not in ("xlsx", "json"):
            raise NotFound("页面")
        data, name = sample_release(fmt)
        return _download(data, name)

    @get("/catalog/{fmt:str}", name="imports:catalog", guards=[viewers], opt={"nav": False})
    async def catalog(
        self, request: Request, ctx: NamedDependency[TenantContext], fmt: FromPath[str]
    ) -> Response:
        if fmt not in ("xlsx", "json"):
            raise NotFound("页面")
        source = request.query_params.get("source") or "provincial"
        data, name = await export_catalog(ctx, fmt, source)
        return _download(data, name)

    # Claim tasks -------------------------------------------------------------------------

    @get("/tasks", name="imports:tasks", guards=[task_readers])
    async def task_list(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        status = request.query_params.get("status", tasks.OPEN)
        if status not in (*tasks.STATUS_LABELS, ""):
            status = tasks.OPEN
        unassigned = request.query_params.get("assign") == "1"
        rows = await tasks.list_tasks(ctx, principal, status=status, unassigned_only=unassigned)
        may_assign = tasks.may_assign(principal)
        agencies = await tasks.tenant_agencies(ctx) if may_assign else []
        return render(
            request,
            "imports/tasks.html",
            {
                "base": f"/t/{ctx.slug}",
                "rows": rows,
                "status": status,
                "statuses": tasks.STATUS_LABELS,
                "unassigned": unassigned,
                "may_assign": may_assign,
                "agencies": agencies,
                "done": request.query_params.get("done", ""),
            },
        )

    @post("/tasks/{task_id:int}/assign", name="imports:assign", guards=[viewers])
    async def assign(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        task_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        agency_id = form_int(form, "agency_id")
        if agency_id is None:
            raise DomainError("请选择认领该事项的实施机构", "agency_id")
        remember = form_text(form, "remember", 5) == "1"
        await tasks.assign_task(ctx, principal, task_id, agency_id, remember=remember)
        return Redirect(path=f"/t/{ctx.slug}/imports/tasks?assign=1&done=assigned", status_code=303)

    # Bulk editing of items ------------------------------------------------------------------

    async def _items_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        *,
        refused: ImportRefused | None = None,
        outcome: item_sheet.BulkOutcome | None = None,
        error: str = "",
        status_code: int = 200,
    ) -> Response:
        return render(
            request,
            "imports/items.html",
            {
                "base": f"/t/{ctx.slug}/imports/items",
                "agencies": await item_sheet.editable_agencies(ctx, principal),
                "refused": refused,
                "outcome": outcome,
                "error": error,
                "slug": ctx.slug,
            },
            status_code=status_code,
        )

    @get("/items", name="imports:items", guards=[editors])
    async def items(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        return await self._items_page(request, ctx, principal)

    @get("/items/download", name="imports:items-download", guards=[editors], opt={"nav": False})
    async def items_download(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        try:
            agency_id = int(request.query_params.get("agency_id", ""))
        except ValueError:
            raise DomainError("请选择实施机构", "agency_id") from None
        data, name = await item_sheet.export_items(ctx, principal, agency_id)
        return _download(data, name)

    @post("/items", name="imports:items-upload", guards=[editors], request_max_body_size=MAX_BODY)
    async def items_upload(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        try:
            _form, data, filename = await _upload(request)
            outcome = await item_sheet.import_items(ctx, principal, data, filename)
        except ImportRefused as exc:
            return await self._items_page(request, ctx, principal, refused=exc, status_code=422)
        except PermissionDenied:
            raise
        except DomainError as exc:
            return await self._items_page(
                request, ctx, principal, error=exc.message, status_code=400
            )
        return await self._items_page(request, ctx, principal, outcome=outcome)

    # API tokens ----------------------------------------------------------------------------------

    async def _tokens_page(
        self,
        request: Request,
        ctx: TenantContext,
        *,
        new_token: str = "",
        error: str = "",
        values: dict[str, str] | None = None,
        done: str = "",
        status_code: int = 200,
    ) -> Response:
        response = render(
            request,
            "imports/tokens.html",
            {
                "base": f"/t/{ctx.slug}/imports/tokens",
                "tokens": await tokens.list_tokens(ctx),
                "roles": [(r.value, r.label) for r in tokens.TOKEN_ROLES],
                "new_token": new_token,
                "error": error,
                "values": values or {},
                "done": done,
                "api_base": f"/api/v1/integration/{ctx.slug}",
            },
            status_code=status_code,
        )
        # A token shown once must not stay in any cache.
        response.headers["Cache-Control"] = "no-store"
        return response

    @get("/tokens", name="imports:tokens", guards=[admins])
    async def token_list(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        return await self._tokens_page(request, ctx, done=request.query_params.get("done", ""))

    @post("/tokens", name="imports:token-create", guards=[admins])
    async def token_create(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        values = {"name": form_text(form, "name", 200), "role": form_text(form, "role", 40)}
        try:
            _row, token = await tokens.create_token(ctx, principal, values["name"], values["role"])
        except PermissionDenied:
            raise
        except DomainError as exc:
            return await self._tokens_page(
                request, ctx, error=exc.message, values=values, status_code=400
            )
        return await self._tokens_page(request, ctx, new_token=token, status_code=201)

    @post("/tokens/{token_id:int}/revoke", name="imports:token-revoke", guards=[admins])
    async def token_revoke(
        self,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        token_id: FromPath[int],
    ) -> Response:
        await tokens.revoke_token(ctx, principal, token_id)
        return Redirect(path=f"/t/{ctx.slug}/imports/tokens?done=revoked", status_code=303)
