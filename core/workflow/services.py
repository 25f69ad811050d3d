"""Change requests and their transitions.

One method per transition (submit, resubmit, approve, skip, return, reject,
withdraw, publish, and the edit that invalidates approvals). Each checks its
guard, writes, records a decision and an audit entry, and advances the chain,
all inside one transaction. Every transition first takes the request's (or
item's) lock version, so two people acting at once cannot both succeed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from qingdan.core.audit.services import Actor, record
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.requirements import missing_elements
from qingdan.core.catalog.services import create_item, publish_draft, save_draft
from qingdan.core.catalog.tables import CatalogEntry, Item, ItemVersion
from qingdan.core.catalog.validation import dump_document, validate_document
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.checks.services import record_item_findings, refuse_blocked
from qingdan.core.db import atomic
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.hooktypes import ChangeKind, SubjectSummary
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.tenancy.tables import Agency, Division
from qingdan.core.workflow import notices, obligations
from qingdan.core.workflow.permissions import division_codes, holds, require, role_label
from qingdan.core.workflow.schemas import OPEN_STATUSES, Action, ChangeStatus, StepStatus
from qingdan.core.workflow.tables import Attachment, ChangeRequest, ChangeStep, Decision

SHANGHAI = ZoneInfo("Asia/Shanghai")
VERSIONED_KINDS = frozenset({ChangeKind.claim, ChangeKind.create, ChangeKind.amend})
AUTHOR_ROLES = (Role.clerk.value, Role.agency_reviewer.value)
#: Who proposes changes to the catalog itself (审改机构 manages it).
CATALOG_AUTHOR_ROLES = (Role.reform_office.value, Role.tenant_admin.value)


def today() -> date:
    """Today in Asia/Shanghai, the calendar every deadline is kept in."""
    return datetime.now(SHANGHAI).date()


def _now() -> datetime:
    return datetime.now(UTC)


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.display_name)


# Reading -------------------------------------------------------------------------------


async def _item(ctx: TenantContext, item_id: int) -> dict[str, Any]:
    row = (
        await ctx.scope.select(
            Item,
            *Item.all_columns(),
            Item.division.code.as_alias("division_code"),
            Item.division.level.as_alias("division_level"),
            Item.catalog_entry.source.as_alias("entry_source"),
        )
        .where(Item.id == item_id)
        .first()
    )
    if row is None:
        raise NotFound("事项")
    return row


async def _document(ctx: TenantContext, version_id: int | None) -> ElementDocument | None:
    if version_id is None:
        return None
    row = await ctx.scope.get_row(ItemVersion, version_id, "版本")
    return validate_document(row["document"])


def changed_elements(old: ElementDocument | None, new: ElementDocument | None) -> list[str]:
    """Field names whose values differ (every field when there is no old version)."""
    if new is None:
        return []
    after = dump_document(new)
    if old is None:
        return [k for k, v in after.items() if v not in ("", [], None, {})]
    before = dump_document(old)
    return [k for k in ElementDocument.__struct_fields__ if before.get(k) != after.get(k)]


def _subject(item: dict[str, Any], doc: ElementDocument | None) -> SubjectSummary:
    return SubjectSummary(
        name=item["name"],
        item_type=doc.item_type if doc else item["item_type"],
        base_code=item["base_code"],
        impl_code=item["impl_code"],
        levels=tuple(doc.levels) if doc else (),
        division_level=item.get("division_level") or "",
        from_above=item.get("entry_source") != "local",
    )


async def get_request(ctx: TenantContext, cr_id: int) -> ChangeRequest:
    return await ctx.scope.get(ChangeRequest, cr_id, "调整申请")


async def open_request_for(ctx: TenantContext, item_id: int) -> ChangeRequest | None:
    return (
        await ctx.scope.objects(ChangeRequest)
        .where(
            (ChangeRequest.item == item_id)
            & ChangeRequest.status.is_in([s.value for s in OPEN_STATUSES])
        )
        .first()
    )


async def steps_of(ctx: TenantContext, cr_id: int) -> list[dict[str, Any]]:
    return (
        await ctx.scope.select(ChangeStep)
        .where(ChangeStep.change_request == cr_id)
        .order_by(ChangeStep.position)
        .output(load_json=True)
    )


async def _active_step_or_none(ctx: TenantContext, cr: ChangeRequest) -> ChangeStep | None:
    return (
        await ctx.scope.objects(ChangeStep)
        .where(
            (ChangeStep.change_request == cr.id) & (ChangeStep.status == StepStatus.active.value)
        )
        .first()
    )


async def _active_step(ctx: TenantContext, cr: ChangeRequest) -> ChangeStep:
    step = await _active_step_or_none(ctx, cr)
    if step is None:
        raise DomainError("该申请当前没有待办理的审核步骤")
    return step


# Writing helpers ------------------------------------------------------------------------


async def _take_request(ctx: TenantContext, cr: ChangeRequest) -> None:
    """Bump the request's lock version, or refuse: someone else acted first."""
    taken = (
        await ctx.scope.update(ChangeRequest, {ChangeRequest.lock_version: cr.lock_version + 1})
        .where((ChangeRequest.id == cr.id) & (ChangeRequest.lock_version == cr.lock_version))
        .returning(ChangeRequest.id)
    )
    if not taken:
        raise ConflictError("该申请已被他人处理,请刷新页面后查看最新状态")
    cr.lock_version += 1


