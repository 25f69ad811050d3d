"""Value objects of the working-day calendar."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import msgspec


class DayKind(StrEnum):
    holiday = "holiday"  # 放假 (an official holiday, also when it falls on a weekend)
    workday = "workday"  # 上班 on a weekend (调休上班, a make-up workday)


DAY_KIND_LABELS = {"holiday": "放假", "workday": "上班"}


class YearSource(StrEnum):
    """Where the holidays of a year come from."""

    schedule = "schedule"  # a stored schedule (tenant or platform)
    chinesecalendar = "chinesecalendar"  # the chinesecalendar package
    unknown = "unknown"  # nothing: Monday to Friday, deadlines provisional


YEAR_SOURCE_LABELS = {
    "schedule": "已录入的放假安排",
    "chinesecalendar": "内置日历(chinesecalendar)",
    "unknown": "未录入放假安排,暂按周末推算",
}


def provisional_note(years: tuple[int, ...]) -> str:
    """``暂按周末推算,待录入2027年放假安排`` for the years without data."""
    return f"暂按周末推算,待录入{'、'.join(str(y) for y in years)}年放假安排"


class Deadline(msgspec.Struct, frozen=True):
    """A due date counted in working days.

    ``provisional`` is true when the count crossed a year without holiday data
    (``years_without_data``), where only weekends were skipped: the date may
    move once that year's schedule is entered.
    """

    due: date
    provisional: bool = False
    years_without_data: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """``2025-10-10``, or ``2027-01-08(暂按周末推算,待录入2027年放假安排)``."""
        text = self.due.isoformat()
        if self.provisional:
            text += f"({provisional_note(self.years_without_data)})"
        return text


class ScheduleDay(msgspec.Struct, frozen=True, array_like=True):
    """One exception of a year: a holiday or a make-up workday (调休上班)."""

    day: date
    kind: str  # DayKind value
    name: str = ""

    @property
    def kind_label(self) -> str:
        return DAY_KIND_LABELS.get(self.kind, self.kind)


class YearSchedule(msgspec.Struct, frozen=True):
    """The holidays and make-up workdays of one year, and where they come from."""

    year: int
    source: str
    days: list[ScheduleDay] = msgspec.field(default_factory=list)

    @property
    def holidays(self) -> list[ScheduleDay]:
        return [d for d in self.days if d.kind == DayKind.holiday]

    @property
    def workdays(self) -> list[ScheduleDay]:
        return [d for d in self.days if d.kind == DayKind.workday]


class StoredYear(msgspec.Struct, frozen=True):
    """A stored schedule as listed on the admin page.

    ``in_effect`` is false for a platform schedule the tenant overrides with
    its own for the same year.
    """

    year: int
    tenant_id: int | None
    source: str
    holidays: int
    workdays: int
    updated_at: datetime | None
    entered_by: int | None
    in_effect: bool = True

    @property
    def scope_label(self) -> str:
        return "平台" if self.tenant_id is None else "本租户"
