"""Tables of this feature (listed in TABLES, which core/db/registry.py reads).

A campaign copies its phases, reviewers and rules from the plugin's template
when it is created, so a later change of the plugin or its settings does not
alter a campaign under way (as a change request keeps its chain).
"""

from piccolo.columns import (
    JSONB,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.tenancy.tables import Agency, Tenant, User


class Campaign(Table, tablename="campaign"):
    """梳理工作: one tenant-wide inventory of a year, made from the plugin's template."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    template_code = Varchar(length=60)
    name = Varchar(length=200)
    year = Integer()
    item_types = JSONB(default=[])  # ItemType values an agency's list counts; [] = every type
    signoff_required = Boolean(default=False)
    signoff_label = Varchar(length=200, default="")
    signoff_basis = Text(default="")
    zero_report_required = Boolean(default=True)
    zero_report_basis = Text(default="")
    basis = Text(default="")
    lock_version = Integer(default=0)
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CampaignPhase(Table, tablename="campaign_phase"):
    """梳理阶段: one phase of a campaign with its (editable) dates and reviewers."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    campaign = ForeignKey(Campaign, null=False, index=True)
    position = Integer()
    code = Varchar(length=40)
    name = Varchar(length=100)
    start_date = Date()
    end_date = Date()
    due_date = Date(null=True, default=None)  # submissions due (the submission phase only)
    submissions = Boolean(default=False)
    reviewers = JSONB(default=[])  # [{"role", "office", "basis"}] in the order they review
    basis = Text(default="")


class CampaignSubmission(Table, tablename="campaign_submission"):
    """报送: one participating agency's item list (or zero report) in a campaign."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    campaign = ForeignKey(Campaign, null=False, index=True)
    agency = ForeignKey(Agency, null=False, index=True)
    status = Varchar(length=20, default="pending", index=True)  # SubmissionStatus
    kind = Varchar(length=20, default="")  # SubmissionKind, once submitted
    item_count = Integer(default=0)
    counts = JSONB(default={})  # {item type: number} of the list submitted
    items = JSONB(default=[])  # the list as submitted: [{id, impl_code, name, item_type, status}]
    zero_reason = Text(default="")
    note = Text(default="")
    round = Integer(default=0)  # how many times the agency has submitted
    review_position = Integer(default=0)  # the reviewer whose turn it is, in this round
    submitted_by = ForeignKey(User, null=True)
    submitted_at = Timestamptz(null=True, default=None)
    counted_at = Timestamptz(null=True, default=None)  # this round began to count
    first_counted_at = Timestamptz(null=True, default=None)  # lateness is judged on it
    lock_version = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class CampaignSignoff(Table, tablename="campaign_signoff"):
    """审签件: the head of agency's signed and stamped file for one round of a submission."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    submission = ForeignKey(CampaignSubmission, null=False, index=True)
    round = Integer()
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=200)
    uploaded_by = ForeignKey(User, null=True)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class CampaignReview(Table, tablename="campaign_review"):
    """审核意见: one reviewing office's pass or return of one round of a submission."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    submission = ForeignKey(CampaignSubmission, null=False, index=True)
    phase = ForeignKey(CampaignPhase, null=False)
    round = Integer()
    position = Integer()  # the reviewer's place in the campaign's order
    role = Varchar(length=40)
    office = Varchar(length=100, default="")
    outcome = Varchar(length=20)  # ReviewOutcome
    reason = Text(default="")
    reviewer = ForeignKey(User, null=True)
    reviewer_name = Varchar(length=100, default="")
    decided_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [
    Campaign,
    CampaignPhase,
    CampaignSubmission,
    CampaignSignoff,
    CampaignReview,
]
