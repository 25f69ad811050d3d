"""Change requests through their approval chains, with the sample plugin's rules."""

import asyncio
from datetime import date, timedelta

import pytest

from qingdan.core.audit.services import verify_chain
from qingdan.core.catalog.services import get_item
from qingdan.core.catalog.validation import dump_document
from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.schemas import Role
from qingdan.core.testing import PASSWORD, SYSTEM
from qingdan.core.workflow import services as wf
from qingdan.core.workflow.inbox import inbox_for
from qingdan.core.workflow.notices import notices_for
from qingdan.core.workflow.obligations import open_obligations
from qingdan.core.workflow.scan import scan_tenant
from qingdan.core.workflow.schemas import ChangeStatus

pytestmark = pytest.mark.db

PDF = b"%PDF-1.4\n%test\n"


async def who(t, role: str):
    return await tenancy.load_principal(t.users[role])


async def claimed(t):
    """A claimed item of the first agency, its draft filled in, and the clerk."""
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | _place()
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    return item, clerk


def _place():
    return {
        "agency_name": "样例市场监督管理局",
        "process": [{"name": "受理"}, {"name": "审查"}, {"name": "决定"}],
        "locations": [{"name": "样例市政务服务中心", "address": "样例路1号"}],
        "consultation": [{"kind": "phone", "value": "0000-1234567"}],
        "complaints": [{"kind": "phone", "value": "12345"}],
        "result": {"name": "许可证", "type": "licence"},
    }


async def approve_all(t, cr_id):
    for role in ("agency_reviewer", "reform_office", "data_center"):
        await wf.approve(t.ctx, await who(t, role), cr_id)


async def test_claim_walks_the_default_chain_and_publishes(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "新认领省级下发事项")
    steps = await wf.steps_of(t.ctx, cr.id)
    assert [s["role"] for s in steps] == ["agency_reviewer", "reform_office", "data_center"]
    assert steps[0]["status"] == "active" and steps[0]["due_date"] is not None
    assert (await get_item(t.ctx, item.id)).item["status"] == "in_review"

    await approve_all(t, cr.id)
    cr = await wf.get_request(t.ctx, cr.id)
    assert cr.status == ChangeStatus.published
    detail = await get_item(t.ctx, item.id)
    assert detail.item["status"] == "published"
    assert detail.published_version["id"] == cr.version
    actions = [d["action"] for d in await wf.decisions_of(t.ctx, cr.id)]
    assert actions == ["submit", "approve", "approve", "approve", "publish"]
    # The claim's same-day obligation was met by the complete submission;
    # publication left the hall update for the service center.
    open_kinds = {o["kind"] for o in await open_obligations(t.ctx)}
    assert open_kinds == {"hall_update"}
    assert (await verify_chain(t.tenant_id)).ok


async def test_claim_creates_a_same_day_obligation_for_the_clerk(make_tenant):
    t = await make_tenant()
    await wf.claim(t.ctx, await who(t, "clerk"), t.entry_id, t.agency_ids[0])
    (ob,) = await open_obligations(t.ctx)
    assert ob["kind"] == "elements_complete" and ob["role"] == "clerk"
    assert ob["due_date"] == wf.today() or ob["due_provisional"]


async def test_guards_refuse_the_wrong_people(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    # A clerk of another agency may not claim or submit for this one.
    outsider = await tenancy.create_user(t.tenant_id, SYSTEM, "outsider", "外单位", PASSWORD)
    await tenancy.grant_role(
        t.tenant_id, SYSTEM, outsider.id, Role.clerk, agency_id=t.agency_ids[1]
    )
    outsider_p = await tenancy.load_principal(outsider.id)
    with pytest.raises(PermissionDenied, match="信息员"):
        await wf.submit(t.ctx, outsider_p, item.id, ChangeKind.claim, "越权")
    with pytest.raises(PermissionDenied):
        await wf.claim(t.ctx, outsider_p, t.entry_id, t.agency_ids[0])

    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    with pytest.raises(PermissionDenied, match="审核员"):
        await wf.approve(t.ctx, await who(t, "reform_office"), cr.id)
    with pytest.raises(DomainError, match="退回原因"):
        await wf.return_request(t.ctx, await who(t, "agency_reviewer"), cr.id, " ")
    with pytest.raises(DomainError, match="驳回原因"):
        await wf.reject(t.ctx, await who(t, "agency_reviewer"), cr.id, "")
    with pytest.raises(DomainError, match="未办结"):
        await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "再提交一次")


