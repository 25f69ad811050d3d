"""What the adjustment pages show: a change request with its chain, diff and
attachments; the 调整 panel of an item; obligations; and which buttons a user gets.

The buttons shown here only spare people a click that would be refused: every
transition is checked again by its service (core/workflow/services.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qingdan.core.catalog.diff import DocumentDiff, diff_documents
from qingdan.core.catalog.schemas import ItemDetail
from qingdan.core.catalog.services import get_item
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.errors import DomainError
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow.inbox import DUE_SOON_DAYS
from qingdan.core.workflow.obligations import open_obligations
from qingdan.core.workflow.permissions import (
    Allowed,
    allowed_actions,
    division_codes,
    holds,
    may_author,
    role_label,
)
from qingdan.core.workflow.schemas import Action, StepStatus
from qingdan.core.workflow.services import (
    attachments_of,
    changed_elements,
    decisions_of,
    get_request,
    open_request_for,
    request_documents,
    requests_for_item,
    steps_of,
    today,
)

VERSIONED_KINDS = (ChangeKind.claim, ChangeKind.create, ChangeKind.amend)
OTHER_ATTACHMENT = ("other", "其他")

#: What the page says after an action succeeded (``?done=`` after the redirect).
DONE_MESSAGES = {
    "approve": "已审核通过。",
    "return": "已退回申请人。",
    "reject": "已驳回该申请。",
    "skip": "已跳过该步骤。",
    "withdraw": "已撤回该申请。",
    "resubmit": "已重新提交,从第一步重新审核。",
    "attachment": "附件已上传。",
    "submit": "调整申请已提交。",
}


# Form errors ---------------------------------------------------------------------------


def field_errors(exc: DomainError, fields: tuple[str, ...]) -> dict[str, str]:
    """``{field: message}``; a message about no field of this form goes under ``""``."""
    key = exc.field if exc.field in fields else ""
    return {key: exc.message}


# Due dates -----------------------------------------------------------------------------


async def due_timing(ctx: TenantContext) -> Callable[[date | None], tuple[bool, bool]]:
    """``timing(due) -> (overdue, due_soon)``, as the inbox counts them."""
    from qingdan.core.calendar.services import load_calendar

    day = today()
    calendar = await load_calendar(ctx.tenant_id)

    def timing(due: date | None) -> tuple[bool, bool]:
        if due is None:
            return False, False
        if due < day:
            return True, False
        return False, calendar.working_days_between(day, due) <= DUE_SOON_DAYS

    return timing


# The change request page -------------------------------------------------------------------


@dataclass
class ChangeView:
    cr: Any
    detail: ItemDetail
    author_name: str
    steps: list[dict[str, Any]]
    active: dict[str, Any] | None
    decisions: list[dict[str, Any]]
    attachments: list[dict[str, Any]]
    attachment_kinds: list[tuple[str, str]]
    required: list[dict[str, Any]]  # the active step's required attachments, with "present"
    diff: DocumentDiff | None
    diff_note: str
    allowed: Allowed
    step_names: dict[int, str] = field(default_factory=dict)

    @property
    def item(self) -> dict[str, Any]:
        return self.detail.item

    @property
    def kind_label(self) -> str:
        return ChangeKind(self.cr.kind).label


async def _request_diff(ctx: TenantContext, cr: Any) -> tuple[DocumentDiff | None, str]:
    kind = ChangeKind(cr.kind)
    if kind not in VERSIONED_KINDS:
        return None, f"{kind.label}申请只改变事项的状态,不修改要素,因此没有要素差异。"
    before, after = await request_documents(ctx, cr)
    if after is None:
        return None, "该申请没有要素版本。"
    return diff_documents(before, after), ""


async def change_view(ctx: TenantContext, principal: Principal, cr_id: int) -> ChangeView:
    cr = await get_request(ctx, cr_id)
    detail = await get_item(ctx, cr.item)
    steps = await steps_of(ctx, cr.id)
    decisions = await decisions_of(ctx, cr.id)
    attachments = await attachments_of(ctx, cr.id)
    codes = await division_codes(ctx)
    timing = await due_timing(ctx)

    decided_by = {d["step"]: d["actor_name"] for d in decisions if d["step"] is not None}
    author_name = next(
        (d["actor_name"] for d in decisions if d["action"] == Action.submit.value), ""
    )
    present = {a["kind"] for a in attachments}
    active = None
    for step in steps:
        step["office"] = step["office"] or role_label(step["role"])
        step["actor_name"] = decided_by.get(step["id"], "") if step["decided_by"] else ""
        overdue, soon = timing(step["due_date"])
        is_active = step["status"] == StepStatus.active.value
        step["overdue"] = is_active and overdue
        step["due_soon"] = is_active and soon
        step["required"] = [
            a | {"present": a["kind"] in present} for a in (step["required_attachments"] or [])
        ]
        if is_active:
            active = step
    # What the active step asks for; with none active (returned, say), what any
    # step asks for, so the author can attach it before resubmitting.
    wanted = active["required"] if active else [a for s in steps for a in s["required"]]
    kinds = list(dict.fromkeys((a["kind"], a["label"]) for a in wanted))
    diff, note = await _request_diff(ctx, cr)
    return ChangeView(
        cr=cr,
        detail=detail,
        author_name=author_name,
        steps=steps,
        active=active,
        decisions=decisions,
        attachments=attachments,
        attachment_kinds=[*kinds, OTHER_ATTACHMENT],
        required=active["required"] if active else [],
        diff=diff,
        diff_note=note,
        allowed=allowed_actions(principal, cr, detail.item, steps, codes),
        step_names={s["id"]: s["name"] for s in steps},
    )


# The 调整 panel of an item ----------------------------------------------------------------------


def submittable_kinds(detail: ItemDetail) -> list[ChangeKind]:
    """The kinds of change that make sense for the item as it stands."""
    status = detail.item["status"]
    if status == ItemStatus.draft.value:
        if detail.draft is not None and detail.published is None:
            return [ChangeKind.claim, ChangeKind.create]
        return []
    if status == ItemStatus.published.value:
        kinds = []
        if detail.draft is not None and changed_elements(detail.published, detail.draft):
            kinds.append(ChangeKind.amend)
        return [*kinds, ChangeKind.suspend, ChangeKind.cancel]
    if status == ItemStatus.suspended.value:
        return [ChangeKind.resume, ChangeKind.cancel]
    return []


@dataclass
class AdjustPanel:
    open_request: Any
    history: list[dict[str, Any]]
    may_submit: bool
    kinds: list[ChangeKind]


async def adjust_panel(ctx: TenantContext, principal: Principal, detail: ItemDetail) -> AdjustPanel:
    item_id = detail.item["id"]
    codes = await division_codes(ctx)
    return AdjustPanel(
        open_request=await open_request_for(ctx, item_id),
        history=await requests_for_item(ctx, item_id),
        may_submit=may_author(principal, detail.item, codes),
        kinds=submittable_kinds(detail),
    )


# Obligations ----------------------------------------------------------------------------------


async def obligations_for(ctx: TenantContext, principal: Principal) -> list[dict[str, Any]]:
    """The open obligations ``principal`` may mark done, oldest due first."""
    codes = await division_codes(ctx)
    timing = await due_timing(ctx)
    mine = []
    for row in await open_obligations(ctx):
        if not holds(principal, row["role"], row["item_agency"], row["division_code"], codes):
            continue
        overdue, soon = timing(row["due_date"])
        mine.append(row | {"office": role_label(row["role"]), "overdue": overdue, "due_soon": soon})
    return mine
