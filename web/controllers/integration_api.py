"""The integration API: ``/api/v1/integration/{slug}/...``, for the provincial
platform and other systems, signed in with a tenant's API token.

``Authorization: Bearer <token>``: a token made by the tenant administrator
(/t/{slug}/imports/tokens), acting in one role. Every role of a token reads
the tenant's catalog, items (any status, with their current elements) and
change requests; 大数据中心 and the tenant administrator also submit a catalog
release (the JSON format of docs/catalog-import.md), checked exactly as an
uploaded file: 422 with every row's error, nothing applied, or the numbered
batch it became. A token of another tenant, a revoked one or none: 401;
a role that may not: 403. Errors are JSON ``{"status_code", "detail"}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import Body, FromPath, QueryParameter
from litestar.utils.scope.state import ScopeState

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.queries import EntryQuery, EntryRow, list_entries
from qingdan.core.catalog.schemas import PAGE_SIZES, ItemQuery, ItemRow
from qingdan.core.catalog.services import get_item, list_items
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.errors import ConflictError, DomainError, NotFound
from qingdan.core.imports import releases
from qingdan.core.imports.release_format import parse_release
from qingdan.core.imports.report import ImportRefused
from qingdan.core.imports.tokens import ApiCaller, TokenError, authenticate
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import ROLE_LABELS, Role
from qingdan.core.workflow.schemas import ChangeStatus
from qingdan.core.workflow.tables import ChangeRequest

JSON = "application/json"
TAGS = ["对接接口 Integration (Bearer token)"]
SECURITY_SCHEME = "BearerToken"
#: Who may submit a release: the same offices as the upload page.
RELEASE_ROLES = (Role.data_center, Role.tenant_admin)
MAX_RELEASE_BYTES = 200 * 1024 * 1024


class ApiError(msgspec.Struct, kw_only=True):
    status_code: int
    detail: str


class RowErrorOut(msgspec.Struct, kw_only=True):
    row: int  # the entry's position in ``entries`` (1-based); 0 = the document
    where: str  # 第3条 / 文件
    column: str  # the field or element, as the report names it
    message: str


class ReleaseRefused(msgspec.Struct, kw_only=True):
    """422: the release was not applied; every error, entry by entry."""

    status_code: int
    detail: str
    errors: list[RowErrorOut]


class ReleaseResult(msgspec.Struct, kw_only=True):
    applied: bool  # false: the same document was imported before, or nothing differs
    message: str
    batch_id: int | None
    batch_number: int | None
    counts: dict[str, int]
    notes: list[str]
    skipped: list[str]


class ReleaseEntryIn(msgspec.Struct, kw_only=True):
    """One entry of a release (docs/catalog-import.md)."""

    base_code: Annotated[str, msgspec.Meta(description="基本编码")]
    name: Annotated[str, msgspec.Meta(description="事项名称(取消时可省略)")] = ""
    item_type: Annotated[
        str, msgspec.Meta(description="事项类型代码或中文,如 licensing / 行政许可")
    ] = ""
    levels: Annotated[
        list[str], msgspec.Meta(description='行使层级,如 ["municipal", "county"]')
    ] = []
    department: Annotated[str, msgspec.Meta(description="主管部门,用于确定认领的实施机构")] = ""
    status: Annotated[str, msgspec.Meta(description="in_use(默认)或 cancelled")] = "in_use"
    elements: Annotated[
        dict[str, Any], msgspec.Meta(description="其余基本目录要素(要素文档的字段)")
    ] = {}


class ReleaseIn(msgspec.Struct, kw_only=True):
    """A catalog release from above, as JSON (the same format as an uploaded file)."""

    format: str = "qingdan.catalog-release"
    format_version: int = 1
    source: Annotated[str, msgspec.Meta(description="national(国家)或 provincial(省级)")] = ""
    mode: Annotated[
        str, msgspec.Meta(description="increment(增量,默认)或 full(全量:未列出的同来源事项取消)")
    ] = "increment"
    title: str = ""
    document_number: str = ""
    issued_on: Annotated[str | None, msgspec.Meta(description="发布日期 YYYY-MM-DD")] = None
    entries: list[ReleaseEntryIn] = []


class EntryList(msgspec.Struct, kw_only=True):
    entries: list[EntryRow]
    total: int
    page: int
    page_size: int


class ItemList(msgspec.Struct, kw_only=True):
    items: list[ItemRow]
    total: int
    page: int
    page_size: int


class ItemOut(msgspec.Struct, kw_only=True):
    """An item with its current elements (the draft if any) and its published ones."""

    id: int
    impl_code: str
    base_code: str
    name: str
    status: str
    agency_id: int
    agency_name: str
    lock_version: int
    updated_at: datetime | None
    current: ElementDocument
    published: ElementDocument | None


class ChangeOut(msgspec.Struct, kw_only=True):
    id: int
    kind: str
    status: str
    subject_name: str
    item_id: int | None
    catalog_entry_id: int | None
    agency_id: int | None
    changed_elements: list[str]
    reason: str
    submitted_at: datetime | None
    closed_at: datetime | None


class BatchOut(msgspec.Struct, kw_only=True):
    id: int
    number: int
    source: str
    mode: str
    title: str
    filename: str
    sha256: str
    via: str
    created_at: datetime | None
    counts: dict[str, int]
    summary: str


# Authentication ----------------------------------------------------------------------------


def _error(status_code: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        content=ApiError(status_code=status_code, detail=detail),
        status_code=status_code,
        media_type=JSON,
        headers=headers,
    )


async def requires_token(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """A valid token of the URL's tenant, in a role the route allows."""
    ctx, caller = await authenticate(
        connection.path_params.get("slug", ""), connection.headers.get("authorization")
    )
    allowed = handler.opt.get("roles")
    if allowed and caller.role not in allowed:
        names = "、".join(ROLE_LABELS[r] for r in allowed)
        raise _RoleRefused(f"该令牌的角色({caller.role.label})不能调用此接口,需要: {names}")
    connection.state.api_ctx = ctx
    connection.state.api_caller = caller


