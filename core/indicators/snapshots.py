"""Daily snapshots (指标快照): one per tenant and day, taken by a scheduled job.

Taking the day's snapshot twice changes nothing: the first one of the day
stays, so a bulletin citing it can always be recomputed from it. (Two takers
racing meet the unique index on (tenant, day); the loser reads the winner's.)
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from qingdan.core.indicators.compute import SHANGHAI, compute_document
from qingdan.core.indicators.figures import Figures
from qingdan.core.indicators.tables import IndicatorSnapshot
from qingdan.core.tenancy.context import TenantContext

#: How many days of snapshots the dashboard's trend shows.
TREND_DAYS = 90


def today() -> date:
    return datetime.now(SHANGHAI).date()


def _is_unique_violation(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__) if e is not None}
    if "UniqueViolationError" in names:
        return True
    return "IntegrityError" in names and "UNIQUE" in str(exc).upper()


async def snapshot_of_day(ctx: TenantContext, day: date) -> dict[str, Any] | None:
    return (
        await ctx.scope.select(IndicatorSnapshot)
        .where(IndicatorSnapshot.day == day)
        .first()
        .output(load_json=True)
    )


async def take_snapshot(
    ctx: TenantContext, day: date | None = None, now: datetime | None = None
) -> tuple[dict[str, Any], bool]:
    """The tenant's snapshot of ``day`` (today), taken now if there is none yet.

    Returns (the snapshot row, whether this call took it).
    """
    now = now or datetime.now(UTC)
    day = day or now.astimezone(SHANGHAI).date()
    existing = await snapshot_of_day(ctx, day)
    if existing is not None:
        return existing, False
    document = await compute_document(ctx, day=day, taken_at=now)
    taken = True
    try:
        await ctx.scope.insert(IndicatorSnapshot, day=day, taken_at=now, document=document)
    except Exception as exc:
        if not _is_unique_violation(exc):
            raise
        taken = False  # another taker was first; theirs stays
    row = await snapshot_of_day(ctx, day)
    if row is None:  # cannot happen after an insert or a unique violation
        raise RuntimeError("指标快照保存失败")
    return row, taken


async def live_figures(ctx: TenantContext) -> Figures:
    """The figures as of now, not stored (before the first snapshot exists)."""
    now = datetime.now(UTC)
    return Figures(await compute_document(ctx, day=now.astimezone(SHANGHAI).date(), taken_at=now))


async def latest_snapshot(ctx: TenantContext) -> dict[str, Any] | None:
    return (
        await ctx.scope.select(IndicatorSnapshot)
        .order_by(IndicatorSnapshot.day, ascending=False)
        .first()
        .output(load_json=True)
    )


async def get_snapshot(ctx: TenantContext, snapshot_id: int) -> dict[str, Any]:
    return await ctx.scope.get_row(IndicatorSnapshot, snapshot_id, "指标快照")


async def recent_snapshots(
    ctx: TenantContext, days: int = TREND_DAYS, until: date | None = None
) -> list[dict[str, Any]]:
    """Snapshots of the last ``days`` days up to ``until``, oldest first."""
    until = until or today()
    return (
        await ctx.scope.select(IndicatorSnapshot)
        .where(
            (IndicatorSnapshot.day > until - timedelta(days=days))
            & (IndicatorSnapshot.day <= until)
        )
        .order_by(IndicatorSnapshot.day)
        .output(load_json=True)
    )


def trend(
    snapshots: list[dict[str, Any]], scope: str = "tenant", scope_id: int | None = None
) -> list[tuple[date, Figures, dict[str, float | None]]]:
    """(day, figures, {indicator id: value}) per snapshot, for one scope."""
    rows = []
    for snap in snapshots:
        figures = Figures(snap["document"])
        values = {f.indicator.id: f.value for f in figures.figures(scope, scope_id)}
        rows.append((snap["day"], figures, values))
    return rows
