"""Job runs: what a background job a user started is doing, and what it made.

A feature starts a job by creating a run (``create_run``), sending its own
actor with the run id and sending the user to the run page
(``/t/{slug}/jobs/{run_id}``). The actor reports through ``start``,
``progress`` (cheap: one UPDATE, call it every N rows) and ``finish`` or
``fail``; the page polls the run and, once done, offers the result file.

Runs are tenant-owned and reached only through the tenant's scope, so another
tenant's run is simply not found. The result is kept in the file store
(core/files.py) under its SHA-256, like the guide PDFs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from qingdan.core import files
from qingdan.core.errors import DomainError, NotFound
from qingdan.core.jobs.tables import JobRun
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.tenancy.scope import TenantScope

logger = logging.getLogger("qingdan.jobs")

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUS_LABELS = {QUEUED: "排队中", RUNNING: "进行中", DONE: "已完成", FAILED: "失败"}
#: Statuses a run can still leave (the page keeps polling while in one of them).
ACTIVE = frozenset({QUEUED, RUNNING})
#: Besides the run's creator, who may download any run's result in the tenant.
RESULT_ROLES = (Role.tenant_admin, Role.data_center)

#: Content types of result files, by extension; anything else downloads as bytes.
CONTENT_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".txt": "text/plain; charset=utf-8",
}

#: A queued or running run that has not moved for this long is shown as stalled.
STALL_AFTER = timedelta(minutes=10)
STALL_NOTE = (
    f"该任务已超过{STALL_AFTER.seconds // 60}分钟没有进展:后台任务进程可能已中断或正忙。"
    "任务不会丢失,进程恢复后会自动重新执行;如长时间仍无变化,请联系系统管理员检查后台任务进程。"
)
MESSAGE_LENGTH = 2000
WHAT = "任务"


def _now() -> datetime:
    return datetime.now(UTC)


async def create_run(
    scope: TenantScope, *, kind: str, title: str, user_id: int | None, total: int = 0
) -> int:
    """A queued run; its id goes to the actor and into the run page's URL."""
    row = await scope.insert(
        JobRun,
        kind=kind[:40],
        title=title[:200],
        status=QUEUED,
        done=0,
        total=max(int(total), 0),
        created_by=user_id,
    )
    return row.id


async def start(scope: TenantScope, run_id: int, total: int | None = None) -> None:
    """The actor has picked the run up (a retry starts it again from nothing done)."""
    now = _now()
    values: dict[Any, Any] = {
        JobRun.status: RUNNING,
        JobRun.started_at: now,
        JobRun.updated_at: now,
        JobRun.done: 0,
        JobRun.message: "",
    }
    if total is not None:
        values[JobRun.total] = max(int(total), 0)
    await scope.update(JobRun, values).where(JobRun.id == run_id)


async def progress(
    scope: TenantScope,
    run_id: int,
    done: int,
    total: int | None = None,
    message: str = "",
) -> None:
    """``done`` of ``total`` so far. One UPDATE; a finished run is left as it is."""
    values: dict[Any, Any] = {
        JobRun.status: RUNNING,
        JobRun.done: max(int(done), 0),
        JobRun.updated_at: _now(),
    }
    if total is not None:
        values[JobRun.total] = max(int(total), 0)
    if message:
        values[JobRun.message] = message[:MESSAGE_LENGTH]
    # A late progress call (e.g. from a retried attempt) must not reopen a finished run.
    await scope.update(JobRun, values).where(
        (JobRun.id == run_id) & JobRun.status.is_in(list(ACTIVE))
    )


def _store_result(data: bytes) -> str:
    """Keep ``data`` in the file store under its hash; returns its key.

    ``files.store`` is for user uploads (it refuses CSV and JSON); a result
    is made here, so it is written the same way without the upload checks.
    """
    digest = hashlib.sha256(data).hexdigest()
    key = f"{digest[:2]}/{digest}"
    path = files.files_dir() / key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: a download never sees half a file
    return key


