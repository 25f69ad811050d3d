"""The 梳理工作 pages through the real app: the data center creates 朔城区's campaign
with the seed's dates, an agency's clerk submits its list and uploads the head's
sign-off, 区行政审批服务管理局 returns and passes, the progress view filters and
downloads as Excel, and every page refuses other agencies, roles and tenants.

Data is set up before a client opens and checked after it closes (the app
rebinds the database engine on startup).
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from datetime import date
from io import BytesIO

import pytest
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from qingdan.core.campaigns import PhaseDates, create_campaign, get_submission
from qingdan.core.catalog.services import create_catalog_entry, create_item
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.schemas import Role
from qingdan.core.testing import PASSWORD, SYSTEM
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
PDF = b"%PDF-1.4\n% signed and stamped\n"
SEED = {
    "survey_start": "2019-05-09",
    "survey_end": "2019-05-14",
    "survey_due": "2019-05-15",
    "preliminary_review_start": "2019-05-16",
    "preliminary_review_end": "2019-05-20",
    "confirmation_start": "2019-05-21",
    "confirmation_end": "2019-05-25",
    "publication_start": "2019-05-26",
    "publication_end": "2019-05-31",
}


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(c, slug: str, username: str):
    page = await c.get(f"/t/{slug}/login")
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


async def post_form(c, page_url: str, target: str, data: dict | None = None, **kwargs):
    """POST ``data`` with the CSRF token of ``page_url``, as the page's form would."""
    page = await c.get(page_url)
    assert page.status_code == 200, page.text
    return await c.post(
        target,
        data={**(data or {}), "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
        **kwargs,
    )


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def seeded(make_tenant, unique, items: int = 2):
    """A 朔城区 tenant whose first agency keeps ``items`` public service items, and a
    clerk (``clerk2``) of the second agency."""
    t = await make_tenant("shuozhou")
    for i in range(items):
        entry = await create_catalog_entry(
            t.ctx,
            SYSTEM,
            {
                "name": f"公共服务{i}",
                "base_code": f"W{unique}{i:02d}".upper(),
                "item_type": "public_service",
                "levels": ["county"],
            },
        )
        await create_item(t.ctx, SYSTEM, entry_id=entry.id, agency_id=t.agency_ids[0])
    user = await tenancy.create_user(t.tenant_id, SYSTEM, "clerk2", "二号信息员", PASSWORD)
    await tenancy.grant_role(t.tenant_id, SYSTEM, user.id, Role.clerk, agency_id=t.agency_ids[1])
    return t


async def campaign_of(t) -> int:
    admin = await tenancy.load_principal(t.users["tenant_admin"])
    phases = [
        PhaseDates(
            code=code,
            name=name,
            start=date.fromisoformat(SEED[f"{code}_start"]),
            end=date.fromisoformat(SEED[f"{code}_end"]),
            due=date.fromisoformat(SEED["survey_due"]) if code == "survey" else None,
        )
        for code, name in (
            ("survey", "摸底梳理"),
            ("preliminary_review", "初步审核"),
            ("confirmation", "依法确认"),
            ("publication", "公布运行"),
        )
    ]
    campaign = await create_campaign(
        t.ctx, admin, year=2019, name="2019年梳理", phases=phases, agency_ids=t.agency_ids
    )
    return campaign.id


async def test_the_data_center_creates_a_campaign_with_the_seeds_dates(make_tenant, unique):
    t = await seeded(make_tenant, unique)
    base = f"/t/{t.slug}/campaigns"
    async with client() as c:
        await login(c, t.slug, "data_center")
        listing = await c.get(base)
        assert listing.status_code == 200 and "发起梳理工作" in listing.text
        form = await c.get(f"{base}/new?year=2019")
        assert form.status_code == 200
        for field, value in SEED.items():
            assert re.search(rf'name="{field}" required value="{value}"', form.text), field
        assert "区行政审批服务管理局(大数据中心) → 区编办(审改机构) → 区司法局(司法行政部门)" in (
            text_of(form.text)
        )
        # A phase ending before it starts is refused, next to the field, in Chinese.
        bad = {**SEED, "preliminary_review_end": "2019-05-15"}
        r = await post_form(
            c,
            f"{base}/new?year=2019",
            f"{base}/",
            {"year": "2019", "name": "2019年重新梳理", **bad, "agencies": t.agency_ids},
        )
        assert r.status_code == 400
        assert 'id="f-preliminary_review_end-error"' in r.text
        assert "“初步审核”的结束日期(2019-05-15)早于开始日期(2019-05-16)" in r.text
        r = await post_form(
            c,
            f"{base}/new?year=2019",
            f"{base}/",
            {"year": "2019", "name": "2019年重新梳理", **SEED, "agencies": t.agency_ids[:2]},
        )
        assert r.status_code == 303, r.text
        progress_url = r.headers["location"].split("?")[0]
        page = await c.get(r.headers["location"])
        # Without the CSRF token nothing is created.
        forged = await c.post(
            f"{base}/",
            data={"year": "2019", "name": "伪造", **SEED, "agencies": t.agency_ids},
            follow_redirects=False,
        )
    assert forged.status_code == 403
    assert page.status_code == 200
    text = text_of(page.text)
    assert "已发起梳理工作。" in text
    assert "摸底梳理 2019-05-09 至 2019-05-14 2019-05-15" in text
    assert "初步审核 2019-05-16 至 2019-05-20 区行政审批服务管理局 → 区编办 → 区司法局" in text
    assert "公布运行 2019-05-26 至 2019-05-31" in text
    assert "共 2 个部门:已报送 0" in text and "逾期未报送 2" in text
    assert progress_url.startswith(f"{base}/")


async def test_a_clerk_submits_signs_off_and_the_offices_review(make_tenant, unique):
    t = await seeded(make_tenant, unique)
    campaign_id = await campaign_of(t)
    base = f"/t/{t.slug}/campaigns/{campaign_id}"
    mine = f"{base}/agencies/{t.agency_ids[0]}"
    async with client() as c:
        await login(c, t.slug, "clerk")
        # The progress view is the offices': a clerk lands on the agency's own page.
        r = await c.get(base, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == mine
        page = await c.get(mine)
        assert page.status_code == 200
        assert "本部门在系统中现有公共服务事项 2 项" in text_of(page.text)
        r = await post_form(c, mine, f"{mine}/submit", {"kind": "list"})
        assert r.status_code == 303 and r.headers["location"].endswith("done=unsigned")
        page = await c.get(r.headers["location"])
        assert "待审签" in page.text and "上传后报送才计入" in page.text
        r = await post_form(
            c, mine, f"{mine}/signoff", files={"signoff": ("审签.docx", b"PK\x03\x04", "x")}
        )
        assert r.status_code == 400
        assert 'id="signoff-error"' in r.text and "PDF、JPG、PNG" in r.text
        r = await post_form(
            c, mine, f"{mine}/signoff", files={"signoff": ("审签.pdf", PDF, "application/pdf")}
        )
        assert r.status_code == 303 and r.headers["location"].endswith("done=signoff")
        page = await c.get(mine)
        link = re.search(rf'href="({mine}/signoffs/\d+)">审签.pdf', page.text)
        assert link, page.text
        download = await c.get(link.group(1))
        assert download.content == PDF
        assert download.headers["content-type"].startswith("application/pdf")
    row = await get_submission(t.ctx, campaign_id, t.agency_ids[0])
    assert row["status"] == "submitted" and row["item_count"] == 2

    async with client() as c:
        await login(c, t.slug, "data_center")
        page = await c.get(mine)
        assert "轮到区行政审批服务管理局审核" in page.text
        r = await post_form(
            c, mine, f"{mine}/review", {"outcome": "return", "reason": "", "position": "0"}
        )
        assert r.status_code == 400 and "退回须填写理由" in r.text
        assert 'id="review-reason-error"' in r.text
        r = await post_form(c, mine, f"{mine}/review", {"outcome": "pass", "position": "0"})
        assert r.status_code == 303 and r.headers["location"].endswith("done=pass")
        # The progress view shows the pass and whose turn it is; the filter swaps the table.
        waiting = await c.get(
            f"{base}?waiting=1", headers={"HX-Request": "true", "HX-Target": "progress-results"}
        )
        assert waiting.status_code == 200 and "<html" not in waiting.text
        assert "筛选出 1 个部门" in text_of(waiting.text)
        assert text_of(waiting.text).count("待审核") == 1
        workbook = await c.get(f"{base}/progress.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(BytesIO(workbook.content))["报送情况"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = next(r for r in rows if r[0] == "序号")
    body = [r for r in rows if isinstance(r[0], int)]
    assert len(body) == 3
    first = next(r for r in body if r[header.index("报送事项数")] == 2)
    assert first[header.index("报送状态")] == "已报送,审核中"
    assert first[header.index("主要负责人审签件")] == "审签.pdf"
    assert first[header.index("区行政审批服务管理局审核(初步审核)")].startswith("通过(")
    assert first[header.index("待审核机构")] == "区编办"

    async with client() as c:
        await login(c, t.slug, "reform_office")
        r = await post_form(
            c,
            mine,
            f"{mine}/review",
            {"outcome": "return", "reason": "名称不规范", "position": "1"},
        )
        assert r.status_code == 303
        page = await c.get(base)
    assert "已退回" in page.text and "退回:名称不规范" in text_of(page.text)


async def test_other_agencies_roles_and_tenants_are_refused(make_tenant, unique):
    t = await seeded(make_tenant, unique)
    campaign_id = await campaign_of(t)
    other = await make_tenant("shuozhou")
    theirs = await campaign_of(other)
    base = f"/t/{t.slug}/campaigns/{campaign_id}"
    mine = f"{base}/agencies/{t.agency_ids[0]}"
    async with client() as c:
        await login(c, t.slug, "clerk2")
        assert (await c.get(mine)).status_code == 403
        own = f"{base}/agencies/{t.agency_ids[1]}"
        r = await post_form(c, own, f"{mine}/submit", {"kind": "list"})
        assert r.status_code == 403
        assert (await c.get(f"{base}/progress.xlsx")).status_code == 403
        assert (await c.get(f"/t/{t.slug}/campaigns/new")).status_code == 403
        r = await post_form(c, own, f"{mine}/review", {"outcome": "pass", "position": "0"})
        assert r.status_code == 403
        # Another tenant's campaign is not found, by either tenant's address.
        assert (await c.get(f"/t/{t.slug}/campaigns/{theirs}")).status_code == 404
        assert (await c.get(f"/t/{other.slug}/campaigns/{theirs}")).status_code == 404
    async with client() as c:
        await login(c, t.slug, "tenant_admin")
        assert (await c.get(f"/t/{t.slug}/campaigns/{theirs}")).status_code == 404
        assert (await c.get(f"/t/{t.slug}/campaigns/{theirs}/progress.xlsx")).status_code == 404
        edit = await c.get(f"{base}/edit")
        assert edit.status_code == 200
        r = await post_form(
            c,
            f"{base}/edit",
            f"{base}/dates",
            {**SEED, "survey_due": "2019-05-17", "lock_version": "0"},
        )
        assert r.status_code == 303
        # The same page posted again: someone changed the campaign in between.
        stale = await post_form(c, f"{base}/edit", f"{base}/dates", {**SEED, "lock_version": "0"})
        assert stale.status_code == 409
        page = await c.get(base)
    assert "2019-05-17" in page.text
    row = await get_submission(t.ctx, campaign_id, t.agency_ids[0])
    assert row["status"] == "pending"
