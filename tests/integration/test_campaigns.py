"""Re-inventory campaigns on a real database: created from 朔城区's template with the
seed's dates (朔区政办发〔2019〕18号 三(二)4), agencies submit lists or zero reports,
a submission counts only with the head's sign-off, 区行政审批服务管理局, 区编办 and
区司法局 review in that order, returns are resubmitted, late ones are flagged, the
progress view counts them, and nobody acts outside their agency, role or tenant.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from qingdan.core.audit.tables import AuditEntry
from qingdan.core.calendar import load_calendar
from qingdan.core.campaigns import (
    PhaseDates,
    ReviewOutcome,
    SubmissionStatus,
    attach_signoff,
    campaign_progress,
    campaign_template,
    create_campaign,
    default_dates,
    get_submission,
    review,
    submit,
    update_dates,
)
from qingdan.core.campaigns.detail import submission_detail
from qingdan.core.campaigns.export import progress_workbook
from qingdan.core.catalog.services import create_catalog_entry, create_item
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.schemas import Role
from qingdan.core.testing import PASSWORD, SYSTEM

pytestmark = pytest.mark.db

PDF = b"%PDF-1.4\n% signed and stamped\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
SEED_DATES = [
    ("survey", "摸底梳理", date(2019, 5, 9), date(2019, 5, 14), date(2019, 5, 15)),
    ("preliminary_review", "初步审核", date(2019, 5, 16), date(2019, 5, 20), None),
    ("confirmation", "依法确认", date(2019, 5, 21), date(2019, 5, 25), None),
    ("publication", "公布运行", date(2019, 5, 26), date(2019, 5, 31), None),
]
#: Inside the survey phase of 2019, on time; and after the 15 May due date.
ON_TIME = datetime(2019, 5, 13, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
LATE = datetime(2019, 5, 15, 16, 30, tzinfo=UTC)  # 16 May 00:30 in Shanghai


async def principal(t, role: str):
    return await tenancy.load_principal(t.users[role])


async def user_for(t, username: str, role: Role, agency_id: int | None = None):
    user = await tenancy.create_user(t.tenant_id, SYSTEM, username, username, PASSWORD)
    await tenancy.grant_role(t.tenant_id, SYSTEM, user.id, role, agency_id=agency_id)
    return await tenancy.load_principal(user.id)


async def public_service_items(t, agency_id: int, n: int, prefix: str) -> list[int]:
    """``n`` public service items of the agency, each on its own catalog entry."""
    ids = []
    for i in range(n):
        entry = await create_catalog_entry(
            t.ctx,
            SYSTEM,
            {
                "name": f"{prefix}公共服务{i}",
                "base_code": f"{prefix}{i:03d}".upper(),
                "item_type": "public_service",
                "levels": ["county"],
            },
        )
        item = await create_item(t.ctx, SYSTEM, entry_id=entry.id, agency_id=agency_id)
        ids.append(item.id)
    return ids


def seed_phases() -> list[PhaseDates]:
    return [PhaseDates(code=c, name=n, start=s, end=e, due=d) for c, n, s, e, d in SEED_DATES]


async def shuozhou_campaign(make_tenant, year: int = 2019, phases=None):
    t = await make_tenant("shuozhou")
    admin = await principal(t, "tenant_admin")
    campaign = await create_campaign(
        t.ctx,
        admin,
        year=year,
        name=f"{year}年重新梳理政务服务事项",
        phases=phases or seed_phases(),
        agency_ids=t.agency_ids,
    )
    return t, campaign


# --- the template and the campaign ----------------------------------------------------------


async def test_a_campaign_from_the_shuozhou_template_has_the_seeds_phases(make_tenant):
    t = await make_tenant("shuozhou")
    template = campaign_template(t.ctx)
    calendar = await load_calendar(t.tenant_id)
    dates = default_dates(template, 2019, calendar)
    assert [(d.code, d.name, d.start, d.end, d.due) for d in dates] == SEED_DATES
    # A new campaign keeps the month and day in its own year, and stays editable.
    later = default_dates(template, 2026, calendar)
    assert (later[0].start, later[0].end) == (date(2026, 5, 9), date(2026, 5, 14))
    assert later[-1].end == date(2026, 5, 31)

    admin = await principal(t, "tenant_admin")
    campaign = await create_campaign(
        t.ctx, admin, year=2019, name="2019年梳理", phases=dates, agency_ids=t.agency_ids
    )
    progress = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 17))
    assert [(p.name, p.start, p.end, p.due) for p in progress.phases] == [
        (n, s, e, d) for _, n, s, e, d in SEED_DATES
    ]
    assert progress.current.name == "初步审核"
    assert [p.state for p in progress.phases] == ["done", "current", "upcoming", "upcoming"]
    assert [(r.office, r.role, r.phase_name) for r in progress.reviewers] == [
        ("区行政审批服务管理局", "data_center", "初步审核"),
        ("区编办", "reform_office", "初步审核"),
        ("区司法局", "legal_reviewer", "初步审核"),
    ]
    assert progress.campaign["signoff_required"] and progress.campaign["zero_report_required"]
    assert progress.campaign["item_types"] == ["public_service"]
    assert "三(二)4" in progress.campaign["basis"]
    assert progress.totals.agencies == 3 and progress.totals.pending == 3
    # Between two phases (15 May: written submissions due), the one that ended is shown.
    between = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 15))
    assert between.current.name == "摸底梳理" and between.current.state == "done"


async def test_creating_and_changing_dates_is_checked_audited_and_refuses_races(make_tenant):
    t, campaign = await shuozhou_campaign(make_tenant)
    admin = await principal(t, "tenant_admin")
    clerk = await principal(t, "clerk")
    with pytest.raises(PermissionDenied, match="租户管理员或大数据中心"):
        await create_campaign(
            t.ctx, clerk, year=2020, name="x", phases=seed_phases(), agency_ids=t.agency_ids
        )
    with pytest.raises(DomainError, match="已有名为") as info:
        await create_campaign(
            t.ctx,
            admin,
            year=2019,
            name="2019年重新梳理政务服务事项",
            phases=seed_phases(),
            agency_ids=t.agency_ids,
        )
    assert info.value.field == "name"
    bad = seed_phases()
    bad[1] = PhaseDates(
        code="preliminary_review", name="初步审核", start=date(2019, 5, 20), end=date(2019, 5, 16)
    )
    with pytest.raises(DomainError, match="“初步审核”的结束日期") as info:
        await create_campaign(
            t.ctx, admin, year=2019, name="另一次", phases=bad, agency_ids=t.agency_ids
        )
    assert info.value.field == "preliminary_review_end"
    with pytest.raises(DomainError, match="至少选择一个"):
        await create_campaign(
            t.ctx, admin, year=2019, name="另一次", phases=seed_phases(), agency_ids=[]
        )

    # The data center changes the due date; a second edit from the same page is refused.
    data_center = await principal(t, "data_center")
    moved = seed_phases()
    moved[0] = PhaseDates(
        code="survey",
        name="摸底梳理",
        start=date(2019, 5, 9),
        end=date(2019, 5, 14),
        due=date(2019, 5, 17),
    )
    await update_dates(t.ctx, data_center, campaign.id, moved, lock_version=0)
    with pytest.raises(ConflictError):
        await update_dates(t.ctx, admin, campaign.id, seed_phases(), lock_version=0)
    progress = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 16))
    assert progress.due == date(2019, 5, 17)
    actions = await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.tenant == t.tenant_id) & AuditEntry.action.like("campaign.%")
    )
    assert [a["action"] for a in actions] == ["campaign.create", "campaign.dates"]


# --- submissions ----------------------------------------------------------------------------


async def test_a_list_without_the_heads_signoff_does_not_count(make_tenant, unique):
    t, campaign = await shuozhou_campaign(make_tenant)
    await public_service_items(t, t.agency_ids[0], 3, f"S{unique[-5:]}")
    clerk = await principal(t, "clerk")
    row = await submit(t.ctx, clerk, campaign.id, t.agency_ids[0], kind="list", now=ON_TIME)
    assert row["status"] == SubmissionStatus.unsigned.value
    assert row["item_count"] == 3 and row["counts"] == {"public_service": 3}
    progress = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 13))
    mine = next(r for r in progress.rows if r.agency_id == t.agency_ids[0])
    assert mine.status_label == "待审签" and not mine.signed
    assert progress.totals.counted == 0 and progress.totals.unsigned == 1
    assert progress.totals.items == 0  # items of a list that does not count are not counted
    # Reviewers cannot act on it yet.
    data_center = await principal(t, "data_center")
    with pytest.raises(DomainError, match="待审签"):
        await review(t.ctx, data_center, campaign.id, t.agency_ids[0], position=0, outcome="pass")
    # A Word file is not a signed, stamped paper.
    with pytest.raises(DomainError, match="PDF、JPG、PNG") as info:
        await attach_signoff(t.ctx, clerk, campaign.id, t.agency_ids[0], "审签.docx", b"PK\x03\x04")
    assert info.value.field == "signoff"
    with pytest.raises(DomainError, match="内容与扩展名"):
        await attach_signoff(t.ctx, clerk, campaign.id, t.agency_ids[0], "审签.pdf", b"not a pdf")
    row = await attach_signoff(
        t.ctx, clerk, campaign.id, t.agency_ids[0], "审签.pdf", PDF, now=ON_TIME
    )
    assert row["status"] == SubmissionStatus.submitted.value
    progress = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 13))
    mine = next(r for r in progress.rows if r.agency_id == t.agency_ids[0])
    assert mine.signed and mine.signoff_name == "审签.pdf" and mine.status_label == "已报送,审核中"
    assert progress.totals.counted == 1 and progress.totals.items == 3
    assert not mine.late and mine.waiting_for == "区行政审批服务管理局"


async def test_a_zero_report_counts_with_its_reason_and_only_without_items(make_tenant, unique):
    t, campaign = await shuozhou_campaign(make_tenant)
    other = await user_for(t, f"clerk2{unique}", Role.clerk, t.agency_ids[1])
    with pytest.raises(DomainError, match="说明") as info:
        await submit(t.ctx, other, campaign.id, t.agency_ids[1], kind="zero_report", zero_reason="")
    assert info.value.field == "zero_reason"
    with pytest.raises(DomainError, match="零报告"):
        await submit(t.ctx, other, campaign.id, t.agency_ids[1], kind="list")
    row = await submit(
        t.ctx,
        other,
        campaign.id,
        t.agency_ids[1],
        kind="zero_report",
        zero_reason="本单位不承担公共服务职能,没有公共服务事项。",
        signoff=("零报告.png", PNG),
        now=ON_TIME,
    )
    assert row["status"] == SubmissionStatus.submitted.value and row["item_count"] == 0
    # An agency that keeps items cannot declare it has none.
    await public_service_items(t, t.agency_ids[0], 1, f"Z{unique[-5:]}")
    clerk = await principal(t, "clerk")
    with pytest.raises(DomainError, match="有1项公共服务事项,不能报送零报告"):
        await submit(
            t.ctx, clerk, campaign.id, t.agency_ids[0], kind="zero_report", zero_reason="没有事项"
        )
    progress = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 16))
    zero = next(r for r in progress.rows if r.agency_id == t.agency_ids[1])
    assert zero.kind == "zero_report" and zero.zero_reason.startswith("本单位不承担")
    assert zero.signed and not zero.late
    assert progress.totals.zero_reports == 1 and progress.totals.counted == 1
    # The other two have not submitted by the 15 May due date: overdue.
    assert progress.totals.overdue == 2
    only = await campaign_progress(
        t.ctx, campaign.id, today=date(2019, 5, 16), status="zero_report"
    )
    assert [r.agency_id for r in only.rows] == [t.agency_ids[1]] and only.filtered


async def test_reviews_go_in_the_templates_order_and_returns_are_resubmitted(make_tenant, unique):
    t, campaign = await shuozhou_campaign(make_tenant)
    agency = t.agency_ids[0]
    await public_service_items(t, agency, 2, f"R{unique[-5:]}")
    clerk = await principal(t, "clerk")
    await submit(
        t.ctx, clerk, campaign.id, agency, kind="list", signoff=("审签.pdf", PDF), now=ON_TIME
    )
    data_center = await principal(t, "data_center")
    reform = await principal(t, "reform_office")
    legal = await principal(t, "legal_reviewer")

    # 区编办 cannot go before 区行政审批服务管理局; nor can a role act for another office.
    with pytest.raises(DomainError, match="请等待区行政审批服务管理局审核"):
        await review(t.ctx, reform, campaign.id, agency, position=1, outcome="pass")
    with pytest.raises(PermissionDenied, match="区行政审批服务管理局"):
        await review(t.ctx, reform, campaign.id, agency, position=0, outcome="pass")
    await review(t.ctx, data_center, campaign.id, agency, position=0, outcome="pass")
    # The same turn twice (a second tab): refused.
    with pytest.raises(ConflictError):
        await review(t.ctx, data_center, campaign.id, agency, position=0, outcome="pass")
    with pytest.raises(DomainError, match="退回须填写理由") as info:
        await review(t.ctx, reform, campaign.id, agency, position=1, outcome="return")
    assert info.value.field == "reason"
    await review(
        t.ctx,
        reform,
        campaign.id,
        agency,
        position=1,
        outcome=ReviewOutcome.returned,
        reason="事项名称不规范,请按参考目录修改",
    )
    row = await get_submission(t.ctx, campaign.id, agency)
    assert row["status"] == SubmissionStatus.returned.value
    progress = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 17))
    mine = next(r for r in progress.rows if r.agency_id == agency)
    assert [c.state for c in mine.reviews] == ["pass", "return", ""]
    assert mine.reviews[1].reason == "事项名称不规范,请按参考目录修改"
    assert progress.totals.returned == 1

    # Resubmitted: a new round that needs its own sign-off, and reviews start over.
    await public_service_items(t, agency, 1, f"RR{unique[-5:]}")
    row = await submit(
        t.ctx, clerk, campaign.id, agency, kind="list", lock_version=row["lock_version"]
    )
    assert row["status"] == SubmissionStatus.unsigned.value and row["round"] == 2
    assert row["item_count"] == 3
    await attach_signoff(t.ctx, clerk, campaign.id, agency, "审签2.pdf", PDF)
    for who, position in ((data_center, 0), (reform, 1)):
        await review(t.ctx, who, campaign.id, agency, position=position, outcome="pass")
    row = await review(t.ctx, legal, campaign.id, agency, position=2, outcome="pass")
    assert row["status"] == SubmissionStatus.passed.value
    progress = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 17))
    mine = next(r for r in progress.rows if r.agency_id == agency)
    assert [c.state for c in mine.reviews] == ["pass", "pass", "pass"]
    assert progress.totals.passed == 1 and progress.totals.reviews_passed == [1, 1, 1]
    assert not mine.late  # lateness is judged on the first time the list counted
    # Once passed, the agency cannot change its submission.
    with pytest.raises(DomainError, match="审核通过"):
        await submit(t.ctx, clerk, campaign.id, agency, kind="list")
    detail = await submission_detail(t.ctx, clerk, campaign.id, agency, today=date(2019, 5, 17))
    assert [(r["round"], r["outcome"]) for r in detail.reviews] == [
        (1, "pass"),
        (1, "return"),
        (2, "pass"),
        (2, "pass"),
        (2, "pass"),
    ]
    assert [s["round"] for s in detail.signoffs] == [1, 2]
    actions = [
        a["action"]
        for a in await AuditEntry.select(AuditEntry.action)
        .where((AuditEntry.tenant == t.tenant_id) & AuditEntry.action.like("campaign.%"))
        .order_by(AuditEntry.seq)
    ]
    assert actions == [
        "campaign.create",
        "campaign.submit",
        "campaign.review.pass",
        "campaign.review.return",
        "campaign.submit",
        "campaign.signoff",
        "campaign.review.pass",
        "campaign.review.pass",
        "campaign.review.pass",
    ]


async def test_a_submission_after_the_due_date_is_late_and_so_is_a_late_review(make_tenant, unique):
    t, campaign = await shuozhou_campaign(make_tenant)
    await public_service_items(t, t.agency_ids[0], 1, f"L{unique[-5:]}")
    clerk = await principal(t, "clerk")
    # Submitted on time but signed only after the due date: it counted late.
    await submit(t.ctx, clerk, campaign.id, t.agency_ids[0], kind="list", now=ON_TIME)
    await attach_signoff(t.ctx, clerk, campaign.id, t.agency_ids[0], "审签.pdf", PDF, now=LATE)
    other = await user_for(t, f"clerk3{unique}", Role.clerk, t.agency_ids[1])
    await submit(
        t.ctx,
        other,
        campaign.id,
        t.agency_ids[1],
        kind="zero_report",
        zero_reason="本单位没有公共服务事项。",
        signoff=("零报告.pdf", PDF),
        now=datetime(2019, 5, 15, 15, 59, tzinfo=UTC),  # 23:59 on 15 May in Shanghai
    )
    data_center = await principal(t, "data_center")
    await review(
        t.ctx,
        data_center,
        campaign.id,
        t.agency_ids[0],
        position=0,
        outcome="pass",
        now=datetime(2019, 5, 21, 2, 0, tzinfo=UTC),  # after 初步审核 ended on 20 May
    )
    progress = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 22))
    rows = {r.agency_id: r for r in progress.rows}
    assert rows[t.agency_ids[0]].late and rows[t.agency_ids[0]].counted_on == date(2019, 5, 16)
    assert rows[t.agency_ids[0]].review_late and rows[t.agency_ids[0]].reviews[0].late
    assert not rows[t.agency_ids[1]].late  # the due date itself is on time
    assert rows[t.agency_ids[2]].overdue and not rows[t.agency_ids[2]].late
    assert progress.totals.late == 1 and progress.totals.overdue == 1
    late_only = await campaign_progress(t.ctx, campaign.id, today=date(2019, 5, 22), status="late")
    assert {r.agency_id for r in late_only.rows} == {t.agency_ids[0], t.agency_ids[2]}
    # The workbook carries the same rows and flags.
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(progress_workbook(progress)))
    sheet = book["报送情况"]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in cells if r and r[0] == "序号")
    late_col, review_col = (
        header.index("逾期报送"),
        header.index("区行政审批服务管理局审核(初步审核)"),
    )
    body = [r for r in cells if isinstance(r[0], int)]
    assert len(body) == 3
    first = next(r for r in body if r[1] == rows[t.agency_ids[0]].agency_name)
    assert first[late_col] == "是" and first[review_col].startswith("通过(2019-05-21,逾期")
    assert cells[-1][0] == "合计"
    assert [p[0].value for p in book["工作阶段"].iter_rows(min_row=2)] == [
        "摸底梳理",
        "初步审核",
        "依法确认",
        "公布运行",
    ]


# --- who may act ----------------------------------------------------------------------------


async def test_another_agencys_clerk_and_other_tenants_are_refused(make_tenant, unique):
    t, campaign = await shuozhou_campaign(make_tenant)
    await public_service_items(t, t.agency_ids[0], 1, f"A{unique[-5:]}")
    outsider = await user_for(t, f"clerk4{unique}", Role.clerk, t.agency_ids[1])
    with pytest.raises(PermissionDenied, match="信息员或审核员"):
        await submit(t.ctx, outsider, campaign.id, t.agency_ids[0], kind="list")
    with pytest.raises(PermissionDenied):
        await submission_detail(t.ctx, outsider, campaign.id, t.agency_ids[0])
    clerk = await principal(t, "clerk")
    await submit(t.ctx, clerk, campaign.id, t.agency_ids[0], kind="list")
    with pytest.raises(PermissionDenied):
        await attach_signoff(t.ctx, outsider, campaign.id, t.agency_ids[0], "审签.pdf", PDF)
    # An agency's own people cannot review, not even their reviewer.
    reviewer = await principal(t, "agency_reviewer")
    with pytest.raises(PermissionDenied):
        await review(t.ctx, reviewer, campaign.id, t.agency_ids[0], position=0, outcome="pass")

    # Another tenant's campaign and agencies do not exist for this tenant's users.
    u, theirs = await shuozhou_campaign(make_tenant)
    with pytest.raises(NotFound):
        await submit(t.ctx, clerk, theirs.id, t.agency_ids[0], kind="list")
    with pytest.raises(NotFound):
        await campaign_progress(t.ctx, theirs.id)
    their_admin = await principal(u, "tenant_admin")
    with pytest.raises(NotFound):
        await create_campaign(
            u.ctx,
            their_admin,
            year=2020,
            name="借用他人部门",
            phases=[
                PhaseDates(
                    code=c,
                    name=n,
                    start=s.replace(year=2020),
                    end=e.replace(year=2020),
                    due=d.replace(year=2020) if d else None,
                )
                for c, n, s, e, d in SEED_DATES
            ],
            agency_ids=[t.agency_ids[0]],
        )
    assert (await campaign_progress(u.ctx, theirs.id)).totals.agencies == 3


async def test_two_clerks_submitting_at_once_do_not_both_succeed(make_tenant, unique):
    t, campaign = await shuozhou_campaign(make_tenant)
    await public_service_items(t, t.agency_ids[0], 1, f"C{unique[-5:]}")
    clerk = await principal(t, "clerk")
    reviewer = await principal(t, "agency_reviewer")
    results = await asyncio.gather(
        *(
            submit(t.ctx, who, campaign.id, t.agency_ids[0], kind="list", lock_version=0)
            for who in (clerk, reviewer)
        ),
        return_exceptions=True,
    )
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    row = await get_submission(t.ctx, campaign.id, t.agency_ids[0])
    assert row["round"] == 1 and row["lock_version"] == 1


async def test_the_plain_core_template_counts_working_days(make_tenant):
    """A plugin without a template of its own (the sample) gets core's plain one."""
    t = await make_tenant()
    template = campaign_template(t.ctx)
    assert [p.name for p in template.phases] == ["摸底梳理", "初步审核", "依法确认", "公布运行"]
    calendar = await load_calendar(t.tenant_id)
    # Friday 2024-09-27: ten working days later skips the National Day holiday (1-7 Oct)
    # and counts the make-up workdays of 29 Sep and 12 Oct.
    dates = default_dates(template, 2024, calendar, start=date(2024, 9, 27))
    survey = dates[0]
    assert survey.start == date(2024, 9, 27) and survey.due == survey.end
    assert survey.end == date(2024, 10, 16)
    assert dates[1].start == survey.end + timedelta(days=1)
    admin = await principal(t, "data_center")
    campaign = await create_campaign(
        t.ctx, admin, year=2024, name="样例梳理", phases=dates, agency_ids=t.agency_ids[:2]
    )
    progress = await campaign_progress(t.ctx, campaign.id, today=date(2024, 10, 8))
    assert progress.totals.agencies == 2
    assert not progress.campaign["signoff_required"]
    clerk = await principal(t, "clerk")
    row = await submit(
        t.ctx,
        clerk,
        campaign.id,
        t.agency_ids[0],
        kind="zero_report",
        zero_reason="本部门没有事项。",
    )
    # No sign-off required: it counts at once, and 审改机构 has the first turn.
    assert row["status"] == SubmissionStatus.submitted.value
    detail = await submission_detail(
        t.ctx, await principal(t, "reform_office"), campaign.id, t.agency_ids[0]
    )
    assert detail.allowed.review and detail.turn.office == "审改机构"
