"""Status constants of change requests and their steps, with Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class ChangeStatus(StrEnum):
    in_review = "in_review"  # walking through its chain
    returned = "returned"  # 退回: back with the author
    approved = "approved"  # every step passed; waits for its effective date
    published = "published"
    rejected = "rejected"  # 驳回: ended
    withdrawn = "withdrawn"

    @property
    def label(self) -> str:
        return CHANGE_STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


CHANGE_STATUS_LABELS = {
    ChangeStatus.in_review: "审核中",
    ChangeStatus.returned: "已退回",
    ChangeStatus.approved: "已通过,待生效",
    ChangeStatus.published: "已发布",
    ChangeStatus.rejected: "已驳回",
    ChangeStatus.withdrawn: "已撤回",
}

OPEN_STATUSES = frozenset({ChangeStatus.in_review, ChangeStatus.returned, ChangeStatus.approved})


class StepStatus(StrEnum):
    pending = "pending"
    active = "active"
    approved = "approved"
    returned = "returned"
    rejected = "rejected"
    skipped = "skipped"

    @property
    def label(self) -> str:
        return STEP_STATUS_LABELS[self]


STEP_STATUS_LABELS = {
    StepStatus.pending: "未开始",
    StepStatus.active: "办理中",
    StepStatus.approved: "已通过",
    StepStatus.returned: "已退回",
    StepStatus.rejected: "已驳回",
    StepStatus.skipped: "已跳过",
}


class Action(StrEnum):
    submit = "submit"
    resubmit = "resubmit"
    approve = "approve"
    skip = "skip"
    return_ = "return"
    reject = "reject"
    withdraw = "withdraw"
    invalidate = "invalidate"  # an edit after approval sent the request back
    publish = "publish"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.submit: "提交",
    Action.resubmit: "重新提交",
    Action.approve: "通过",
    Action.skip: "跳过",
    Action.return_: "退回",
    Action.reject: "驳回",
    Action.withdraw: "撤回",
    Action.invalidate: "内容修改,重新审核",
    Action.publish: "发布",
}


class ObligationStatus(StrEnum):
    open = "open"
    done = "done"
