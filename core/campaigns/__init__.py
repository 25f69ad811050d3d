"""Re-inventory campaigns (梳理工作): phases, agency submissions, zero reports, sign-off.

A campaign is made from the tenant's plugin's template (hook
``qingdan_campaign_template``) for a year: its phases with their dates, the
offices that review each agency's submission and in which order, whether the
head of agency's sign-off is required and whether agencies without items file
a zero report (零报告). Each participating agency submits the list of items it
keeps, counted by the platform, or a zero report; the reviewing offices pass
or return it in turn; the progress view shows where every agency stands.
"""

from qingdan.core.campaigns.progress import Progress, ProgressRow, campaign_progress
from qingdan.core.campaigns.schemas import (
    PhaseDates,
    ReviewOutcome,
    SubmissionKind,
    SubmissionStatus,
)
from qingdan.core.campaigns.services import (
    add_agencies,
    attach_signoff,
    campaign_template,
    create_campaign,
    get_campaign,
    get_submission,
    list_campaigns,
    phases_of,
    review,
    submit,
    update_dates,
)
from qingdan.core.campaigns.templates import check_dates, default_dates, template_problems

__all__ = [
    "PhaseDates",
    "Progress",
    "ProgressRow",
    "ReviewOutcome",
    "SubmissionKind",
    "SubmissionStatus",
    "add_agencies",
    "attach_signoff",
    "campaign_progress",
    "campaign_template",
    "check_dates",
    "create_campaign",
    "default_dates",
    "get_campaign",
    "get_submission",
    "list_campaigns",
    "phases_of",
    "review",
    "submit",
    "template_problems",
    "update_dates",
]
