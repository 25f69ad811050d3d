"""Reading a snapshot document: values, rankings and target gaps.

Everything here is computed from the document alone (no database), so the
dashboard, the bulletin and a later check of the bulletin all read the same
figures the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

from qingdan.core.hooktypes import IndicatorTarget
from qingdan.core.indicators.definitions import Indicator, IndicatorConfig, gap
from qingdan.core.indicators.measures import Kind, format_amount, format_value, value_of

#: Floating-point slack when comparing a value with a threshold or a target
#: (100 × 9 ÷ 10 must count as 90).
EPSILON = 1e-9


@dataclass(frozen=True)
class Figure:
    """One indicator's figure for one agency, division or the tenant."""

    indicator: Indicator
    numerator: int | None
    denominator: int | None
    value: float | None

    @property
    def text(self) -> str:
        return format_value(self.indicator.kind, self.indicator.unit, self.value)

    @property
    def fraction_text(self) -> str:
        """The numbers behind the value, as a reader checks them: 3/4."""
        if self.numerator is None:
            return "无数据"
        if self.denominator is None:
            return str(self.numerator)
        if self.indicator.kind is Kind.count:
            # An item-based count's denominator is how many items it counted.
            return f"{self.numerator}(共{self.denominator}项)"
        return f"{self.numerator}/{self.denominator}"


@dataclass(frozen=True)
class Gap:
    """An indicator's figure against its target."""

    target: IndicatorTarget
    shortfall: float | None  # > 0: short of the target by this much; None: no data

    @property
    def reached(self) -> bool:
        return self.shortfall is not None and self.shortfall <= EPSILON


@dataclass(frozen=True)
class Ranked:
    """An agency's place on one indicator: 1 is best; ties share a place."""

    agency_id: int
    name: str
    figure: Figure
    rank: int | None  # None: no data, not ranked
    ahead: int  # ranked agencies with a strictly better figure
    behind: int  # ranked agencies with a strictly worse figure


def _better(indicator: Indicator, a: float, b: float) -> bool:
    """``a`` is strictly better than ``b``."""
    if indicator.higher_is_better:
        return a > b + EPSILON
    return a < b - EPSILON


def worse_than_threshold(indicator: Indicator, value: float, threshold: float) -> bool:
    return _better(indicator, threshold, value)


class Figures:
    """A snapshot document, read."""

    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.config = IndicatorConfig.from_builtins(document["config"])

    @property
    def day(self) -> date:
        return date.fromisoformat(self.document["day"])

    @property
    def taken_at(self) -> datetime:
        return datetime.fromisoformat(self.document["taken_at"])

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return self.config.indicators

    @cached_property
    def agencies(self) -> list[dict[str, Any]]:
        return list(self.document["agencies"])

    @cached_property
    def agency_names(self) -> dict[int, str]:
        return {a["id"]: a["name"] for a in self.agencies}

    @cached_property
    def divisions(self) -> list[dict[str, Any]]:
        return list(self.document["divisions"])

    def _fractions(self, scope: str, scope_id: int | None) -> dict[str, list]:
        if scope == "tenant":
            return self.document["tenant"]
        table = self.document["by_agency" if scope == "agency" else "by_division"]
        return table.get(str(scope_id), {})

    def figure(
        self, indicator: Indicator | str, scope: str = "tenant", scope_id: int | None = None
    ) -> Figure:
        if isinstance(indicator, str):
            indicator = self.config.get(indicator)
        num, den = self._fractions(scope, scope_id).get(indicator.id, [None, None])
        value = None if num is None else value_of(indicator.kind, num, den)
        return Figure(indicator=indicator, numerator=num, denominator=den, value=value)

    def figures(self, scope: str = "tenant", scope_id: int | None = None) -> list[Figure]:
        return [self.figure(i, scope, scope_id) for i in self.indicators]

    def gap(self, figure: Figure) -> Gap | None:
        target = self.config.target(figure.indicator.id)
        if target is None:
            return None
        return Gap(target=target, shortfall=gap(figure.indicator, target, figure.value))

    def ranking(
        self, indicator: Indicator | str, agency_ids: set[int] | None = None
    ) -> list[Ranked]:
        """The agencies best first on ``indicator``; those without data last, unranked."""
        if isinstance(indicator, str):
            indicator = self.config.get(indicator)
        rows = [
            (a["id"], a["name"], self.figure(indicator, "agency", a["id"]))
            for a in self.agencies
            if agency_ids is None or a["id"] in agency_ids
        ]
        values = [f.value for _, _, f in rows if f.value is not None]
        ranked = []
        for agency_id, name, fig in rows:
            if fig.value is None:
                ranked.append(Ranked(agency_id, name, fig, None, 0, 0))
                continue
            better = sum(1 for v in values if _better(indicator, v, fig.value))
            worse = sum(1 for v in values if _better(indicator, fig.value, v))
            ranked.append(Ranked(agency_id, name, fig, better + 1, better, worse))
        sign = -1 if indicator.higher_is_better else 1
        ranked.sort(
            key=lambda r: (
                r.rank is None,
                sign * r.figure.value if r.figure.value is not None else 0,
                r.name,
            )
        )
        return ranked

    def ranked_count(self, indicator: Indicator | str) -> int:
        return sum(1 for r in self.ranking(indicator) if r.rank is not None)

    def amount_text(self, indicator: Indicator, amount: float) -> str:
        return format_amount(indicator.kind, indicator.unit, amount)
