"""Importing a catalog release from above: compare it with the catalog, then apply it.

A release is compared with the tenant's catalog as it stands (which is the
previous release plus whatever was adjusted since): an entry it names that the
catalog lacks is **new** (if it is exercised at one of the tenant's levels and
is of a type the tenant manages), one whose carried elements differ is
**changed** (naming the elements), one marked 取消 — or, in a full release,
one of the same source the release no longer lists — is **cancelled**.

A release that reads cleanly is applied in one transaction, as one numbered
batch: new entries and versions are written in multi-row INSERTs (10,000
entries take seconds), claim tasks go to the agencies the new entries concern,
and every item on a changed or cancelled entry gets its follow-up obligation.
The same file imported again changes nothing, and says so; a file with any
error changes nothing, and says where every error is.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.querystring import QueryString

from qingdan.core.audit.services import Actor, record
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.schemas import pack_codes
from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion
from qingdan.core.catalog.validation import (
    ElementValidationError,
    dump_document,
    element_title,
    validate_document,
)
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.db import atomic, is_unique_violation
from qingdan.core.errors import ConflictError
from qingdan.core.imports import tasks
from qingdan.core.imports.release_format import (
    ELEMENT_COLUMN,
    SOURCES,
    ParsedRelease,
    ReleaseRow,
    parse_release,
)
from qingdan.core.imports.report import Collector
from qingdan.core.imports.tables import ImportBatch, ReleaseChange
from qingdan.core.ops.pause import pause_at
from qingdan.core.tenancy.context import TenantContext

RELEASE = "release"
NEW, CHANGED, CANCELLED = "new", "changed", "cancelled"
KIND_LABELS = {NEW: "新增", CHANGED: "变更", CANCELLED: "取消"}

Progress = Callable[[int, int, str], Awaitable[None]]


class PlannedEntry(msgspec.Struct, kw_only=True):
    row: int  # where in the file (0: absent from a full release)
    base_code: str
    name: str
    entry_id: int | None = None  # the existing entry (None: a new one)
    document: dict[str, Any] | None = None  # the new version's whole document
    changed: list[str] = []  # element field names
    before_version: int | None = None
    department: str = ""
    restored: bool = False  # a cancelled entry issued again
    after_version: int | None = None  # the version this release wrote


class ReleasePlan(msgspec.Struct, kw_only=True):
    new: list[PlannedEntry] = []
    changed: list[PlannedEntry] = []
    cancelled: list[PlannedEntry] = []
    unchanged: int = 0
    skipped: list[str] = []  # why entries were left out (not exercised here ...)
    notes: list[str] = []

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed or self.cancelled)

    def counts(self) -> dict[str, int]:
        return {
            NEW: len(self.new),
            CHANGED: len(self.changed),
            CANCELLED: len(self.cancelled),
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
        }


class ReleaseOutcome(msgspec.Struct, kw_only=True):
    """What an import did (or, when ``applied`` is false, why it did nothing)."""

    applied: bool
    message: str
    batch_id: int | None = None
    batch_number: int | None = None
    counts: dict[str, int] = {}
    notes: list[str] = []
    skipped: list[str] = []


_NESTED: dict[type, tuple[tuple[str, type, bool], ...]] = {}


def _nested(cls: type) -> tuple[tuple[str, type, bool], ...]:
    """The fields of ``cls`` holding structs: (field, struct class, is a list)."""
    found = _NESTED.get(cls)
    if found is None:
        from msgspec import inspect as mi

        def bare(t: Any) -> Any:
            while isinstance(t, mi.Metadata):
                t = t.type
            return t

        nested = []
        for field in mi.type_info(cls).fields:
            t = bare(field.type)
            many = isinstance(t, mi.ListType)
            inner = bare(t.item_type) if many else t
            if isinstance(inner, mi.StructType):
                nested.append((field.name, inner.cls, many))
        found = _NESTED[cls] = tuple(nested)
    return found


def _fill(cls: type, partial: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    whole = defaults | partial
    for field, sub, many in _nested(cls):
        value = whole[field]
        if many:
            whole[field] = [_fill(sub, v, _defaults(sub)) for v in value]
        elif isinstance(value, dict):
            whole[field] = _fill(sub, value, _defaults(sub))
    return whole


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _defaults(cls: type) -> dict[str, Any]:
    """Every field of ``cls`` with its default in stored form (required ones absent)."""
    found = _DEFAULTS.get(cls)
    if found is None:
        found = {}
        for field in msgspec.structs.fields(cls):
            if field.default is not msgspec.NODEFAULT:
                found[field.name] = msgspec.to_builtins(field.default)
            elif field.default_factory is not msgspec.NODEFAULT:
                value = field.default_factory()
                if hasattr(value, "__struct_fields__"):
                    value = dump_document(value)
                found[field.name] = msgspec.to_builtins(value)
        _DEFAULTS[cls] = found
    return found


def stored_form(doc: ElementDocument) -> dict[str, Any]:
    """What ``dump_document`` gives (every element, vocab values as codes), at the
    speed of msgspec: its C encoder leaves defaults out, and they are put back."""
    return _fill(ElementDocument, msgspec.to_builtins(doc), _defaults(ElementDocument))


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def find_batch(ctx: TenantContext, sha256: str, kind: str = RELEASE) -> dict | None:
    return (
        await ctx.scope.select(ImportBatch)
        .where((ImportBatch.kind == kind) & (ImportBatch.sha256 == sha256))
        .order_by(ImportBatch.id)
        .first()
    )


def _already(batch: dict) -> ReleaseOutcome:
    at = batch["created_at"]
    when = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if isinstance(at, datetime) else at
    return ReleaseOutcome(
        applied=False,
        message=(f"该文件已于 {when}(UTC)作为第{batch['number']}批导入,本次未作任何更改。"),
        batch_id=batch["id"],
        batch_number=batch["number"],
        counts=batch["counts"] or {},
    )


# Comparing ----------------------------------------------------------------------------------


def merge_elements(current: dict[str, Any], carried: dict[str, Any]) -> dict[str, Any]:
    """The entry's elements with the release's over them.

    What the release does not carry stays; a law it lists again keeps the
    article text the catalog already has, and a time limit keeps its note.
    """
    merged = dict(current)
    for key, value in carried.items():
        old = current.get(key)
        if key == "legal_basis" and isinstance(old, list):
            known = {
                (law.get("law_name"), law.get("document_number", ""), law.get("article", "")): law
                for law in old
                if isinstance(law, dict)
            }
            value = [
                known.get(
                    (law.get("law_name"), law.get("document_number", ""), law.get("article", "")),
                    {},
                )
                | law
                for law in value
            ]
        elif isinstance(value, dict) and isinstance(old, dict):
            value = old | value
        merged[key] = value
    return merged


async def _catalog(ctx: TenantContext) -> dict[str, dict[str, Any]]:
    rows = await ctx.scope.select(
        CatalogEntry,
        CatalogEntry.id,
        CatalogEntry.base_code,
        CatalogEntry.name,
        CatalogEntry.status,
        CatalogEntry.source,
        CatalogEntry.current_version,
    )
    return {r["base_code"]: r for r in rows}


async def _documents(ctx: TenantContext, version_ids: list[int]) -> dict[int, dict[str, Any]]:
    docs: dict[int, dict[str, Any]] = {}
    for part in tasks.chunks(version_ids):
        rows = (
            await ctx.scope.select(
                CatalogEntryVersion, CatalogEntryVersion.id, CatalogEntryVersion.document
            )
            .where(CatalogEntryVersion.id.is_in(part))
            .output(load_json=True)
        )
        docs |= {r["id"]: r["document"] for r in rows}
    return docs


async def plan_release(ctx: TenantContext, release: ParsedRelease) -> ReleasePlan:
    """What applying ``release`` would do. Raises ImportRefused if it cannot apply."""
    collector = Collector(release.unit)
    catalog = await _catalog(ctx)
    named = [catalog[r.base_code] for r in release.rows if r.base_code in catalog]
    docs = await _documents(
        ctx, [e["current_version"] for e in named if e["current_version"] is not None]
    )
    levels = {lv.value for lv in ctx.plugin.jurisdiction.levels}
    types = {t.value for t in ctx.plugin.item_types(ctx.settings)}
    plan = ReleasePlan(notes=list(release.notes))
    for row in release.rows:
        entry = catalog.get(row.base_code)
        if entry is not None and entry["source"] == "local":
            collector.add(
                row.row,
                ELEMENT_COLUMN["base_code"],
                f"与本地设立的基本目录事项“{entry['name']}”编码相同,上级目录不能覆盖本地事项",
            )
            continue
        if row.cancelled:
            _plan_cancel(plan, row, entry, release.unit)
        elif entry is None or entry["status"] == ItemStatus.cancelled.value:
            _plan_new(plan, row, entry, levels, types, release.unit)
        else:
            current = docs.get(entry["current_version"]) or {}
            _plan_change(plan, collector, row, entry, current)
    if release.meta.mode == "full":
        listed = {r.base_code for r in release.rows}
        for code, entry in sorted(catalog.items()):
            if (
                code not in listed
                and entry["source"] == release.meta.source
                and entry["status"] == ItemStatus.published.value
            ):
                plan.cancelled.append(
                    PlannedEntry(row=0, base_code=code, name=entry["name"], entry_id=entry["id"])
                )
    collector.refuse_if_any()
    return plan


def _plan_cancel(plan: ReleasePlan, row: ReleaseRow, entry: dict | None, unit: str) -> None:
    if entry is None or entry["status"] != ItemStatus.published.value:
        plan.skipped.append(f"第{row.row}{unit} {row.base_code}: 本地没有在用的该事项,无需取消")
        return
    plan.cancelled.append(
        PlannedEntry(row=row.row, base_code=row.base_code, name=entry["name"], entry_id=entry["id"])
    )


def _plan_new(
    plan: ReleasePlan,
    row: ReleaseRow,
    entry: dict | None,
    levels: set[str],
    types: set[str],
    unit: str,
) -> None:
    name = row.elements["name"]
    where = f"第{row.row}{unit} {row.base_code} {name}"
    if not levels.intersection(row.elements["levels"]):
        plan.skipped.append(f"{where}: 行使层级不含本辖区的层级,未导入")
        return
    if row.elements["item_type"] not in types:
        plan.skipped.append(f"{where}: 本辖区不管理该类事项,未导入")
        return
    document = stored_form(validate_document(row.elements))
    plan.new.append(
        PlannedEntry(
            row=row.row,
            base_code=row.base_code,
            name=name,
            entry_id=entry["id"] if entry else None,
            document=document,
            changed=[k for k, v in document.items() if v not in ("", [], None, {})],
            before_version=entry["current_version"] if entry else None,
            department=row.department,
            restored=entry is not None,
        )
    )


def _plan_change(
    plan: ReleasePlan,
    collector: Collector,
    row: ReleaseRow,
    entry: dict,
    current: dict[str, Any],
) -> None:
    merged = merge_elements(current, row.elements)
    try:
        document = stored_form(validate_document(merged))
    except ElementValidationError as exc:
        for err in exc.errors:
            top = err.path.split(".")[0].split("[")[0]
            column = ELEMENT_COLUMN.get(top) or err.element or "要素"
            collector.add(row.row, column, f"与基本目录现有要素合并后: {err.message}")
        return
    changed = [k for k in row.elements if current.get(k) != document.get(k)]
    if not changed:
        plan.unchanged += 1
        return
    plan.changed.append(
        PlannedEntry(
            row=row.row,
            base_code=row.base_code,
            name=document["name"],
            entry_id=entry["id"],
            document=document,
            changed=changed,
            before_version=entry["current_version"],
            department=row.department,
        )
    )


# Applying ------------------------------------------------------------------------------------


async def _no_progress(done: int, total: int, message: str) -> None:
    return None


def _levels(document: dict[str, Any]) -> str:
    return pack_codes(list(document.get("levels") or []))


async def _point_to_versions(ctx: TenantContext, pairs: list[tuple[int, int]]) -> None:
    """Set each entry's ``current_version`` in a handful of UPDATEs.

    Versions inserted together get ids in step with their entries, so most
    pairs share one offset (version id − entry id): one UPDATE per offset.
    """
    by_offset: dict[int, list[int]] = defaultdict(list)
    for entry_id, version_id in pairs:
        by_offset[version_id - entry_id].append(entry_id)
    now = datetime.now(UTC)
    for offset, entry_ids in by_offset.items():
        for part in tasks.chunks(entry_ids):
            await ctx.scope.update(
                CatalogEntry,
                {
                    CatalogEntry.current_version: QueryString('"id" + {}', offset),
                    CatalogEntry.status: ItemStatus.published.value,
                    CatalogEntry.updated_at: now,
                },
            ).where(CatalogEntry.id.is_in(part))


async def _next_numbers(ctx: TenantContext, entry_ids: list[int]) -> dict[int, int]:
    from piccolo.query.functions.aggregate import Max

    numbers: dict[int, int] = {}
    for part in tasks.chunks(entry_ids):
        rows = (
            await ctx.scope.select(
                CatalogEntryVersion,
                CatalogEntryVersion.entry,
                Max(CatalogEntryVersion.number, alias="n"),
            )
            .where(CatalogEntryVersion.entry.is_in(part))
            .group_by(CatalogEntryVersion.entry)
        )
        numbers |= {r["entry"]: (r["n"] or 0) + 1 for r in rows}
    return numbers


async def apply_plan(
    ctx: TenantContext,
    actor: Actor,
    plan: ReleasePlan,
    release: ParsedRelease,
    *,
    sha256: str,
    filename: str,
    via: str,
    progress: Progress = _no_progress,
) -> ReleaseOutcome:
    """Write the plan as one batch, in one transaction."""
    meta = release.meta
    total = len(plan.new) + len(plan.changed) + len(plan.cancelled)
    done = 0
    async with atomic():
        # Tasks already met are closed first, so a cancellation withdraws only open ones.
        await tasks.sync_claim_tasks(ctx)
        last = (
            await ctx.scope.select(ImportBatch, ImportBatch.number)
            .where(ImportBatch.kind == RELEASE)
            .order_by(ImportBatch.number, ascending=False)
            .first()
        )
        number = (last["number"] + 1) if last else 1
        batch = await ctx.scope.insert(
            ImportBatch,
            kind=RELEASE,
            number=number,
            source=meta.source,
            mode=meta.mode,
            title=meta.title[:300],
            document_number=meta.document_number[:200],
            issued_on=meta.issued_on,
            filename=filename[:255],
            file_format=release.file_format,
            sha256=sha256,
            via=via,
            created_by=actor.user_id,
            counts=plan.counts(),
        )
        # New entries (and cancelled ones issued again) ----------------------------------
        fresh = [p for p in plan.new if p.entry_id is None]
        entry_ids = await ctx.scope.insert_many(
            CatalogEntry,
            [
                {
                    "base_code": p.base_code,
                    "name": p.name,
                    "item_type": p.document["item_type"],
                    "levels": _levels(p.document),
                    "status": ItemStatus.published.value,
                    "source": meta.source,
                }
                for p in fresh
            ],
        )
        for p, entry_id in zip(fresh, entry_ids, strict=True):
            p.entry_id = entry_id
        restored = [p for p in plan.new if p.restored]
        for p in restored:
            await ctx.scope.update(
                CatalogEntry,
                {
                    CatalogEntry.name: p.name,
                    CatalogEntry.item_type: p.document["item_type"],
                    CatalogEntry.levels: _levels(p.document),
                    CatalogEntry.source: meta.source,
                },
            ).where(CatalogEntry.id == p.entry_id)
        numbers = await _next_numbers(ctx, [p.entry_id for p in restored + plan.changed])
        versioned = plan.new + plan.changed
        version_ids = await ctx.scope.insert_many(
            CatalogEntryVersion,
            [
                {
                    "entry": p.entry_id,
                    "number": numbers.get(p.entry_id, 1),
                    "document": p.document,
                    "created_by": actor.user_id,
                }
                for p in versioned
            ],
        )
        await _point_to_versions(
            ctx, [(p.entry_id, v) for p, v in zip(versioned, version_ids, strict=True)]
        )
        done += len(plan.new)
        await progress(done, total, f"已写入{len(plan.new)}个新增事项")
        for p, version_id in zip(versioned, version_ids, strict=True):
            p.after_version = version_id
        # Changed entries whose name, type or levels changed: their indexed columns.
        renamed = [p for p in plan.changed if {"name", "item_type", "levels"} & set(p.changed)]
        for p in renamed:
            await ctx.scope.update(
                CatalogEntry,
                {
                    CatalogEntry.name: p.name,
                    CatalogEntry.item_type: p.document["item_type"],
                    CatalogEntry.levels: _levels(p.document),
                },
            ).where(CatalogEntry.id == p.entry_id)
        done += len(plan.changed)
        await progress(done, total, f"已更新{len(plan.changed)}个变更事项")
        # Cancelled entries ---------------------------------------------------------------
        cancelled_ids = [p.entry_id for p in plan.cancelled]
        now = datetime.now(UTC)
        for part in tasks.chunks(cancelled_ids):
            await ctx.scope.update(
                CatalogEntry,
                {CatalogEntry.status: ItemStatus.cancelled.value, CatalogEntry.updated_at: now},
            ).where(CatalogEntry.id.is_in(part))
        await tasks.dismiss_claim_tasks(ctx, cancelled_ids, f"基本目录已于第{number}批取消")
        # What changed, entry by entry ----------------------------------------------------------
        change_rows = []
        for kind, planned in (
            (NEW, plan.new),
            (CHANGED, plan.changed),
            (CANCELLED, plan.cancelled),
        ):
            for p in planned:
                change_rows.append(
                    {
                        "batch": batch.id,
                        "catalog_entry": p.entry_id,
                        "kind": kind,
                        "base_code": p.base_code,
                        "name": p.name[:300],
                        "changed_elements": p.changed if kind == CHANGED else [],
                        "before_version": p.before_version,
                        "after_version": p.after_version,
                    }
                )
        await ctx.scope.insert_many(ReleaseChange, change_rows)
        await pause_at("catalog_import.apply")  # the fault suite kills a worker here
        # The agencies' work ----------------------------------------------------------------------
        claims = await tasks.create_claim_tasks(
            ctx,
            batch.id,
            number,
            [
                tasks.NewEntry(
                    entry_id=p.entry_id,
                    name=p.name,
                    levels=list(p.document.get("levels") or []),
                    department=p.department,
                )
                for p in plan.new
            ],
        )
        follow_ups = await tasks.create_follow_ups(
            ctx,
            batch.id,
            number,
            [
                tasks.FollowEntry(
                    entry_id=p.entry_id, name=p.name, cancelled=False, changed_elements=p.changed
                )
                for p in plan.changed
            ]
            + [
                tasks.FollowEntry(entry_id=p.entry_id, name=p.name, cancelled=True)
                for p in plan.cancelled
            ],
        )
        counts = plan.counts() | {
            "claim_tasks": claims["tasks"],
            "unassigned": claims["unassigned"],
            "follow_ups": follow_ups["obligations"],
        }
        summary = summarize(number, meta.source, counts)
        await ctx.scope.update(
            ImportBatch, {ImportBatch.counts: counts, ImportBatch.summary: summary}
        ).where(ImportBatch.id == batch.id)
        await record(
            ctx.tenant_id,
            actor,
            "catalog.import",
            "import_batch",
            batch.id,
            summary,
            {
                "batch": number,
                "source": meta.source,
                "mode": meta.mode,
                "file": filename,
                "sha256": sha256,
                "counts": counts,
                NEW: [p.base_code for p in plan.new],
                CHANGED: {p.base_code: p.changed for p in plan.changed},
                CANCELLED: [p.base_code for p in plan.cancelled],
            },
        )
    await progress(total, total, summary)
    return ReleaseOutcome(
        applied=True,
        message=summary,
        batch_id=batch.id,
        batch_number=number,
        counts=counts,
        notes=plan.notes,
        skipped=plan.skipped,
    )


def summarize(number: int, source: str, counts: dict[str, int]) -> str:
    parts = [
        f"新增{counts.get(NEW, 0)}项",
        f"变更{counts.get(CHANGED, 0)}项",
        f"取消{counts.get(CANCELLED, 0)}项",
        f"未变{counts.get('unchanged', 0)}项",
    ]
    if counts.get("skipped"):
        parts.append(f"不涉及本辖区{counts['skipped']}项")
    work = f";生成认领任务{counts.get('claim_tasks', 0)}个"
    if counts.get("unassigned"):
        work += f"(其中{counts['unassigned']}个待审改机构分派)"
    work += f",按目录调整的后续义务{counts.get('follow_ups', 0)}个"
    origin = SOURCES.get(source, "")
    return f"已导入{origin}基本目录第{number}批: " + "、".join(parts) + work + "。"


# The whole import ----------------------------------------------------------------------------


async def import_release(
    ctx: TenantContext,
    actor: Actor,
    data: bytes,
    filename: str,
    *,
    via: str = "web",
    source: str | None = None,
    mode: str | None = None,
    progress: Progress = _no_progress,
) -> ReleaseOutcome:
    """Read, compare and apply one release file (see the module docstring).

    Raises :class:`~qingdan.core.imports.report.ImportRefused` with every error
    when the file cannot be applied; nothing is written then.
    """
    sha256 = file_hash(data)
    earlier = await find_batch(ctx, sha256)
    if earlier is not None:
        return _already(earlier)
    await progress(0, 0, "正在读取文件")
    release = parse_release(data, filename, ctx.code_format(), source=source, mode=mode)
    await progress(0, len(release.rows), f"已读取{len(release.rows)}个事项,正在与基本目录比对")
    plan = await plan_release(ctx, release)
    if plan.empty:
        return ReleaseOutcome(
            applied=False,
            message=(
                f"与现行基本目录一致({plan.unchanged}项未变),没有需要更新的事项,本次未作任何更改。"
            ),
            counts=plan.counts(),
            notes=plan.notes,
            skipped=plan.skipped,
        )
    try:
        return await apply_plan(
            ctx, actor, plan, release, sha256=sha256, filename=filename, via=via, progress=progress
        )
    except Exception as exc:
        # Another import of this tenant committed first (same batch number or same
        # new entries): this plan compared against a catalog that is now out of date.
        if not is_unique_violation(exc):
            raise
        raise ConflictError(
            "同时有另一份基本目录导入先完成了,本次导入未作任何更改。请重新导入本文件,"
            "系统将与最新的基本目录重新比对。"
        ) from None


# Reading the batches ---------------------------------------------------------------------------


async def list_batches(ctx: TenantContext, kind: str = RELEASE, limit: int = 50) -> list[dict]:
    return await (
        ctx.scope.select(
            ImportBatch,
            *ImportBatch.all_columns(),
            ImportBatch.created_by.display_name.as_alias("author"),
        )
        .where(ImportBatch.kind == kind)
        .order_by(ImportBatch.number, ascending=False)
        .limit(limit)
        .output(load_json=True)
    )


async def get_batch(ctx: TenantContext, batch_id: int) -> dict:
    return await ctx.scope.get_row(ImportBatch, batch_id, "导入批次")


async def batch_changes(ctx: TenantContext, batch_id: int) -> list[dict]:
    rows = (
        await ctx.scope.select(ReleaseChange)
        .where(ReleaseChange.batch == batch_id)
        .order_by(ReleaseChange.kind)
        .order_by(ReleaseChange.base_code)
        .output(load_json=True)
    )
    for row in rows:
        row["kind_label"] = KIND_LABELS.get(row["kind"], row["kind"])
        row["changed_titles"] = [element_title(k) or k for k in row["changed_elements"] or []]
    return rows
