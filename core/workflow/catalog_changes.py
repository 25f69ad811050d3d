"""Changes to the catalog itself (基本目录): a local entry created, an entry
amended or cancelled. They are change requests like an item's, with the
chain of ``qingdan_catalog_chain`` (core default: 司法行政 legality review,
审改机构, 大数据中心), proposed by 审改机构 (or the tenant administrator).

A proposed entry version is written at submission and never changed; it
becomes the entry's version in use when the request is published. After an
amendment or cancellation every agency implementing the entry gets an
obligation to follow with its own item.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from qingdan.core.catalog.codes import CodeError
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.schemas import pack_codes
from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion
from qingdan.core.catalog.validation import dump_document, validate_document
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.db import atomic, is_sqlite, is_unique_violation
from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.hooktypes import ChangeKind, SubjectSummary
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow import obligations
from qingdan.core.workflow.permissions import division_codes, holds
from qingdan.core.workflow.schemas import OPEN_STATUSES, Action, ChangeStatus
from qingdan.core.workflow.services import (
    CATALOG_AUTHOR_ROLES,
    _activate,
    _decide,
    _required_text,
    _reset_steps,
    _take_request,
    actor_of,
    changed_elements,
    steps_of,
    store_chain,
    today,
)
from qingdan.core.workflow.tables import ChangeRequest

CATALOG_KINDS = (ChangeKind.create, ChangeKind.amend, ChangeKind.cancel)


def _as_doc(document: ElementDocument | dict[str, Any] | None) -> ElementDocument:
    if document is None:
        raise DomainError("请提供基本目录事项的要素", "document")
    return document if isinstance(document, ElementDocument) else validate_document(document)


async def _entry_doc(ctx: TenantContext, version_id: int | None) -> ElementDocument | None:
    if version_id is None:
        return None
    row = await ctx.scope.get_row(CatalogEntryVersion, version_id, "基本目录版本")
    return validate_document(row["document"])


async def _next_number(ctx: TenantContext, entry_id: int) -> int:
    last = (
        await ctx.scope.select(CatalogEntryVersion, CatalogEntryVersion.number)
        .where(CatalogEntryVersion.entry == entry_id)
        .order_by(CatalogEntryVersion.number, ascending=False)
        .first()
    )
    return (last["number"] + 1) if last else 1


def _guard_author(ctx: TenantContext, principal: Principal, codes: dict[int, str]) -> None:
    root = ctx.tenant["division_code"]
    if not any(holds(principal, role, None, root, codes) for role in CATALOG_AUTHOR_ROLES):
        raise PermissionDenied("只有审改机构或租户管理员可以提出基本目录调整")


async def submit_catalog_change(
    ctx: TenantContext,
    principal: Principal,
    kind: ChangeKind | str,
    reason: str,
    *,
    entry_id: int | None = None,
    document: ElementDocument | dict[str, Any] | None = None,
    cancel_basis: str = "",
    document_number: str = "",
    effective_date: date | None = None,
) -> ChangeRequest:
    """提交 a catalog change: 新增 (with ``document``), 变更 (``entry_id`` and the
    whole new ``document``) or 取消 (``entry_id``, basis and formal document)."""
    kind = ChangeKind(kind)
    if kind not in CATALOG_KINDS:
        raise DomainError(f"基本目录不支持“{kind.label}”调整", "kind")
    reason = _required_text(reason, "调整原因", "reason")
    codes = await division_codes(ctx)
    _guard_author(ctx, principal, codes)
    if effective_date is not None and effective_date < today():
        raise DomainError("生效日期不能早于今天", "effective_date")
    entry = None
    base_doc = None
    if kind == ChangeKind.create:
        doc = _as_doc(document)
        try:
            base_code = ctx.code_format().parse_base_code(doc.base_code).value
        except CodeError as exc:
            raise DomainError(str(exc), "base_code") from None
        if await ctx.scope.count(CatalogEntry).where(CatalogEntry.base_code == base_code) > 0:
            raise DomainError(f"基本编码“{base_code}”已存在于基本目录", "base_code")
        if doc.item_type not in ctx.plugin.item_types(ctx.settings):
            raise DomainError(f"事项类型“{doc.item_type.label}”不在本辖区管理范围内", "item_type")
    else:
        if entry_id is None:
            raise DomainError("请指定基本目录事项", "entry_id")
        entry = await ctx.scope.get(CatalogEntry, entry_id, "基本目录事项")
        if entry.status != ItemStatus.published.value:
            raise DomainError(f"基本目录事项“{entry.name}”不在用,不能{kind.label}")
        base_doc = await _entry_doc(ctx, entry.current_version)
        if kind == ChangeKind.amend:
            doc = _as_doc(document)
            if doc.base_code != entry.base_code:
                raise DomainError("基本编码不能修改", "base_code")
            if not changed_elements(base_doc, doc):
                raise DomainError("新要素与在用版本没有差别,无需提交变更")
        else:
            doc = None
            cancel_basis = _required_text(
                cancel_basis, "取消依据(已废止或修改的法律法规)", "cancel_basis"
            )
            document_number = _required_text(document_number, "正式文件文号", "document_number")
    changed = changed_elements(base_doc, doc) if kind == ChangeKind.amend else []
    shown = doc or base_doc
    subject = SubjectSummary(
        name=shown.name,
        item_type=shown.item_type,
        base_code=shown.base_code,
        levels=tuple(shown.levels),
        from_above=False if kind == ChangeKind.create else entry.source != "local",
        is_catalog_entry=True,
    )
    chain = ctx.plugin.catalog_chain(kind, subject, changed, ctx.settings)
    actor = actor_of(principal)
    async with atomic():
        if entry is None:
            try:
                entry = await ctx.scope.insert(
                    CatalogEntry,
                    base_code=doc.base_code,
                    name=doc.name,
                    item_type=doc.item_type.value,
                    levels=pack_codes([lv.value for lv in doc.levels]),
                    status=ItemStatus.in_review.value,  # not claimable until published
                    source="local",
                )
            except Exception as exc:
                # Proposed by someone else at the same moment: the unique index took theirs.
                if not is_unique_violation(exc):
                    raise
                raise ConflictError(
                    f"基本编码“{doc.base_code}”刚被他人提出新增,请刷新页面后查看", "base_code"
                ) from None
        else:
            if not is_sqlite():  # (SQLite's writers take turns already)
                # Of two proposals at once, the second waits on the entry's row here
                # and then finds the first one's open request, instead of failing on
                # the unique index of open requests.
                await (
                    ctx.scope.select(CatalogEntry, CatalogEntry.id)
                    .where(CatalogEntry.id == entry.id)
                    .lock_rows()
                )
            open_count = await ctx.scope.count(ChangeRequest).where(
                (ChangeRequest.catalog_entry == entry.id)
                & ChangeRequest.status.is_in([s.value for s in OPEN_STATUSES])
            )
            if open_count:
                raise DomainError("该基本目录事项已有一个未办结的调整申请")
        proposed = None
        if doc is not None:
            proposed = await ctx.scope.insert(
                CatalogEntryVersion,
                entry=entry.id,
                number=await _next_number(ctx, entry.id),
                document=dump_document(doc),
                created_by=principal.user_id,
            )
        cr = await ctx.scope.insert(
            ChangeRequest,
            catalog_entry=entry.id,
            kind=kind.value,
            status=ChangeStatus.in_review.value,
            entry_version=proposed.id if proposed else None,
            entry_base_version=entry.current_version,
            changed_elements=changed,
            author=principal.user_id,
            reason=reason,
            cancel_basis=cancel_basis,
            document_number=document_number,
            effective_date=effective_date,
            chain_basis=chain.basis[:500],
            submitted_at=_now(),
            subject_name=shown.name,
        )
        await store_chain(ctx, cr, chain)
        await _decide(
            ctx,
            cr,
            actor,
            Action.submit,
            reason,
            summary=f"提交基本目录{kind.label}申请: {shown.name}",
        )
        await _activate(ctx, cr, (await steps_of(ctx, cr.id))[0])
    return cr


def _now():
    from datetime import datetime

    return datetime.now(UTC)


async def resubmit_catalog_change(
    ctx: TenantContext, principal: Principal, cr: ChangeRequest, reason: str = ""
) -> ChangeRequest:
    codes = await division_codes(ctx)
    _guard_author(ctx, principal, codes)
    actor = actor_of(principal)
    async with atomic():
        await _take_request(ctx, cr)
        await ctx.scope.update(
            ChangeRequest, {ChangeRequest.status: ChangeStatus.in_review.value}
        ).where(ChangeRequest.id == cr.id)
        cr.status = ChangeStatus.in_review.value
        first = await _reset_steps(ctx, cr)
        await _decide(ctx, cr, actor, Action.resubmit, reason, summary="重新提交基本目录调整申请")
        await _activate(ctx, cr, first)
    return cr


async def publish_entry_change(ctx: TenantContext, cr: ChangeRequest, actor: Any) -> None:
    """Apply an approved catalog change (called inside the publishing transaction)."""
    kind = ChangeKind(cr.kind)
    entry = await ctx.scope.get(CatalogEntry, cr.catalog_entry, "基本目录事项")
    if kind in (ChangeKind.create, ChangeKind.amend):
        doc = await _entry_doc(ctx, cr.entry_version)
        await ctx.scope.update(
            CatalogEntry,
            {
                CatalogEntry.current_version: cr.entry_version,
                CatalogEntry.status: ItemStatus.published.value,
                CatalogEntry.name: doc.name,
                CatalogEntry.item_type: doc.item_type.value,
                CatalogEntry.levels: pack_codes([lv.value for lv in doc.levels]),
                CatalogEntry.updated_at: _now(),
            },
        ).where(CatalogEntry.id == entry.id)
    else:
        await ctx.scope.update(
            CatalogEntry,
            {CatalogEntry.status: ItemStatus.cancelled.value, CatalogEntry.updated_at: _now()},
        ).where(CatalogEntry.id == entry.id)
    if kind in (ChangeKind.amend, ChangeKind.cancel):
        await obligations.create_catalog_follow_ups(
            ctx, actor, entry_id=entry.id, entry_name=entry.name, kind=kind, cr_id=cr.id
        )


async def request_entry_documents(
    ctx: TenantContext, cr: ChangeRequest
) -> tuple[ElementDocument | None, ElementDocument | None]:
    """(the entry's version in use at submission, the proposed version)."""
    return await _entry_doc(ctx, cr.entry_base_version), await _entry_doc(ctx, cr.entry_version)
