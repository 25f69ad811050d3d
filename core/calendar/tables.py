"""Stored holiday schedules, for years chinesecalendar does not know or gets wrong.

A row with ``tenant`` NULL is platform-wide (entered by an operator); a
tenant's row for the same year overrides the platform's for that tenant only.
``CalendarDay`` lists only the exceptions of a year: official holidays
(``holiday``) and make-up workdays on a weekend (``workday``, 调休上班); every
other day is a working day from Monday to Friday.
"""

from piccolo.columns import Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.tenancy.tables import Tenant, User


class CalendarYear(Table, tablename="calendar_year"):
    """One year's official schedule (国务院办公厅关于某年部分节假日安排的通知)."""

    tenant = ForeignKey(Tenant, null=True, index=True)  # NULL: platform-wide
    year = Integer(index=True)
    source = Varchar(length=200, default="")
    entered_by = ForeignKey(User, null=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class CalendarDay(Table, tablename="calendar_day"):
    """A holiday, or a make-up workday on a weekend, of a stored year."""

    tenant = ForeignKey(Tenant, null=True, index=True)  # NULL: platform-wide
    year = Integer(index=True)
    day = Date()
    kind = Varchar(length=10)  # "holiday" | "workday"
    name = Varchar(length=60, default="")
