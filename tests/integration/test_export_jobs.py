"""Exports from the UI: the export page and the item list's "导出当前筛选" link start a
job, whose run reaches done with progress figures and a downloadable file.

The jobs run on the configured broker (stub or Redis). The web app binds the
database in its own event loop, so the worker runs only once the client is
closed, and data is checked between clients.
"""

from __future__ import annotations

import io
import re
from contextlib import asynccontextmanager
from html import unescape
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.services import create_item, publish_draft
from qingdan.core.exports import ExportSpec, start_export
from qingdan.core.jobs import runs
from qingdan.core.testing import PASSWORD, SYSTEM
from qingdan.core.testing.jobs import settle, start_worker, stop_worker
from qingdan.web.testing import shared_app

pytestmark = [pytest.mark.db, pytest.mark.jobs]

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def run_jobs(broker) -> None:
    """Start a worker, let it finish every queued job, stop it."""
    worker = start_worker(clean=False)
    try:
        await settle(worker)
    finally:
        stop_worker(worker)


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


async def _published(t) -> list:
    """One published item of the first (city) agency, one of the county agency."""
    items = []
    for agency_index in (0, 2):
        item = await create_item(
            t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[agency_index]
        )
        await publish_draft(t.ctx, SYSTEM, item.id)
        items.append(item)
    return items


async def test_export_job_reaches_done_with_progress_and_a_downloadable_file(make_tenant, broker):
    t = await make_tenant()
    items = await _published(t)
    run_id = await start_export(t.ctx, t.users["clerk"], ExportSpec(list="items", format="xlsx"))
    queued = await runs.get_run(t.ctx.scope, run_id)
    assert queued["status"] == "queued" and queued["kind"] == "export"
    assert queued["title"] == "导出实施清单(Excel 表格)"

    await run_jobs(broker)
    run = await runs.get_run(t.ctx.scope, run_id)
    assert run["status"] == "done", run["message"]
    assert (run["done"], run["total"], run["percent"]) == (2, 2, 100)
    assert run["message"] == "共导出 2 项(仅含已发布的版本)"
    assert run["result_name"].startswith(f"{t.ctx.name}实施清单_")
    assert run["result_name"].endswith(".xlsx")

    url = f"/t/{t.slug}/jobs/{run_id}"
    async with signed_in(t.slug, "clerk") as c:
        page = await c.get(url)
        assert '<progress aria-label="任务进度" value="2" max="2">' in page.text
        assert "已完成" in page.text and f'href="{url}/download"' in page.text
        download = await c.get(f"{url}/download")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(download.content), read_only=True)["实施清单"]
    codes = {row[3] for row in list(sheet.values)[1:]}
    assert codes == {item.impl_code for item in items}


async def test_export_page_starts_the_job_and_sends_the_user_to_its_run(make_tenant, broker):
    t = await make_tenant()
    await _published(t)
    async with signed_in(t.slug, "clerk") as c:
        page = await c.get(f"/t/{t.slug}/exports")
        assert page.status_code == 200
        assert "实施清单" in page.text and "目录清单" in page.text
        assert "按当前条件 2 项" in page.text
        started = await c.post(
            f"/t/{t.slug}/exports",
            data={
                "list": "items",
                "format": "csv",
                "agency_id": str(t.agency_ids[2]),
                "_csrf_token": CSRF_FIELD.search(page.text).group(1),
            },
            follow_redirects=False,
        )
        assert started.status_code == 303
        run_url = started.headers["location"]
        assert re.fullmatch(rf"/t/{t.slug}/jobs/\d+", run_url)
        waiting = await c.get(run_url)
        assert 'hx-trigger="every 1s"' in waiting.text and "排队中" in waiting.text

    await run_jobs(broker)
    async with signed_in(t.slug, "clerk") as c:
        download = await c.get(run_url + "/download")
        recent = await c.get(f"/t/{t.slug}/exports")
    assert download.status_code == 200 and download.content.startswith(b"\xef\xbb\xbf")
    lines = download.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2, "only the county agency's item"
    assert run_url in recent.text, "the user's recent exports list it"


