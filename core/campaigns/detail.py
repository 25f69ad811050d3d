"""One agency's submission as its page shows it, with what the signed-in user may do."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from qingdan.core.calendar import local_date
from qingdan.core.campaigns.permissions import acts_for_agency, may_oversee, may_review_as
from qingdan.core.campaigns.progress import PhaseView, current_phase, phase_views, stage_label
from qingdan.core.campaigns.schemas import Reviewer, SubmissionStatus
from qingdan.core.campaigns.services import (
    agency_and_codes,
    agency_items,
    get_campaign,
    get_submission,
    phases_of,
    reviewers_of,
    reviews_of,
    signoffs_of,
    submission_phase,
)
from qingdan.core.campaigns.tables import CampaignSubmission
from qingdan.core.errors import PermissionDenied
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal


class Allowed(msgspec.Struct, frozen=True, kw_only=True):
    submit: bool = False  # submit (or resubmit) the list or a zero report
    signoff: bool = False  # attach the head's sign-off
    review: bool = False  # the principal's office has the turn
    oversee: bool = False  # may go to the progress view


class SubmissionDetail(msgspec.Struct, kw_only=True):
    campaign: dict[str, Any]
    phases: list[PhaseView]
    current: PhaseView | None
    stage: str  # 未开始 / 初步审核(进行中) / 各阶段均已结束
    agency: dict[str, Any]
    submission: dict[str, Any]
    status: SubmissionStatus
    items_now: list[dict[str, Any]]  # what a list submitted now would hold
    signoffs: list[dict[str, Any]]
    signed: bool  # this round has its sign-off
    reviews: list[dict[str, Any]]
    reviewers: list[Reviewer]
    turn: Reviewer | None  # whose turn it is (submitted only)
    due: date | None
    late: bool
    overdue: bool
    allowed: Allowed


async def submission_detail(
    ctx: TenantContext,
    principal: Principal,
    campaign_id: int,
    agency_id: int,
    *,
    today: date | None = None,
) -> SubmissionDetail:
    """The page's data; PermissionDenied unless the user acts for the agency or oversees."""
    today = today or local_date(datetime.now(UTC))
    campaign = await get_campaign(ctx, campaign_id)
    row = await get_submission(ctx, campaign_id, agency_id)
    agency, division_code, codes = await agency_and_codes(ctx, agency_id)
    phases = await phases_of(ctx, campaign_id)
    reviewers = reviewers_of(phases)
    own = acts_for_agency(principal, agency_id, division_code, codes)
    oversee = may_oversee(principal, {r.role for r in reviewers})
    if not (own or oversee):
        raise PermissionDenied("您只能查看本部门的报送")
    status = SubmissionStatus(row["status"])
    signoffs = await signoffs_of(ctx, row["id"])
    signed = any(s["round"] == row["round"] for s in signoffs) and row["round"] > 0
    turn = None
    if status == SubmissionStatus.submitted and row["review_position"] < len(reviewers):
        turn = reviewers[row["review_position"]]
    submitting = submission_phase(phases)
    due = (submitting["due_date"] or submitting["end_date"]) if submitting else None
    first = row["first_counted_at"]
    counted_on = local_date(first.replace(tzinfo=first.tzinfo or UTC)) if first else None
    views = phase_views(phases, today)
    return SubmissionDetail(
        campaign=campaign,
        phases=views,
        current=current_phase(views),
        stage=stage_label(views),
        agency=agency,
        submission=row,
        status=status,
        items_now=await agency_items(ctx, agency_id, campaign["item_types"]),
        signoffs=signoffs,
        signed=signed,
        reviews=await reviews_of(ctx, row["id"]),
        reviewers=reviewers,
        turn=turn,
        due=due,
        late=counted_on is not None and due is not None and counted_on > due,
        overdue=status in (SubmissionStatus.pending, SubmissionStatus.unsigned)
        and due is not None
        and today > due,
        allowed=Allowed(
            submit=own and status.open_to_agency,
            signoff=own and status == SubmissionStatus.unsigned,
            review=turn is not None
            and may_review_as(principal, turn.role, agency_id, division_code, codes),
            oversee=oversee,
        ),
    )


async def own_agencies(
    ctx: TenantContext, principal: Principal, campaign_id: int
) -> list[dict[str, Any]]:
    """The participating agencies the user acts for (clerk or agency reviewer)."""
    from qingdan.core.workflow.permissions import division_codes

    codes = await division_codes(ctx)
    rows = await (
        ctx.scope.select(
            CampaignSubmission,
            CampaignSubmission.agency,
            CampaignSubmission.status,
            CampaignSubmission.agency.name.as_alias("agency_name"),
            CampaignSubmission.agency.division.as_alias("division_id"),
        )
        .where(CampaignSubmission.campaign == campaign_id)
        .order_by(CampaignSubmission.agency.name)
    )
    return [
        r
        for r in rows
        if acts_for_agency(principal, r["agency"], codes.get(r["division_id"], ""), codes)
    ]


async def status_counts(ctx: TenantContext) -> dict[int, dict[str, int]]:
    """``{campaign id: {status: number of agencies}}`` for the campaign list."""
    rows = await ctx.scope.select(
        CampaignSubmission,
        CampaignSubmission.campaign,
        CampaignSubmission.status,
        Count(alias="n"),
    ).group_by(CampaignSubmission.campaign, CampaignSubmission.status)
    result: dict[int, dict[str, int]] = {}
    for r in rows:
        result.setdefault(r["campaign"], {})[r["status"]] = r["n"]
    return result
