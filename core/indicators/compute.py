"""Computing a tenant's figures: every indicator for every agency, every division
and the whole tenant, as numerators and denominators (measures.py says what
each counts).

An item counts for its agency, for its division and every division above it,
and for the tenant. Change requests and obligations count where their item
does (a catalog request, which has no item, for the tenant only); quality
findings count for the agency they are about, and for its divisions.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from qingdan.core.catalog.tables import Item, ItemVersion
from qingdan.core.catalog.vocab import ItemStatus, ItemType
from qingdan.core.hooktypes import IndicatorMeasure
from qingdan.core.indicators.definitions import Indicator, IndicatorConfig
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.tables import Agency, Division
from qingdan.core.workflow.schemas import ChangeStatus, ObligationStatus, StepStatus
from qingdan.core.workflow.tables import ChangeRequest, ChangeStep, Obligation

M = IndicatorMeasure
SHANGHAI = ZoneInfo("Asia/Shanghai")
CHUNK = 500  # ids per IN (...) query: well under SQLite's parameter limit
DOCUMENT_VERSION = 1
#: 网上办理深度 that means an item can be applied for online (三级 在线申办 and up).
ONLINE_DEPTHS = frozenset({"III", "IV"})
DECIDED = frozenset({ChangeStatus.approved, ChangeStatus.published, ChangeStatus.rejected})
OPEN = frozenset({ChangeStatus.in_review, ChangeStatus.returned, ChangeStatus.approved})

log = logging.getLogger("qingdan.indicators")

Fraction = list  # [numerator, denominator]; the denominator is None for a plain count


def local_day(value: datetime | None) -> date | None:
    """The Asia/Shanghai date of a stored timestamp (naive ones are UTC, as stored)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI).date()


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


# What one item contributes ------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFacts:
    """The elements of an item's published version the measures read."""

    item_type: str
    depth: str | None
    visits: int
    materials: int
    government_materials: int
    baseline_materials: int  # of the item's first published version
    statutory: int | None  # working days; None when not counted (other unit, or 0)
    promised: int | None
    instant: bool


def _limit(value: Any) -> tuple[int, str]:
    # The document omits defaults: a missing value is 0, a missing unit is 工作日.
    value = value or {}
    return int(value.get("value", 0) or 0), value.get("unit", "working_day")


def facts_of(document: dict[str, Any], baseline_materials: int) -> ItemFacts:
    materials = document.get("materials") or []
    statutory, s_unit = _limit(document.get("statutory_limit"))
    promised, p_unit = _limit(document.get("promised_limit"))
    counted = s_unit == "working_day" and p_unit == "working_day" and statutory > 0
    return ItemFacts(
        item_type=document.get("item_type", ""),
        depth=document.get("online_depth"),
        visits=int(document.get("visits", 0) or 0),
        materials=len(materials),
        government_materials=sum(1 for m in materials if m.get("source") == "government"),
        baseline_materials=baseline_materials,
        statutory=statutory if counted else None,
        promised=promised if counted else None,
        instant=document.get("case_type") == "instant",
    )


def contribution(measure: IndicatorMeasure, f: ItemFacts) -> tuple[int, int]:
    """(numerator, denominator) one item adds to an item-based measure."""
    if measure == M.online_rate:
        return int(f.depth in ONLINE_DEPTHS), 1
    if measure == M.full_online_rate:
        return int(f.depth == "IV"), 1
    if measure == M.average_visits:
        return f.visits, 1
    if measure == M.zero_visit_share:
        return int(f.visits == 0), 1
    if measure == M.material_count:
        return f.materials, 1  # the denominator counts items: none means no data
    if measure == M.material_reduction:
        return f.baseline_materials - f.materials, f.baseline_materials
    if measure == M.government_material_share:
        return f.government_materials, f.materials
    if measure == M.limit_compression:
        if f.statutory is None or f.promised is None:
            return 0, 0
        return f.statutory - f.promised, f.statutory
    if measure == M.instant_share:
        return int(f.instant), 1
    raise ValueError(f"{measure} is not counted per item")


# Where a thing counts --------------------------------------------------------------------------