async def finish(
    scope: TenantScope,
    run_id: int,
    *,
    result_bytes: bytes | None = None,
    result_name: str = "",
    result_url: str = "",
    message: str = "",
) -> None:
    """Done: the result (a file to download, and/or a link to a result page)."""
    run = await scope.get_row(JobRun, run_id, WHAT)
    values: dict[Any, Any] = {
        JobRun.status: DONE,
        JobRun.finished_at: _now(),
        JobRun.message: message[:MESSAGE_LENGTH],
        JobRun.result_url: result_url[:500],
    }
    if run["total"]:
        values[JobRun.done] = run["total"]
    if result_bytes is not None:
        name = PurePosixPath((result_name or "结果").replace("\\", "/")).name[:200] or "结果"
        values[JobRun.result_key] = _store_result(result_bytes)
        values[JobRun.result_name] = name
    await scope.update(JobRun, values).where(JobRun.id == run_id)


async def fail(scope: TenantScope, run_id: int, message: str) -> None:
    """Failed, with what went wrong in Chinese for the user."""
    await scope.update(
        JobRun,
        {
            JobRun.status: FAILED,
            JobRun.finished_at: _now(),
            JobRun.message: (message or "任务失败")[:MESSAGE_LENGTH],
        },
    ).where(JobRun.id == run_id)


@asynccontextmanager
async def failing_on_error(scope: TenantScope, run_id: int) -> AsyncIterator[None]:
    """Mark the run failed if the block raises, then let the error go on.

    A ``DomainError`` already speaks to the user; anything else is logged and
    the user reads a general message (no internals on the page).
    """
    try:
        yield
    except DomainError as exc:
        await fail(scope, run_id, exc.message)
        raise
    except Exception:
        logger.exception("后台任务出错", extra={"run_id": run_id})
        await fail(scope, run_id, "任务执行出错,请稍后重试;如仍失败请联系管理员。")
        raise


def _view(row: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    total, done = row["total"] or 0, row["done"] or 0
    row["percent"] = min(100, round(done * 100 / total)) if total else None
    row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
    row["active"] = row["status"] in ACTIVE
    row["has_file"] = bool(row["result_key"])
    row["stalled"] = stalled(row, now or _now())
    row["stall_note"] = STALL_NOTE if row["stalled"] else ""
    return row


def stalled(row: dict[str, Any], now: datetime) -> bool:
    """Queued or running, and nothing moved for ``STALL_AFTER``: its worker is
    gone or busy elsewhere. (The broker gives the job to the next worker that
    starts; the run page says so rather than showing a progress bar that lies.)"""
    if row["status"] not in ACTIVE:
        return False
    last = row.get("updated_at") or row.get("started_at") or row["created_at"]
    if last is None:
        return False
    if last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=UTC)
    return now - last > STALL_AFTER


async def get_run(scope: TenantScope, run_id: int) -> dict:
    """The run as a dict (the table's columns plus ``percent``, ``status_label``,
    ``active`` and ``has_file``); ``NotFound`` for another tenant's run."""
    return _view(await scope.get_row(JobRun, run_id, WHAT))


async def list_runs(
    scope: TenantScope, *, user_id: int | None = None, kind: str | None = None, limit: int = 20
) -> list[dict]:
    """The latest runs of the tenant, newest first (of one user or kind if given)."""
    query = scope.select(JobRun).order_by(JobRun.id, ascending=False).limit(limit)
    if user_id is not None:
        query = query.where(JobRun.created_by == user_id)
    if kind is not None:
        query = query.where(JobRun.kind == kind)
    return [_view(row) for row in await query]


def may_download(run: dict[str, Any], principal: Principal) -> bool:
    """The creator, or a tenant_admin or data_center of the run's tenant."""
    if principal.tenant_id != run["tenant"]:
        return False
    return run["created_by"] == principal.user_id or principal.has_role(*RESULT_ROLES)


def may_view(run: dict[str, Any], principal: Principal) -> bool:
    """Who may download, and everyone in the tenant for runs no user started."""
    if principal.tenant_id != run["tenant"]:
        return False
    return run["created_by"] is None or may_download(run, principal)


def content_type(result_name: str) -> str:
    return CONTENT_TYPES.get(PurePosixPath(result_name).suffix.lower(), "application/octet-stream")


async def read_result(scope: TenantScope, run_id: int) -> tuple[bytes, str, str]:
    """(bytes, file name, content type) of a done run's file; ``NotFound`` otherwise."""
    run = await scope.get_row(JobRun, run_id, WHAT)
    if run["status"] != DONE or not run["result_key"]:
        raise NotFound("结果文件")
    try:
        data = files.read(run["result_key"])
    except DomainError:
        raise NotFound("结果文件") from None
    return data, run["result_name"], content_type(run["result_name"])