async def test_the_author_cannot_approve_their_own_request(make_tenant):
    t = await make_tenant()
    item, _ = await claimed(t)
    both = await tenancy.create_user(t.tenant_id, SYSTEM, "both", "兼任", PASSWORD)
    for role in (Role.clerk, Role.agency_reviewer):
        await tenancy.grant_role(t.tenant_id, SYSTEM, both.id, role, agency_id=t.agency_ids[0])
    author = await tenancy.load_principal(both.id)
    cr = await wf.submit(t.ctx, author, item.id, ChangeKind.claim, "认领")
    with pytest.raises(PermissionDenied, match="不能审核自己"):
        await wf.approve(t.ctx, author, cr.id)


async def test_submission_needs_the_required_elements(make_tenant):
    t = await make_tenant()
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    with pytest.raises(DomainError, match=r"办理流程.*办理地点") as info:
        await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    assert info.value.field == "elements"


async def test_return_then_resubmit_starts_again_from_the_first_step(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    await wf.approve(t.ctx, await who(t, "agency_reviewer"), cr.id)
    await wf.return_request(t.ctx, await who(t, "reform_office"), cr.id, "受理条件表述不清")
    cr = await wf.get_request(t.ctx, cr.id)
    assert cr.status == ChangeStatus.returned
    inbox = await inbox_for(t.ctx, clerk)
    assert [e.kind for e in inbox.returned] == ["returned"]

    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | {"acceptance_conditions": "申请人应当具有营业执照。"}
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    await wf.resubmit(t.ctx, clerk, cr.id, "已修改受理条件")
    steps = await wf.steps_of(t.ctx, cr.id)
    assert [s["status"] for s in steps] == ["active", "pending", "pending"]
    await approve_all(t, cr.id)
    assert (await get_item(t.ctx, item.id)).published.acceptance_conditions.startswith("申请人")


async def test_reject_ends_the_request_and_withdraw_only_before_a_decision(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    with pytest.raises(PermissionDenied, match="申请人"):
        await wf.withdraw(t.ctx, await who(t, "agency_reviewer"), cr.id)
    await wf.withdraw(t.ctx, clerk, cr.id, "材料有误")
    assert (await wf.get_request(t.ctx, cr.id)).status == ChangeStatus.withdrawn
    assert (await get_item(t.ctx, item.id)).item["status"] == "draft"

    cr2 = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "再次认领")
    await wf.approve(t.ctx, await who(t, "agency_reviewer"), cr2.id)
    with pytest.raises(DomainError, match="已有审核意见"):
        await wf.withdraw(t.ctx, clerk, cr2.id)
    await wf.reject(t.ctx, await who(t, "reform_office"), cr2.id, "本级不行使该事项")
    cr2 = await wf.get_request(t.ctx, cr2.id)
    assert cr2.status == ChangeStatus.rejected and cr2.closed_at is not None
    with pytest.raises(DomainError, match="已驳回"):
        await wf.approve(t.ctx, await who(t, "reform_office"), cr2.id)


async def test_an_edit_after_approval_sends_the_request_back(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    seen = cr.version
    await wf.approve(t.ctx, await who(t, "agency_reviewer"), cr.id, seen_version=seen)

    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | {"acceptance_conditions": "审核后又改了"}
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])

    cr = await wf.get_request(t.ctx, cr.id)
    assert cr.version != seen
    steps = await wf.steps_of(t.ctx, cr.id)
    assert [s["status"] for s in steps] == ["active", "pending", "pending"]
    assert (await wf.decisions_of(t.ctx, cr.id))[-1]["action"] == "invalidate"
    # A reviewer still looking at the old version cannot approve it.
    with pytest.raises(ConflictError, match="已被修改"):
        await wf.approve(t.ctx, await who(t, "agency_reviewer"), cr.id, seen_version=seen)
    await approve_all(t, cr.id)
    assert (await get_item(t.ctx, item.id)).published.acceptance_conditions == "审核后又改了"


