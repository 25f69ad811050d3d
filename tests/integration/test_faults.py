"""Faults: a worker killed in the middle of a job, Redis gone, the database going
away and coming back.

- A job is run in its own process (``qingdan worker`` with Redis, i.e.
  QINGDAN_TEST_BROKER=redis; otherwise a process running a dramatiq worker on
  its in-process broker) and killed with SIGKILL at a known point inside its
  transaction (``qingdan.core.ops.pause``: the test-only QINGDAN_TEST_PAUSE_AT
  makes the job sleep there). The database then holds none of its work, and
  the same job run again completes it.
- A web process whose Redis is unreachable keeps serving pages, keeps the jobs
  its actions ask for (``pending_job``) and says that background work is late.
- While the database is unavailable requests fail with a 503 page in Chinese,
  and the same process serves again once the database is back. On PostgreSQL
  the test's own database refuses connections and its sessions are terminated
  (the server itself is shared and keeps running); on SQLite the database file
  is moved away and back.

After each, the audit chain of the tenant verifies.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import dramatiq
import httpx
import pytest
from web_processes import browsers, csrf_of, web_processes

from qingdan.core.audit.services import verify_chain
from qingdan.core.audit.tables import AuditEntry
from qingdan.core.catalog.services import get_item
from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item
from qingdan.core.config import get_settings
from qingdan.core.db import is_sqlite, sqlite_path
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.imports.jobs import keep_upload
from qingdan.core.imports.releases import file_hash, find_batch
from qingdan.core.imports.sample import sample_release
from qingdan.core.imports.tables import ClaimTask, ImportBatch, ReleaseChange
from qingdan.core.jobs import runs
from qingdan.core.jobs.tables import JobRun
from qingdan.core.ops.pause import PAUSE_AT, PAUSE_SIGNAL, POINTS
from qingdan.core.ops.tables import PendingJob
from qingdan.core.publishing import publications as pubs
from qingdan.core.publishing.tables import Publication, PublicationChange
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM
from qingdan.core.workflow import services as wf

pytestmark = pytest.mark.db

BROKER = os.environ.get("QINGDAN_TEST_BROKER", "stub")
JOB_TIMEOUT_S = 180

#: Nothing listens here, so a Redis client fails at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"


async def chain_ok(tenant_id: int) -> None:
    report = await verify_chain(tenant_id)
    assert report.ok, f"audit chain broken at {report.first_bad_seq}: {report.reason}"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qingdan.cli", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=JOB_TIMEOUT_S,
    )


# Running a job in another process ---------------------------------------------------------------

#: A worker on the in-process broker that runs the one message given on stdin.
RUN_ONE = """
import sys
from dramatiq import Message
from qingdan.core.config import get_settings
from qingdan.core.jobs.broker import broker
from qingdan.core.jobs.worker import start_inprocess_worker
worker = start_inprocess_worker(get_settings(), threads=1)
broker.enqueue(Message.decode(sys.stdin.buffer.read()))
broker.join("default", fail_fast=True)
worker.stop()
"""


def _broker() -> dramatiq.Broker:
    from qingdan.core.jobs import actors  # noqa: F401 (registers the actors)
    from qingdan.core.jobs.broker import broker

    return broker


def send(actor_name: str, *args) -> dramatiq.Message:
    """Send the job as the app would. On the in-process broker the message is taken
    back out of this process's queue: the worker process gets it instead."""
    broker = _broker()
    message = broker.get_actor(actor_name).send(*args)
    if BROKER != "redis":
        broker.queues[message.queue_name].get_nowait()
    return message


