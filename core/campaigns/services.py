"""Campaign transitions: create, change dates, add agencies, submit, sign off, review.

Each call checks who is acting, writes in one transaction with an audit entry,
and refuses a racing edit: a submission (and a campaign's dates) carry a lock
version that the form sends back, and a write that finds another version is
refused with a message to reload.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from qingdan.core import files
from qingdan.core.audit.services import Actor, record
from qingdan.core.campaigns.permissions import acts_for_agency, may_manage, may_review_as
from qingdan.core.campaigns.schemas import (
    PhaseDates,
    Reviewer,
    ReviewOutcome,
    SubmissionKind,
    SubmissionStatus,
)
from qingdan.core.campaigns.tables import (
    Campaign,
    CampaignPhase,
    CampaignReview,
    CampaignSignoff,
    CampaignSubmission,
)
from qingdan.core.campaigns.templates import check_dates, template_problems
from qingdan.core.catalog.tables import Item
from qingdan.core.catalog.vocab import ItemStatus, ItemType
from qingdan.core.db import atomic
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.hooktypes import CampaignTemplate
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import ROLE_LABELS, Principal, Role
from qingdan.core.tenancy.tables import Agency, Division
from qingdan.core.workflow.permissions import division_codes

#: The head's sign-off is a scan or photo of a signed, stamped paper: PDF or an image.
SIGNOFF_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png")
MAX_NAME = 200
MAX_REASON = 2000
MIN_ZERO_REASON = 4  # a zero report "形成书面材料说明情况": a word or two is not that


def _now() -> datetime:
    return datetime.now(UTC)


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.user_id, principal.display_name)


def campaign_template(ctx: TenantContext) -> CampaignTemplate:
    """The tenant's plugin's campaign template (core's plain one if it has none)."""
    return ctx.plugin.call("qingdan_campaign_template", settings=ctx.settings)


def _unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - installed with the PostgreSQL extra
        return False
    return isinstance(exc, asyncpg.UniqueViolationError)


# Reading ----------------------------------------------------------------------------------


async def list_campaigns(ctx: TenantContext) -> list[dict[str, Any]]:
    return (
        await ctx.scope.select(Campaign)
        .order_by(Campaign.year, ascending=False)
        .order_by(Campaign.id, ascending=False)
        .output(load_json=True)
    )


async def get_campaign(ctx: TenantContext, campaign_id: int) -> dict[str, Any]:
    return await ctx.scope.get_row(Campaign, campaign_id, "梳理工作")


async def phases_of(ctx: TenantContext, campaign_id: int) -> list[dict[str, Any]]:
    return (
        await ctx.scope.select(CampaignPhase)
        .where(CampaignPhase.campaign == campaign_id)
        .order_by(CampaignPhase.position)
        .output(load_json=True)
    )


def reviewers_of(phases: list[dict[str, Any]]) -> list[Reviewer]:
    """Every reviewing office of the campaign, in the order they review."""
    result: list[Reviewer] = []
    for phase in phases:
        for r in phase["reviewers"] or []:
            result.append(
                Reviewer(
                    position=len(result),
                    phase_id=phase["id"],
                    phase_name=phase["name"],
                    phase_end=phase["end_date"],
                    role=r["role"],
                    office=r.get("office") or r["role"],
                    basis=r.get("basis", ""),
                )
            )
    return result


def submission_phase(phases: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((p for p in phases if p["submissions"]), None)


async def get_submission(ctx: TenantContext, campaign_id: int, agency_id: int) -> dict[str, Any]:
    """The agency's submission in the campaign; NotFound if it does not take part."""
    row = (
        await ctx.scope.select(CampaignSubmission)
        .where(
            (CampaignSubmission.campaign == campaign_id) & (CampaignSubmission.agency == agency_id)
        )
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound("参与梳理的部门")
    return row


async def agency_items(
    ctx: TenantContext, agency_id: int, item_types: Iterable[str]
) -> list[dict[str, Any]]:
    """The items the agency keeps now (cancelled ones left out), of the campaign's types."""
    query = ctx.scope.select(
        Item, Item.id, Item.impl_code, Item.name, Item.item_type, Item.status
    ).where((Item.agency == agency_id) & (Item.status != ItemStatus.cancelled.value))
    types = list(item_types)
    if types:
        query = query.where(Item.item_type.is_in(types))
    return await query.order_by(Item.impl_code)


async def agency_and_codes(ctx: TenantContext, agency_id: int) -> tuple[dict[str, Any], str, dict]:
    """The agency row, its division code, and every division's code (for grants)."""
    agency = await ctx.scope.get_row(Agency, agency_id, "实施机构")
    codes = await division_codes(ctx)
    return agency, codes.get(agency["division"], ""), codes


def _type_labels(types: Iterable[str]) -> str:
    return "、".join(ItemType(t).label for t in types)


# Creating a campaign and changing its dates -------------------------------------------------


def _match_template(template: CampaignTemplate, phases: list[PhaseDates]) -> None:
    expected = [p.code for p in template.phases]
    given = [p.code for p in phases]
    if given != expected:
        names = "、".join(p.name for p in template.phases)
        raise DomainError(f"请为模板的每个阶段({names})填写日期", "phases")


def _require_manager(principal: Principal, doing: str) -> None:
    if not may_manage(principal):
        labels = "或".join(ROLE_LABELS[r] for r in (Role.tenant_admin, Role.data_center))
        raise PermissionDenied(f"只有{labels}可以{doing}")


async def _check_agencies(ctx: TenantContext, agency_ids: list[int]) -> list[dict[str, Any]]:
    if not agency_ids:
        raise DomainError("请至少选择一个参与梳理的部门", "agencies")
    rows = await ctx.scope.select(Agency, Agency.id, Agency.name, Agency.active).where(
        Agency.id.is_in(agency_ids)
    )
    if len(rows) != len(agency_ids):
        raise NotFound("实施机构")
    inactive = [r["name"] for r in rows if not r["active"]]
    if inactive:
        raise DomainError(f"部门“{'、'.join(inactive)}”已停用,不能参与梳理", "agencies")
    return rows


async def create_campaign(
    ctx: TenantContext,
    principal: Principal,
    *,
    year: int,
    name: str,
    phases: list[PhaseDates],
    agency_ids: Iterable[int],
) -> Campaign:
    """A campaign from the plugin's template, with its phase dates and participating agencies."""
    _require_manager(principal, "发起梳理工作")
    template = campaign_template(ctx)
    problems = template_problems(template)
    if problems:
        raise DomainError(f"{ctx.plugin.label} 的梳理工作模板有误:" + ";".join(problems))
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("请填写梳理工作名称", "name")
    if len(name) > MAX_NAME:
        raise DomainError(f"梳理工作名称不能超过{MAX_NAME}个字", "name")
    _match_template(template, phases)
    check_dates(phases, year)
    ids = sorted(set(agency_ids))
    await _check_agencies(ctx, ids)
    taken = await ctx.scope.count(Campaign).where((Campaign.year == year) & (Campaign.name == name))
    if taken:
        raise DomainError(f"{year}年已有名为“{name}”的梳理工作", "name")
    by_code = {p.code: p for p in template.phases}
    try:
        async with atomic():
            campaign = await ctx.scope.insert(
                Campaign,
                template_code=template.code,
                name=name,
                year=year,
                item_types=[ItemType(t).value for t in template.item_types],
                signoff_required=template.signoff_required,
                signoff_label=template.signoff_label,
                signoff_basis=template.signoff_basis,
                zero_report_required=template.zero_report_required,
                zero_report_basis=template.zero_report_basis,
                basis=template.basis,
                created_by=principal.user_id,
            )
            for position, dates in enumerate(phases):
                phase = by_code[dates.code]
                await ctx.scope.insert(
                    CampaignPhase,
                    campaign=campaign.id,
                    position=position,
                    code=phase.code,
                    name=phase.name,
                    start_date=dates.start,
                    end_date=dates.end,
                    due_date=(dates.due or dates.end) if phase.submissions else None,
                    submissions=phase.submissions,
                    reviewers=[msgspec.to_builtins(r) for r in phase.reviewers],
                    basis=phase.basis,
                )
            for agency_id in ids:
                await ctx.scope.insert(CampaignSubmission, campaign=campaign.id, agency=agency_id)
            await record(
                ctx.tenant_id,
                actor_of(principal),
                "campaign.create",
                "campaign",
                campaign.id,
                f"发起梳理工作“{name}”({year}年,{len(ids)}个部门参与)",
                {
                    "template": template.code,
                    "phases": [msgspec.to_builtins(p) for p in phases],
                    "agencies": ids,
                },
            )
    except Exception as exc:
        if _unique_violation(exc):
            raise ConflictError(f"{year}年已有名为“{name}”的梳理工作,请刷新页面") from None
        raise
    return campaign


async def _take_campaign(ctx: TenantContext, campaign_id: int, lock_version: int) -> None:
    taken = (
        await ctx.scope.update(Campaign, {Campaign.lock_version: lock_version + 1})
        .where((Campaign.id == campaign_id) & (Campaign.lock_version == lock_version))
        .returning(Campaign.id)
    )
    if not taken:
        raise ConflictError("梳理工作刚被他人修改,请刷新页面后重试")


async def update_dates(
    ctx: TenantContext,
    principal: Principal,
    campaign_id: int,
    phases: list[PhaseDates],
    lock_version: int,
) -> None:
    """Change the phases' dates (a deadline moved by the leading group, for example)."""
    _require_manager(principal, "修改梳理工作的阶段日期")
    campaign = await get_campaign(ctx, campaign_id)
    stored = await phases_of(ctx, campaign_id)
    if [p.code for p in phases] != [p["code"] for p in stored]:
        raise DomainError("请为每个阶段填写日期", "phases")
    phases = [
        msgspec.structs.replace(p, name=s["name"], due=p.due if s["submissions"] else None)
        for p, s in zip(phases, stored, strict=True)
    ]
    check_dates(phases, campaign["year"])
    before = [
        {"code": s["code"], "start": s["start_date"], "end": s["end_date"], "due": s["due_date"]}
        for s in stored
    ]
    async with atomic():
        await _take_campaign(ctx, campaign_id, lock_version)
        for dates, row in zip(phases, stored, strict=True):
            await ctx.scope.update(
                CampaignPhase,
                {
                    CampaignPhase.start_date: dates.start,
                    CampaignPhase.end_date: dates.end,
                    CampaignPhase.due_date: (dates.due or dates.end)
                    if row["submissions"]
                    else None,
                },
            ).where(CampaignPhase.id == row["id"])
        await record(
            ctx.tenant_id,
            actor_of(principal),
            "campaign.dates",
            "campaign",
            campaign_id,
            f"修改梳理工作“{campaign['name']}”的阶段日期",
            {"before": before, "after": [msgspec.to_builtins(p) for p in phases]},
        )


async def add_agencies(
    ctx: TenantContext,
    principal: Principal,
    campaign_id: int,
    agency_ids: Iterable[int],
    lock_version: int,
) -> int:
    """Let more agencies take part; returns how many were added."""
    _require_manager(principal, "增加参与梳理的部门")
    campaign = await get_campaign(ctx, campaign_id)
    ids = sorted(set(agency_ids))
    rows = await _check_agencies(ctx, ids)
    present = await participant_ids(ctx, campaign_id)
    new = [r for r in rows if r["id"] not in present]
    if not new:
        raise DomainError("所选部门都已参与本次梳理", "agencies")
    try:
        async with atomic():
            await _take_campaign(ctx, campaign_id, lock_version)
            for r in new:
                await ctx.scope.insert(CampaignSubmission, campaign=campaign_id, agency=r["id"])
            await record(
                ctx.tenant_id,
                actor_of(principal),
                "campaign.agencies",
                "campaign",
                campaign_id,
                f"梳理工作“{campaign['name']}”增加参与部门:{'、'.join(r['name'] for r in new)}",
                {"agencies": [r["id"] for r in new]},
            )
    except Exception as exc:
        if _unique_violation(exc):
            raise ConflictError("参与部门刚被他人修改,请刷新页面后重试") from None
        raise
    return len(new)


# The agency's submission ----------------------------------------------------------------------


def check_signoff_file(filename: str, data: bytes) -> tuple[str, str]:
    """(safe name, content type) of a sign-off file, or a Chinese error naming it."""
    name = Path((filename or "").replace("\\", "/")).name or "审签件"
    if Path(name).suffix.lower() not in SIGNOFF_EXTENSIONS:
        raise DomainError(
            f"审签件“{name}”的类型不允许:请上传主要负责人签字并加盖公章的材料的"
            "扫描件或照片(PDF、JPG、PNG)",
            "signoff",
        )
    try:
        return files.check_upload(name, data)
    except DomainError as exc:
        raise DomainError(exc.message.replace("附件", "审签件", 1), "signoff") from None


async def _take_submission(ctx: TenantContext, row: dict[str, Any], values: dict) -> None:
    """Write ``values`` to the submission if no one else has since it was read."""
    taken = (
        await ctx.scope.update(
            CampaignSubmission,
            {
                **values,
                CampaignSubmission.lock_version: row["lock_version"] + 1,
                CampaignSubmission.updated_at: _now(),
            },
        )
        .where(
            (CampaignSubmission.id == row["id"])
            & (CampaignSubmission.lock_version == row["lock_version"])
        )
        .returning(CampaignSubmission.id)
    )
    if not taken:
        raise ConflictError("该部门的报送刚被他人更新,请刷新页面后重试")


def _check_lock(row: dict[str, Any], lock_version: int | None) -> None:
    if lock_version is not None and lock_version != row["lock_version"]:
        raise ConflictError("该部门的报送在您打开页面后已被他人更新,请刷新页面后重试")


async def _insert_signoff(
    ctx: TenantContext,
    principal: Principal,
    submission_id: int,
    round_: int,
    stored: files.StoredFile,
) -> CampaignSignoff:
    return await ctx.scope.insert(
        CampaignSignoff,
        submission=submission_id,
        round=round_,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        storage_key=stored.storage_key,
        uploaded_by=principal.user_id,
    )


async def submit(
    ctx: TenantContext,
    principal: Principal,
    campaign_id: int,
    agency_id: int,
    *,
    kind: SubmissionKind | str,
    zero_reason: str = "",
    note: str = "",
    signoff: tuple[str, bytes] | None = None,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The agency submits the list of items it keeps (counted now) or a zero report.

    With the head's sign-off file (``signoff``: file name and bytes) or where
    the campaign does not require one, the submission counts at once;
    otherwise it waits as 待审签 until :func:`attach_signoff`. A returned
    submission is submitted again the same way, and its reviews start over.
    """
    now = now or _now()
    campaign = await get_campaign(ctx, campaign_id)
    row = await get_submission(ctx, campaign_id, agency_id)
    agency, division_code, codes = await agency_and_codes(ctx, agency_id)
    if not acts_for_agency(principal, agency_id, division_code, codes):
        raise PermissionDenied(f"只有“{agency['name']}”的信息员或审核员可以报送本部门的清单")
    status = SubmissionStatus(row["status"])
    if not status.open_to_agency:
        raise DomainError(f"本部门的报送{status.label},不能再次报送")
    _check_lock(row, lock_version)
    try:
        kind = SubmissionKind(kind)
    except ValueError:
        raise DomainError("请选择报送事项清单或零报告", "kind") from None
    items = await agency_items(ctx, agency_id, campaign["item_types"])
    scope = _type_labels(campaign["item_types"]) or "政务服务"
    zero_reason = (zero_reason or "").strip()[:MAX_REASON]
    if kind == SubmissionKind.item_list:
        if not items:
            raise DomainError(
                f"本部门在系统中没有{scope}事项,不能报送空清单;没有事项的部门请报送零报告", "kind"
            )
        zero_reason = ""
    else:
        if items:
            raise DomainError(
                f"本部门在系统中有{len(items)}项{scope}事项,不能报送零报告;请报送事项清单", "kind"
            )
        if len(zero_reason) < MIN_ZERO_REASON:
            raise DomainError("零报告须说明本部门没有相关事项的情况", "zero_reason")
    stored = None
    if signoff is not None:
        check_signoff_file(*signoff)
        stored = files.store(*signoff)
    counted = stored is not None or not campaign["signoff_required"]
    counts: dict[str, int] = {}
    for item in items:
        counts[item["item_type"]] = counts.get(item["item_type"], 0) + 1
    round_ = row["round"] + 1
    values: dict[Any, Any] = {
        CampaignSubmission.status: (
            SubmissionStatus.submitted if counted else SubmissionStatus.unsigned
        ).value,
        CampaignSubmission.kind: kind.value,
        CampaignSubmission.item_count: len(items),
        CampaignSubmission.counts: counts,
        CampaignSubmission.items: [dict(i) for i in items],
        CampaignSubmission.zero_reason: zero_reason,
        CampaignSubmission.note: (note or "").strip()[:MAX_REASON],
        CampaignSubmission.round: round_,
        CampaignSubmission.review_position: 0,
        CampaignSubmission.submitted_by: principal.user_id,
        CampaignSubmission.submitted_at: now,
        CampaignSubmission.counted_at: now if counted else None,
    }
    if counted and row["first_counted_at"] is None:
        values[CampaignSubmission.first_counted_at] = now
    what = (
        f"零报告({zero_reason[:50]})"
        if kind == SubmissionKind.zero_report
        else (f"事项清单({len(items)}项)")
    )
    async with atomic():
        await _take_submission(ctx, row, values)
        if stored is not None:
            await _insert_signoff(ctx, principal, row["id"], round_, stored)
        await record(
            ctx.tenant_id,
            actor_of(principal),
            "campaign.submit",
            "campaign_submission",
            row["id"],
            f"“{agency['name']}”在“{campaign['name']}”中报送{what}"
            + ("" if counted else ",待主要负责人审签"),
            {
                "campaign": campaign_id,
                "agency": agency_id,
                "round": round_,
                "kind": kind.value,
                "item_count": len(items),
                "counted": counted,
                "signoff": stored.sha256 if stored else None,
            },
        )
    return await get_submission(ctx, campaign_id, agency_id)


async def attach_signoff(
    ctx: TenantContext,
    principal: Principal,
    campaign_id: int,
    agency_id: int,
    filename: str,
    data: bytes,
    *,
    lock_version: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Attach the head's signed and stamped file: from now on the submission counts."""
    now = now or _now()
    campaign = await get_campaign(ctx, campaign_id)
    row = await get_submission(ctx, campaign_id, agency_id)
    agency, division_code, codes = await agency_and_codes(ctx, agency_id)
    if not acts_for_agency(principal, agency_id, division_code, codes):
        raise PermissionDenied(f"只有“{agency['name']}”的信息员或审核员可以上传本部门的审签件")
    if row["status"] != SubmissionStatus.unsigned.value:
        status = SubmissionStatus(row["status"])
        raise DomainError(f"本部门的报送{status.label},请先报送清单或零报告,再上传审签件")
    _check_lock(row, lock_version)
    check_signoff_file(filename, data)
    stored = files.store(filename, data)
    values: dict[Any, Any] = {
        CampaignSubmission.status: SubmissionStatus.submitted.value,
        CampaignSubmission.counted_at: now,
    }
    if row["first_counted_at"] is None:
        values[CampaignSubmission.first_counted_at] = now
    async with atomic():
        await _take_submission(ctx, row, values)
        await _insert_signoff(ctx, principal, row["id"], row["round"], stored)
        await record(
            ctx.tenant_id,
            actor_of(principal),
            "campaign.signoff",
            "campaign_submission",
            row["id"],
            f"“{agency['name']}”在“{campaign['name']}”中上传主要负责人审签件 {stored.filename}",
            {
                "campaign": campaign_id,
                "agency": agency_id,
                "round": row["round"],
                "sha256": stored.sha256,
                "size": stored.size,
            },
        )
    return await get_submission(ctx, campaign_id, agency_id)


async def signoffs_of(ctx: TenantContext, submission_id: int) -> list[dict[str, Any]]:
    return await (
        ctx.scope.select(CampaignSignoff)
        .where(CampaignSignoff.submission == submission_id)
        .order_by(CampaignSignoff.round)
    )


# Reviews ------------------------------------------------------------------------------------


async def reviews_of(ctx: TenantContext, submission_id: int) -> list[dict[str, Any]]:
    return await (
        ctx.scope.select(CampaignReview)
        .where(CampaignReview.submission == submission_id)
        .order_by(CampaignReview.round)
        .order_by(CampaignReview.position)
    )


async def review(
    ctx: TenantContext,
    principal: Principal,
    campaign_id: int,
    agency_id: int,
    *,
    position: int,
    outcome: ReviewOutcome | str,
    reason: str = "",
    lock_version: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The office whose turn it is passes the submission, or returns it with a reason.

    ``position`` is the reviewer's place in the campaign's order, as the page
    showed it; when another office has acted in between, the review is refused.
    The last office's pass makes the submission 审核通过.
    """
    now = now or _now()
    campaign = await get_campaign(ctx, campaign_id)
    row = await get_submission(ctx, campaign_id, agency_id)
    agency, division_code, codes = await agency_and_codes(ctx, agency_id)
    reviewers = reviewers_of(await phases_of(ctx, campaign_id))
    if not 0 <= position < len(reviewers):
        raise NotFound("审核环节")
    reviewer = reviewers[position]
    if not may_review_as(principal, reviewer.role, agency_id, division_code, codes):
        raise PermissionDenied(
            f"只有{reviewer.office}({ROLE_LABELS.get(Role(reviewer.role), reviewer.role)})"
            "可以办理这一审核"
        )
    if row["status"] != SubmissionStatus.submitted.value:
        status = SubmissionStatus(row["status"])
        raise DomainError(f"“{agency['name']}”的报送{status.label},现在不能审核")
    if row["review_position"] != position:
        waiting = (
            reviewers[row["review_position"]] if row["review_position"] < len(reviewers) else None
        )
        if row["review_position"] > position:
            raise ConflictError(f"{reviewer.office}已审核过本轮报送,请刷新页面")
        raise DomainError(
            f"请等待{waiting.office if waiting else '前一审核机构'}审核后再办理"
            f"(审核顺序:{' → '.join(r.office for r in reviewers)})"
        )
    _check_lock(row, lock_version)
    try:
        outcome = ReviewOutcome(outcome)
    except ValueError:
        raise DomainError("请选择通过或退回", "outcome") from None
    reason = (reason or "").strip()[:MAX_REASON]
    if outcome == ReviewOutcome.returned and not reason:
        raise DomainError("退回须填写理由", "reason")
    last = position == len(reviewers) - 1
    if outcome == ReviewOutcome.returned:
        values = {CampaignSubmission.status: SubmissionStatus.returned.value}
    elif last:
        values = {
            CampaignSubmission.status: SubmissionStatus.passed.value,
            CampaignSubmission.review_position: position + 1,
        }
    else:
        values = {CampaignSubmission.review_position: position + 1}
    try:
        async with atomic():
            await _take_submission(ctx, row, values)
            await ctx.scope.insert(
                CampaignReview,
                submission=row["id"],
                phase=reviewer.phase_id,
                round=row["round"],
                position=position,
                role=reviewer.role,
                office=reviewer.office,
                outcome=outcome.value,
                reason=reason,
                reviewer=principal.user_id,
                reviewer_name=principal.display_name,
                decided_at=now,
            )
            await record(
                ctx.tenant_id,
                actor_of(principal),
                f"campaign.review.{outcome.value}",
                "campaign_submission",
                row["id"],
                f"{reviewer.office}{outcome.label}“{agency['name']}”在“{campaign['name']}”中的报送"
                + (f":{reason[:100]}" if reason else ""),
                {
                    "campaign": campaign_id,
                    "agency": agency_id,
                    "round": row["round"],
                    "position": position,
                    "role": reviewer.role,
                    "outcome": outcome.value,
                    "reason": reason,
                },
            )
    except Exception as exc:
        if _unique_violation(exc):
            raise ConflictError(f"{reviewer.office}已审核过本轮报送,请刷新页面") from None
        raise
    return await get_submission(ctx, campaign_id, agency_id)


async def division_names(ctx: TenantContext) -> dict[int, str]:
    return {
        r["id"]: r["name"] for r in await ctx.scope.select(Division, Division.id, Division.name)
    }


async def active_agencies(ctx: TenantContext) -> list[dict[str, Any]]:
    """Agencies that may take part, with their division's name, by name."""
    return await (
        ctx.scope.select(
            Agency,
            Agency.id,
            Agency.name,
            Agency.division.name.as_alias("division_name"),
        )
        .where(Agency.active == True)  # noqa: E712 (piccolo expression)
        .order_by(Agency.name)
    )


async def signoff_file(
    ctx: TenantContext, submission_id: int, signoff_id: int
) -> tuple[dict[str, Any], bytes]:
    """A sign-off file of this submission and its bytes (callers check who may read it)."""
    row = await ctx.scope.get_row(CampaignSignoff, signoff_id, "审签件")
    if row["submission"] != submission_id:
        raise NotFound("审签件")
    return row, files.read(row["storage_key"])


async def participant_ids(ctx: TenantContext, campaign_id: int) -> set[int]:
    rows = await ctx.scope.select(CampaignSubmission, CampaignSubmission.agency).where(
        CampaignSubmission.campaign == campaign_id
    )
    return {r["agency"] for r in rows}