class _RoleRefused(Exception):
    pass


async def _provide_ctx(request: Request) -> TenantContext:
    return request.state.api_ctx


async def _provide_caller(request: Request) -> ApiCaller:
    return request.state.api_caller


def _unauthorized(_request: Request, exc: TokenError) -> Response:
    return _error(401, exc.message, {"WWW-Authenticate": 'Bearer realm="qingdan"'})


def _forbidden(_request: Request, exc: Exception) -> Response:
    return _error(403, str(exc))


def _not_found(_request: Request, exc: Exception) -> Response:
    return _error(404, getattr(exc, "args", [""])[0] or "不存在")


def _conflict(_request: Request, exc: ConflictError) -> Response:
    return _error(409, exc.message)


def _bad_request(_request: Request, exc: Exception) -> Response:
    return _error(400, str(getattr(exc, "message", None) or "请求参数有误"))


def _refused(exc: ImportRefused) -> Response:
    return Response(
        content=ReleaseRefused(
            status_code=422,
            detail=exc.message,
            errors=[RowErrorOut(**row) for row in exc.rows()],
        ),
        status_code=422,
        media_type=JSON,
    )


def _invalid_body(request: Request, exc: ValidationException) -> Response:
    """A release whose JSON does not fit the documented shape: the same row report
    the importer gives, so a caller reads one kind of answer."""
    ctx = request.state.get("api_ctx")
    body = ScopeState.from_scope(request.scope).body  # read already, to decode it
    if ctx is None or request.method != "POST" or not isinstance(body, bytes):
        return _bad_request(request, exc)
    try:
        parse_release(body, "release.json", ctx.code_format())
    except ImportRefused as refused:
        return _refused(refused)
    return _refused(ImportRefused([_row_error(str(exc.detail))]))


def _row_error(message: str):
    from qingdan.core.imports.report import RowError

    return RowError(row=0, column="", message=message, unit="条")


def _http_error(_request: Request, exc: HTTPException) -> Response:
    return _error(exc.status_code, str(exc.detail))


#: Documented on every read: a missing, unknown or revoked token (401), and for
#: an object by id, one the tenant does not have (404).
UNAUTHORIZED = {401: ResponseSpec(data_container=ApiError, description="令牌缺失、无效或已撤销")}
NOT_FOUND = {404: ResponseSpec(data_container=ApiError, description="对象不存在")}


# Routes --------------------------------------------------------------------------------------


