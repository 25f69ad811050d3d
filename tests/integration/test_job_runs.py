"""Job runs: progress a job reports, its run page (polled by htmx), and its result
download, for the run's tenant and the people allowed only."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.errors import NotFound
from qingdan.core.jobs import runs
from qingdan.core.testing import PASSWORD
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@asynccontextmanager
async def signed_in(slug: str, username: str):
    async with AsyncTestClient(app=shared_app()) as c:
        page = await c.get(f"/t/{slug}/login")
        token = CSRF_FIELD.search(page.text).group(1)
        r = await c.post(
            f"/t/{slug}/login",
            data={"username": username, "password": PASSWORD, "_csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        yield c


async def test_a_run_reports_progress_then_its_result(make_tenant):
    t = await make_tenant()
    scope = t.ctx.scope
    run_id = await runs.create_run(
        scope, kind="export", title="导出实施清单", user_id=t.users["clerk"]
    )
    run = await runs.get_run(scope, run_id)
    assert (run["status"], run["done"], run["total"], run["active"]) == ("queued", 0, 0, True)

    await runs.start(scope, run_id, total=200)
    await runs.progress(scope, run_id, 50, message="已写入50行")
    run = await runs.get_run(scope, run_id)
    assert (run["status"], run["done"], run["total"], run["percent"]) == ("running", 50, 200, 25)
    assert run["message"] == "已写入50行" and run["started_at"] is not None

    await runs.finish(scope, run_id, result_bytes="事项,编码\n".encode(), result_name="清单.csv")
    run = await runs.get_run(scope, run_id)
    assert (run["status"], run["done"], run["active"]) == ("done", 200, False)
    assert run["finished_at"] is not None and run["result_name"] == "清单.csv"
    data, name, media_type = await runs.read_result(scope, run_id)
    assert (
        data.decode() == "事项,编码\n" and name == "清单.csv" and media_type.startswith("text/csv")
    )

    # A late progress report (e.g. from a retried attempt) does not reopen the run.
    await runs.progress(scope, run_id, 3)
    assert (await runs.get_run(scope, run_id))["status"] == "done"


async def test_a_failing_job_leaves_its_message_and_no_result(make_tenant):
    from qingdan.core.errors import DomainError

    t = await make_tenant()
    scope = t.ctx.scope
    run_id = await runs.create_run(scope, kind="export", title="导出", user_id=None)
    with pytest.raises(DomainError):
        async with runs.failing_on_error(scope, run_id):
            await runs.start(scope, run_id, total=10)
            raise DomainError("第3行:实施主体不存在", "agency")
    run = await runs.get_run(scope, run_id)
    assert run["status"] == "failed" and run["message"] == "第3行:实施主体不存在"
    with pytest.raises(NotFound):
        await runs.read_result(scope, run_id)

    other = await runs.create_run(scope, kind="export", title="导出", user_id=None)
    with pytest.raises(ZeroDivisionError):
        async with runs.failing_on_error(scope, other):
            _ = 1 / 0
    run = await runs.get_run(scope, other)
    assert run["status"] == "failed" and "重试" in run["message"]
    assert "ZeroDivision" not in run["message"]


async def test_another_tenants_run_is_not_found_and_not_changed(make_tenant):
    a, b = await make_tenant(), await make_tenant()
    run_id = await runs.create_run(a.ctx.scope, kind="export", title="导出", user_id=None)
    with pytest.raises(NotFound):
        await runs.get_run(b.ctx.scope, run_id)
    with pytest.raises(NotFound):
        await runs.read_result(b.ctx.scope, run_id)
    await runs.progress(b.ctx.scope, run_id, 7, total=9)
    await runs.fail(b.ctx.scope, run_id, "不应生效")
    run = await runs.get_run(a.ctx.scope, run_id)
    assert (run["status"], run["done"], run["total"]) == ("queued", 0, 0)


async def test_run_page_polls_while_running_and_offers_the_download_when_done(make_tenant):
    # The app binds the database in its own loop: change data only between clients.
    t = await make_tenant()
    scope = t.ctx.scope
    run_id = await runs.create_run(
        scope, kind="export", title="导出实施清单", user_id=t.users["clerk"]
    )
    await runs.start(scope, run_id, total=40)
    await runs.progress(scope, run_id, 10)
    url = f"/t/{t.slug}/jobs/{run_id}"
    poll = {"HX-Request": "true", "HX-Target": "job-run"}
    async with signed_in(t.slug, "clerk") as c:
        page = await c.get(url)
        assert page.status_code == 200
        assert '<progress aria-label="任务进度" value="10" max="40">' in page.text
        assert 'hx-trigger="every 1s"' in page.text and 'http-equiv="refresh"' in page.text
        assert "/download" not in page.text

        # The htmx poll gets the run block alone, from the same template.
        partial = await c.get(url, headers=poll)
        assert partial.status_code == 200
        assert partial.text.lstrip().startswith('<section id="job-run"')
        assert "<html" not in partial.text and 'value="10"' in partial.text

    await runs.progress(scope, run_id, 30)
    async with signed_in(t.slug, "clerk") as c:
        partial = await c.get(url, headers=poll)
        assert 'value="30" max="40"' in partial.text and 'hx-trigger="every 1s"' in partial.text

    await runs.finish(scope, run_id, result_bytes=b'{"items": []}', result_name="清单.json")
    async with signed_in(t.slug, "clerk") as c:
        partial = await c.get(url, headers=poll)
        assert "hx-trigger" not in partial.text, "a finished run stops polling"
        assert f'href="{url}/download"' in partial.text and "清单.json" in partial.text
        page = await c.get(url)
        assert 'http-equiv="refresh"' not in page.text

        download = await c.get(f"{url}/download")
        assert download.status_code == 200 and download.content == b'{"items": []}'
        assert download.headers["content-type"].startswith("application/json")
        assert "%E6%B8%85%E5%8D%95.json" in download.headers["content-disposition"]


async def test_only_the_creator_and_admins_get_the_result(make_tenant):
    t = await make_tenant()
    scope = t.ctx.scope
    run_id = await runs.create_run(scope, kind="export", title="导出", user_id=t.users["clerk"])
    await runs.finish(scope, run_id, result_bytes=b"x", result_name="a.csv")
    url = f"/t/{t.slug}/jobs/{run_id}"
    for username in ("tenant_admin", "data_center"):
        async with signed_in(t.slug, username) as c:
            assert (await c.get(f"{url}/download")).status_code == 200
    async with signed_in(t.slug, "agency_reviewer") as c:
        assert (await c.get(url)).status_code == 403
        assert (await c.get(f"{url}/download")).status_code == 403


async def test_another_tenants_run_page_and_download_are_404(make_tenant):
    a, b = await make_tenant(), await make_tenant()
    run_id = await runs.create_run(a.ctx.scope, kind="export", title="导出", user_id=None)
    await runs.finish(a.ctx.scope, run_id, result_bytes=b"secret", result_name="a.csv")
    async with signed_in(b.slug, "tenant_admin") as c:
        for path in ("", "/download"):
            r = await c.get(f"/t/{b.slug}/jobs/{run_id}{path}")
            assert r.status_code == 404 and "secret" not in r.text
            # Nor through the other tenant's URL.
            r = await c.get(f"/t/{a.slug}/jobs/{run_id}{path}")
            assert r.status_code == 404 and "secret" not in r.text


async def test_a_run_that_stops_moving_says_its_worker_may_be_gone(make_tenant):
    """A worker killed mid-run leaves the run "running" until the broker hands the
    job to another worker: the page must not show a progress bar that lies."""
    from datetime import UTC, datetime, timedelta

    from qingdan.core.jobs.tables import JobRun

    t = await make_tenant()
    scope = t.ctx.scope
    run_id = await runs.create_run(scope, kind="export", title="导出实施清单", user_id=None)
    await runs.start(scope, run_id, total=40)
    await runs.progress(scope, run_id, 10)
    url = f"/t/{t.slug}/jobs/{run_id}"
    assert not (await runs.get_run(scope, run_id))["stalled"]
    async with signed_in(t.slug, "clerk") as c:
        assert "没有进展" not in (await c.get(url)).text

    # Eleven minutes without progress.
    long_ago = datetime.now(UTC) - timedelta(minutes=11)
    await scope.update(JobRun, {JobRun.updated_at: long_ago}).where(JobRun.id == run_id)
    assert (await runs.get_run(scope, run_id))["stalled"]
    async with signed_in(t.slug, "clerk") as c:
        page = await c.get(url)
        assert "已超过10分钟没有进展" in page.text and "进程恢复后会自动重新执行" in page.text
        assert 'hx-trigger="every 1s"' in page.text  # still watched: it may come back

    # Progress again (the job redelivered to a new worker): no longer stalled.
    await runs.progress(scope, run_id, 20)
    assert not (await runs.get_run(scope, run_id))["stalled"]
    # A finished run is never stalled, however old.
    await runs.finish(scope, run_id)
    await scope.update(JobRun, {JobRun.updated_at: long_ago}).where(JobRun.id == run_id)
    assert not (await runs.get_run(scope, run_id))["stalled"]