async def _take_item(ctx: TenantContext, item: dict[str, Any]) -> None:
    taken = (
        await ctx.scope.update(Item, {Item.lock_version: item["lock_version"] + 1})
        .where((Item.id == item["id"]) & (Item.lock_version == item["lock_version"]))
        .returning(Item.id)
    )
    if not taken:
        raise ConflictError("该事项刚被他人修改或提交,请刷新页面后重试")
    item["lock_version"] += 1


async def _decide(
    ctx: TenantContext,
    cr: ChangeRequest,
    actor: Actor,
    action: Action,
    reason: str = "",
    step: ChangeStep | dict[str, Any] | None = None,
    summary: str = "",
) -> None:
    step_id = None if step is None else (step["id"] if isinstance(step, dict) else step.id)
    await ctx.scope.insert(
        Decision,
        change_request=cr.id,
        step=step_id,
        action=action.value,
        actor=actor.user_id,
        actor_name=actor.name,
        reason=reason,
        version=cr.version,
    )
    await record(
        ctx.tenant_id,
        actor,
        f"change_request.{action.value}",
        "change_request",
        cr.id,
        summary or f"{action.label}调整申请",
        {
            "item": cr.item,
            "catalog_entry": cr.catalog_entry,
            "kind": cr.kind,
            "step": step_id,
            "reason": reason,
            "version": cr.version,
        },
    )


async def _activate(ctx: TenantContext, cr: ChangeRequest, step: dict[str, Any]) -> None:
    from qingdan.core.calendar.services import load_calendar

    calendar = await load_calendar(ctx.tenant_id)
    deadline = calendar.add_working_days(_now(), step["deadline_days"])
    await ctx.scope.update(
        ChangeStep,
        {
            ChangeStep.status: StepStatus.active.value,
            ChangeStep.started_at: _now(),
            ChangeStep.due_date: deadline.due,
            ChangeStep.due_provisional: deadline.provisional,
            ChangeStep.reminded_at: None,
            ChangeStep.escalated_at: None,
        },
    ).where(ChangeStep.id == step["id"])
    await ctx.scope.update(ChangeRequest, {ChangeRequest.current_step: step["position"]}).where(
        ChangeRequest.id == cr.id
    )
    cr.current_step = step["position"]
    await notices.notify_role(
        ctx,
        role=step["role"],
        agency_id=cr.agency if step["role"] in AUTHOR_ROLES else None,
        kind="step_waiting",
        title=f"待审核: {await _item_name(ctx, cr)}({step['name']},{deadline.label}前)",
        link=f"/t/{ctx.slug}/changes/{cr.id}",
        dedupe_key=f"waiting:{step['id']}:{cr.lock_version}",
    )


async def _item_name(ctx: TenantContext, cr: ChangeRequest) -> str:
    if cr.subject_name:
        return cr.subject_name
    row = await ctx.scope.select(Item, Item.name).where(Item.id == cr.item).first()
    return row["name"] if row else ""


async def subject_scope(ctx: TenantContext, cr: ChangeRequest) -> tuple[int | None, str]:
    """(agency, division code) a role must cover to act on the request. The
    catalog belongs to no agency: its requests are the whole tenant's."""
    if cr.item is None:
        return None, ctx.tenant["division_code"]
    item = await _item(ctx, cr.item)
    return item["agency"], item["division_code"]


async def _reset_steps(ctx: TenantContext, cr: ChangeRequest) -> dict[str, Any]:
    await ctx.scope.update(
        ChangeStep,
        {
            ChangeStep.status: StepStatus.pending.value,
            ChangeStep.decided_by: None,
            ChangeStep.decided_at: None,
            ChangeStep.version_seen: None,
            ChangeStep.comment: "",
            ChangeStep.due_date: None,
        },
    ).where(ChangeStep.change_request == cr.id)
    steps = await steps_of(ctx, cr.id)
    return steps[0]


