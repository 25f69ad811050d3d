"""The import pages: uploading a release (small ones at once, large ones as a job),
the row report of a refused file, claim tasks and their assignment, bulk editing
of items, and API tokens; each page for the roles that may use it only."""

from __future__ import annotations

import asyncio
import io
import json
import re
from contextlib import asynccontextmanager
from html import unescape

import pytest
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from qingdan.core.catalog.tables import CatalogEntry
from qingdan.core.imports.tables import ApiToken, ClaimTask, ImportBatch
from qingdan.core.jobs import runs
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import PASSWORD
from qingdan.core.testing.jobs import start_worker, stop_worker
from qingdan.core.workflow import services as wf
from qingdan.web.controllers import imports as import_pages
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@asynccontextmanager
async def signed_in(slug: str, username: str):
    async with AsyncTestClient(app=shared_app()) as c:
        page = await c.get(f"/t/{slug}/login")
        r = await c.post(
            f"/t/{slug}/login",
            data={
                "username": username,
                "password": PASSWORD,
                "_csrf_token": CSRF_FIELD.search(page.text).group(1),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        yield c


async def post_file(c, page_url: str, url: str, name: str, data: bytes, **fields):
    page = await c.get(page_url)
    assert page.status_code == 200, page.text
    token = CSRF_FIELD.search(page.text).group(1)
    return await c.post(
        url,
        data={**fields, "_csrf_token": token},
        files={"file": (name, data, XLSX if name.endswith(".xlsx") else "application/json")},
        follow_redirects=False,
    )


async def post_form(c, page_url: str, url: str, data: dict):
    page = await c.get(page_url)
    token = CSRF_FIELD.search(page.text).group(1)
    return await c.post(url, data={**data, "_csrf_token": token}, follow_redirects=False)


def release(entries: list[dict]) -> bytes:
    body = {"format": "qingdan.catalog-release", "source": "provincial", "entries": entries}
    return json.dumps(body, ensure_ascii=False).encode()


GOOD = [
    {
        "base_code": "000701001",
        "name": "网页导入的事项",
        "item_type": "licensing",
        "levels": ["municipal"],
        "department": "市场监督管理局",
    },
    {
        "base_code": "000701002",
        "name": "无人认领的事项",
        "item_type": "filing",
        "levels": ["municipal"],
        "department": "不存在的局",
    },
]


async def test_a_release_uploaded_on_the_page_becomes_a_batch_and_again_changes_nothing(
    make_tenant,
):
    t = await make_tenant()
    base = f"/t/{t.slug}/imports"
    data = release(GOOD)
    async with signed_in(t.slug, "data_center") as c:
        page = await c.get(f"{base}/")
        assert 'enctype="multipart/form-data"' in page.text and "下载样例文件" in page.text
        r = await post_file(c, f"{base}/", f"{base}/", "第一批.json", data)
        assert r.status_code == 303, r.text
        batch_page = await c.get(r.headers["location"])
        assert "上级基本目录第1批" in batch_page.text
        assert "新增2项" in batch_page.text and "网页导入的事项" in batch_page.text
        again = await post_file(c, f"{base}/", f"{base}/", "第一批.json", data)
        assert again.status_code == 200 and "未作任何更改" in unescape(again.text)
        sample = await c.get(f"{base}/sample/xlsx")
        assert sample.status_code == 200 and sample.content[:2] == b"PK"
        assert "filename*=UTF-8''" in sample.headers["content-disposition"]
    assert await t.ctx.scope.count(ImportBatch) == 1


async def test_a_refused_file_shows_every_error_in_a_table_and_changes_nothing(make_tenant):
    t = await make_tenant()
    base = f"/t/{t.slug}/imports"
    bad = release(
        [
            {
                "base_code": "000702001",
                "name": "",
                "item_type": "licensing",
                "levels": ["municipal"],
            },
            {
                "base_code": "000702002",
                "name": "乙",
                "item_type": "行政审批",
                "levels": ["municipal"],
            },
        ]
    )
    before = await t.ctx.scope.count(CatalogEntry)
    async with signed_in(t.slug, "tenant_admin") as c:
        r = await post_file(c, f"{base}/", f"{base}/", "bad.json", bad)
    assert r.status_code == 422
    text = unescape(r.text)
    assert "文件未导入" in text and 'id="import-errors"' in text
    assert "<td>第1条</td><td>name</td><td>必须填写(文本)</td>" in text
    assert "<td>第2条</td><td>item_type</td>" in text and "“行政审批”无法识别" in text
    assert await t.ctx.scope.count(CatalogEntry) == before


async def test_import_pages_are_for_their_roles_only(make_tenant):
    t = await make_tenant()
    other = await make_tenant()
    async with signed_in(t.slug, "clerk") as c:
        assert (await c.get(f"/t/{t.slug}/imports/")).status_code == 403
        assert (await c.get(f"/t/{t.slug}/imports/tokens")).status_code == 403
        assert (await c.get(f"/t/{t.slug}/imports/items")).status_code == 200
        assert (await c.get(f"/t/{other.slug}/imports/items")).status_code == 404
    async with signed_in(t.slug, "reform_office") as c:
        assert (await c.get(f"/t/{t.slug}/imports/")).status_code == 200
        r = await post_file(
            c, f"/t/{t.slug}/imports/", f"/t/{t.slug}/imports/", "x.json", release(GOOD)
        )
        assert r.status_code == 403  # 审改机构 reads the batches; 大数据中心 imports
    async with signed_in(t.slug, "data_center") as c:
        assert (await c.get(f"/t/{t.slug}/imports/tokens")).status_code == 403


async def test_clerks_see_their_tasks_and_the_reform_office_assigns_the_rest(make_tenant):
    from qingdan.core.imports.releases import import_release
    from qingdan.core.testing import SYSTEM

    t = await make_tenant()
    await import_release(t.ctx, SYSTEM, release(GOOD), "x.json")
    async with signed_in(t.slug, "clerk") as c:
        page = unescape((await c.get(f"/t/{t.slug}/imports/tasks")).text)
        assert "网页导入的事项" in page and "无人认领的事项" not in page
        assert "去认领" in page
    unassigned = (await t.ctx.scope.select(ClaimTask).where(ClaimTask.agency.is_null()))[0]
    async with signed_in(t.slug, "reform_office") as c:
        url = f"/t/{t.slug}/imports/tasks?assign=1"
        page = unescape((await c.get(url)).text)
        assert "无人认领的事项" in page and "网页导入的事项" not in page
        r = await post_form(
            c,
            url,
            f"/t/{t.slug}/imports/tasks/{unassigned['id']}/assign",
            {"agency_id": str(t.agency_ids[1]), "remember": "1"},
        )
        assert r.status_code == 303
        assert "已分派" in unescape((await c.get(r.headers["location"])).text)
    task = await t.ctx.scope.get(ClaimTask, unassigned["id"])
    assert task.agency == t.agency_ids[1]
    # The department is remembered: its next new entry goes to the same agency.
    await import_release(
        t.ctx,
        SYSTEM,
        release(
            [
                {
                    "base_code": "000701003",
                    "name": "同一部门的新事项",
                    "item_type": "filing",
                    "levels": ["municipal"],
                    "department": "不存在的局",
                }
            ]
        ),
        "y.json",
    )
    later = await t.ctx.scope.select(ClaimTask).where(
        ClaimTask.catalog_entry.base_code == "000701003"
    )
    assert [r["agency"] for r in later] == [t.agency_ids[1]]
    # Claiming closes the task.
    clerk = await tenancy.load_principal(t.users["clerk"])
    entry = await t.ctx.scope.get(CatalogEntry, task.catalog_entry)
    assert entry.base_code == "000701002"
    first = (await t.ctx.scope.select(ClaimTask).where(ClaimTask.agency == t.agency_ids[0]))[0]
    await wf.claim(t.ctx, clerk, first["catalog_entry"], t.agency_ids[0])
    async with signed_in(t.slug, "clerk") as c:
        page = unescape((await c.get(f"/t/{t.slug}/imports/tasks?status=done")).text)
        assert "网页导入的事项" in page and "已认领" in page


async def test_bulk_editing_items_through_the_pages(make_tenant):
    t = await make_tenant()
    clerk = await tenancy.load_principal(t.users["clerk"])
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    base = f"/t/{t.slug}/imports/items"
    async with signed_in(t.slug, "clerk") as c:
        page = await c.get(base)
        assert f"{base}/download?agency_id={t.agency_ids[0]}" in page.text
        download = await c.get(f"{base}/download?agency_id={t.agency_ids[0]}")
        assert download.status_code == 200
        forbidden = await c.get(f"{base}/download?agency_id={t.agency_ids[1]}")
        assert forbidden.status_code == 403
        book = load_workbook(io.BytesIO(download.content))
        sheet = book["事项"]
        heads = {cell.value: cell.column for cell in sheet[1]}
        sheet.cell(2, heads["办件类型"]).value = "不知道"
        out = io.BytesIO()
        book.save(out)
        bad = await post_file(c, base, base, "bad.xlsx", out.getvalue())
        assert bad.status_code == 422
        assert "<td>第2行</td><td>办件类型</td>" in unescape(bad.text)
        sheet.cell(2, heads["办件类型"]).value = "即办件"
        sheet.cell(2, heads["承诺办结时限"]).value = 1
        out = io.BytesIO()
        book.save(out)
        good = await post_file(c, base, base, "good.xlsx", out.getvalue())
        assert good.status_code == 200 and "1个事项保存为新的草稿版本" in unescape(good.text)
    from qingdan.core.catalog.services import get_item

    assert (await get_item(t.ctx, item.id)).draft.case_type == "instant"


async def test_a_token_is_shown_once_kept_hashed_and_revoked_by_the_tenant_admin(make_tenant):
    t = await make_tenant()
    base = f"/t/{t.slug}/imports/tokens"
    async with signed_in(t.slug, "tenant_admin") as c:
        r = await post_form(c, base, base, {"name": "省一体化平台", "role": "data_center"})
        assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
        token = re.search(r'<code id="new-token">([^<]+)</code>', r.text).group(1)
        listing = await c.get(base)
        assert token not in listing.text and token[:12] in listing.text
        token_id = re.search(rf'action="{base}/(\d+)/revoke"', listing.text).group(1)
        ok = await c.get(
            f"/api/v1/integration/{t.slug}/catalog", headers={"Authorization": f"Bearer {token}"}
        )
        assert ok.status_code == 200
        r = await post_form(c, base, f"{base}/{token_id}/revoke", {})
        assert r.status_code == 303
        refused = await c.get(
            f"/api/v1/integration/{t.slug}/catalog", headers={"Authorization": f"Bearer {token}"}
        )
        assert refused.status_code == 401
        bad = await post_form(c, base, base, {"name": "个人", "role": "clerk"})
        assert bad.status_code == 400 and "令牌的角色应为" in unescape(bad.text)
    # Only the token's hash is kept (data checked after the app, which owns the pool).
    (row,) = await t.ctx.scope.select(ApiToken)
    assert token not in json.dumps(row, default=str) and row["revoked_at"] is not None


@pytest.mark.jobs
async def test_a_large_file_is_imported_as_a_job_with_progress(make_tenant, broker, monkeypatch):
    monkeypatch.setattr(import_pages, "JOB_BYTES", 10)
    t = await make_tenant()
    base = f"/t/{t.slug}/imports"
    async with signed_in(t.slug, "data_center") as c:
        r = await post_file(c, f"{base}/", f"{base}/", "大文件.json", release(GOOD))
        assert r.status_code == 303 and "/jobs/" in r.headers["location"]
        run_url = r.headers["location"]
        bad = await post_file(
            c, f"{base}/", f"{base}/", "坏文件.json", release([{"base_code": "1", "name": "甲"}])
        )
        bad_url = bad.headers["location"]
    worker = start_worker(clean=False)
    # Wait for these two runs, not for the whole queue: another test's retrying
    # job in the same process must not decide this one.
    ids = [int(u.rsplit("/", 1)[1]) for u in (run_url, bad_url)]
    try:
        for _ in range(600):
            states = [(await runs.get_run(t.ctx.scope, i))["status"] for i in ids]
            if all(s in ("done", "failed") for s in states):
                break
            await asyncio.sleep(0.1)
    finally:
        stop_worker(worker)
    run = await runs.get_run(t.ctx.scope, int(run_url.rsplit("/", 1)[1]))
    assert run["status"] == "done" and run["done"] == run["total"] == 2
    assert "新增2项" in run["message"] and run["result_url"].startswith(f"{base}/")
    failed = await runs.get_run(t.ctx.scope, int(bad_url.rsplit("/", 1)[1]))
    assert failed["status"] == "done" and "未导入任何内容" in failed["message"]
    report, name, _media = await runs.read_result(t.ctx.scope, failed["id"])
    assert name.endswith(".xlsx")
    rows = list(load_workbook(io.BytesIO(report)).active.iter_rows(values_only=True))
    assert rows[0] == ("位置", "列", "问题") and ("第1条", "base_code") in {r[:2] for r in rows}
    async with signed_in(t.slug, "data_center") as c:
        page = unescape((await c.get(run_url)).text)
        assert "已完成" in page and "查看结果" in page


async def test_a_late_claim_task_is_on_the_clerks_home_page_and_marked_on_the_task_list(
    make_tenant,
):
    from datetime import timedelta

    from qingdan.core.imports.releases import import_release
    from qingdan.core.testing import SYSTEM

    t = await make_tenant()
    await import_release(t.ctx, SYSTEM, release(GOOD), "x.json")
    # The deadline passes.
    await t.ctx.scope.update(ClaimTask, {ClaimTask.due_date: wf.today() - timedelta(days=1)}).where(
        ClaimTask.agency == t.agency_ids[0]
    )
    async with signed_in(t.slug, "clerk") as c:
        home = unescape((await c.get(f"/t/{t.slug}/")).text)
        section = home[home.index('id="claims"') : home.index('id="returned"')]
        assert "第1批 1个新事项待认领" in section and "已逾期" in section
        assert f'href="/t/{t.slug}/imports/tasks"' in section
        page = unescape((await c.get(f"/t/{t.slug}/imports/tasks")).text)
        row = page[page.index("网页导入的事项") :].split("</tr>")[0]
        assert "已逾期" in row
    async with signed_in(t.slug, "reform_office") as c:
        home = unescape((await c.get(f"/t/{t.slug}/")).text)
        section = home[home.index('id="claims"') : home.index('id="returned"')]
        assert "未找到实施机构,待分派" in section and "已逾期" not in section