def run_in_worker(message: dramatiq.Message, **env: str) -> subprocess.Popen:
    """A worker process running ``message``: ``qingdan worker`` on Redis (the message
    is already in Redis), else a process with its own in-process broker."""
    env = os.environ | env
    if BROKER == "redis":
        return subprocess.Popen(
            [sys.executable, "-m", "qingdan.cli", "worker", "--threads", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
    proc = subprocess.Popen([sys.executable, "-c", RUN_ONE], env=env, stdin=subprocess.PIPE)
    proc.stdin.write(message.encode())
    proc.stdin.close()
    return proc


async def until(done: Callable[[], Awaitable[bool]], proc: subprocess.Popen, what: str) -> None:
    for _ in range(JOB_TIMEOUT_S * 10):
        if await done():
            return
        if proc.poll() is not None and BROKER == "redis":
            raise AssertionError(f"the worker exited before {what}")
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def kill_at(point: str, message: dramatiq.Message, tmp_path: Path) -> None:
    """Run ``message`` in a worker process and SIGKILL it when it reaches ``point``."""
    assert point in POINTS
    flag = tmp_path / f"paused-{point}"
    proc = run_in_worker(message, **{PAUSE_AT: point, PAUSE_SIGNAL: str(flag)})
    try:

        async def paused() -> bool:
            assert proc.poll() is None or flag.exists(), "the job ended before its pause point"
            return flag.exists()

        await until(paused, proc, f"the job to reach {point}")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL


async def rerun(message: dramatiq.Message, done: Callable[[], Awaitable[bool]]) -> None:
    """Run the same job again (as a retry or an operator would) until ``done``."""
    if BROKER == "redis":
        _broker().enqueue(message)  # the killed worker's copy is stuck with it
    proc = run_in_worker(message)
    try:
        if BROKER == "redis":
            await until(done, proc, "the job to complete")
        else:
            assert await asyncio.to_thread(proc.wait, JOB_TIMEOUT_S) == 0
            assert await done()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture
def clean_queue(database):
    """No message of an earlier test runs in this test's worker; none of ours is left."""

    def flush() -> None:
        broker = _broker()
        broker.flush_all()
        if BROKER == "redis":
            # What a killed worker held (dramatiq would hand it on after a minute).
            stale = broker.client.keys("qingdan:__acks__.*")
            if stale:
                broker.client.delete(*stale)

    flush()
    yield
    flush()


async def counts(t, *tables) -> dict[str, int]:
    out = {table.__name__: await t.ctx.scope.count(table) for table in tables}
    out["AuditEntry"] = await AuditEntry.count().where(AuditEntry.tenant == t.tenant_id)
    return out


# A worker killed mid-job -----------------------------------------------------------------------

IMPORT_TABLES = (CatalogEntry, CatalogEntryVersion, ImportBatch, ReleaseChange, ClaimTask)


@pytest.mark.jobs
async def test_a_worker_killed_inside_an_import_leaves_nothing_and_a_rerun_completes_it(
    make_tenant, clean_queue, tmp_path
):
    t = await make_tenant(plugin="jinchang")
    data, filename = sample_release("json")
    key = keep_upload(data)
    run_id = await runs.create_run(
        t.ctx.scope, kind="catalog_import", title=f"导入上级基本目录: {filename}", user_id=None
    )
    message = send("import_catalog_release", t.tenant_id, run_id, key, filename, None, None, None)
    before = await counts(t, *IMPORT_TABLES)

    await kill_at("catalog_import.apply", message, tmp_path)
    # Entries, versions, the batch and its changes were written before the kill: none stayed.
    assert await counts(t, *IMPORT_TABLES) == before
    assert await find_batch(t.ctx, file_hash(data)) is None
    await chain_ok(t.tenant_id)

    async def imported() -> bool:
        run = await t.ctx.scope.get_row(JobRun, run_id)
        return run["status"] == runs.DONE

    await rerun(message, imported)
    batch = await find_batch(t.ctx, file_hash(data))
    assert batch is not None and batch["number"] == 1  # numbered as if the kill never happened
    after = await counts(t, *IMPORT_TABLES)
    made = batch["counts"] if isinstance(batch["counts"], dict) else json.loads(batch["counts"])
    new = made["new"]
    assert new > 50
    assert after["CatalogEntry"] == before["CatalogEntry"] + new
    assert after["ReleaseChange"] == new and after["ImportBatch"] == 1
    assert after["ClaimTask"] == made["claim_tasks"]
    run = await t.ctx.scope.get_row(JobRun, run_id)
    assert run["status"] == runs.DONE and run["result_url"].endswith(f"/imports/{batch['id']}")
    await chain_ok(t.tenant_id)
    verified = cli("audit", "verify", "--tenant", t.slug)
    assert verified.returncode == 0 and "完好" in verified.stdout, verified.stdout + verified.stderr


@pytest.mark.jobs
async def test_a_worker_killed_inside_a_publication_leaves_none_and_a_rerun_issues_it(
    make_tenant, clean_queue, tmp_path
):
    t = await make_tenant(plugin="jinchang")
    data, filename = sample_release("json")
    from qingdan.core.imports.releases import import_release

    await import_release(t.ctx, SYSTEM, data, filename, via="cli")
    schedule = pubs.publication_policy(t.ctx).schedule
    day = next(
        d
        for d in (wf.today() + timedelta(days=n) for n in range(40))
        if pubs.publication_due(schedule, d)
    )
    message = send("issue_publication", t.tenant_id, day.isoformat())
    before = await counts(t, Publication, PublicationChange)

    await kill_at("publication.issue", message, tmp_path)
    assert await counts(t, Publication, PublicationChange) == before
    assert await pubs.latest_number(t.ctx) == 0
    await chain_ok(t.tenant_id)

    async def issued() -> bool:
        return await pubs.latest_number(t.ctx) == 1

    await rerun(message, issued)
    (publication,) = await pubs.list_publications(t.ctx)
    assert publication.number == 1 and publication.kind == "scheduled"
    entries = await t.ctx.scope.count(CatalogEntry)
    assert publication.entries == entries and publication.added == entries
    assert await t.ctx.scope.count(PublicationChange) == entries
    await chain_ok(t.tenant_id)
    verified = cli("audit", "verify", "--tenant", t.slug)
    assert verified.returncode == 0 and "完好" in verified.stdout, verified.stdout + verified.stderr


# Redis unavailable ---------------------------------------------------------------------------------


async def last_step_request(t):
    """A claimed, filled-in item whose request waits only for its last approval."""
    clerk = await wf_principal(t, "clerk")
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = detail.draft
    from qingdan.core.catalog.validation import dump_document

    await wf.edit_draft(
        t.ctx, clerk, item.id, dump_document(doc) | SAMPLE_PLACE, detail.item["lock_version"]
    )
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    for role in ("agency_reviewer", "reform_office"):
        await wf.approve(t.ctx, await wf_principal(t, role), cr.id)
    return item, cr


async def wf_principal(t, role: str):
    from qingdan.core.tenancy.services import load_principal

    return await load_principal(t.users[role])


@pytest.mark.jobs
async def test_with_redis_down_pages_work_jobs_are_kept_and_the_delay_is_shown(make_tenant):
    t = await make_tenant()
    item, cr = await last_step_request(t)
    await PendingJob.delete(force=True)
    async with (
        web_processes(1, QINGDAN_REDIS_URL=DEAD_REDIS) as urls,
        browsers(t.slug, urls, ["data_center"]) as (browser,),
    ):
        for path in (f"/t/{t.slug}/", f"/t/{t.slug}/items/", f"/p/{t.slug}/"):
            r = await browser.get(path, follow_redirects=True)
            assert r.status_code == 200, f"{path}: {r.status_code}"
        ready = await browser.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"]["ok"] is False
        # The last approval publishes the item and asks for its guide PDFs: the
        # action succeeds, the job is kept for when Redis is back.
        page = await browser.get(f"/t/{t.slug}/changes/{cr.id}")
        r = await browser.post(
            f"/t/{t.slug}/changes/{cr.id}/approve",
            data={"_csrf_token": csrf_of(page.text), "seen_version": str(cr.version)},
            follow_redirects=True,
        )
        assert r.status_code == 200, r.text[:500]
        assert (await wf.get_request(t.ctx, cr.id)).status == "published"
        kept = await PendingJob.select().where(PendingJob.actor == "generate_guide")
        assert len(kept) == 1 and f"[{t.tenant_id}, {item.id}, {cr.version}]" in kept[0]["args"]
        # Every page now says background work is late, and keeps working.
        for path in (f"/t/{t.slug}/items/{item.id}", f"/t/{t.slug}/items/"):
            r = await browser.get(path)
            assert r.status_code == 200 and "后台任务暂时延迟" in r.text
        portal = await browser.get(f"/p/{t.slug}/items/{item.id}")
        assert portal.status_code == 200 and (await get_item(t.ctx, item.id)).published
    # Once a broker answers, the kept job goes out (here: this process's broker).
    from qingdan.core.jobs.dispatch import flush_pending

    assert await flush_pending() >= 1
    assert await PendingJob.count().where(PendingJob.actor == "generate_guide") == 0
    _broker().flush_all()
    await chain_ok(t.tenant_id)


# The database going away and coming back ------------------------------------------------------------


class Outage:
    """Make the test database unavailable to every process, then bring it back."""

    def __init__(self) -> None:
        self.settings = get_settings()
        self.moved: tuple[Path, Path] | None = None

    async def begin(self) -> None:
        if is_sqlite():
            # Move the whole directory (database, WAL and shared memory files together).
            here = sqlite_path(self.settings.database_url).parent
            away = here.with_name(here.name + "-away")
            here.rename(away)
            self.moved = (away, here)
        else:
            await self._pg(
                f'ALTER DATABASE "{self._name}" ALLOW_CONNECTIONS false',
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{self._name}' AND pid <> pg_backend_pid()",
            )

    async def end(self) -> None:
        if self.moved is not None:
            away, here = self.moved
            if here.exists():  # something made an empty one meanwhile: the real one wins
                shutil.rmtree(here)
            away.rename(here)
            self.moved = None
        elif not is_sqlite():
            await self._pg(f'ALTER DATABASE "{self._name}" ALLOW_CONNECTIONS true')

    @property
    def _name(self) -> str:
        return self.settings.database_url.rsplit("/", 1)[1]

    async def _pg(self, *statements: str) -> None:
        import asyncpg

        admin = os.environ.get(
            "QINGDAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
        conn = await asyncpg.connect(admin)
        try:
            for sql in statements:
                await conn.execute(sql)
        finally:
            await conn.close()


def failed_cleanly(r: httpx.Response) -> bool:
    return (
        r.status_code == 503
        and "数据库暂时无法连接" in r.text
        and "Traceback" not in r.text
        and "asyncpg" not in r.text
        and "sqlite" not in r.text.lower()
    )


async def test_requests_fail_cleanly_while_the_database_is_away_and_recover(make_tenant):
    t = await make_tenant()
    item, cr = await last_step_request(t)
    items = f"/t/{t.slug}/items/"
    outage = Outage()
    async with web_processes(1) as urls, browsers(t.slug, urls, ["data_center"]) as (browser,):
        assert (await browser.get(items)).status_code == 200
        page = await browser.get(f"/t/{t.slug}/changes/{cr.id}")
        form = {"_csrf_token": csrf_of(page.text), "seen_version": str(cr.version)}
        await outage.begin()
        try:
            for _ in range(2):  # the pool's old connections, then new ones refused
                for path in (items, f"/t/{t.slug}/changes/{cr.id}", f"/p/{t.slug}/"):
                    r = await browser.get(path)
                    assert failed_cleanly(r), f"{path}: {r.status_code} {r.text[:300]}"
            r = await browser.post(f"/t/{t.slug}/changes/{cr.id}/approve", data=form)
            assert failed_cleanly(r), f"approve: {r.status_code} {r.text[:300]}"
            assert (await browser.get("/healthz")).status_code == 200
            ready = await browser.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["database"]["ok"] is False
        finally:
            await outage.end()
        # Back: the same process serves again (a request may still meet a pooled
        # connection cut by the outage: that one fails cleanly too, and is replaced),
        # the session still holds, and the approval refused meanwhile can be made now.
        for _ in range(20):
            r = await browser.get(items)
            if r.status_code == 200:
                break
            assert failed_cleanly(r), f"after the outage: {r.status_code} {r.text[:300]}"
            await asyncio.sleep(0.2)
        for _ in range(5):
            assert (await browser.get(items)).status_code == 200
        assert (await browser.get("/readyz")).status_code == 200
        r = await browser.post(
            f"/t/{t.slug}/changes/{cr.id}/approve", data=form, follow_redirects=True
        )
        assert r.status_code == 200, r.text[:300]
    after = await wf.get_request(t.ctx, cr.id)
    assert after.status == "published"
    assert (await t.ctx.scope.get_row(Item, item.id))["published_version"] == cr.version
    _broker().flush_all()  # the guide job the approval sent
    await chain_ok(t.tenant_id)