async def test_racing_edits_of_one_draft_the_second_is_refused(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    detail = await get_item(t.ctx, item.id)
    lock = detail.item["lock_version"]
    base = dump_document(detail.draft)
    results = await asyncio.gather(
        wf.edit_draft(t.ctx, clerk, item.id, base | {"acceptance_conditions": "甲"}, lock),
        wf.edit_draft(t.ctx, clerk, item.id, base | {"acceptance_conditions": "乙"}, lock),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "ItemVersion"]
    saved = (await get_item(t.ctx, item.id)).draft.acceptance_conditions
    winner = next(r for r in results if not isinstance(r, Exception))
    assert saved == ("甲" if winner.document["acceptance_conditions"] == "甲" else "乙")


async def test_racing_approvals_count_once(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    reviewer = await who(t, "agency_reviewer")
    results = await asyncio.gather(
        wf.approve(t.ctx, reviewer, cr.id),
        wf.approve(t.ctx, reviewer, cr.id),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(
        isinstance(r, (ConflictError, DomainError)) for r in results if isinstance(r, Exception)
    )
    approvals = [d for d in await wf.decisions_of(t.ctx, cr.id) if d["action"] == "approve"]
    assert len(approvals) == 1


async def published_item(t):
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    await approve_all(t, cr.id)
    return item, clerk


async def test_amend_needs_a_difference_and_records_changed_elements(make_tenant):
    t = await make_tenant()
    item, clerk = await published_item(t)
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.published)
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    with pytest.raises(DomainError, match="没有差别"):
        await wf.submit(t.ctx, clerk, item.id, ChangeKind.amend, "无变化")
    detail = await get_item(t.ctx, item.id)
    doc = doc | {"promised_limit": {"value": 5, "unit": "working_day"}}
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.amend, "压缩承诺时限")
    assert cr.changed_elements == ["promised_limit"]
    await approve_all(t, cr.id)
    assert (await get_item(t.ctx, item.id)).published.promised_limit.value == 5


async def test_suspend_resume_and_cancel_change_the_status(make_tenant):
    t = await make_tenant()
    item, clerk = await published_item(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.suspend, "系统升级暂停受理")
    await approve_all(t, cr.id)
    assert (await get_item(t.ctx, item.id)).item["status"] == "suspended"
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.resume, "恢复受理")
    await approve_all(t, cr.id)
    assert (await get_item(t.ctx, item.id)).item["status"] == "published"

    with pytest.raises(DomainError, match="取消依据"):
        await wf.submit(t.ctx, clerk, item.id, ChangeKind.cancel, "法律修改")
    cr = await wf.submit(
        t.ctx,
        clerk,
        item.id,
        ChangeKind.cancel,
        "设定依据已废止",
        cancel_basis="《某条例》已于2026年废止",
        document_number="样政发〔2026〕1号",
    )
    roles = [s["role"] for s in await wf.steps_of(t.ctx, cr.id)]
    assert roles == ["agency_reviewer", "legal_reviewer", "reform_office", "data_center"]
    for role in roles:
        await wf.approve(t.ctx, await who(t, role), cr.id)
    detail = await get_item(t.ctx, item.id)
    assert detail.item["status"] == "cancelled"
    assert detail.published is not None, "the last published version is kept"


async def test_required_attachments_and_upload_limits(make_tenant, monkeypatch):
    from qingdan.core import defaults
    from qingdan.core.hooktypes import ApprovalChain, ChainStep, RequiredAttachment

    consent = RequiredAttachment(kind="provincial_consent", label="省级业务部门同意意见")
    chain = ApprovalChain(
        steps=(
            ChainStep(name="部门审核", role="agency_reviewer", required_attachments=(consent,)),
            defaults.REFORM_REVIEW,
        )
    )
    t = await make_tenant()
    monkeypatch.setattr(t.ctx.plugin, "approval_chain", lambda *a, **k: chain)
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    reviewer = await who(t, "agency_reviewer")
    with pytest.raises(DomainError, match="省级业务部门同意意见"):
        await wf.approve(t.ctx, reviewer, cr.id)
    with pytest.raises(DomainError, match="内容与扩展名"):
        await wf.add_attachment(t.ctx, clerk, cr.id, "provincial_consent", "同意.pdf", b"not a pdf")
    with pytest.raises(DomainError, match="文件类型不允许"):
        await wf.add_attachment(t.ctx, clerk, cr.id, "provincial_consent", "a.exe", b"MZ")
    att = await wf.add_attachment(t.ctx, clerk, cr.id, "provincial_consent", "同意.pdf", PDF)
    assert att.label == "省级业务部门同意意见" and att.version == cr.version
    row, data = await wf.read_attachment(t.ctx, att.id)
    assert data == PDF and row["filename"] == "同意.pdf"
    await wf.approve(t.ctx, reviewer, cr.id)
    await wf.approve(t.ctx, await who(t, "reform_office"), cr.id)
    assert (await wf.get_request(t.ctx, cr.id)).status == ChangeStatus.published


async def test_scheduled_publication_waits_for_its_date_and_scans_are_idempotent(make_tenant):
    t = await make_tenant()
    item, clerk = await published_item(t)
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.published) | {"acceptance_conditions": "新条件自下月起施行"}
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    effective = wf.today() + timedelta(days=3)
    cr = await wf.submit(
        t.ctx, clerk, item.id, ChangeKind.amend, "新规施行", effective_date=effective
    )
    await approve_all(t, cr.id)
    assert (await wf.get_request(t.ctx, cr.id)).status == ChangeStatus.approved
    assert (await scan_tenant(t.ctx, on=wf.today())).published == 0
    assert (await get_item(t.ctx, item.id)).published.acceptance_conditions != "新条件自下月起施行"

    first = await scan_tenant(t.ctx, on=effective)
    second = await scan_tenant(t.ctx, on=effective)
    assert first.published == 1 and second.published == 0
    assert (await get_item(t.ctx, item.id)).published.acceptance_conditions == "新条件自下月起施行"
    publishes = [d for d in await wf.decisions_of(t.ctx, cr.id) if d["action"] == "publish"]
    assert len(publishes) == 1


