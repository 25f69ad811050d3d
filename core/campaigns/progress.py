"""The campaign progress view: phases and which is current, every agency's status,
items counted, zero report, sign-off, each office's review, late flags, totals.

Dates are the tenant's calendar dates in Asia/Shanghai. A submission is late
when it first counted (submitted with the head's sign-off, where required)
after the submission phase's due date; a review is late when it was recorded
after the end of its phase; an agency is overdue while it has not submitted
and the due date has passed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from qingdan.core.calendar import local_date
from qingdan.core.campaigns.schemas import (
    NOT_REQUIRED_LABEL,
    Reviewer,
    ReviewOutcome,
    SubmissionKind,
    SubmissionStatus,
)
from qingdan.core.campaigns.services import (
    get_campaign,
    phases_of,
    reviewers_of,
    submission_phase,
)
from qingdan.core.campaigns.tables import CampaignReview, CampaignSignoff, CampaignSubmission
from qingdan.core.catalog.tables import Item
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.tables import Division

#: Filters of the progress view besides the statuses themselves.
EXTRA_FILTERS = {
    "overdue": "逾期未报送",
    "late": "逾期报送或审核",
    "zero_report": "零报告",
    "unsigned_or_pending": "未报送或待审签",
}


class PhaseView(msgspec.Struct, kw_only=True):
    id: int
    code: str
    name: str
    start: date
    end: date
    due: date | None
    submissions: bool
    offices: list[str]
    basis: str
    state: str  # done / current / upcoming

    @property
    def state_label(self) -> str:
        return {"done": "已结束", "current": "进行中", "upcoming": "未开始"}[self.state]


class ReviewCell(msgspec.Struct, kw_only=True):
    state: str  # pass / return / waiting / "" (not yet its turn)
    label: str
    reason: str = ""
    reviewer_name: str = ""
    decided_on: date | None = None
    late: bool = False


class ProgressRow(msgspec.Struct, kw_only=True):
    agency_id: int
    agency_name: str
    division_name: str
    status: str
    status_label: str
    kind: str  # "" / list / zero_report
    item_count: int  # the list as submitted
    items_now: int  # the agency's items in the system today
    zero_reason: str
    signed: bool
    signoff_name: str
    submitted_on: date | None
    counted_on: date | None
    late: bool  # the submission first counted after the due date
    overdue: bool  # not submitted (or not signed) and the due date has passed
    not_required: bool  # no items, and zero reports are not required
    reviews: list[ReviewCell]
    review_late: bool
    waiting_for: str  # the office whose turn it is
    round: int

    @property
    def any_late(self) -> bool:
        return self.late or self.overdue or self.review_late


class Totals(msgspec.Struct, kw_only=True):
    agencies: int = 0
    counted: int = 0  # submissions that count (submitted or passed)
    pending: int = 0
    unsigned: int = 0
    returned: int = 0
    passed: int = 0
    in_review: int = 0
    zero_reports: int = 0
    not_required: int = 0
    items: int = 0  # items in the lists that count
    late: int = 0
    overdue: int = 0
    reviews_passed: list[int] = []  # per reviewer, in order


class Progress(msgspec.Struct, kw_only=True):
    campaign: dict[str, Any]
    phases: list[PhaseView]
    current: PhaseView | None
    reviewers: list[Reviewer]
    rows: list[ProgressRow]
    totals: Totals
    today: date
    due: date | None
    filtered: bool = False

    @property
    def stage(self) -> str:
        return stage_label(self.phases)


def _day(value: datetime | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return local_date(value)


def phase_views(phases: list[dict[str, Any]], today: date) -> list[PhaseView]:
    views = []
    for p in phases:
        if today > p["end_date"]:
            state = "done"
        elif today >= p["start_date"]:
            state = "current"
        else:
            state = "upcoming"
        views.append(
            PhaseView(
                id=p["id"],
                code=p["code"],
                name=p["name"],
                start=p["start_date"],
                end=p["end_date"],
                due=p["due_date"],
                submissions=p["submissions"],
                offices=[r.get("office") or r["role"] for r in p["reviewers"] or []],
                basis=p["basis"],
                state=state,
            )
        )
    return views


def current_phase(views: list[PhaseView]) -> PhaseView | None:
    """The phase under way today; between two phases, the one that ended last."""
    current = next((v for v in views if v.state == "current"), None)
    if current is None:
        done = [v for v in views if v.state == "done"]
        current = done[-1] if done and len(done) < len(views) else None
    return current


def stage_label(views: list[PhaseView]) -> str:
    """Where the campaign stands, as one phrase: 未开始, 初步审核(进行中), 已结束."""
    if not views or views[0].state == "upcoming":
        return "未开始"
    if views[-1].state == "done":
        return "各阶段均已结束"
    current = current_phase(views)
    return f"{current.name}({current.state_label})" if current else "未开始"


async def _items_now(ctx: TenantContext, item_types: list[str]) -> dict[int, int]:
    query = (
        ctx.scope.select(Item, Item.agency, Count(alias="n"))
        .where(Item.status != ItemStatus.cancelled.value)
        .group_by(Item.agency)
    )
    if item_types:
        query = query.where(Item.item_type.is_in(item_types))
    return {r["agency"]: r["n"] for r in await query}


def _cells(
    row: dict[str, Any],
    reviewers: list[Reviewer],
    reviews: list[dict[str, Any]],
) -> tuple[list[ReviewCell], bool, str]:
    """This round's review of each office, whether one came late, whose turn it is."""
    mine = {r["position"]: r for r in reviews if r["round"] == row["round"]}
    status = SubmissionStatus(row["status"])
    cells, any_late, waiting = [], False, ""
    for reviewer in reviewers:
        done = mine.get(reviewer.position)
        if done is not None:
            outcome = ReviewOutcome(done["outcome"])
            decided = _day(done["decided_at"])
            late = decided is not None and decided > reviewer.phase_end
            any_late = any_late or late
            cells.append(
                ReviewCell(
                    state=outcome.value,
                    label=outcome.label,
                    reason=done["reason"],
                    reviewer_name=done["reviewer_name"],
                    decided_on=decided,
                    late=late,
                )
            )
        elif status == SubmissionStatus.submitted and row["review_position"] == reviewer.position:
            waiting = reviewer.office
            cells.append(ReviewCell(state="waiting", label="待审核"))
        else:
            cells.append(ReviewCell(state="", label=""))
    return cells, any_late, waiting


