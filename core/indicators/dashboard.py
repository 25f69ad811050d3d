"""The leaders' dashboard: who sees what, and the figures a page shows.

Leaders (租户管理员, 大数据中心, 审改机构) see every agency when their role is
held tenant-wide, the agencies of their own divisions when it is held for a
division; an agency's clerk or reviewer sees their own agency only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qingdan.core.errors import PermissionDenied
from qingdan.core.indicators.bulletins import may_issue
from qingdan.core.indicators.definitions import Indicator
from qingdan.core.indicators.figures import Figure, Figures, Gap, Ranked
from qingdan.core.indicators.measures import Kind
from qingdan.core.indicators.snapshots import (
    latest_snapshot,
    live_figures,
    recent_snapshots,
    trend,
)
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role

LEADER_ROLES = (Role.tenant_admin, Role.data_center, Role.reform_office)
AGENCY_ROLES = (Role.clerk, Role.agency_reviewer)
#: Who may see the dashboard at all (web/nav.py links it for them).
DASHBOARD_ROLES = (*LEADER_ROLES, *AGENCY_ROLES)


@dataclass(frozen=True)
class View:
    """What one principal may see: the whole tenant, some divisions, or some agencies."""

    scope: str  # "tenant" / "division" / "agency"
    division_ids: tuple[int, ...] = ()
    agency_ids: tuple[int, ...] = ()

    @property
    def sees_all(self) -> bool:
        return self.scope == "tenant"


def view_for(principal: Principal) -> View:
    leader = [g for g in principal.grants if g.role in LEADER_ROLES]
    if any(g.division_id is None and g.agency_id is None for g in leader):
        return View(scope="tenant")
    divisions = tuple(sorted({g.division_id for g in leader if g.division_id is not None}))
    if divisions:
        return View(scope="division", division_ids=divisions)
    agencies = {
        g.agency_id
        for g in principal.grants
        if g.agency_id is not None and g.role in (*LEADER_ROLES, *AGENCY_ROLES)
    }
    if agencies:
        return View(scope="agency", agency_ids=tuple(sorted(agencies)))
    raise PermissionDenied(
        "您没有查看指标的权限(需要租户管理员、审改机构、大数据中心或实施机构的角色)"
    )


def may_view(principal: Principal) -> bool:
    try:
        view_for(principal)
    except PermissionDenied:
        return False
    return True


def _subtree(figures: Figures, roots: tuple[int, ...]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for d in figures.divisions:
        children.setdefault(d["parent"], []).append(d["id"])
    found: set[int] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node in found:
            continue
        found.add(node)
        stack += children.get(node, [])
    return found


def visible_agencies(figures: Figures, view: View) -> set[int]:
    if view.scope == "tenant":
        return {a["id"] for a in figures.agencies}
    if view.scope == "division":
        divisions = _subtree(figures, view.division_ids)
        return {a["id"] for a in figures.agencies if a["division"] in divisions}
    return set(view.agency_ids) & {a["id"] for a in figures.agencies}


@dataclass
class Row:
    """A labelled row of figures: the tenant, a division or an agency."""

    label: str
    scope: str
    scope_id: int | None
    figures: list[Figure]
    gaps: list[Gap | None] = field(default_factory=list)


@dataclass
class Dashboard:
    figures: Figures
    view: View
    snapshot: dict[str, Any] | None  # None: live figures, no snapshot yet
    indicator: Indicator  # the one ranked and charted
    top: list[Row]
    divisions: list[Row]
    agencies: list[Row]
    ranking: list[Ranked]
    trend_days: list[date]
    trend: dict[str, list[float | None]]  # indicator id -> values, for the top row's scope
    trend_label: str
    today_missing: bool  # no snapshot of today yet
    can_issue: bool

    def chart_data(self) -> dict[str, Any]:
        """What chart.js draws, as plain JSON (the tables on the page say the same)."""
        rates = [i for i in self.figures.indicators if i.kind is Kind.rate]
        return {
            "trend": {
                "labels": [d.isoformat() for d in self.trend_days],
                "datasets": [
                    {"label": i.name, "data": _rounded(self.trend.get(i.id, []))} for i in rates
                ],
                "title": f"{self.trend_label}各项比率指标走势(%)",
            },
            "ranking": {
                "labels": [r.name for r in self.ranking if r.rank is not None],
                "data": _rounded([r.figure.value for r in self.ranking if r.rank is not None]),
                "title": f"各实施机构{self.indicator.name}排名({self.indicator.unit})",
                "higher_is_better": self.indicator.higher_is_better,
            },
        }


def _rounded(values: list[float | None]) -> list[float | None]:
    return [None if v is None else round(v, 2) for v in values]


async def build_dashboard(
    ctx: TenantContext, principal: Principal, indicator_id: str = "", today: date | None = None
) -> Dashboard:
    from qingdan.core.indicators.snapshots import today as shanghai_today

    view = view_for(principal)
    today = today or shanghai_today()
    snapshot = await latest_snapshot(ctx)
    figures = Figures(snapshot["document"]) if snapshot else await live_figures(ctx)
    indicators = figures.indicators
    indicator = next((i for i in indicators if i.id == indicator_id), indicators[0])
    visible = visible_agencies(figures, view)

    def row(label: str, scope: str, scope_id: int | None) -> Row:
        figs = figures.figures(scope, scope_id)
        return Row(label, scope, scope_id, figs, [figures.gap(f) for f in figs])

    agencies = [row(a["name"], "agency", a["id"]) for a in figures.agencies if a["id"] in visible]
    if view.scope == "tenant":
        top = [row(f"{ctx.name}(全部)", "tenant", None)]
        division_ids = {d["id"] for d in figures.divisions}
    elif view.scope == "division":
        names = {d["id"]: d["name"] for d in figures.divisions}
        top = [row(names.get(d, "本行政区划"), "division", d) for d in view.division_ids]
        division_ids = _subtree(figures, view.division_ids)
    else:
        top = agencies
        division_ids = set()
    divisions = [
        row(d["name"], "division", d["id"]) for d in figures.divisions if d["id"] in division_ids
    ]
    ranking = figures.ranking(indicator, visible) if len(visible) > 1 else []
    first = top[0] if top else None
    history = await recent_snapshots(ctx, until=today)
    series = trend(history, first.scope, first.scope_id) if first is not None and history else []
    return Dashboard(
        figures=figures,
        view=view,
        snapshot=snapshot,
        indicator=indicator,
        top=top,
        divisions=divisions,
        agencies=agencies,
        ranking=ranking,
        trend_days=[day for day, _, _ in series],
        trend={i.id: [values.get(i.id) for _, _, values in series] for i in indicators},
        trend_label=first.label if first else "",
        today_missing=snapshot is None or snapshot["day"] != today,
        can_issue=may_issue(principal),
    )


#: The headline figures on a user's home page (the dashboard has the rest).
HOME_INDICATORS = ("online_rate", "full_online_rate", "zero_visit_share", "open_findings")


async def home_figures(ctx: Any, principal: Principal) -> dict[str, Any] | None:
    """The latest snapshot's headline figures for what ``principal`` may see:
    the tenant, their divisions, or their agency; None when they may see none
    or no snapshot exists yet (the page then says so, it never shows zeros)."""
    from qingdan.core.indicators.snapshots import latest_snapshot

    if not may_view(principal):
        return None
    row = await latest_snapshot(ctx)
    if row is None:
        return {"day": None, "rows": []}
    figures = Figures(row["document"])
    view = view_for(principal)
    if view.scope == "tenant":
        scopes = [("tenant", None, "全租户")]
    elif view.scope == "division":
        names = {d["id"]: d["name"] for d in figures.divisions}
        scopes = [("division", d, names.get(d, "")) for d in view.division_ids]
    else:
        scopes = [("agency", a, figures.agency_names.get(a, "")) for a in view.agency_ids]
    known = {i.id for i in figures.indicators}
    wanted = [i for i in HOME_INDICATORS if i in known]
    rows = []
    for scope, scope_id, label in scopes:
        cells = []
        for indicator_id in wanted:
            figure = figures.figure(indicator_id, scope, scope_id)
            gap = figures.gap(figure) if scope == "tenant" else None
            cells.append({"name": figure.indicator.name, "text": figure.text, "gap": gap})
        rows.append({"label": label, "cells": cells})
    return {"day": figures.day, "rows": rows}