async def _set_item_status(ctx: TenantContext, item_id: int, status: ItemStatus) -> None:
    await ctx.scope.update(Item, {Item.status: status.value, Item.updated_at: _now()}).where(
        Item.id == item_id
    )


def _required_text(value: str, what: str, field: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(f"请填写{what}", field)
    return text


# Claim ------------------------------------------------------------------------------------


async def claim(ctx: TenantContext, principal: Principal, entry_id: int, agency_id: int) -> Item:
    """认领: an agency takes up a catalog entry issued from above as its own item.

    The item starts as a draft from the catalog entry; the plugin's claim
    obligations (e.g. complete the elements the same day) start counting now.
    """
    agency = await ctx.scope.get(Agency, agency_id, "实施机构")
    division = await ctx.scope.get(Division, agency.division, "行政区划")
    codes = await division_codes(ctx)
    require(principal, Role.clerk.value, agency.id, division.code, codes, "认领事项")
    async with atomic():
        item = await create_item(ctx, actor_of(principal), entry_id=entry_id, agency_id=agency.id)
        row = await _item(ctx, item.id)
        doc = await _document(ctx, item.draft_version)
        await obligations.create_for(
            ctx,
            actor_of(principal),
            event="claim",
            kind=ChangeKind.claim,
            item=row,
            subject=_subject(row, doc),
            changed=[],
            cr_id=None,
        )
    return item


# Submit and resubmit ------------------------------------------------------------------------


async def submit(
    ctx: TenantContext,
    principal: Principal,
    item_id: int,
    kind: ChangeKind | str,
    reason: str,
    *,
    cancel_basis: str = "",
    document_number: str = "",
    effective_date: date | None = None,
) -> ChangeRequest:
    """提交: start a change request for an item, with the chain its plugin gives."""
    kind = ChangeKind(kind)
    reason = _required_text(reason, "调整原因", "reason")
    item = await _item(ctx, item_id)
    codes = await division_codes(ctx)
    if not any(_holds(principal, role, item, codes) for role in AUTHOR_ROLES):
        raise PermissionDenied("只有本实施机构的信息员或审核员可以提交调整申请")
    if effective_date is not None and effective_date < today():
        raise DomainError("生效日期不能早于今天", "effective_date")
    status = ItemStatus(item["status"])
    version_id: int | None = None
    if kind in VERSIONED_KINDS:
        if item["draft_version"] is None:
            raise DomainError("该事项没有待提交的草稿,请先编辑要素")
        if kind in (ChangeKind.claim, ChangeKind.create) and item["published_version"]:
            raise DomainError("该事项已发布,请使用“变更”")
        if kind == ChangeKind.amend and not item["published_version"]:
            raise DomainError("该事项尚未发布,请使用“认领”或“新增”")
        version_id = item["draft_version"]
    elif kind == ChangeKind.suspend and status != ItemStatus.published:
        raise DomainError("只有在用的事项可以暂停")
    elif kind == ChangeKind.resume and status != ItemStatus.suspended:
        raise DomainError("只有已暂停的事项可以恢复")
    elif kind == ChangeKind.cancel:
        if status not in (ItemStatus.published, ItemStatus.suspended):
            raise DomainError("只有在用或暂停的事项可以取消")
        cancel_basis = _required_text(
            cancel_basis, "取消依据(已废止或修改的法律法规)", "cancel_basis"
        )
        document_number = _required_text(document_number, "正式文件文号", "document_number")
    new_doc = await _document(ctx, version_id)
    old_doc = await _document(ctx, item["published_version"])
    if new_doc is not None:
        reqs = ctx.plugin.element_requirements(new_doc.item_type, ctx.settings)
        missing = missing_elements(new_doc, reqs)
        if missing:
            raise DomainError("以下要素尚未填写,不能提交: " + "、".join(missing), "elements")
        if kind == ChangeKind.amend and not changed_elements(old_doc, new_doc):
            raise DomainError("草稿与已发布版本没有差别,无需提交变更")
        # 质检: a blocking finding refuses submission, naming its element.
        await refuse_blocked(ctx, item_id, new_doc)
    changed = changed_elements(old_doc, new_doc) if kind == ChangeKind.amend else []
    subject = _subject(item, new_doc or old_doc)
    chain = ctx.plugin.approval_chain(kind, subject, changed, ctx.settings)
    actor = actor_of(principal)
    async with atomic():
        await _take_item(ctx, item)
        if await open_request_for(ctx, item_id) is not None:
            raise DomainError("该事项已有一个未办结的调整申请,请等待其办结")
        cr = await ctx.scope.insert(
            ChangeRequest,
            item=item_id,
            agency=item["agency"],
            kind=kind.value,
            status=ChangeStatus.in_review.value,
            version=version_id,
            base_version=item["published_version"],
            changed_elements=changed,
            author=principal.user_id,
            reason=reason,
            cancel_basis=cancel_basis,
            document_number=document_number,
            effective_date=effective_date,
            chain_basis=chain.basis[:500],
            submitted_at=_now(),
            subject_name=item["name"],
        )
        await store_chain(ctx, cr, chain)
        if kind in (ChangeKind.claim, ChangeKind.create):
            await _set_item_status(ctx, item_id, ItemStatus.in_review)
            # Submitting the claimed item with every required element filled
            # is what "completing the elements" means.
            await obligations.complete_claim_obligations(ctx, actor, item_id)
        await _decide(
            ctx,
            cr,
            actor,
            Action.submit,
            reason,
            summary=f"提交{kind.label}申请: {item['name']}",
        )
        first = (await steps_of(ctx, cr.id))[0]
        await _activate(ctx, cr, first)
    return cr


async def store_chain(ctx: TenantContext, cr: ChangeRequest, chain: Any) -> None:
    """Copy the plugin's chain into the request's steps (fixed from now on)."""
    for position, step in enumerate(chain.steps):
        await ctx.scope.insert(
            ChangeStep,
            change_request=cr.id,
            position=position,
            name=step.name,
            role=step.role,
            office=step.office or role_label(step.role),
            deadline_days=step.deadline_days,
            required_attachments=[msgspec.to_builtins(a) for a in step.required_attachments],
            skippable=step.skippable,
            escalate_to=step.escalate_to or "",
            basis=step.basis[:500],
        )


def _holds(principal: Principal, role: str, item: dict[str, Any], codes: dict[int, str]) -> bool:
    from qingdan.core.workflow.permissions import holds

    return holds(principal, role, item["agency"], item["division_code"], codes)


async def resubmit(
    ctx: TenantContext, principal: Principal, cr_id: int, reason: str = ""
) -> ChangeRequest:
    """重新提交: after a return, the author sends the edited request from the first step."""
    cr = await get_request(ctx, cr_id)
    if cr.status != ChangeStatus.returned.value:
        raise DomainError("只有已退回的申请可以重新提交")
    if cr.catalog_entry is not None:
        from qingdan.core.workflow import catalog_changes

        return await catalog_changes.resubmit_catalog_change(ctx, principal, cr, reason)
    item = await _item(ctx, cr.item)
    codes = await division_codes(ctx)
    if not any(_holds(principal, role, item, codes) for role in AUTHOR_ROLES):
        raise PermissionDenied("只有本实施机构的信息员或审核员可以重新提交")
    kind = ChangeKind(cr.kind)
    version_id = cr.version
    if kind in VERSIONED_KINDS:
        version_id = item["draft_version"]
        doc = await _document(ctx, version_id)
        if doc is None:
            raise DomainError("该事项没有草稿")
        missing = missing_elements(
            doc, ctx.plugin.element_requirements(doc.item_type, ctx.settings)
        )
        if missing:
            raise DomainError("以下要素尚未填写,不能提交: " + "、".join(missing), "elements")
        await refuse_blocked(ctx, cr.item, doc)
    actor = actor_of(principal)
    async with atomic():
        await _take_request(ctx, cr)
        changed = cr.changed_elements
        if kind == ChangeKind.amend:
            changed = changed_elements(
                await _document(ctx, item["published_version"]), await _document(ctx, version_id)
            )
        await ctx.scope.update(
            ChangeRequest,
            {
                ChangeRequest.status: ChangeStatus.in_review.value,
                ChangeRequest.version: version_id,
                ChangeRequest.changed_elements: changed,
            },
        ).where(ChangeRequest.id == cr.id)
        cr.version = version_id
        first = await _reset_steps(ctx, cr)
        await _decide(ctx, cr, actor, Action.resubmit, reason, summary="重新提交调整申请")
        await _activate(ctx, cr, first)
    return cr


# Decisions by reviewers ---------------------------------------------------------------------


#: A reviewer acted on a step that is no longer the active one.
STEP_MOVED = "该申请在您打开页面后已有人办理(审核、退回或修改了事项),请刷新页面查看最新状态"


async def _guard_reviewer(
    ctx: TenantContext,
    principal: Principal,
    cr: ChangeRequest,
    doing: str,
    seen_step: int | None = None,
) -> ChangeStep:
    if seen_step is not None:
        # The page named the step it showed: if the request moved on since (another
        # reviewer acted, or a save sent it back), that is a race lost, not a
        # permission missing - say so, and let the reviewer look again.
        active = await _active_step_or_none(ctx, cr)
        if cr.status != ChangeStatus.in_review.value or active is None or active.id != seen_step:
            raise ConflictError(STEP_MOVED)
    if cr.status != ChangeStatus.in_review.value:
        raise DomainError(f"申请{ChangeStatus(cr.status).label},不能{doing}")
    step = await _active_step(ctx, cr)
    agency_id, division_code = await subject_scope(ctx, cr)
    codes = await division_codes(ctx)
    require(principal, step.role, agency_id, division_code, codes, f"在“{step.name}”步骤{doing}")
    if cr.author == principal.user_id:
        raise PermissionDenied("申请人不能审核自己提交的申请")
    return step


async def approve(
    ctx: TenantContext,
    principal: Principal,
    cr_id: int,
    comment: str = "",
    seen_version: int | None = None,
    seen_step: int | None = None,
) -> ChangeRequest:
    """通过: the active step passes for the exact version the reviewer saw
    (``seen_version``), at the step they saw (``seen_step``), when given."""
    cr = await get_request(ctx, cr_id)
    step = await _guard_reviewer(ctx, principal, cr, "审核通过", seen_step)
    if seen_version is not None and seen_version != cr.version:
        raise ConflictError("申请内容在您查看后已被修改,请刷新页面查看最新版本后再审核")
    required = step.required_attachments or []
    if isinstance(required, str):
        required = msgspec.json.decode(required)
    present = {
        r["kind"]
        for r in await ctx.scope.select(Attachment, Attachment.kind).where(
            Attachment.change_request == cr.id
        )
    }
    missing = [a["label"] for a in required if a["kind"] not in present]
    if missing:
        raise DomainError("通过前须上传附件: " + "、".join(missing), "attachments")
    actor = actor_of(principal)
    async with atomic():
        await _take_request(ctx, cr)
        await _close_step(ctx, step, StepStatus.approved, principal, comment, cr.version)
        await _decide(ctx, cr, actor, Action.approve, comment, step, f"“{step.name}”审核通过")
        await _advance(ctx, cr, actor)
    return cr


async def skip(
    ctx: TenantContext,
    principal: Principal,
    cr_id: int,
    reason: str,
    seen_step: int | None = None,
) -> ChangeRequest:
    """跳过: a step the chain marks skippable is passed over, with a reason."""
    reason = _required_text(reason, "跳过原因", "reason")
    cr = await get_request(ctx, cr_id)
    step = await _guard_reviewer(ctx, principal, cr, "跳过", seen_step)
    if not step.skippable:
        raise DomainError(f"“{step.name}”步骤不可跳过")
    actor = actor_of(principal)
    async with atomic():
        await _take_request(ctx, cr)
        await _close_step(ctx, step, StepStatus.skipped, principal, reason, cr.version)
        await _decide(ctx, cr, actor, Action.skip, reason, step, f"跳过“{step.name}”")
        await _advance(ctx, cr, actor)
    return cr


async def _close_step(
    ctx: TenantContext,
    step: ChangeStep,
    status: StepStatus,
    principal: Principal,
    comment: str,
    version: int | None,
) -> None:
    closed = (
        await ctx.scope.update(
            ChangeStep,
            {
                ChangeStep.status: status.value,
                ChangeStep.decided_by: principal.user_id,
                ChangeStep.decided_at: _now(),
                ChangeStep.comment: comment,
                ChangeStep.version_seen: version,
            },
        )
        .where((ChangeStep.id == step.id) & (ChangeStep.status == StepStatus.active.value))
        .returning(ChangeStep.id)
    )
    if not closed:
        raise ConflictError("该审核步骤已被他人办理,请刷新页面")


async def _advance(ctx: TenantContext, cr: ChangeRequest, actor: Actor) -> None:
    steps = await steps_of(ctx, cr.id)
    pending = [s for s in steps if s["status"] == StepStatus.pending.value]
    if pending:
        await _activate(ctx, cr, pending[0])
        return
    await ctx.scope.update(
        ChangeRequest, {ChangeRequest.status: ChangeStatus.approved.value}
    ).where(ChangeRequest.id == cr.id)
    cr.status = ChangeStatus.approved.value
    if cr.effective_date is None or cr.effective_date <= today():
        await _publish(ctx, cr, actor)


async def return_request(
    ctx: TenantContext,
    principal: Principal,
    cr_id: int,
    reason: str,
    seen_step: int | None = None,
) -> ChangeRequest:
    """退回: back to the author with a reason; the author edits and resubmits."""
    reason = _required_text(reason, "退回原因", "reason")
    cr = await get_request(ctx, cr_id)
    step = await _guard_reviewer(ctx, principal, cr, "退回", seen_step)
    actor = actor_of(principal)
    async with atomic():
        await _take_request(ctx, cr)
        await _close_step(ctx, step, StepStatus.returned, principal, reason, cr.version)
        await ctx.scope.update(
            ChangeRequest, {ChangeRequest.status: ChangeStatus.returned.value}
        ).where(ChangeRequest.id == cr.id)
        cr.status = ChangeStatus.returned.value
        await _decide(ctx, cr, actor, Action.return_, reason, step, f"“{step.name}”退回")
        await notices.notify_user(
            ctx,
            user_id=cr.author,
            kind="returned",
            title=f"申请被退回: {await _item_name(ctx, cr)}({reason[:60]})",
            link=f"/t/{ctx.slug}/changes/{cr.id}",
            dedupe_key=f"returned:{cr.id}:{cr.lock_version}",
        )
    return cr


async def reject(
    ctx: TenantContext,
    principal: Principal,
    cr_id: int,
    reason: str,
    seen_step: int | None = None,
) -> ChangeRequest:
    """驳回: refused; the request ends. The item keeps its published version."""
    reason = _required_text(reason, "驳回原因", "reason")
    cr = await get_request(ctx, cr_id)
    step = await _guard_reviewer(ctx, principal, cr, "驳回", seen_step)
    actor = actor_of(principal)
    async with atomic():
        await _take_request(ctx, cr)
        await _close_step(ctx, step, StepStatus.rejected, principal, reason, cr.version)
        await _close(ctx, cr, ChangeStatus.rejected)
        await _decide(ctx, cr, actor, Action.reject, reason, step, f"“{step.name}”驳回")
        await notices.notify_user(
            ctx,
            user_id=cr.author,
            kind="rejected",
            title=f"申请被驳回: {await _item_name(ctx, cr)}({reason[:60]})",
            link=f"/t/{ctx.slug}/changes/{cr.id}",
            dedupe_key=f"rejected:{cr.id}",
        )
    return cr


async def withdraw(
    ctx: TenantContext, principal: Principal, cr_id: int, reason: str = ""
) -> ChangeRequest:
    """撤回: the author takes the request back before anyone has decided on it."""
    cr = await get_request(ctx, cr_id)
    if cr.author != principal.user_id:
        raise PermissionDenied("只有申请人可以撤回申请")
    if cr.status not in (ChangeStatus.in_review.value, ChangeStatus.returned.value):
        raise DomainError(f"申请{ChangeStatus(cr.status).label},不能撤回")
    decided = await ctx.scope.count(ChangeStep).where(
        (ChangeStep.change_request == cr.id) & ChangeStep.decided_by.is_not_null()
    )
    if decided:
        raise DomainError("已有审核意见的申请不能撤回")
    actor = actor_of(principal)
    async with atomic():
        await _take_request(ctx, cr)
        await ctx.scope.update(ChangeStep, {ChangeStep.status: StepStatus.pending.value}).where(
            ChangeStep.change_request == cr.id
        )
        await _close(ctx, cr, ChangeStatus.withdrawn)
        await _decide(ctx, cr, actor, Action.withdraw, reason, summary="撤回调整申请")
    return cr


async def _close(ctx: TenantContext, cr: ChangeRequest, status: ChangeStatus) -> None:
    await ctx.scope.update(
        ChangeRequest, {ChangeRequest.status: status.value, ChangeRequest.closed_at: _now()}
    ).where(ChangeRequest.id == cr.id)
    cr.status = status.value
    if cr.item is not None and cr.kind in (ChangeKind.claim.value, ChangeKind.create.value):
        # Back to a draft the agency may rework; it never went public.
        await _set_item_status(ctx, cr.item, ItemStatus.draft)
    if cr.catalog_entry is not None and cr.kind == ChangeKind.create.value:
        # A proposed local entry that was refused never comes into use.
        await ctx.scope.update(
            CatalogEntry, {CatalogEntry.status: ItemStatus.cancelled.value}
        ).where(CatalogEntry.id == cr.catalog_entry)


# Publishing ----------------------------------------------------------------------------------


async def publish(
    ctx: TenantContext, actor: Actor, cr_id: int, on: date | None = None
) -> ChangeRequest:
    """发布: an approved request takes effect (at once, or when its date comes)."""
    cr = await get_request(ctx, cr_id)
    if cr.status != ChangeStatus.approved.value:
        raise DomainError(f"申请{ChangeStatus(cr.status).label},不能发布")
    if cr.effective_date is not None and cr.effective_date > (on or today()):
        raise DomainError(f"申请将于{cr.effective_date}生效,尚未到生效日期")
    async with atomic():
        await _take_request(ctx, cr)
        await _publish(ctx, cr, actor)
    return cr


async def _publish(ctx: TenantContext, cr: ChangeRequest, actor: Actor) -> None:
    if cr.catalog_entry is not None:
        from qingdan.core.workflow import catalog_changes

        await catalog_changes.publish_entry_change(ctx, cr, actor)
        await ctx.scope.update(
            ChangeRequest,
            {ChangeRequest.status: ChangeStatus.published.value, ChangeRequest.closed_at: _now()},
        ).where(ChangeRequest.id == cr.id)
        cr.status = ChangeStatus.published.value
        kind = ChangeKind(cr.kind)
        await _decide(
            ctx, cr, actor, Action.publish, summary=f"基本目录{kind.label}生效: {cr.subject_name}"
        )
        await notices.notify_user(
            ctx,
            user_id=cr.author,
            kind="published",
            title=f"基本目录{kind.label}已生效: {cr.subject_name}",
            link=f"/t/{ctx.slug}/changes/{cr.id}",
            dedupe_key=f"published:{cr.id}",
        )
        return
    kind = ChangeKind(cr.kind)
    item = await _item(ctx, cr.item)
    old_doc = await _document(ctx, item["published_version"])
    if kind in VERSIONED_KINDS:
        if item["draft_version"] != cr.version:
            raise ConflictError("待发布的版本与审核通过的版本不一致")
        await publish_draft(ctx, actor, cr.item)
        # The guide PDFs of the new version are rendered in the background
        # (the job retries until this transaction has committed).
        from qingdan.core.jobs.actors import generate_guide
        from qingdan.core.jobs.dispatch import enqueue
        from qingdan.core.publishing.search import index_item

        # Citizens search the published version from the moment it is in use.
        await index_item(ctx, cr.item)
        # Kept in pending_job (same transaction) if the broker is down.
        await enqueue(generate_guide, ctx.tenant_id, cr.item, cr.version)
    elif kind == ChangeKind.suspend:
        await _set_item_status(ctx, cr.item, ItemStatus.suspended)
    elif kind == ChangeKind.resume:
        await _set_item_status(ctx, cr.item, ItemStatus.published)
    elif kind == ChangeKind.cancel:
        await _set_item_status(ctx, cr.item, ItemStatus.cancelled)
    await ctx.scope.update(
        ChangeRequest,
        {ChangeRequest.status: ChangeStatus.published.value, ChangeRequest.closed_at: _now()},
    ).where(ChangeRequest.id == cr.id)
    cr.status = ChangeStatus.published.value
    await _decide(ctx, cr, actor, Action.publish, summary=f"{kind.label}生效: {item['name']}")
    new_doc = await _document(ctx, cr.version) if cr.version else old_doc
    if kind in (ChangeKind.amend, ChangeKind.cancel):
        await obligations.complete_catalog_follow_ups(ctx, actor, cr.item, kind)
    await obligations.create_for(
        ctx,
        actor,
        event="publish",
        kind=kind,
        item=item,
        subject=_subject(item, new_doc),
        changed=list(cr.changed_elements or []),
        cr_id=cr.id,
    )
    await notices.notify_user(
        ctx,
        user_id=cr.author,
        kind="published",
        title=f"{kind.label}已生效: {item['name']}",
        link=f"/t/{ctx.slug}/items/{cr.item}",
        dedupe_key=f"published:{cr.id}",
    )


# Editing a draft under review ---------------------------------------------------------------


async def edit_draft(
    ctx: TenantContext,
    principal: Principal,
    item_id: int,
    document: ElementDocument | dict[str, Any],
    expected_lock: int,
) -> ItemVersion:
    """Save a draft; if its request was already (partly) approved, the approvals
    no longer hold and the request goes back to its first step."""
    item = await _item(ctx, item_id)
    codes = await division_codes(ctx)
    if not any(_holds(principal, role, item, codes) for role in AUTHOR_ROLES):
        raise PermissionDenied("只有本实施机构的信息员或审核员可以编辑事项")
    actor = actor_of(principal)
    async with atomic():
        # The request is taken before the item, in the order every transition
        # takes them (approve, publish, withdraw: the request, then the item):
        # a save racing the last approval is then refused as a conflict instead
        # of deadlocking with it.
        cr = await open_request_for(ctx, item_id)
        if cr is not None and ChangeKind(cr.kind) in VERSIONED_KINDS:
            await _take_request(ctx, cr)
        else:
            cr = None
        version = await save_draft(ctx, actor, item_id, document, expected_lock)
        # Findings are kept with the item from the save on, until a save fixes them.
        await record_item_findings(ctx, item_id, document)
        if cr is not None:
            steps = await steps_of(ctx, cr.id)
            approved = [
                s
                for s in steps
                if s["status"] in (StepStatus.approved.value, StepStatus.skipped.value)
            ]
            await ctx.scope.update(ChangeRequest, {ChangeRequest.version: version.id}).where(
                ChangeRequest.id == cr.id
            )
            cr.version = version.id
            if approved and cr.status in (
                ChangeStatus.in_review.value,
                ChangeStatus.approved.value,
            ):
                await ctx.scope.update(
                    ChangeRequest, {ChangeRequest.status: ChangeStatus.in_review.value}
                ).where(ChangeRequest.id == cr.id)
                cr.status = ChangeStatus.in_review.value
                first = await _reset_steps(ctx, cr)
                await _decide(
                    ctx,
                    cr,
                    actor,
                    Action.invalidate,
                    "审核通过后内容被修改,已通过的审核不再有效",
                    summary="审核后修改,申请回到第一步",
                )
                await _activate(ctx, cr, first)
    return version


# History ---------------------------------------------------------------------------------------


async def decisions_of(ctx: TenantContext, cr_id: int) -> list[dict[str, Any]]:
    return (
        await ctx.scope.select(Decision)
        .where(Decision.change_request == cr_id)
        .order_by(Decision.id)
    )


async def requests_for_item(ctx: TenantContext, item_id: int) -> list[dict[str, Any]]:
    return (
        await ctx.scope.select(ChangeRequest)
        .where(ChangeRequest.item == item_id)
        .order_by(ChangeRequest.id, ascending=False)
        .output(load_json=True)
    )


__all__ = [
    "CatalogEntry",
    "approve",
    "changed_elements",
    "claim",
    "decisions_of",
    "edit_draft",
    "get_request",
    "open_request_for",
    "publish",
    "reject",
    "requests_for_item",
    "resubmit",
    "return_request",
    "skip",
    "steps_of",
    "submit",
    "withdraw",
]


# Attachments ---------------------------------------------------------------------------------


async def add_attachment(
    ctx: TenantContext,
    principal: Principal,
    cr_id: int,
    kind: str,
    filename: str,
    data: bytes,
    label: str = "",
) -> Attachment:
    """Attach a file to a request; it is kept with the version under review.

    The author's agency, or whoever acts on the active step, may attach.
    """
    from qingdan.core import files

    cr = await get_request(ctx, cr_id)
    if not ChangeStatus(cr.status).is_open:
        raise DomainError("已办结的申请不能再上传附件")
    agency_id, division_code = await subject_scope(ctx, cr)
    codes = await division_codes(ctx)
    authors = AUTHOR_ROLES if cr.item is not None else CATALOG_AUTHOR_ROLES
    allowed = any(holds(principal, r, agency_id, division_code, codes) for r in authors)
    if not allowed and cr.status == ChangeStatus.in_review.value:
        step = await _active_step(ctx, cr)
        allowed = holds(principal, step.role, agency_id, division_code, codes)
    if not allowed:
        raise PermissionDenied("您不能为该申请上传附件")
    stored = files.store(filename, data)
    known = {
        a["kind"]: a["label"]
        for s in await steps_of(ctx, cr.id)
        for a in (s["required_attachments"] or [])
    }
    async with atomic():
        attachment = await ctx.scope.insert(
            Attachment,
            change_request=cr.id,
            version=cr.version,
            kind=kind or "other",
            label=label or known.get(kind, "其他附件"),
            filename=stored.filename,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            storage_key=stored.storage_key,
            uploaded_by=principal.user_id,
        )
        await record(
            ctx.tenant_id,
            actor_of(principal),
            "attachment.add",
            "change_request",
            cr.id,
            f"上传附件 {stored.filename}({attachment.label})",
            {"attachment": attachment.id, "sha256": stored.sha256, "size": stored.size},
        )
    return attachment


async def attachments_of(ctx: TenantContext, cr_id: int) -> list[dict[str, Any]]:
    return (
        await ctx.scope.select(Attachment)
        .where(Attachment.change_request == cr_id)
        .order_by(Attachment.id)
    )


async def read_attachment(ctx: TenantContext, attachment_id: int) -> tuple[dict[str, Any], bytes]:
    from qingdan.core import files

    row = await ctx.scope.get_row(Attachment, attachment_id, "附件")
    return row, files.read(row["storage_key"])


async def request_documents(
    ctx: TenantContext, cr: ChangeRequest
) -> tuple[ElementDocument | None, ElementDocument | None]:
    """(the version published when the request was submitted, the version under
    review): what a reviewer compares, at any time in the request's life."""
    if cr.catalog_entry is not None:
        from qingdan.core.workflow.catalog_changes import request_entry_documents

        return await request_entry_documents(ctx, cr)
    return await _document(ctx, cr.base_version), await _document(ctx, cr.version)
