"""Working days in Asia/Shanghai: holidays and make-up workdays (调休).

A year's holidays come from, in order of precedence:

1. the tenant's stored schedule for that year,
2. the platform's stored schedule for that year (entered by an operator),
3. the chinesecalendar package (it knows 2004 to 2026 in version 1.11),
4. nothing: Monday to Friday are working days, and every deadline whose count
   crosses such a year is *provisional* (``Deadline.provisional``).

A stored schedule replaces the whole year it covers: it is not merged day by
day with the source below it. :class:`WorkingCalendar` is pure;
:func:`load_calendar` builds one from the database, and :func:`import_schedule`,
:func:`set_day`, :func:`remove_day` and :func:`remove_year` change what is
stored, each in one transaction with an audit entry.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
from piccolo.table import Table

from qingdan.core.audit.services import Actor, record
from qingdan.core.calendar.schemas import (
    DAY_KIND_LABELS,
    DayKind,
    Deadline,
    ScheduleDay,
    StoredYear,
    YearSchedule,
    YearSource,
)
from qingdan.core.calendar.tables import CalendarDay, CalendarYear
from qingdan.core.db import atomic
from qingdan.core.errors import DomainError, NotFound
from qingdan.core.tenancy.scope import TenantScope
from qingdan.core.tenancy.tables import Tenant


def _shanghai() -> tzinfo:
    try:
        return ZoneInfo("Asia/Shanghai")
    except ZoneInfoNotFoundError:  # no tz database (slim image without tzdata)
        # China has kept UTC+8 without daylight saving since 1991.
        return timezone(timedelta(hours=8), "Asia/Shanghai")


SHANGHAI = _shanghai()

WEEKDAYS = "一二三四五六日"

# chinesecalendar names its holidays in English.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def local_date(value: date | datetime) -> date:
    """The Asia/Shanghai calendar date of ``value``.

    An aware datetime is converted; a naive one is taken as Shanghai wall time;
    a date is returned as it is.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.date()
        return value.astimezone(SHANGHAI).date()
    return value


def weekday_label(d: date) -> str:
    return "周" + WEEKDAYS[d.weekday()]


# chinesecalendar -------------------------------------------------------------------


def _builtin_version() -> str:
    try:
        return package_version("chinesecalendar")
    except PackageNotFoundError:  # pragma: no cover - installed as a dependency
        return "?"


BUILTIN_SOURCE = f"chinesecalendar {_builtin_version()}"


@cache
def builtin_knows(year: int) -> bool:
    """Whether chinesecalendar has data for ``year`` (it raises for other years)."""
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def _builtin_name(value: Any) -> str:
    name = str(getattr(value, "value", value) or "")
    return HOLIDAY_NAMES.get(name, name)


@cache
def builtin_schedule(year: int) -> YearSchedule | None:
    """The holidays and make-up workdays chinesecalendar has for ``year``."""
    if not builtin_knows(year):
        return None
    days = [
        ScheduleDay(d, DayKind.holiday.value, _builtin_name(n))
        for d, n in chinese_calendar.holidays.items()
        if d.year == year
    ] + [
        ScheduleDay(d, DayKind.workday.value, _builtin_name(n) + "调休")
        for d, n in chinese_calendar.workdays.items()
        if d.year == year
    ]
    return YearSchedule(year, BUILTIN_SOURCE, sorted(days, key=lambda s: s.day))


# The calendar ------------------------------------------------------------------------