async def test_overdue_work_is_flagged_and_escalated_once(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    (step, *_) = await wf.steps_of(t.ctx, cr.id)
    later = step["due_date"] + timedelta(days=10)
    first = await scan_tenant(t.ctx, on=later)
    second = await scan_tenant(t.ctx, on=later)
    assert first.escalated >= 1 and second.escalated == 0
    reform = await who(t, "reform_office")
    escalations = [n for n in await notices_for(t.ctx, reform) if n["kind"] == "escalation"]
    assert len(escalations) == 1 and "逾期" in escalations[0]["title"]
    reviewer = await who(t, "agency_reviewer")
    overdue = [n for n in await notices_for(t.ctx, reviewer) if n["kind"] == "overdue"]
    assert len(overdue) == 1
    inbox = await inbox_for(t.ctx, reviewer, on=later)
    assert [e.overdue for e in inbox.waiting] == [True]


async def test_reminder_before_the_due_date_is_sent_once(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    (step, *_) = await wf.steps_of(t.ctx, cr.id)
    on_due_day: date = step["due_date"]
    assert (await scan_tenant(t.ctx, on=on_due_day)).reminded == 1
    assert (await scan_tenant(t.ctx, on=on_due_day)).reminded == 0
    inbox = await inbox_for(t.ctx, await who(t, "agency_reviewer"), on=on_due_day)
    assert [e.due_soon for e in inbox.waiting] == [True]


async def test_inbox_shows_each_role_its_own_work(make_tenant):
    t = await make_tenant()
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    reviewer_inbox = await inbox_for(t.ctx, await who(t, "agency_reviewer"))
    assert [e.item_name for e in reviewer_inbox.waiting] == ["样例许可事项"]
    assert (await inbox_for(t.ctx, await who(t, "reform_office"))).waiting == []
    assert (await inbox_for(t.ctx, clerk)).waiting == [], "authors do not review their own"
    await wf.approve(t.ctx, await who(t, "agency_reviewer"), cr.id)
    assert len((await inbox_for(t.ctx, await who(t, "reform_office"))).waiting) == 1


async def test_other_tenants_requests_are_not_found(make_tenant):
    from qingdan.core.errors import NotFound

    a = await make_tenant()
    b = await make_tenant()
    item, clerk = await claimed(b)
    cr = await wf.submit(b.ctx, clerk, item.id, ChangeKind.claim, "认领")
    with pytest.raises(NotFound):
        await wf.approve(a.ctx, await who(a, "agency_reviewer"), cr.id)
    with pytest.raises(NotFound):
        await wf.submit(a.ctx, await who(a, "clerk"), item.id, ChangeKind.amend, "x")


async def test_item_history_lists_versions_requests_and_every_decision(make_tenant):
    from qingdan.core.workflow.history import item_history

    t = await make_tenant()
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    await wf.return_request(t.ctx, await who(t, "agency_reviewer"), cr.id, "请补充材料")
    await wf.resubmit(t.ctx, clerk, cr.id, "已补充")
    await approve_all(t, cr.id)
    history = await item_history(t.ctx, item.id)
    assert len(history.versions) >= 2
    (req,) = history.requests
    assert req.kind_label == "认领" and req.status_label == "已发布"
    steps = [(d["action_label"], d["actor_name"], d["reason"]) for d in req.decisions]
    assert steps[:3] == [
        ("提交", "信息员", "认领"),
        ("退回", "审核员", "请补充材料"),
        ("重新提交", "信息员", "已补充"),
    ]
    assert steps[-1][0] == "发布"
    assert all(d["at"] is not None for d in req.decisions)


async def test_a_requests_diff_stays_readable_after_publication(make_tenant):
    from qingdan.core.catalog.diff import diff_documents

    t = await make_tenant()
    item, clerk = await published_item(t)
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.published) | {"promised_limit": {"value": 4, "unit": "working_day"}}
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.amend, "压缩时限")
    await approve_all(t, cr.id)
    before, after = await wf.request_documents(t.ctx, await wf.get_request(t.ctx, cr.id))
    change = diff_documents(before, after)
    assert change.changed_elements == ["promised_limit"]
    assert (change.changes[0].before, change.changes[0].after) == ("10个工作日", "4个工作日")
