"""Exports of the published lists: to a file now (the command line), or as a job
with a run page (the web UI).

``export_to`` writes one export to a binary file and says how far it got;
``start_export`` checks the request, creates the job run and queues the job;
``run_export`` is what the job does (core/jobs/actors.py ``export_list``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, BinaryIO

from qingdan.core.catalog.schemas import SORTS
from qingdan.core.catalog.vocab import ItemStatus, ItemType, Level, ServiceKind
from qingdan.core.catalog.vocab import label as vocab_label
from qingdan.core.exports.columns import SHANGHAI
from qingdan.core.exports.source import select
from qingdan.core.exports.spec import (
    FORMATS,
    ExportSpec,
    check_spec,
    spec_from_dict,
    spec_to_dict,
)
from qingdan.core.exports.writers import ExportInfo, open_writer
from qingdan.core.jobs import runs
from qingdan.core.tenancy.context import TenantContext, load_context
from qingdan.core.tenancy.tables import Agency, Division

#: ``await progress(done, total)`` after each batch.
Progress = Callable[[int, int], Awaitable[None]]
#: Results up to this size stay in memory while written; larger ones spill to disk.
SPOOL_BYTES = 16 * 1024 * 1024
RUN_KIND = "export"


async def describe_filters(ctx: TenantContext, spec: ExportSpec) -> list[tuple[str, str]]:
    """The filters as the user chose them, in words; NotFound for another tenant's
    agency or division (so a made-up id is refused, not silently ignored)."""
    filters: list[tuple[str, str]] = []
    if spec.agency_id:
        agency = await ctx.scope.get(Agency, spec.agency_id, "实施机构")
        filters.append(("实施机构", agency.name))
    if spec.division_id:
        division = await ctx.scope.get(Division, spec.division_id, "行政区划")
        filters.append(("行政区划", division.name))
    if spec.item_type:
        filters.append(("事项类型", vocab_label(ItemType, spec.item_type)))
    if spec.list == "items":
        if spec.q:
            filters.append(("关键词", spec.q))
        if spec.status:
            filters.append(("状态", vocab_label(ItemStatus, spec.status)))
        if spec.level:
            filters.append(("行使层级", vocab_label(Level, spec.level)))
        if spec.theme:
            filters.append(("主题", spec.theme))
        if spec.service_kind:
            filters.append(("服务类型", vocab_label(ServiceKind, spec.service_kind)))
        if spec.sort != "name" or spec.descending:
            filters.append(("排序", SORTS[spec.sort] + ("(降序)" if spec.descending else "")))
    return filters


def _now() -> datetime:
    return datetime.now(UTC)


async def _cpsv_ap(ctx: TenantContext) -> bytes:
    """The published catalog as CPSV-AP JSON-LD (core/publishing/cpsv.py)."""
    import json

    from qingdan.core.publishing.cpsv import export_catalog_jsonld

    document: Any = await export_catalog_jsonld(ctx.scope)
    if isinstance(document, bytes):
        return document
    if isinstance(document, str):
        return document.encode()
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


async def export_to(
    ctx: TenantContext,
    spec: ExportSpec,
    out: BinaryIO,
    progress: Progress | None = None,
    *,
    when: datetime | None = None,
) -> int:
    """Write the export ``spec`` asks for to ``out``; returns the number of rows.

    CPSV-AP is the whole published catalog (its filters do not apply).
    """
    check_spec(spec)
    if spec.format == "cpsv-ap":
        out.write(await _cpsv_ap(ctx))
        if progress is not None:
            await progress(1, 1)
        return 1
    info = ExportInfo(
        tenant=ctx.slug,
        tenant_name=ctx.name,
        list_kind=spec.list,
        list_label=spec.list_label,
        exported_at=when or _now(),
        filters=await describe_filters(ctx, spec),
    )
    selection = await select(ctx, spec)
    if progress is not None:
        await progress(0, selection.total)
    writer = open_writer(spec.format, out, info)
    written = 0
    async for batch in selection.batches():
        writer.add(batch)
        written += len(batch)
        if progress is not None:
            await progress(written, selection.total)
    return writer.close()


def export_title(spec: ExportSpec) -> str:
    """导出实施清单(Excel 表格)."""
    return f"导出{spec.list_label}({FORMATS[spec.format].split('(')[0]})"


async def start_export(ctx: TenantContext, user_id: int | None, spec: ExportSpec) -> int:
    """Queue the export as a job; returns the run id (its page shows the progress)."""
    from qingdan.core.jobs.actors import export_list
    from qingdan.core.jobs.dispatch import enqueue

    check_spec(spec)
    await describe_filters(ctx, spec)  # refuse an unknown agency or division now, not later
    run_id = await runs.create_run(
        ctx.scope, kind=RUN_KIND, title=export_title(spec), user_id=user_id
    )
    # With Redis down the job is kept and sent later; the run page shows it queued.
    await enqueue(export_list, ctx.tenant_id, run_id, spec_to_dict(spec))
    return run_id


async def run_export(tenant_id: int, run_id: int, spec_data: dict[str, Any]) -> int:
    """The job: write the export, reporting progress on the run, and keep the file."""
    ctx = await load_context(tenant_id=tenant_id)
    scope = ctx.scope
    async with runs.failing_on_error(scope, run_id):
        spec = spec_from_dict(spec_data)
        await runs.start(scope, run_id)

        async def report(done: int, total: int) -> None:
            await runs.progress(scope, run_id, done, total, message=f"已写入 {done} / {total} 项")

        when = _now()
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as out:
            count = await export_to(ctx, spec, out, report, when=when)
            out.seek(0)
            data = out.read()
        name = spec.file_name(ctx.name, when.astimezone(SHANGHAI))
        message = (
            f"共导出 {count} 项(仅含已发布的版本)"
            if count
            else "没有符合条件的已发布事项,文件中只有表头"
        )
        if spec.format == "cpsv-ap":
            message = "已导出已发布的目录清单(CPSV-AP JSON-LD)"
        await runs.finish(scope, run_id, result_bytes=data, result_name=name, message=message)
    return count