class WorkingCalendar:
    """Which days are working days, and deadlines counted in them.

    ``schedules`` are stored years (already resolved: at most one per year);
    they take precedence over chinesecalendar for their year. With
    ``builtin=False`` chinesecalendar is not consulted (for tests).
    """

    def __init__(self, schedules: Iterable[YearSchedule] = (), *, builtin: bool = True):
        self._schedules: dict[int, YearSchedule] = {}
        self._exceptions: dict[int, dict[date, str]] = {}
        for schedule in schedules:
            self._schedules[schedule.year] = schedule
            self._exceptions[schedule.year] = {d.day: d.kind for d in schedule.days}
        self._builtin = builtin

    def __repr__(self) -> str:
        return f"WorkingCalendar(stored years={sorted(self._schedules)})"

    # Years

    def year_source(self, year: int) -> YearSource:
        if year in self._schedules:
            return YearSource.schedule
        if self._builtin and builtin_knows(year):
            return YearSource.chinesecalendar
        return YearSource.unknown

    def knows_year(self, year: int) -> bool:
        """Whether the holidays of ``year`` are known (stored or built in)."""
        return self.year_source(year) is not YearSource.unknown

    def schedule(self, year: int) -> YearSchedule | None:
        """The holidays and make-up workdays in effect for ``year``; None if unknown."""
        if year in self._schedules:
            return self._schedules[year]
        if self._builtin:
            return builtin_schedule(year)
        return None

    def years_without_data(self, a: date | datetime, b: date | datetime) -> tuple[int, ...]:
        """The years between ``a`` and ``b`` (inclusive) whose holidays are unknown."""
        first, last = sorted((local_date(a).year, local_date(b).year))
        return tuple(y for y in range(first, last + 1) if not self.knows_year(y))

    # Days

    def is_working_day(self, day: date | datetime) -> bool:
        """Monday to Friday unless a holiday, and a weekend make-up workday (调休上班)."""
        d = local_date(day)
        exceptions = self._exceptions.get(d.year)
        if exceptions is not None:
            kind = exceptions.get(d)
            if kind == DayKind.holiday:
                return False
            if kind == DayKind.workday:
                return True
            return d.weekday() < 5
        if self._builtin and builtin_knows(d.year):
            return chinese_calendar.is_workday(d)
        return d.weekday() < 5

    def add_working_days(self, start: date | datetime, n: int) -> Deadline:
        """The day on which ``n`` working days after ``start`` are complete.

        Counting starts the day after ``start`` (a datetime counts from its
        Asia/Shanghai date); ``n == 0`` is the same day (当日).
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise ValueError(f"工作日数应为不小于0的整数,而不是 {n!r}")
        d = local_date(start)
        unknown: set[int] = set()
        counted = 0
        while counted < n:
            d += timedelta(days=1)
            if not self.knows_year(d.year):
                unknown.add(d.year)
            if self.is_working_day(d):
                counted += 1
        return Deadline(d, bool(unknown), tuple(sorted(unknown)))

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Working days after ``a`` up to and including ``b``.

        Negative when ``b`` is before ``a`` (how many working days ``b`` lies
        behind), 0 when they are the same day.
        """
        start, end = local_date(a), local_date(b)
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        d = start
        while d < end:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
        return count


# Parsing a schedule file -----------------------------------------------------------------

KIND_WORDS = {
    "放假": DayKind.holiday,
    "休": DayKind.holiday,
    "休息": DayKind.holiday,
    "holiday": DayKind.holiday,
    "上班": DayKind.workday,
    "班": DayKind.workday,
    "补班": DayKind.workday,
    "调休上班": DayKind.workday,
    "workday": DayKind.workday,
}
HEADER_WORDS = {
    "日期": "date",
    "date": "date",
    "类型": "kind",
    "kind": "kind",
    "名称": "name",
    "name": "name",
}
COLUMN_LABELS = {"date": "日期", "kind": "类型", "name": "名称"}
SOURCE_RE = re.compile(r"^#\s*来源\s*[:：]\s*(.*)$")
DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"  # 2027-10-01, 2027/10/1
)
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_ERRORS = 20
NAME_LENGTH = 60
SOURCE_LENGTH = 200
BLANK = " \t\u3000\ufeff"


class ScheduleFileError(DomainError):
    """A schedule file was refused; ``errors`` lists every problem, by row."""

    def __init__(self, filename: str, errors: list[str]):
        shown = errors[:MAX_ERRORS]
        if len(errors) > MAX_ERRORS:
            shown.append(f"……另有{len(errors) - MAX_ERRORS}处错误")
        where = f"文件“{filename}”" if filename else "文件"
        head = f"{where}有{len(errors)}处错误,未导入任何数据:"
        super().__init__("\n".join([head, *shown]), "file")
        self.errors = errors


