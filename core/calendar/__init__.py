"""Working days: holidays and make-up workdays (调休) in Asia/Shanghai.

See docs/calendar.md for the schedule file format and how stored schedules
take precedence over the built-in calendar.
"""

from qingdan.core.calendar.schemas import Deadline, ScheduleDay, StoredYear, YearSchedule
from qingdan.core.calendar.services import (
    SHANGHAI,
    ScheduleFileError,
    WorkingCalendar,
    import_schedule,
    list_years,
    load_calendar,
    local_date,
    parse_schedule,
    remove_day,
    remove_year,
    set_day,
)

__all__ = [
    "SHANGHAI",
    "Deadline",
    "ScheduleDay",
    "ScheduleFileError",
    "StoredYear",
    "WorkingCalendar",
    "YearSchedule",
    "import_schedule",
    "list_years",
    "load_calendar",
    "local_date",
    "parse_schedule",
    "remove_day",
    "remove_year",
    "set_day",
]
