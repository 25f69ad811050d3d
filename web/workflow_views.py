"""What the adjustment pages show: a change request with its chain, diff and
attachments; the 调整 panel of an item; obligations; and which buttons a user gets.

A request adjusts either an item (实施清单) or a catalog entry (基本目录): exactly
one of ``cr.item`` and ``cr.catalog_entry`` is set, and the page shows whichever.

The buttons shown here only spare people a click that would be refused: every
transition is checked again by its service (core/workflow/services.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qingdan.core.catalog.diff import DocumentDiff, diff_documents
from qingdan.core.catalog.queries import entry_versions, get_entry
from qingdan.core.catalog.schemas import ItemDetail
from qingdan.core.catalog.services import get_item, item_versions
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.errors import DomainError
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow.inbox import due_timing
from qingdan.core.workflow.obligations import open_obligations
from qingdan.core.workflow.permissions import (
    Allowed,
    allowed_actions,
    division_codes,
    holds,
    may_author,
    role_label,
)
from qingdan.core.workflow.schemas import Action, ChangeStatus, StepStatus
from qingdan.core.workflow.services import (
    CATALOG_AUTHOR_ROLES,
    attachments_of,
    changed_elements,
    decisions_of,
    get_request,
    open_request_for,
    request_documents,
    requests_for_item,
    steps_of,
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


# The change request page -------------------------------------------------------------------


@dataclass
class ChangeView:
    cr: Any
    detail: ItemDetail | None  # the item of an item's request
    entry: dict[str, Any] | None  # the catalog entry of a catalog request
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
    # Numbers of the versions compared: in use when submitted, and under review.
    before_number: int | None = None
    after_number: int | None = None

    @property
    def item(self) -> dict[str, Any] | None:
        return self.detail.item if self.detail is not None else None

    @property
    def is_catalog(self) -> bool:
        return self.entry is not None

    @property
    def subject_name(self) -> str:
        """The name as submitted (a 变更 may rename), else the current one."""
        if self.cr.subject_name:
            return self.cr.subject_name
        return (self.entry or self.item or {}).get("name", "")

    @property
    def kind_label(self) -> str:
        return ChangeKind(self.cr.kind).label


async def _request_diff(ctx: TenantContext, cr: Any) -> tuple[DocumentDiff | None, str]:
    kind = ChangeKind(cr.kind)
    if kind not in VERSIONED_KINDS:
        subject = "基本目录事项" if cr.catalog_entry is not None else "事项"
        return None, f"{kind.label}申请只改变{subject}的状态,不修改要素,因此没有要素差异。"
    before, after = await request_documents(ctx, cr)
    if after is None:
        return None, "该申请没有要素版本。"
    return diff_documents(before, after), ""


def _numbers(
    versions: list[dict[str, Any]], before_id: int | None, after_id: int | None
) -> tuple[int | None, int | None]:
    numbers = {v["id"]: v["number"] for v in versions}
    return (
        numbers.get(before_id) if before_id is not None else None,
        numbers.get(after_id) if after_id is not None else None,
    )


def catalog_author(principal: Principal, root: str, codes: dict[int, str]) -> bool:
    """审改机构 or 租户管理员 over the whole tenant: proposes catalog changes."""
    return any(holds(principal, role, None, root, codes) for role in CATALOG_AUTHOR_ROLES)


async def may_propose_catalog(ctx: TenantContext, principal: Principal) -> bool:
    """Whether the catalog pages offer ``principal`` the forms to propose changes."""
    return catalog_author(principal, ctx.tenant["division_code"], await division_codes(ctx))


def catalog_allowed(
    principal: Principal,
    cr: Any,
    steps: list[dict[str, Any]],
    root: str,
    codes: dict[int, str],
) -> Allowed:
    """:func:`allowed_actions` for a catalog request: it belongs to no agency,
    its authors are 审改机构 and 租户管理员, its reviewers act tenant-wide."""
    status = ChangeStatus(cr.status)
    active = next((s for s in steps if s["status"] == StepStatus.active.value), None)
    author_side = catalog_author(principal, root, codes)
    on_step = (
        active is not None
        and status == ChangeStatus.in_review
        and holds(principal, active["role"], None, root, codes)
    )
    review = on_step and cr.author != principal.user_id
    undecided = not any(s["decided_by"] for s in steps)
    return Allowed(
        review=review,
        skip=review and bool(active and active["skippable"]),
        withdraw=(
            cr.author == principal.user_id
            and status in (ChangeStatus.in_review, ChangeStatus.returned)
            and undecided
        ),
        resubmit=status == ChangeStatus.returned and author_side,
        upload=status.is_open and (author_side or on_step),
    )


async def change_view(ctx: TenantContext, principal: Principal, cr_id: int) -> ChangeView:
    cr = await get_request(ctx, cr_id)
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

    detail = entry = None
    if cr.catalog_entry is not None:
        entry = await get_entry(ctx, cr.catalog_entry)
        numbers = _numbers(
            await entry_versions(ctx, entry["id"]), cr.entry_base_version, cr.entry_version
        )
        allowed = catalog_allowed(principal, cr, steps, ctx.tenant["division_code"], codes)
    else:
        detail = await get_item(ctx, cr.item)
        numbers = _numbers(await item_versions(ctx, cr.item), cr.base_version, cr.version)
        allowed = allowed_actions(principal, cr, detail.item, steps, codes)
    return ChangeView(
        cr=cr,
        detail=detail,
        entry=entry,
        author_name=author_name,
        steps=steps,
        active=active,
        decisions=decisions,
        attachments=attachments,
        attachment_kinds=[*kinds, OTHER_ATTACHMENT],
        required=active["required"] if active else [],
        diff=diff,
        diff_note=note,
        allowed=allowed,
        step_names={s["id"]: s["name"] for s in steps},
        before_number=numbers[0],
        after_number=numbers[1],
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


# The inbox ------------------------------------------------------------------------------------
