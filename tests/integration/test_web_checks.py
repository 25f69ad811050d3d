"""The 质检 pages: findings in the item editor, the tenant report, its xlsx, and who may see them."""

from __future__ import annotations

import io
import re
from contextlib import asynccontextmanager

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.services import create_item, get_item, save_draft
from qingdan.core.catalog.validation import dump_document
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import PASSWORD, SAMPLE_PLACE, SYSTEM
from qingdan.core.workflow import services as wf
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
CATCH_ALL = [{"name": "其他材料", "source": "applicant", "necessity": "optional"}]


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(c, slug: str, username: str) -> None:
    page = await c.get(f"/t/{slug}/login")
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


async def county_item_with_catch_all(t):
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[2])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.current) | SAMPLE_PLACE | {"materials": CATCH_ALL}
    await save_draft(t.ctx, SYSTEM, item.id, doc, detail.item["lock_version"])
    return item


async def test_the_editor_shows_findings_next_to_their_elements(make_tenant):
    t = await make_tenant()
    clerk = await tenancy.load_principal(t.users["clerk"])
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.current) | SAMPLE_PLACE | {"promised_limit": {"value": 30}}
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    async with client() as c:
        await login(c, t.slug, "clerk")
        page = await c.get(f"/t/{t.slug}/items/{item.id}/edit")
        assert page.status_code == 200
        html = page.text
        assert "质检发现的问题" in html
        message = "承诺办结时限(30工作日)超过了法定办结时限(20工作日)"
        # In the summary, linked to the element, and in the list right after its input.
        summary = html.index('class="findings-summary"')
        assert message in html[summary : html.index("</section>", summary)]
        assert 'aria-label="承诺办结时限的质检问题"' in html
        after = html.index('aria-label="承诺办结时限的质检问题"')
        assert message in html[after : after + 600]
        # The item page after a save lists the stored findings too.
        item_page = await c.get(f"/t/{t.slug}/items/{item.id}")
        assert message in item_page.text


async def test_the_report_page_runs_the_check_as_a_job_and_downloads_the_xlsx(make_tenant, broker):
    t = await make_tenant()
    item = await county_item_with_catch_all(t)
    async with client() as c:
        await login(c, t.slug, "data_center")
        page = await c.get(f"/t/{t.slug}/checks/")
        assert page.status_code == 200 and "尚未运行过全租户质检" in page.text
        r = await c.post(
            f"/t/{t.slug}/checks/run",
            data={"_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        # A large tenant takes longer than a page may: the check is a job with a run page.
        assert r.status_code == 303 and "/jobs/" in r.headers["location"]
        run_url = r.headers["location"]
        run_id = int(run_url.rsplit("/", 1)[1])
        # While it is queued, the report says so, and asking again finds the same run.
        page = await c.get(f"/t/{t.slug}/checks/")
        assert "全租户质检正在进行" in page.text and f"/jobs/{run_id}" in page.text
        again = await c.post(
            f"/t/{t.slug}/checks/run",
            data={"_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert again.headers["location"] == run_url
    await run_jobs_until_done(t, run_id)
    async with client() as c:
        await login(c, t.slug, "data_center")
        run_page = await c.get(run_url)
        assert "已完成" in run_page.text and "检查了" in run_page.text
        assert f'href="/t/{t.slug}/checks/?done=run"' in run_page.text
        report = await c.get(f"/t/{t.slug}/checks/?done=run")
        html = report.text
        assert "全租户质检正在进行" not in html
        assert "质检已完成" in html and "页面手动运行" in html
        assert f"{t.slug}县市场监督管理局" in html
        assert "第1行“其他材料”" in html and f"/items/{item.id}" in html
        filtered = await c.get(f"/t/{t.slug}/checks/?agency={t.agency_ids[0]}")
        assert "第1行“其他材料”" not in filtered.text  # another agency's finding

        xlsx = await c.get(f"/t/{t.slug}/checks/report.xlsx")
        assert xlsx.status_code == 200
        assert xlsx.headers["content-type"].startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert "filename*=UTF-8''" in xlsx.headers["content-disposition"]
        book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
        summary = [[c.value for c in row] for row in book["汇总"].iter_rows()]
        county = next(r for r in summary if r[0] == f"{t.slug}县市场监督管理局")
        assert county[2] >= 1  # 阻止提交
        details = [[c.value for c in row] for row in book["问题明细"].iter_rows(min_row=2)]
        assert any("其他材料" in (r[6] or "") and r[5] == "阻止提交" for r in details)
        rule_ids = {row[0].value for row in book["规则"].iter_rows(min_row=2)}
        assert {"core.no_catch_all_material", "core.catalog_agreement"} <= rule_ids


async def run_jobs_until_done(t, run_id: int) -> None:
    """Start a worker and wait for this run (not the whole queue) to end."""
    import asyncio

    from qingdan.core.jobs import runs
    from qingdan.core.testing.jobs import start_worker, stop_worker

    worker = start_worker(clean=False)
    try:
        for _ in range(600):
            if (await runs.get_run(t.ctx.scope, run_id))["status"] in ("done", "failed"):
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the check job did not end in 60 s")
    finally:
        stop_worker(worker)


@pytest.mark.parametrize("role", ["reform_office", "tenant_admin"])
async def test_the_reviewing_offices_may_open_the_report(make_tenant, role):
    t = await make_tenant()
    async with client() as c:
        await login(c, t.slug, role)
        assert (await c.get(f"/t/{t.slug}/checks/")).status_code == 200
        home = await c.get(f"/t/{t.slug}/")
        assert f'href="/t/{t.slug}/checks"' in home.text


@pytest.mark.parametrize("role", ["clerk", "agency_reviewer", "legal_reviewer", "service_center"])
async def test_other_roles_are_refused(make_tenant, role):
    t = await make_tenant()
    async with client() as c:
        await login(c, t.slug, role)
        page = await c.get(f"/t/{t.slug}/checks/")
        assert page.status_code == 403
        assert (await c.get(f"/t/{t.slug}/checks/report.xlsx")).status_code == 403
        home = await c.get(f"/t/{t.slug}/")
        assert f'href="/t/{t.slug}/checks"' not in home.text
        # Refused before anything runs, whatever the form carries.
        r = await c.post(
            f"/t/{t.slug}/checks/run",
            data={"_csrf_token": csrf_from(home.text)},
            follow_redirects=False,
        )
        assert r.status_code == 403


async def test_another_tenants_report_is_not_found(make_tenant):
    a = await make_tenant()
    b = await make_tenant()
    await county_item_with_catch_all(a)
    async with client() as c:
        await login(c, b.slug, "data_center")
        assert (await c.get(f"/t/{a.slug}/checks/")).status_code == 404
        assert (await c.get(f"/t/{a.slug}/checks/report.xlsx")).status_code == 404
        own = await c.get(f"/t/{b.slug}/checks/report.xlsx")
        book = openpyxl.load_workbook(io.BytesIO(own.content))
        names = {row[0].value for row in book["汇总"].iter_rows()}
        assert f"{a.slug}县市场监督管理局" not in names
