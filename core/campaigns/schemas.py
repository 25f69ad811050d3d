"""Statuses and typed values of campaigns (梳理工作)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import msgspec


class SubmissionStatus(StrEnum):
    """Where an agency's submission stands.

    ``unsigned`` is submitted but not yet counted: the template requires the
    head's sign-off and no file is attached to this round yet.
    """

    pending = "pending"
    unsigned = "unsigned"
    submitted = "submitted"
    returned = "returned"
    passed = "passed"

    @property
    def label(self) -> str:
        return SUBMISSION_STATUS_LABELS[self]

    @property
    def counts(self) -> bool:
        """The submission counts as made (it may still be returned)."""
        return self in (SubmissionStatus.submitted, SubmissionStatus.passed)

    @property
    def open_to_agency(self) -> bool:
        """The agency may (re)submit its list or zero report."""
        return self in (
            SubmissionStatus.pending,
            SubmissionStatus.unsigned,
            SubmissionStatus.returned,
        )


SUBMISSION_STATUS_LABELS = {
    SubmissionStatus.pending: "未报送",
    SubmissionStatus.unsigned: "待审签",
    SubmissionStatus.submitted: "已报送,审核中",
    SubmissionStatus.returned: "已退回",
    SubmissionStatus.passed: "审核通过",
}

#: Shown instead of 未报送 for an agency with no items when zero reports are not required.
NOT_REQUIRED_LABEL = "无事项,无需报送"


class SubmissionKind(StrEnum):
    item_list = "list"  # 事项清单
    zero_report = "zero_report"  # 零报告

    @property
    def label(self) -> str:
        return {"list": "事项清单", "zero_report": "零报告"}[self.value]


class ReviewOutcome(StrEnum):
    passed = "pass"
    returned = "return"

    @property
    def label(self) -> str:
        return {"pass": "通过", "return": "退回"}[self.value]


class PhaseDates(msgspec.Struct, frozen=True, kw_only=True):
    """The dates of one phase of a campaign (to create one, or to change them)."""

    code: str
    name: str
    start: date
    end: date
    due: date | None = None  # the submission phase only


class Reviewer(msgspec.Struct, frozen=True, kw_only=True):
    """One reviewing office in the campaign's order (flattened over its phases)."""

    position: int
    phase_id: int
    phase_name: str
    phase_end: date
    role: str
    office: str
    basis: str = ""