async def campaign_progress(
    ctx: TenantContext,
    campaign_id: int,
    *,
    today: date | None = None,
    status: str = "",
    q: str = "",
    waiting: int | None = None,
) -> Progress:
    """Every participating agency's progress, filtered by ``status`` (a
    SubmissionStatus value or one of :data:`EXTRA_FILTERS`), an agency name
    fragment ``q``, or the reviewer position ``waiting`` whose turn it is."""
    today = today or local_date(datetime.now(UTC))
    campaign = await get_campaign(ctx, campaign_id)
    phases = await phases_of(ctx, campaign_id)
    views = phase_views(phases, today)
    reviewers = reviewers_of(phases)
    submitting = submission_phase(phases)
    due = (submitting["due_date"] or submitting["end_date"]) if submitting else None
    submissions = await (
        ctx.scope.select(
            CampaignSubmission,
            *CampaignSubmission.all_columns(),
            CampaignSubmission.agency.name.as_alias("agency_name"),
            CampaignSubmission.agency.division.as_alias("division_id"),
        )
        .where(CampaignSubmission.campaign == campaign_id)
        .order_by(CampaignSubmission.agency.name)
        .output(load_json=True)
    )
    ids = [s["id"] for s in submissions]
    reviews: dict[int, list[dict[str, Any]]] = {}
    signed: dict[tuple[int, int], str] = {}
    if ids:
        for r in await ctx.scope.select(CampaignReview).where(CampaignReview.submission.is_in(ids)):
            reviews.setdefault(r["submission"], []).append(r)
        for s in await ctx.scope.select(
            CampaignSignoff,
            CampaignSignoff.submission,
            CampaignSignoff.round,
            CampaignSignoff.filename,
        ).where(CampaignSignoff.submission.is_in(ids)):
            signed[(s["submission"], s["round"])] = s["filename"]
    items_now = await _items_now(ctx, campaign["item_types"])
    divisions = {
        d["id"]: d["name"] for d in await ctx.scope.select(Division, Division.id, Division.name)
    }
    rows: list[ProgressRow] = []
    for s in submissions:
        state = SubmissionStatus(s["status"])
        cells, review_late, waiting_for = _cells(s, reviewers, reviews.get(s["id"], []))
        counted_on = _day(s["first_counted_at"])
        now_count = items_now.get(s["agency"], 0)
        not_required = (
            state == SubmissionStatus.pending
            and not campaign["zero_report_required"]
            and now_count == 0
        )
        overdue = (
            state in (SubmissionStatus.pending, SubmissionStatus.unsigned)
            and not not_required
            and due is not None
            and today > due
        )
        signoff_name = signed.get((s["id"], s["round"]), "")
        rows.append(
            ProgressRow(
                agency_id=s["agency"],
                agency_name=s["agency_name"],
                division_name=divisions.get(s["division_id"], ""),
                status=state.value,
                status_label=NOT_REQUIRED_LABEL if not_required else state.label,
                kind=s["kind"],
                item_count=s["item_count"],
                items_now=now_count,
                zero_reason=s["zero_reason"],
                signed=bool(signoff_name) and state != SubmissionStatus.pending,
                signoff_name=signoff_name,
                submitted_on=_day(s["submitted_at"]),
                counted_on=counted_on,
                late=counted_on is not None and due is not None and counted_on > due,
                overdue=overdue,
                not_required=not_required,
                reviews=cells,
                review_late=review_late,
                waiting_for=waiting_for,
                round=s["round"],
            )
        )
    shown = [r for r in rows if _matches(r, status, q, waiting, reviewers)]
    return Progress(
        campaign=campaign,
        phases=views,
        current=current_phase(views),
        reviewers=reviewers,
        rows=shown,
        totals=totals_of(shown, len(reviewers)),
        today=today,
        due=due,
        filtered=len(shown) != len(rows),
    )


