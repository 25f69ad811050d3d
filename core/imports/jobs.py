"""A large release imported in the background, with its progress on the run page.

The page keeps the uploaded file in the file store, creates a job run and
sends ``import_catalog_release`` (core/jobs/actors.py), which calls
:func:`run_release_import`. The job is idempotent: run twice, the second
finds the file already imported and changes nothing.
"""

from __future__ import annotations

import hashlib
import io

from qingdan.core import files
from qingdan.core.audit.services import Actor
from qingdan.core.imports.releases import import_release
from qingdan.core.imports.report import ImportRefused
from qingdan.core.jobs import runs
from qingdan.core.tenancy.context import TenantContext, load_context

KIND = "catalog_import"


def keep_upload(data: bytes) -> str:
    """Keep the uploaded file for the job, under its SHA-256; returns its key.

    (``files.store`` is for attachments and refuses JSON: a release is checked
    by the import itself.)
    """
    digest = hashlib.sha256(data).hexdigest()
    key = f"{digest[:2]}/{digest}"
    path = files.files_dir() / key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return key


async def start_release_import(
    ctx: TenantContext,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    source: str | None = None,
    mode: str | None = None,
) -> int:
    """Queue the import of ``data``; returns the run id the user is sent to."""
    from qingdan.core.jobs.actors import import_catalog_release
    from qingdan.core.jobs.dispatch import enqueue

    key = keep_upload(data)
    run_id = await runs.create_run(
        ctx.scope, kind=KIND, title=f"导入上级基本目录: {filename}"[:200], user_id=actor.user_id
    )
    await enqueue(
        import_catalog_release, ctx.tenant_id, run_id, key, filename, actor.user_id, source, mode
    )
    return run_id


def report_xlsx(refused: ImportRefused) -> bytes:
    """The row report as a workbook the person fixing the file keeps beside it."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "错误报告"
    sheet.append(["位置", "列", "问题"])
    for error in refused.errors:
        sheet.append([error.where, error.column, error.message])
    for letter, width in zip("ABC", (10, 24, 90), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def run_release_import(
    tenant_id: int,
    run_id: int,
    key: str,
    filename: str,
    user_id: int | None,
    source: str | None = None,
    mode: str | None = None,
) -> None:
    """The job: import the kept file, reporting progress; a refused file finishes
    with its row report to download (nothing was changed)."""
    from qingdan.core.tenancy.services import load_principal

    ctx = await load_context(tenant_id=tenant_id)
    principal = await load_principal(user_id) if user_id else None
    actor = (
        Actor(principal.user_id, principal.display_name) if principal else Actor.system("后台导入")
    )

    async def progress(done: int, total: int, message: str) -> None:
        await runs.progress(ctx.scope, run_id, done, total or None, message)

    async with runs.failing_on_error(ctx.scope, run_id):
        await runs.start(ctx.scope, run_id)
        try:
            outcome = await import_release(
                ctx,
                actor,
                files.read(key),
                filename,
                via="job",
                source=source,
                mode=mode,
                progress=progress,
            )
        except ImportRefused as refused:
            await runs.finish(
                ctx.scope,
                run_id,
                result_bytes=report_xlsx(refused),
                result_name="基本目录导入错误报告.xlsx",
                message=refused.message + "请下载错误报告,逐行修改后重新导入。",
            )
            return
    url = f"/t/{ctx.slug}/imports/{outcome.batch_id}" if outcome.batch_id else ""
    await runs.finish(ctx.scope, run_id, result_url=url, message=outcome.message)