@dataclass
class Buckets:
    """Running sums per indicator for the tenant, each agency and each division."""

    indicators: tuple[Indicator, ...]
    agency_ids: list[int]
    division_ids: list[int]
    ancestors: dict[int, list[int]]  # division -> itself and every division above it
    tenant: dict[str, list] = field(default_factory=dict)
    by_agency: dict[int, dict[str, list]] = field(default_factory=dict)
    by_division: dict[int, dict[str, list]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        def zeros() -> dict[str, list]:
            return {i.id: [0, None if i.measure == M.open_findings else 0] for i in self.indicators}

        self.tenant = zeros()
        self.by_agency = {a: zeros() for a in self.agency_ids}
        self.by_division = {d: zeros() for d in self.division_ids}

    def targets(self, agency: int | None, division: int | None) -> Iterable[dict[str, list]]:
        yield self.tenant
        if agency in self.by_agency:
            yield self.by_agency[agency]
        for d in self.ancestors.get(division, []) if division is not None else []:
            yield self.by_division[d]

    def add(
        self, indicator: str, agency: int | None, division: int | None, num: int, den: int | None
    ) -> None:
        for sums in self.targets(agency, division):
            fraction = sums[indicator]
            fraction[0] += num
            if den is not None:
                fraction[1] = (fraction[1] or 0) + den


def _ancestors(divisions: list[dict[str, Any]]) -> dict[int, list[int]]:
    parent = {d["id"]: d["parent"] for d in divisions}
    chains: dict[int, list[int]] = {}
    for start in parent:
        chain, node = [], start
        while node is not None and node not in chain:  # a cycle would be bad data; stop
            chain.append(node)
            node = parent.get(node)
        chains[start] = chain
    return chains


# Loading ---------------------------------------------------------------------------------------


async def _published_items(ctx: TenantContext) -> list[dict[str, Any]]:
    return await ctx.scope.select(
        Item, Item.id, Item.agency, Item.division, Item.published_version
    ).where((Item.status == ItemStatus.published.value) & Item.published_version.is_not_null())


async def _documents(ctx: TenantContext, version_ids: list[int]) -> dict[int, dict[str, Any]]:
    documents: dict[int, dict[str, Any]] = {}
    for chunk in _chunks(version_ids):
        rows = (
            await ctx.scope.select(ItemVersion, ItemVersion.id, ItemVersion.document)
            .where(ItemVersion.id.is_in(chunk))
            .output(load_json=True)
        )
        documents.update({r["id"]: r["document"] or {} for r in rows})
    return documents


async def _first_published(ctx: TenantContext, item_ids: list[int]) -> dict[int, int]:
    """Each item's first published version (the baseline of 材料精简率)."""
    first: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(item_ids):
        rows = await ctx.scope.select(
            ItemVersion, ItemVersion.item, ItemVersion.id, ItemVersion.number
        ).where(ItemVersion.item.is_in(chunk) & ItemVersion.published_at.is_not_null())
        for r in rows:
            seen = first.get(r["item"])
            if seen is None or r["number"] < seen[0]:
                first[r["item"]] = (r["number"], r["id"])
    return {item: version for item, (_, version) in first.items()}


async def item_facts(ctx: TenantContext) -> list[tuple[dict[str, Any], ItemFacts]]:
    """Every published item with the facts of its published version."""
    items = await _published_items(ctx)
    first = await _first_published(ctx, [i["id"] for i in items])
    wanted = {i["published_version"] for i in items} | set(first.values())
    documents = await _documents(ctx, sorted(wanted))
    result = []
    for item in items:
        document = documents.get(item["published_version"], {})
        base_doc = documents.get(first.get(item["id"], item["published_version"]), document)
        baseline = len(base_doc.get("materials") or [])
        result.append((item, facts_of(document, baseline)))
    return result


def _in_types(indicator: Indicator, item_type: str) -> bool:
    return not indicator.item_types or ItemType(item_type) in indicator.item_types


async def _count_items(ctx: TenantContext, buckets: Buckets) -> None:
    per_item = [i for i in buckets.indicators if i.measure not in _NOT_PER_ITEM]
    for item, facts in await item_facts(ctx):
        for indicator in per_item:
            if not _in_types(indicator, facts.item_type):
                continue
            num, den = contribution(indicator.measure, facts)
            buckets.add(indicator.id, item["agency"], item["division"], num, den)


def _period_start(day: date, period_days: int) -> date:
    return day - timedelta(days=period_days)


async def _count_adjustments(ctx: TenantContext, buckets: Buckets, day: date, period: int) -> None:
    wanted = [i.id for i in buckets.indicators if i.measure == M.adjustment_timeliness]
    if not wanted:
        return
    start = _period_start(day, period)
    requests = await ctx.scope.select(
        ChangeRequest,
        ChangeRequest.id,
        ChangeRequest.agency,
        ChangeRequest.item.division.as_alias("division"),
        ChangeRequest.status,
        ChangeRequest.submitted_at,
        ChangeRequest.closed_at,
    ).where(ChangeRequest.submitted_at.is_not_null())

    def in_period(r: dict[str, Any]) -> bool:
        if r["status"] in OPEN:
            return True
        ended = local_day(r["closed_at"] or r["submitted_at"])
        return ended is not None and ended >= start

    requests = [r for r in requests if in_period(r)]
    late: set[int] = set()
    for chunk in _chunks([r["id"] for r in requests]):
        steps = await ctx.scope.select(
            ChangeStep,
            ChangeStep.change_request,
            ChangeStep.status,
            ChangeStep.due_date,
            ChangeStep.decided_at,
        ).where(ChangeStep.change_request.is_in(chunk) & ChangeStep.due_date.is_not_null())
        for s in steps:
            decided = local_day(s["decided_at"])
            if (decided is not None and decided > s["due_date"]) or (
                s["status"] == StepStatus.active.value and s["due_date"] < day
            ):
                late.add(s["change_request"])
    for r in requests:
        is_late = r["id"] in late
        if not (is_late or r["status"] in DECIDED):
            continue  # still within its deadlines: not judged yet
        for indicator in wanted:
            buckets.add(indicator, r["agency"], r["division"], 0 if is_late else 1, 1)


async def _count_obligations(ctx: TenantContext, buckets: Buckets, day: date, period: int) -> None:
    wanted = [i.id for i in buckets.indicators if i.measure == M.obligation_timeliness]
    if not wanted:
        return
    start = _period_start(day, period)
    rows = await ctx.scope.select(
        Obligation,
        Obligation.item.agency.as_alias("agency"),
        Obligation.item.division.as_alias("division"),
        Obligation.status,
        Obligation.due_date,
        Obligation.done_at,
    )
    for o in rows:
        done = local_day(o["done_at"]) if o["status"] == ObligationStatus.done.value else None
        if done is not None:
            if done < start:
                continue  # done before the period
            on_time = done <= o["due_date"]
        elif o["due_date"] < day:
            on_time = False  # open and overdue
        else:
            continue  # open, not yet due
        for indicator in wanted:
            buckets.add(indicator, o["agency"], o["division"], int(on_time), 1)


async def open_findings(ctx: TenantContext) -> dict[int | None, int] | None:
    """Open quality findings per agency, from the quality checks (None if not available)."""
    try:
        from qingdan.core.checks.services import open_findings_by_agency
    except ImportError:
        return None
    result = open_findings_by_agency(ctx.scope)
    if inspect.isawaitable(result):
        result = await result
    # A finding on the catalog itself belongs to no agency (key None): the tenant's only.
    return {(None if k is None else int(k)): int(v) for k, v in dict(result).items()}


async def _count_findings(
    ctx: TenantContext, buckets: Buckets, agency_division: dict[int, int]
) -> bool:
    wanted = [i.id for i in buckets.indicators if i.measure == M.open_findings]
    if not wanted:
        return True
    findings = await open_findings(ctx)
    if findings is None:
        for sums in [buckets.tenant, *buckets.by_agency.values(), *buckets.by_division.values()]:
            for indicator in wanted:
                sums[indicator] = [None, None]  # not measured: no data, never "0 findings"
        return False
    for agency, count in findings.items():
        if agency is not None and agency not in agency_division:
            continue  # an inactive agency: counted nowhere, as its items are not shown
        for indicator in wanted:
            buckets.add(indicator, agency, agency_division.get(agency), count, None)
    return True


_NOT_PER_ITEM = frozenset({M.adjustment_timeliness, M.obligation_timeliness, M.open_findings})


# The snapshot document ----------------------------------------------------------------------


async def compute_document(
    ctx: TenantContext,
    *,
    day: date,
    taken_at: datetime,
    config: IndicatorConfig | None = None,
) -> dict[str, Any]:
    """The tenant's figures on ``day`` as a snapshot document (plain JSON values)."""
    config = config or ctx.plugin.indicators(ctx.settings)
    agencies = await ctx.scope.select(
        Agency, Agency.id, Agency.name, Agency.division, Agency.active
    ).order_by(Agency.id)
    agencies = [a for a in agencies if a["active"]]
    divisions = await ctx.scope.select(
        Division, Division.id, Division.name, Division.code, Division.level, Division.parent
    ).order_by(Division.code)
    buckets = Buckets(
        indicators=config.indicators,
        agency_ids=[a["id"] for a in agencies],
        division_ids=[d["id"] for d in divisions],
        ancestors=_ancestors(divisions),
    )
    await _count_items(ctx, buckets)
    await _count_adjustments(ctx, buckets, day, config.period_days)
    await _count_obligations(ctx, buckets, day, config.period_days)
    findings = await _count_findings(ctx, buckets, {a["id"]: a["division"] for a in agencies})
    return {
        "version": DOCUMENT_VERSION,
        "day": day.isoformat(),
        "taken_at": taken_at.astimezone(UTC).isoformat(),
        "config": config.to_builtins(),
        "findings_available": findings,
        "agencies": [
            {"id": a["id"], "name": a["name"], "division": a["division"]} for a in agencies
        ],
        "divisions": [
            {
                "id": d["id"],
                "name": d["name"],
                "code": d["code"],
                "level": d["level"],
                "parent": d["parent"],
            }
            for d in divisions
        ],
        "tenant": buckets.tenant,
        "by_agency": {str(k): v for k, v in buckets.by_agency.items()},
        "by_division": {str(k): v for k, v in buckets.by_division.items()},
    }