def _matches(
    row: ProgressRow, status: str, q: str, waiting: int | None, reviewers: list[Reviewer]
) -> bool:
    if q and q not in row.agency_name:
        return False
    if waiting is not None:
        if not 0 <= waiting < len(reviewers) or row.reviews[waiting].state != "waiting":
            return False
    if not status:
        return True
    if status == "overdue":
        return row.overdue
    if status == "late":
        return row.any_late
    if status == "zero_report":
        return row.kind == SubmissionKind.zero_report.value and row.status != "pending"
    if status == "unsigned_or_pending":
        return row.status in ("pending", "unsigned") and not row.not_required
    if status == "pending":
        return row.status == "pending" and not row.not_required
    if status == "not_required":
        return row.not_required
    return row.status == status


def totals_of(rows: list[ProgressRow], reviewer_count: int) -> Totals:
    totals = Totals(agencies=len(rows), reviews_passed=[0] * reviewer_count)
    for r in rows:
        state = SubmissionStatus(r.status)
        if r.not_required:
            totals.not_required += 1
        elif state == SubmissionStatus.pending:
            totals.pending += 1
        if state == SubmissionStatus.unsigned:
            totals.unsigned += 1
        if state == SubmissionStatus.returned:
            totals.returned += 1
        if state == SubmissionStatus.passed:
            totals.passed += 1
        if state == SubmissionStatus.submitted:
            totals.in_review += 1
        if state.counts:
            totals.counted += 1
            totals.items += r.item_count
            if r.kind == SubmissionKind.zero_report.value:
                totals.zero_reports += 1
        totals.late += int(r.late)
        totals.overdue += int(r.overdue)
        for i, cell in enumerate(r.reviews):
            if cell.state == ReviewOutcome.passed.value:
                totals.reviews_passed[i] += 1
    return totals