class IntegrationApiController(Controller):
    """The tenant's catalog, items and change requests; catalog releases in."""

    path = "/api/v1/integration/{slug:str}"
    guards = [requires_token]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "ctx": Provide(_provide_ctx),
        "caller": Provide(_provide_caller),
    }
    include_in_schema = True
    tags = TAGS
    security = [{SECURITY_SCHEME: []}]  # noqa: RUF012
    exception_handlers = {  # noqa: RUF012
        TokenError: _unauthorized,
        _RoleRefused: _forbidden,
        NotFound: _not_found,
        NotFoundException: _not_found,
        ValidationException: _invalid_body,
        ConflictError: _conflict,
        DomainError: _bad_request,
        HTTPException: _http_error,
    }

    @get(
        "/catalog", name="integration-catalog", responses=UNAUTHORIZED, summary="基本目录(全部状态)"
    )
    async def catalog(
        self,
        ctx: NamedDependency[TenantContext],
        q: Annotated[str, QueryParameter(description="名称或基本编码", max_length=100)] = "",
        status: Annotated[
            str, QueryParameter(description="published / in_review / cancelled")
        ] = "",
        source: Annotated[str, QueryParameter(description="national / provincial / local")] = "",
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        page_size: Annotated[int, QueryParameter(description="20、50 或 100")] = 100,
    ) -> EntryList:
        """The tenant's catalog entries, by base code, with how many items implement each."""
        result = await list_entries(
            ctx, EntryQuery(q=q, status=status, source=source, page=page, page_size=page_size)
        )
        return EntryList(
            entries=result.rows, total=result.total, page=result.page, page_size=result.page_size
        )

    @get(
        "/items", name="integration-items", responses=UNAUTHORIZED, summary="实施清单事项(全部状态)"
    )
    async def items(
        self,
        ctx: NamedDependency[TenantContext],
        q: Annotated[str, QueryParameter(description="搜索词", max_length=100)] = "",
        agency_id: Annotated[int | None, QueryParameter(gt=0)] = None,
        status: Annotated[ItemStatus | None, QueryParameter(description="事项状态")] = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        page_size: Annotated[int, QueryParameter(description="20、50 或 100")] = 100,
    ) -> ItemList:
        """The tenant's items of every status (drafts too), by name."""
        if page_size not in PAGE_SIZES:
            raise DomainError("page_size 应为 20、50 或 100", "page_size")
        result = await list_items(
            ctx,
            ItemQuery(
                q=q,
                agency_id=agency_id,
                status=status.value if status else "",
                page=page,
                page_size=page_size,
            ),
        )
        return ItemList(
            items=result.rows, total=result.total, page=result.page, page_size=result.page_size
        )

    @get(
        "/items/{item_id:int}",
        name="integration-item",
        responses=UNAUTHORIZED | NOT_FOUND,
        summary="一个事项及其要素",
    )
    async def item(self, ctx: NamedDependency[TenantContext], item_id: FromPath[int]) -> ItemOut:
        """An item with its current elements (the draft, if one is being edited) and
        its published elements."""
        detail = await get_item(ctx, item_id)
        row = detail.item
        return ItemOut(
            id=row["id"],
            impl_code=row["impl_code"],
            base_code=row["base_code"],
            name=row["name"],
            status=row["status"],
            agency_id=row["agency"],
            agency_name=row["agency_name"],
            lock_version=row["lock_version"],
            updated_at=row["updated_at"],
            current=detail.current,
            published=detail.published,
        )

    @get("/changes", name="integration-changes", responses=UNAUTHORIZED, summary="调整申请")
    async def changes(
        self,
        ctx: NamedDependency[TenantContext],
        status: Annotated[ChangeStatus | None, QueryParameter(description="申请状态")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 200,
    ) -> list[ChangeOut]:
        """The tenant's change requests (items and catalog), newest first."""
        query = ctx.scope.select(ChangeRequest).order_by(ChangeRequest.id, ascending=False)
        if status is not None:
            query = query.where(ChangeRequest.status == status.value)
        rows = await query.limit(limit).output(load_json=True)
        return [
            ChangeOut(
                id=r["id"],
                kind=r["kind"],
                status=r["status"],
                subject_name=r["subject_name"],
                item_id=r["item"],
                catalog_entry_id=r["catalog_entry"],
                agency_id=r["agency"],
                changed_elements=list(r["changed_elements"] or []),
                reason=r["reason"],
                submitted_at=r["submitted_at"],
                closed_at=r["closed_at"],
            )
            for r in rows
        ]

    @get(
        "/releases",
        name="integration-releases",
        responses=UNAUTHORIZED,
        summary="已导入的基本目录发布批次",
    )
    async def batches(self, ctx: NamedDependency[TenantContext]) -> list[BatchOut]:
        """Every release imported into the tenant, newest batch first."""
        return [
            BatchOut(**{f: row[f] for f in BatchOut.__struct_fields__})
            for row in await releases.list_batches(ctx)
        ]

    @post(
        "/releases",
        name="integration-release-submit",
        summary="提交上级基本目录发布",
        opt={"roles": RELEASE_ROLES},
        request_max_body_size=MAX_RELEASE_BYTES,
        status_code=200,
        responses={
            201: ResponseSpec(data_container=ReleaseResult, description="已导入为新的批次"),
            401: ResponseSpec(data_container=ApiError, description="令牌缺失、无效或已撤销"),
            403: ResponseSpec(data_container=ApiError, description="令牌的角色不能提交"),
            422: ResponseSpec(
                data_container=ReleaseRefused, description="有错误,未作任何更改;逐条列出"
            ),
        },
    )
    async def submit(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        caller: NamedDependency[ApiCaller],
        data: Annotated[ReleaseIn, Body(description="上级基本目录发布(JSON格式)")],
    ) -> Response[ReleaseResult]:
        """Import a release: 201 with the batch it became, 200 when nothing changed
        (the same document again, or no difference), 422 with every entry's error.
        Only 大数据中心 and the tenant administrator may submit."""
        body = await request.body()
        try:
            outcome = await releases.import_release(
                ctx,
                caller.actor,
                body,
                f"接口提交-{data.title or 'release'}.json",
                via="api",
            )
        except ImportRefused as exc:
            return _refused(exc)
        result = ReleaseResult(
            applied=outcome.applied,
            message=outcome.message,
            batch_id=outcome.batch_id,
            batch_number=outcome.batch_number,
            counts=outcome.counts,
            notes=outcome.notes,
            skipped=outcome.skipped,
        )
        return Response(content=result, status_code=201 if outcome.applied else 200)