async def test_export_page_refuses_bad_input_in_chinese(make_tenant, broker):
    a, b = await make_tenant(), await make_tenant()
    async with signed_in(a.slug, "clerk") as c:
        page = await c.get(f"/t/{a.slug}/exports")
        token = CSRF_FIELD.search(page.text).group(1)
        wrong = await c.post(
            f"/t/{a.slug}/exports",
            data={"list": "items", "format": "cpsv-ap", "_csrf_token": token},
            follow_redirects=False,
        )
        assert wrong.status_code == 400 and "只能导出目录清单" in unescape(wrong.text)
        other = await c.post(
            f"/t/{a.slug}/exports",
            data={"agency_id": str(b.agency_ids[0]), "_csrf_token": token},
            follow_redirects=False,
        )
        assert other.status_code == 404
        no_csrf = await c.post(f"/t/{a.slug}/exports", data={"list": "items"})
        assert no_csrf.status_code == 403
    assert await runs.list_runs(a.ctx.scope) == [], "nothing was started"


async def test_item_list_link_exports_exactly_the_current_filter(make_tenant, broker):
    t = await make_tenant()
    items = await _published(t)
    async with signed_in(t.slug, "clerk") as c:
        # The htmx results block carries the link too, so it follows each filter change.
        listing = await c.get(
            f"/t/{t.slug}/items?agency_id={t.agency_ids[2]}&sort=impl_code&desc=1",
            headers={"HX-Request": "true", "HX-Target": "results"},
        )
        link = unescape(re.search(r'class="export-link" href="([^"]+)"', listing.text).group(1))
        parts = urlsplit(link)
        assert parts.path == f"/t/{t.slug}/exports"
        assert parse_qs(parts.query) == {
            "agency_id": [str(t.agency_ids[2])],
            "sort": ["impl_code"],
            "desc": ["1"],
        }
        page = await c.get(link)
        assert "按当前条件 1 项" in page.text
        assert '<input type="hidden" name="desc" value="1">' in page.text
        started = await c.post(
            f"/t/{t.slug}/exports",
            data={
                "list": "items",
                "format": "json",
                "agency_id": str(t.agency_ids[2]),
                "sort": "impl_code",
                "desc": "1",
                "_csrf_token": CSRF_FIELD.search(page.text).group(1),
            },
            follow_redirects=False,
        )
        run_url = started.headers["location"]
    await run_jobs(broker)
    async with signed_in(t.slug, "clerk") as c:
        data = (await c.get(run_url + "/download")).json()
    assert [r["impl_code"] for r in data["rows"]] == [items[1].impl_code]
    assert data["filters"] == {"实施机构": f"{t.slug}县市场监督管理局", "排序": "实施编码(降序)"}


async def test_another_tenant_cannot_see_or_download_an_export(make_tenant, broker):
    a, b = await make_tenant(), await make_tenant()
    await _published(a)
    run_id = await start_export(a.ctx, a.users["clerk"], ExportSpec(format="json"))
    await run_jobs(broker)
    assert (await runs.get_run(a.ctx.scope, run_id))["status"] == "done"
    async with signed_in(b.slug, "tenant_admin") as c:
        for path in ("", "/download"):
            assert (await c.get(f"/t/{b.slug}/jobs/{run_id}{path}")).status_code == 404
            assert (await c.get(f"/t/{a.slug}/jobs/{run_id}{path}")).status_code == 404
    # Within the tenant: another clerk's export is not theirs, an administrator may fetch it.
    async with signed_in(a.slug, "agency_reviewer") as c:
        assert (await c.get(f"/t/{a.slug}/jobs/{run_id}/download")).status_code == 403
    async with signed_in(a.slug, "data_center") as c:
        assert (await c.get(f"/t/{a.slug}/jobs/{run_id}/download")).status_code == 200
