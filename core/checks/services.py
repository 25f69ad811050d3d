"""Running the quality checks and keeping their findings.

- :func:`document_findings`: what the rules find on a document of an item (the
  editor shows it; nothing is written).
- :func:`record_item_findings`: the same, stored for the item when a draft is
  saved, so that open findings persist until a later save or check fixes them.
- :func:`refuse_blocked`: submission asks this; a blocking finding refuses it
  with the findings' Chinese messages.
- :func:`run_tenant_check`: every item of a tenant (its latest document: the
  draft if there is one, else the published version), its catalog entry and
  the cross-division consistency checks; stores what changed and records the
  run (on demand, ``qingdan check``, and the nightly job).
- :func:`open_findings_by_agency`, :func:`tenant_report`: what the indicators,
  the report page, the xlsx and the command show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.query.functions.aggregate import Count

from qingdan.core.audit.services import Actor, record
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item, ItemVersion
from qingdan.core.catalog.validation import (
    ElementValidationError,
    element_title,
    validate_document,
)
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.checks.consistency import (
    EntryRef,
    Implementation,
    catalog_findings,
    disagreement_findings,
    division_disagreements,
)
from qingdan.core.checks.engine import check_document
from qingdan.core.checks.schemas import (
    AgencySummary,
    Disagreement,
    Finding,
    RunSummary,
)
from qingdan.core.checks.tables import CheckRun, QualityFinding
from qingdan.core.db import atomic
from qingdan.core.errors import DomainError
from qingdan.core.hooktypes import ConsistencyKind, QualityRules, Severity
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.scope import TenantScope
from qingdan.core.tenancy.tables import Agency

#: ``progress(done, total, message)``: how a job's run page learns how far a check is.
Progress = Callable[[int, int, str], Awaitable[None]]

__all__ = [
    "TRIGGERS",
    "TenantReport",
    "document_findings",
    "findings_by_element",
    "item_findings",
    "latest_run",
    "open_findings",
    "open_findings_by_agency",
    "record_item_findings",
    "refuse_blocked",
    "run_tenant_check",
    "tenant_report",
]

#: Why a tenant-wide check ran, as the report says it.
TRIGGERS = {"manual": "页面手动运行", "cli": "命令行运行", "schedule": "定时运行"}
_CHUNK = 500  # ids per IN (...) list
_RETRIES = 3


def _now() -> datetime:
    return datetime.now(UTC)


def plugin_rules(ctx: TenantContext) -> QualityRules:
    return ctx.plugin.quality_rules(ctx.settings)


def _merge(findings: Iterable[Finding]) -> dict[tuple[str, str], Finding]:
    """One stored finding per rule and element: messages of the same key joined."""
    merged: dict[tuple[str, str], Finding] = {}
    for f in findings:
        key = (f.rule_id, f.element)
        if key in merged:
            f = msgspec.structs.replace(merged[key], message=f"{merged[key].message};{f.message}")
        merged[key] = f
    return merged


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


# --- one item ------------------------------------------------------------------------------


async def _entry_document(ctx: TenantContext, entry_id: int) -> ElementDocument | None:
    entry = await ctx.scope.get(CatalogEntry, entry_id, "基本目录事项")
    if entry.current_version is None:
        return None
    row = await ctx.scope.get_row(CatalogEntryVersion, entry.current_version, "基本目录版本")
    return validate_document(row["document"])


async def document_findings(
    ctx: TenantContext, item_id: int | None, doc: ElementDocument
) -> list[Finding]:
    """Core's and the plugin's rules on ``doc``, and (for an item) its agreement with
    its catalog entry. Reads only."""
    rules = plugin_rules(ctx)
    findings = check_document(doc, rules)
    if item_id is not None:
        item = await ctx.scope.get(Item, item_id, "事项")
        entry_doc = await _entry_document(ctx, item.catalog_entry)
        findings += catalog_findings(doc, entry_doc, rules)
    return findings


def findings_by_element(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings grouped by the element they are shown next to (blocking first)."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(findings, key=lambda f: f.severity != Severity.block):
        grouped[f.element].append(f)
    return dict(grouped)


async def refuse_blocked(ctx: TenantContext, item_id: int, doc: ElementDocument) -> None:
    """Raise :class:`DomainError` listing every blocking finding on ``doc`` (submission)."""
    blocked = [f for f in await document_findings(ctx, item_id, doc) if f.blocks]
    if blocked:
        lines = ";".join(f"【{f.element_title}】{f.message}" for f in blocked)
        raise DomainError(f"质检未通过,不能提交({len(blocked)}项):{lines}", "elements")


async def record_item_findings(
    ctx: TenantContext, item_id: int, document: ElementDocument | dict[str, Any]
) -> list[Finding]:
    """Check a just-saved draft and store its findings (call inside the save's transaction).

    Only findings the item's own document decides are opened or resolved here;
    cross-division ones are the tenant-wide check's.
    """
    doc = document if isinstance(document, ElementDocument) else validate_document(document)
    item = await ctx.scope.get(Item, item_id, "事项")
    findings = await document_findings(ctx, item_id, doc)
    open_rows = await _open_rows(ctx.scope, item_ids=[item_id])
    cross = _divisions_rule_ids(plugin_rules(ctx))
    await _sync(
        ctx.scope,
        item_id,
        item.agency,
        _merge(findings),
        open_rows.get(item_id, []),
        managed=lambda rule_id: rule_id not in cross,
        now=_now(),
    )
    return findings


def _divisions_rule_ids(rules: QualityRules) -> set[str]:
    return {c.id for c in rules.consistency if c.kind == ConsistencyKind.divisions}


async def _open_rows(
    scope: TenantScope, item_ids: list[int] | None = None
) -> dict[int, list[dict[str, Any]]]:
    query = scope.select(
        QualityFinding,
        QualityFinding.id,
        QualityFinding.item,
        QualityFinding.rule_id,
        QualityFinding.severity,
        QualityFinding.element,
        QualityFinding.message,
    ).where(QualityFinding.resolved_at.is_null())
    if item_ids is not None:
        query = query.where(QualityFinding.item.is_in(item_ids))
    by_item: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in await query:
        by_item[row["item"]].append(row)
    return by_item


async def _sync(
    scope: TenantScope,
    item_id: int,
    agency_id: int,
    current: dict[tuple[str, str], Finding],
    open_rows: list[dict[str, Any]],
    *,
    managed: Any,
    now: datetime,
) -> tuple[int, list[int]]:
    """Open what is new, update what changed, and return (opened, ids to resolve)."""
    existing = {(r["rule_id"], r["element"]): r for r in open_rows}
    opened = 0
    for key, f in current.items():
        row = existing.get(key)
        if row is None:
            await scope.insert(
                QualityFinding,
                item=item_id,
                agency=agency_id,
                rule_id=f.rule_id,
                severity=f.severity.value,
                element=f.element,
                message=f.message,
                first_found=now,
                last_seen=now,
            )
            opened += 1
        elif row["message"] != f.message or row["severity"] != f.severity.value:
            await scope.update(
                QualityFinding,
                {
                    QualityFinding.message: f.message,
                    QualityFinding.severity: f.severity.value,
                    QualityFinding.last_seen: now,
                },
            ).where(QualityFinding.id == row["id"])
    gone = [r["id"] for key, r in existing.items() if key not in current and managed(r["rule_id"])]
    await _resolve(scope, gone, now)
    return opened, gone


async def _resolve(scope: TenantScope, ids: list[int], now: datetime) -> None:
    for chunk in _chunks(ids):
        await scope.update(QualityFinding, {QualityFinding.resolved_at: now}).where(
            QualityFinding.id.is_in(chunk)
        )


# --- the whole tenant -----------------------------------------------------------------------


@dataclass
class _Loaded:
    items: list[dict[str, Any]]
    docs: dict[int, ElementDocument]  # item id -> latest document
    entries: dict[int, EntryRef]
    entry_docs: dict[int, ElementDocument]
    skipped: list[int] = field(default_factory=list)  # items whose stored document is unreadable


async def _load(ctx: TenantContext) -> _Loaded:
    scope = ctx.scope
    items = await scope.select(
        Item,
        Item.id,
        Item.agency,
        Item.division,
        Item.catalog_entry,
        Item.handling_item,
        Item.draft_version,
        Item.published_version,
        Item.agency.name.as_alias("agency_name"),
        Item.division.name.as_alias("division_name"),
        Item.division.level.as_alias("division_level"),
    ).where(Item.status != ItemStatus.cancelled.value)
    version_of = {
        i["id"]: i["draft_version"] or i["published_version"]
        for i in items
        if i["draft_version"] or i["published_version"]
    }
    raw: dict[int, Any] = {}
    for chunk in _chunks(sorted(set(version_of.values()))):
        for row in (
            await scope.select(ItemVersion, ItemVersion.id, ItemVersion.document)
            .where(ItemVersion.id.is_in(chunk))
            .output(load_json=True)
        ):
            raw[row["id"]] = row["document"]
    loaded = _Loaded(items=[], docs={}, entries={}, entry_docs={})
    for item in items:
        version = version_of.get(item["id"])
        if version is None or version not in raw:
            continue
        try:
            loaded.docs[item["id"]] = validate_document(raw[version])
        except ElementValidationError:
            loaded.skipped.append(item["id"])
            continue
        loaded.items.append(item)
    entry_ids = sorted({i["catalog_entry"] for i in loaded.items})
    current: dict[int, int] = {}
    for chunk in _chunks(entry_ids):
        for row in await scope.select(
            CatalogEntry,
            CatalogEntry.id,
            CatalogEntry.name,
            CatalogEntry.base_code,
            CatalogEntry.current_version,
        ).where(CatalogEntry.id.is_in(chunk)):
            loaded.entries[row["id"]] = EntryRef(name=row["name"], base_code=row["base_code"])
            if row["current_version"] is not None:
                current[row["current_version"]] = row["id"]
    for chunk in _chunks(sorted(current)):
        for row in (
            await scope.select(
                CatalogEntryVersion, CatalogEntryVersion.id, CatalogEntryVersion.document
            )
            .where(CatalogEntryVersion.id.is_in(chunk))
            .output(load_json=True)
        ):
            try:
                loaded.entry_docs[current[row["id"]]] = validate_document(row["document"])
            except ElementValidationError:
                continue
    return loaded


def _findings_of(
    loaded: _Loaded, rules: QualityRules
) -> tuple[dict[int, dict[tuple[str, str], Finding]], list[Disagreement]]:
    per_item: dict[int, list[Finding]] = {}
    for item in loaded.items:
        doc = loaded.docs[item["id"]]
        per_item[item["id"]] = check_document(doc, rules) + catalog_findings(
            doc, loaded.entry_docs.get(item["catalog_entry"]), rules
        )
    disagreements = division_disagreements(
        (
            Implementation(
                item_id=i["id"],
                entry_id=i["catalog_entry"],
                handling_item=i["handling_item"] or "00",
                division_id=i["division"],
                division=i["division_name"],
                division_level=i["division_level"],
                agency=i["agency_name"],
                doc=loaded.docs[i["id"]],
            )
            for i in loaded.items
        ),
        loaded.entries,
        rules,
    )
    for item_id, findings in disagreement_findings(disagreements).items():
        per_item[item_id] += findings
    return {k: _merge(v) for k, v in per_item.items()}, disagreements


async def run_tenant_check(
    ctx: TenantContext,
    actor: Actor,
    trigger: str = "manual",
    progress: Progress | None = None,
) -> RunSummary:
    """Check every item of the tenant, store what changed, and record the run.

    Running it twice changes nothing more (the second run opens and resolves
    nothing). A save racing the run may open the same finding first; the run
    then starts over on what is stored. ``progress(done, total, message)`` is
    told when the items are read and when they are checked (a job's run page).
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    rules = plugin_rules(ctx)
    loaded = await _load(ctx)
    total = len(loaded.items)
    if progress is not None:
        await progress(0, total, f"已读取{total}个事项,正在检查")
    current, disagreements = _findings_of(loaded, rules)
    if progress is not None:
        await progress(total, total, f"已检查{total}个事项,正在保存结果")
    agency_of = {i["id"]: i["agency"] for i in loaded.items}
    for attempt in range(_RETRIES):
        try:
            return await _store_run(ctx, actor, trigger, current, agency_of, disagreements)
        except Exception as exc:
            if attempt + 1 < _RETRIES and _is_unique_violation(exc):
                continue
            raise
    raise AssertionError("unreachable")


def _is_unique_violation(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return "unique" in text


async def _store_run(
    ctx: TenantContext,
    actor: Actor,
    trigger: str,
    current: dict[int, dict[tuple[str, str], Finding]],
    agency_of: dict[int, int],
    disagreements: list[Disagreement],
) -> RunSummary:
    scope = ctx.scope
    now = _now()
    async with atomic():
        open_rows = await _open_rows(scope)
        opened = 0
        resolved: list[int] = []
        for item_id, findings in current.items():
            n, gone = await _sync(
                scope,
                item_id,
                agency_of[item_id],
                findings,
                open_rows.get(item_id, []),
                managed=lambda _rule_id: True,
                now=now,
            )
            opened += n
            resolved += gone
        # Items no longer checked (cancelled) keep no open findings.
        stale = [
            r["id"] for item_id, rows in open_rows.items() if item_id not in current for r in rows
        ]
        await _resolve(scope, stale, now)
        resolved += stale
        await scope.update(QualityFinding, {QualityFinding.last_seen: now}).where(
            QualityFinding.resolved_at.is_null()
        )
        flat = [f for findings in current.values() for f in findings.values()]
        block = sum(1 for f in flat if f.severity == Severity.block)
        run = await scope.insert(
            CheckRun,
            trigger=trigger,
            started_by=actor.user_id,
            started_at=now,
            finished_at=_now(),
            items_checked=len(current),
            new_findings=opened,
            resolved_findings=len(resolved),
            open_block=block,
            open_warn=len(flat) - block,
            disagreements=msgspec.to_builtins(disagreements),
        )
        await record(
            ctx.tenant_id,
            actor,
            "checks.run",
            "check_run",
            run.id,
            f"质检({TRIGGERS[trigger]}):检查{len(current)}个事项,新发现{opened}项,"
            f"已整改{len(resolved)}项,未整改{len(flat)}项(其中阻止提交{block}项)",
            {"trigger": trigger, "disagreements": len(disagreements)},
        )
    return RunSummary(
        run_id=run.id,
        started_at=now,
        items_checked=len(current),
        new=opened,
        resolved=len(resolved),
        open_block=block,
        open_warn=len(flat) - block,
        disagreements=tuple(disagreements),
    )


# --- reading what is stored -----------------------------------------------------------------


async def open_findings_by_agency(scope: TenantScope) -> dict[int, int]:
    """``{agency id: number of open findings}`` (agencies with none are left out)."""
    rows = (
        await scope.select(QualityFinding, QualityFinding.agency, Count(alias="n"))
        .where(QualityFinding.resolved_at.is_null())
        .group_by(QualityFinding.agency)
    )
    return {r["agency"]: r["n"] for r in rows}


async def open_findings(
    ctx: TenantContext, *, item_id: int | None = None, agency_id: int | None = None
) -> list[dict[str, Any]]:
    """Open findings with their item and agency, by agency, item and element."""
    query = ctx.scope.select(
        QualityFinding,
        QualityFinding.id,
        QualityFinding.item,
        QualityFinding.agency,
        QualityFinding.rule_id,
        QualityFinding.severity,
        QualityFinding.element,
        QualityFinding.message,
        QualityFinding.first_found,
        QualityFinding.item.name.as_alias("item_name"),
        QualityFinding.item.impl_code.as_alias("impl_code"),
        QualityFinding.agency.name.as_alias("agency_name"),
        QualityFinding.agency.division.name.as_alias("division_name"),
    ).where(QualityFinding.resolved_at.is_null())
    if item_id is not None:
        query = query.where(QualityFinding.item == item_id)
    if agency_id is not None:
        query = query.where(QualityFinding.agency == agency_id)
    rows = await query
    for row in rows:
        row["element_title"] = element_title(row["element"]) if row["element"] else ""
    order = {name: i for i, name in enumerate(ElementDocument.__struct_fields__)}
    rows.sort(
        key=lambda r: (
            r["agency_name"],
            r["item_name"],
            r["item"],
            r["severity"] != Severity.block.value,
            order.get(r["element"], 999),
            r["rule_id"],
        )
    )
    return rows


async def item_findings(ctx: TenantContext, item_id: int) -> list[dict[str, Any]]:
    return await open_findings(ctx, item_id=item_id)


async def latest_run(ctx: TenantContext) -> dict[str, Any] | None:
    return (
        await ctx.scope.select(
            CheckRun,
            *CheckRun.all_columns(),
            CheckRun.started_by.display_name.as_alias("started_by_name"),
        )
        .order_by(CheckRun.id, ascending=False)
        .first()
        .output(load_json=True)
    )


@dataclass
class TenantReport:
    """What the report page, the xlsx and ``qingdan check`` show."""

    tenant_name: str
    run: dict[str, Any] | None
    agencies: list[AgencySummary]
    findings: list[dict[str, Any]]
    disagreements: list[Disagreement]
    rules: QualityRules

    @property
    def open_block(self) -> int:
        return sum(a.block for a in self.agencies)

    @property
    def open_warn(self) -> int:
        return sum(a.warn for a in self.agencies)


async def tenant_report(ctx: TenantContext) -> TenantReport:
    """The open findings by agency, and the latest run's cross-division disagreements."""
    findings = await open_findings(ctx)
    agencies = await ctx.scope.select(
        Agency,
        Agency.id,
        Agency.name,
        Agency.division.name.as_alias("division_name"),
    ).where(Agency.active == True)  # noqa: E712 (piccolo expression)
    counts: dict[int, dict[str, Any]] = {
        a["id"]: {"block": 0, "warn": 0, "items": set()} for a in agencies
    }
    names = {a["id"]: (a["name"], a["division_name"]) for a in agencies}
    for f in findings:
        c = counts.setdefault(f["agency"], {"block": 0, "warn": 0, "items": set()})
        names.setdefault(f["agency"], (f["agency_name"], f["division_name"]))
        c["block" if f["severity"] == Severity.block.value else "warn"] += 1
        c["items"].add(f["item"])
    summaries = [
        AgencySummary(
            agency_id=agency_id,
            agency=names[agency_id][0],
            division=names[agency_id][1],
            block=c["block"],
            warn=c["warn"],
            items=len(c["items"]),
        )
        for agency_id, c in counts.items()
    ]
    summaries.sort(key=lambda a: (-a.block, -a.warn, a.division, a.agency))
    run = await latest_run(ctx)
    disagreements = msgspec.convert(run["disagreements"] or [], list[Disagreement]) if run else []
    return TenantReport(
        tenant_name=ctx.name,
        run=run,
        agencies=summaries,
        findings=findings,
        disagreements=disagreements,
        rules=plugin_rules(ctx),
    )