def _decode(data: str | bytes, filename: str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ScheduleFileError(
            filename, ["这是Excel工作簿,请在Excel中“另存为”“CSV UTF-8(逗号分隔)”后再导入"]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:  # Excel on a Chinese Windows saves plain "CSV" in GBK
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise ScheduleFileError(filename, ["无法识别文件编码,请保存为UTF-8编码的CSV文件"]) from None


def _cells(line: str) -> list[str]:
    # Typed by hand with a Chinese input method, commas are often full-width;
    # pasted from a spreadsheet, cells are separated by tabs.
    line = line.replace(",", ",").replace("\t", ",")
    row = next(csv.reader([line]), [])
    return [cell.strip(BLANK) for cell in row]


def _cell(cells: list[str], i: int) -> str:
    return cells[i] if i < len(cells) else ""


def parse_date(raw: str) -> date | None:
    """``2027-10-01``, ``2027/10/1`` (as Excel saves it) or ``2027年10月1日``."""
    m = DATE_RE.match(raw.strip(BLANK))
    if not m:
        return None
    try:
        d = date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return d if MIN_YEAR <= d.year <= MAX_YEAR else None


def parse_kind(raw: str) -> DayKind | None:
    return KIND_WORDS.get(raw.strip(BLANK).lower())


def parse_schedule(data: str | bytes, filename: str = "") -> YearSchedule:
    """Read a schedule file (see docs/calendar.md); all of it, or :class:`ScheduleFileError`.

    The file is CSV with the header ``日期,类型,名称``, one day a line; 类型 is
    放假 (holiday) or 上班 (a make-up workday on a weekend). An optional line
    ``# 来源: ...`` before the header names the notice; other lines starting
    with ``#`` and blank lines are ignored. All dates must be in one year.
    """
    text = _decode(data, filename)
    errors: list[str] = []
    source = ""
    columns: dict[str, int] | None = None
    year: int | None = None
    seen: dict[date, int] = {}
    days: list[ScheduleDay] = []
    for n, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip(BLANK)
        if stripped.startswith("#"):
            m = SOURCE_RE.match(stripped)
            if m and columns is None and not source:
                source = m[1].strip(BLANK)[:SOURCE_LENGTH]
            continue
        cells = _cells(line)
        if not any(cells):
            continue  # a blank line, or an empty row Excel left behind (",,")
        if columns is None:
            found = {
                HEADER_WORDS[c.lower()]: i for i, c in enumerate(cells) if c.lower() in HEADER_WORDS
            }
            missing = [COLUMN_LABELS[k] for k in ("date", "kind", "name") if k not in found]
            if missing:
                errors.append(
                    f"第{n}行: 第一行应为表头“日期,类型,名称”,缺少“{'”“'.join(missing)}”列"
                )
                break
            columns = found
            continue
        raw_date, raw_kind, name = (_cell(cells, columns[k]) for k in ("date", "kind", "name"))
        row_errors: list[str] = []
        d = parse_date(raw_date)
        if not raw_date:
            row_errors.append(f"第{n}行“日期”列: 不能为空")
        elif d is None:
            row_errors.append(
                f"第{n}行“日期”列: “{raw_date}”不是有效日期(格式如 2027-10-01,"
                f"年份在{MIN_YEAR}至{MAX_YEAR}之间)"
            )
        elif d in seen:
            row_errors.append(f"第{n}行“日期”列: {d}与第{seen[d]}行重复")
            d = None
        elif year is not None and d.year != year:
            row_errors.append(f"第{n}行“日期”列: {d}不在{year}年(一个文件只能包含一年的安排)")
            d = None
        kind = parse_kind(raw_kind)
        if not raw_kind:
            row_errors.append(f"第{n}行“类型”列: 不能为空,应为“放假”或“上班”")
        elif kind is None:
            row_errors.append(f"第{n}行“类型”列: “{raw_kind}”应为“放假”或“上班”")
        elif kind is DayKind.workday and d is not None and d.weekday() < 5:
            row_errors.append(
                f"第{n}行“类型”列: {d}是{weekday_label(d)},本就是工作日;"
                f"“上班”只用于周末调休上班的日子"
            )
        if not name:
            row_errors.append(f"第{n}行“名称”列: 不能为空(如 国庆节、国庆节调休)")
        elif len(name) > NAME_LENGTH:
            row_errors.append(f"第{n}行“名称”列: 不能超过{NAME_LENGTH}个字")
        if d is not None:
            seen[d] = n
            if year is None:
                year = d.year
        if row_errors:
            errors.extend(row_errors)
        elif d is not None and kind is not None:
            days.append(ScheduleDay(d, kind.value, name))
    if columns is None and not errors:
        errors.append("文件是空的:第一行应为表头“日期,类型,名称”,其后每行一个日期")
    elif not errors and not days:
        errors.append("文件中没有日期:表头之后应每行一个日期,如 2027-10-01,放假,国庆节")
    if errors:
        raise ScheduleFileError(filename, errors)
    assert year is not None
    days.sort(key=lambda s: s.day)
    return YearSchedule(year, source or _default_source(filename), days)


def _default_source(filename: str) -> str:
    return (f"导入自 {filename}" if filename else "手工录入")[:SOURCE_LENGTH]


# Storage ------------------------------------------------------------------------------------


class _Owner:
    """The stored calendar rows of exactly one owner: a tenant, or the platform.

    Calendar tables have platform rows (``tenant`` NULL) beside tenant rows.
    Tenant rows go through :class:`TenantScope`; platform rows are filtered
    on ``tenant IS NULL``. Every query built here carries one of the two.
    """

    __slots__ = ("scope", "tenant_id")

    def __init__(self, tenant_id: int | None):
        self.tenant_id = tenant_id
        self.scope = TenantScope(tenant_id) if tenant_id is not None else None

    def _where(self, table: type[Table]) -> Any:
        column = table._meta.get_column_by_name("tenant")
        return column.is_null() if self.tenant_id is None else column == self.tenant_id

    def select(self, table: type[Table], *columns: Any):
        if self.scope is not None:
            return self.scope.select(table, *columns)
        return table.select(*columns).where(self._where(table))

    def update(self, table: type[Table], values: dict[Any, Any]):
        if self.scope is not None:
            return self.scope.update(table, values)
        return table.update(values).where(self._where(table))

    def delete(self, table: type[Table]):
        return table.delete().where(self._where(table))

    async def insert(self, table: type[Table], **values: Any) -> Any:
        if self.scope is not None:
            return await self.scope.insert(table, **values)
        row = table(tenant=None, **values)
        await row.save()
        return row

    async def insert_many(self, table: type[Table], rows: list[dict[str, Any]]) -> None:
        if rows:
            await table.insert(*[table(tenant=self.tenant_id, **r) for r in rows])

    @property
    def label(self) -> str:
        return "平台" if self.tenant_id is None else "本租户"


def _now() -> datetime:
    return datetime.now(UTC)


async def _stored(owner: _Owner) -> dict[int, YearSchedule]:
    years = await owner.select(CalendarYear, CalendarYear.year, CalendarYear.source)
    if not years:
        return {}
    days: dict[int, list[ScheduleDay]] = {y["year"]: [] for y in years}
    rows = await owner.select(
        CalendarDay, CalendarDay.year, CalendarDay.day, CalendarDay.kind, CalendarDay.name
    ).order_by(CalendarDay.day)
    for r in rows:
        if r["year"] in days:
            days[r["year"]].append(ScheduleDay(_as_date(r["day"]), r["kind"], r["name"]))
    return {y["year"]: YearSchedule(y["year"], y["source"], days[y["year"]]) for y in years}


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def load_calendar(tenant_id: int | None) -> WorkingCalendar:
    """The calendar in effect for a tenant (its schedules over the platform's), or
    for the platform alone when ``tenant_id`` is None. Nothing is cached."""
    schedules = await _stored(_Owner(None))
    if tenant_id is not None:
        schedules |= await _stored(_Owner(tenant_id))
    return WorkingCalendar(schedules.values())


async def get_schedule(tenant_id: int | None, year: int) -> YearSchedule | None:
    """The schedule stored by this owner (tenant or platform) for ``year``, if any."""
    return (await _stored(_Owner(tenant_id))).get(year)


async def list_years(tenant_id: int | None) -> list[StoredYear]:
    """Stored years for the admin page: the tenant's own and the platform's.

    A platform year the tenant overrides is listed with ``in_effect`` false.
    With ``tenant_id`` None only the platform's years are listed.
    """
    owners = [_Owner(tenant_id)] if tenant_id is None else [_Owner(tenant_id), _Owner(None)]
    result: list[StoredYear] = []
    own_years: set[int] = set()
    for owner in owners:
        years = await owner.select(CalendarYear).order_by(CalendarYear.year)
        counts: dict[tuple[int, str], int] = {}
        for r in await owner.select(CalendarDay, CalendarDay.year, CalendarDay.kind):
            key = (r["year"], r["kind"])
            counts[key] = counts.get(key, 0) + 1
        for y in years:
            overridden = (
                owner.tenant_id is None and tenant_id is not None and y["year"] in own_years
            )
            result.append(
                StoredYear(
                    year=y["year"],
                    tenant_id=owner.tenant_id,
                    source=y["source"],
                    holidays=counts.get((y["year"], DayKind.holiday.value), 0),
                    workdays=counts.get((y["year"], DayKind.workday.value), 0),
                    updated_at=y["updated_at"],
                    entered_by=y["entered_by"],
                    in_effect=not overridden,
                )
            )
        if owner.tenant_id is not None:
            own_years = {y["year"] for y in years}
    result.sort(key=lambda s: (s.year, s.tenant_id is None))
    return result


async def _check_tenant(tenant_id: int | None) -> None:
    if tenant_id is not None and not await Tenant.exists().where(Tenant.id == tenant_id):
        raise NotFound("租户")


async def _year_row(owner: _Owner, year: int) -> dict[str, Any] | None:
    return await owner.select(CalendarYear).where(CalendarYear.year == year).first()


async def _write_days(owner: _Owner, year: int, days: list[ScheduleDay]) -> None:
    await owner.delete(CalendarDay).where(CalendarDay.year == year)
    await owner.insert_many(
        CalendarDay,
        [{"year": year, "day": d.day, "kind": d.kind, "name": d.name} for d in days],
    )


def _counts(days: list[ScheduleDay]) -> str:
    holidays = sum(1 for d in days if d.kind == DayKind.holiday)
    return f"放假{holidays}天,调休上班{len(days) - holidays}天"


async def import_schedule(
    tenant_id: int | None, actor: Actor, text: str | bytes, filename: str
) -> YearSchedule:
    """Store the year in a schedule file for a tenant, or platform-wide (``None``).

    All or nothing: a bad row raises :class:`ScheduleFileError` (a
    ``DomainError`` naming every bad row and column) and nothing is written.
    Importing a year again replaces that year's days for the same owner.
    """
    schedule = parse_schedule(text, filename)
    owner = _Owner(tenant_id)
    async with atomic():
        await _check_tenant(tenant_id)
        existing = await _year_row(owner, schedule.year)
        values = {"source": schedule.source, "entered_by": actor.user_id, "updated_at": _now()}
        if existing is None:
            row = await owner.insert(CalendarYear, year=schedule.year, **values)
            year_id = row.id
        else:
            year_id = existing["id"]
            await owner.update(CalendarYear, values).where(CalendarYear.id == year_id)
        await _write_days(owner, schedule.year, schedule.days)
        await record(
            tenant_id,
            actor,
            "calendar.import",
            "calendar_year",
            year_id,
            f"{'重新' if existing else ''}导入{schedule.year}年放假安排({owner.label}):"
            f"{_counts(schedule.days)};来源: {schedule.source}",
            {
                "year": schedule.year,
                "source": schedule.source,
                "filename": filename,
                "replaced": existing is not None,
                "days": [[d.day.isoformat(), d.kind, d.name] for d in schedule.days],
            },
        )
    return schedule


async def _own_year_for_edit(
    owner: _Owner, actor: Actor, year: int
) -> tuple[int, list[ScheduleDay], str | None]:
    """This owner's stored year, created as a copy of the schedule in effect
    (the platform's, or chinesecalendar's) when it has none yet.

    Returns the year's id, its days, and where a fresh copy came from.
    """
    existing = await _year_row(owner, year)
    if existing is not None:
        stored = await _stored(owner)
        return existing["id"], list(stored[year].days), None
    base: YearSchedule | None = None
    copied_from = None
    if owner.tenant_id is not None:
        base = (await _stored(_Owner(None))).get(year)
        copied_from = "platform"
    if base is None:
        base = builtin_schedule(year)
        copied_from = "chinesecalendar"
    if base is None:
        raise DomainError(
            f"{year}年尚未录入放假安排,请先导入{year}年的放假安排文件,再修改单日", "day"
        )
    row = await owner.insert(
        CalendarYear, year=year, source=base.source, entered_by=actor.user_id, updated_at=_now()
    )
    await _write_days(owner, year, base.days)
    return row.id, list(base.days), copied_from


async def set_day(
    tenant_id: int | None, actor: Actor, day: date, kind: str, name: str
) -> YearSchedule:
    """Make ``day`` a holiday (放假) or a weekend make-up workday (上班) of its year.

    Edits the owner's stored year; when the owner has none yet, the schedule in
    effect (the platform's, or chinesecalendar's) is copied first. A year with
    no schedule at all must be imported first.
    """
    parsed = parse_kind(str(kind))
    if parsed is None:
        raise DomainError(f"类型“{kind}”应为“放假”或“上班”", "kind")
    name = (name or "").strip(BLANK)
    if not name:
        raise DomainError("名称不能为空(如 国庆节、国庆节调休)", "name")
    if len(name) > NAME_LENGTH:
        raise DomainError(f"名称不能超过{NAME_LENGTH}个字", "name")
    if parsed is DayKind.workday and day.weekday() < 5:
        raise DomainError(
            f"{day}是{weekday_label(day)},本就是工作日;“上班”只用于周末调休上班的日子", "kind"
        )
    owner = _Owner(tenant_id)
    async with atomic():
        await _check_tenant(tenant_id)
        year_id, _, copied_from = await _own_year_for_edit(owner, actor, day.year)
        await owner.delete(CalendarDay).where(CalendarDay.day == day)
        await owner.insert_many(
            CalendarDay, [{"year": day.year, "day": day, "kind": parsed.value, "name": name}]
        )
        await owner.update(CalendarYear, {"entered_by": actor.user_id, "updated_at": _now()}).where(
            CalendarYear.id == year_id
        )
        await record(
            tenant_id,
            actor,
            "calendar.set_day",
            "calendar_year",
            year_id,
            f"将{day}({weekday_label(day)})设为{DAY_KIND_LABELS[parsed.value]}:{name}"
            f"({owner.label})",
            {
                "day": day.isoformat(),
                "kind": parsed.value,
                "name": name,
                "copied_from": copied_from,
            },
        )
    return await _schedule_after_edit(owner, day.year)


async def remove_day(tenant_id: int | None, actor: Actor, day: date) -> YearSchedule:
    """Make ``day`` an ordinary day again (a working day from Monday to Friday)."""
    owner = _Owner(tenant_id)
    async with atomic():
        await _check_tenant(tenant_id)
        year_id, days, copied_from = await _own_year_for_edit(owner, actor, day.year)
        old = next((d for d in days if d.day == day), None)
        if old is None:
            raise DomainError(f"{day}不是{day.year}年放假安排中的放假或调休上班日", "day")
        await owner.delete(CalendarDay).where(CalendarDay.day == day)
        await owner.update(CalendarYear, {"entered_by": actor.user_id, "updated_at": _now()}).where(
            CalendarYear.id == year_id
        )
        await record(
            tenant_id,
            actor,
            "calendar.remove_day",
            "calendar_year",
            year_id,
            f"取消{day}({weekday_label(day)})的{old.kind_label}安排:{old.name}({owner.label})",
            {
                "day": day.isoformat(),
                "kind": old.kind,
                "name": old.name,
                "copied_from": copied_from,
            },
        )
    return await _schedule_after_edit(owner, day.year)


async def remove_year(tenant_id: int | None, actor: Actor, year: int) -> None:
    """Delete this owner's stored year: the tenant falls back to the platform's
    schedule, the platform to chinesecalendar or to weekends only."""
    owner = _Owner(tenant_id)
    async with atomic():
        existing = await _year_row(owner, year)
        if existing is None:
            raise DomainError(f"{owner.label}没有录入{year}年的放假安排", "year")
        await owner.delete(CalendarDay).where(CalendarDay.year == year)
        await owner.delete(CalendarYear).where(CalendarYear.id == existing["id"])
        await record(
            tenant_id,
            actor,
            "calendar.remove_year",
            "calendar_year",
            existing["id"],
            f"删除{year}年放假安排({owner.label});来源: {existing['source']}",
            {"year": year, "source": existing["source"]},
        )


async def _schedule_after_edit(owner: _Owner, year: int) -> YearSchedule:
    schedule = (await _stored(owner)).get(year)
    assert schedule is not None
    return schedule
