"""The working-day calendar without a database: chinesecalendar, stored schedules,
provisional deadlines, and the schedule file format."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from qingdan.core.calendar import (
    Deadline,
    ScheduleDay,
    ScheduleFileError,
    WorkingCalendar,
    YearSchedule,
    local_date,
    parse_schedule,
)
from qingdan.core.calendar.schemas import YearSource
from qingdan.core.errors import DomainError

CAL = WorkingCalendar()


def days(first: str, last: str) -> list[date]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def due(start: str, n: int, cal: WorkingCalendar = CAL) -> date:
    return cal.add_working_days(date.fromisoformat(start), n).due


# 2025 National Day and Mid-autumn: 10-01..10-08 off, Sun 09-28 and Sat 10-11 worked.


def test_five_working_days_from_friday_2025_09_26_is_2025_10_10():
    deadline = CAL.add_working_days(date(2025, 9, 26), 5)
    assert deadline == Deadline(date(2025, 10, 10), False, ())
    assert deadline.label == "2025-10-10"
    # day by day: the make-up Sunday, two weekdays, the holiday, then 10-09 and 10-10
    steps = [due("2025-09-26", n) for n in range(1, 6)]
    assert steps == [
        date(2025, 9, 28),
        date(2025, 9, 29),
        date(2025, 9, 30),
        date(2025, 10, 9),
        date(2025, 10, 10),
    ]


def test_national_day_2025():
    assert not any(CAL.is_working_day(d) for d in days("2025-10-01", "2025-10-08"))
    assert CAL.is_working_day(date(2025, 9, 28))  # Sunday, make-up workday
    assert CAL.is_working_day(date(2025, 10, 11))  # Saturday, make-up workday
    assert not CAL.is_working_day(date(2025, 9, 27))  # an ordinary Saturday
    assert due("2025-10-10", 1) == date(2025, 10, 11)


def test_spring_festival_2025():
    assert not any(CAL.is_working_day(d) for d in days("2025-01-28", "2025-02-04"))
    assert CAL.is_working_day(date(2025, 1, 26))  # Sunday
    assert CAL.is_working_day(date(2025, 2, 8))  # Saturday
    # Friday 01-24: Sun 01-26, Mon 01-27, then the holiday, then Wed 02-05
    assert [due("2025-01-24", n) for n in (1, 2, 3)] == [
        date(2025, 1, 26),
        date(2025, 1, 27),
        date(2025, 2, 5),
    ]
    assert due("2025-02-07", 1) == date(2025, 2, 8)
    assert CAL.working_days_between(date(2025, 1, 24), date(2025, 2, 8)) == 6


def test_chinesecalendar_2026_matches_the_official_notice():
    """国务院办公厅关于2026年部分节假日安排的通知: 春节 2月15日至23日放假, 2月14日(周六)、2月28日(周六)上班;
    国庆节 10月1日至7日放假, 9月20日(周日)、10月10日(周六)上班."""
    schedule = CAL.schedule(2026)
    assert schedule is not None and CAL.year_source(2026) is YearSource.chinesecalendar
    spring = {d.day for d in schedule.holidays if d.name == "春节"}
    national = {d.day for d in schedule.holidays if d.name == "国庆节"}
    assert spring == set(days("2026-02-15", "2026-02-23"))
    assert national == set(days("2026-10-01", "2026-10-07"))
    workdays = {d.day: d.name for d in schedule.workdays}
    assert {date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)} <= set(
        workdays
    )
    assert workdays[date(2026, 9, 20)] == "国庆节调休"


def test_spring_festival_2026():
    assert not any(CAL.is_working_day(d) for d in days("2026-02-15", "2026-02-23"))
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday
    assert CAL.is_working_day(date(2026, 2, 28))  # Saturday
    # Friday 02-13: Sat 02-14, then the holiday, then Tue 02-24
    assert [due("2026-02-13", n) for n in (1, 2)] == [date(2026, 2, 14), date(2026, 2, 24)]
    assert due("2026-02-27", 1) == date(2026, 2, 28)
    assert CAL.working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6


def test_national_day_2026():
    assert not any(CAL.is_working_day(d) for d in days("2026-10-01", "2026-10-07"))
    assert CAL.is_working_day(date(2026, 9, 20))  # Sunday
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday
    assert not CAL.is_working_day(date(2026, 9, 25))  # Friday, Mid-autumn Festival
    assert due("2026-09-18", 1) == date(2026, 9, 20)
    assert [due("2026-09-30", n) for n in (1, 2, 3, 4)] == [
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 10),
        date(2026, 10, 12),
    ]
    assert not CAL.add_working_days(date(2026, 9, 30), 4).provisional


def test_working_days_between():
    assert CAL.working_days_between(date(2025, 9, 26), date(2025, 10, 10)) == 5
    assert CAL.working_days_between(date(2025, 9, 26), date(2025, 9, 26)) == 0
    assert CAL.working_days_between(date(2025, 10, 10), date(2025, 9, 26)) == -5
    assert CAL.working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0
    start = date(2025, 9, 26)
    for n in range(0, 40):
        assert CAL.working_days_between(start, CAL.add_working_days(start, n).due) == n


def test_holiday_names_are_chinese():
    schedule = CAL.schedule(2025)
    names = {d.day: d.name for d in schedule.days}
    assert names[date(2025, 10, 1)] == "国庆节"
    assert names[date(2025, 10, 6)] == "中秋节"
    assert names[date(2025, 1, 26)] == "春节调休"


# Years without data -----------------------------------------------------------------------


def test_a_2027_date_is_provisional_and_counts_monday_to_friday():
    assert not CAL.knows_year(2027) and CAL.year_source(2027) is YearSource.unknown
    assert CAL.schedule(2027) is None
    deadline = CAL.add_working_days(date(2027, 9, 30), 5)  # Thursday
    assert deadline == Deadline(date(2027, 10, 7), True, (2027,))
    assert CAL.is_working_day(date(2027, 10, 1))  # unknown: a Friday is a working day


def test_a_count_into_2027_is_provisional_and_labelled():
    deadline = CAL.add_working_days(date(2026, 12, 25), 10)
    assert deadline.due == date(2027, 1, 8)
    assert deadline.provisional and deadline.years_without_data == (2027,)
    assert deadline.label == "2027-01-08(暂按周末推算,待录入2027年放假安排)"
    # ending before the unknown year: not provisional
    assert not CAL.add_working_days(date(2026, 12, 28), 3).provisional
    assert CAL.years_without_data(date(2026, 12, 1), date(2028, 1, 1)) == (2027, 2028)


def test_label_names_every_year_without_data():
    deadline = Deadline(date(2028, 1, 5), True, (2027, 2028))
    assert deadline.label == "2028-01-05(暂按周末推算,待录入2027、2028年放假安排)"


def test_without_builtin_every_year_is_weekends_only():
    cal = WorkingCalendar(builtin=False)
    assert cal.add_working_days(date(2025, 9, 26), 5) == Deadline(date(2025, 10, 3), True, (2025,))


# Dates and times --------------------------------------------------------------------------------


def test_a_datetime_counts_from_its_shanghai_date():
    moment = datetime(2025, 9, 26, 17, 0, tzinfo=UTC)  # 2025-09-27 01:00 in Shanghai, Saturday
    assert local_date(moment) == date(2025, 9, 27)
    assert not CAL.is_working_day(moment)
    assert CAL.add_working_days(moment, 0).due == date(2025, 9, 27)
    assert CAL.add_working_days(moment, 1).due == date(2025, 9, 28)
    assert CAL.add_working_days(moment, 5).due == date(2025, 10, 10)
    # the same instant seen from elsewhere
    assert local_date(moment.astimezone(timezone(timedelta(hours=-5)))) == date(2025, 9, 27)
    # earlier on the 26th in UTC is still Friday the 26th in Shanghai
    assert local_date(datetime(2025, 9, 26, 15, 59, tzinfo=UTC)) == date(2025, 9, 26)
    assert CAL.working_days_between(moment, datetime(2025, 10, 10, 9, tzinfo=UTC)) == 5


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert CAL.add_working_days(date(2025, 10, 1), 0) == Deadline(date(2025, 10, 1))
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 10, 1), -1)


# Stored schedules -----------------------------------------------------------------------------


def schedule_2027() -> YearSchedule:
    """A made-up 2027 schedule (the official one is not out): the format, not the facts."""
    return YearSchedule(
        2027,
        "测试用",
        [
            ScheduleDay(date(2027, 9, 26), "workday", "国庆节调休"),  # Sunday
            *[ScheduleDay(d, "holiday", "国庆节") for d in days("2027-10-01", "2027-10-07")],
            ScheduleDay(date(2027, 10, 9), "workday", "国庆节调休"),  # Saturday
        ],
    )


def test_a_stored_2027_schedule_makes_it_known_and_is_honoured():
    cal = WorkingCalendar([schedule_2027()])
    assert cal.knows_year(2027) and cal.year_source(2027) is YearSource.schedule
    assert cal.add_working_days(date(2027, 9, 24), 1) == Deadline(date(2027, 9, 26))
    assert [cal.add_working_days(date(2027, 9, 30), n).due for n in (1, 2, 3)] == [
        date(2027, 10, 8),
        date(2027, 10, 9),
        date(2027, 10, 11),
    ]
    deadline = cal.add_working_days(date(2026, 12, 25), 10)
    assert deadline == Deadline(date(2027, 1, 8), False, ())
    assert deadline.label == "2027-01-08"
    # 2026 still comes from chinesecalendar
    assert cal.add_working_days(date(2026, 9, 30), 1).due == date(2026, 10, 8)


def test_a_stored_2026_schedule_overrides_chinesecalendar_for_that_year():
    override = YearSchedule(
        2026,
        "更正",
        [ScheduleDay(d, "holiday", "国庆节") for d in days("2026-10-01", "2026-10-03")],
    )
    cal = WorkingCalendar([override])
    assert cal.year_source(2026) is YearSource.schedule
    assert cal.add_working_days(date(2026, 9, 30), 1).due == date(2026, 10, 5)  # 10-04 is Sunday
    assert not cal.is_working_day(date(2026, 9, 20))  # no make-up Sunday any more
    assert cal.is_working_day(date(2026, 2, 16))  # the whole year is replaced
    assert cal.schedule(2026) is override
    assert CAL.is_working_day(date(2026, 9, 20))  # other calendars are unaffected
    assert cal.add_working_days(date(2025, 9, 26), 5).due == date(2025, 10, 10)


# The schedule file ----------------------------------------------------------------------------

GOOD = """# 来源: 国务院办公厅关于2027年部分节假日安排的通知
日期,类型,名称
2027-10-01,放假,国庆节
2027/10/2,放假,国庆节
2027年10月3日,holiday,国庆节

2027-09-26,上班,国庆节调休
"""


def test_parse_a_file_as_excel_saves_it():
    schedule = parse_schedule(GOOD.encode("utf-8-sig"), "2027.csv")
    assert schedule.year == 2027
    assert schedule.source == "国务院办公厅关于2027年部分节假日安排的通知"
    assert schedule.days == [
        ScheduleDay(date(2027, 9, 26), "workday", "国庆节调休"),
        ScheduleDay(date(2027, 10, 1), "holiday", "国庆节"),
        ScheduleDay(date(2027, 10, 2), "holiday", "国庆节"),
        ScheduleDay(date(2027, 10, 3), "holiday", "国庆节"),
    ]
    assert parse_schedule(GOOD.encode("gb18030"), "2027.csv") == schedule  # plain Excel "CSV"
    assert parse_schedule(GOOD.replace(",", ","), "2027.csv") == schedule  # typed by hand
    assert parse_schedule(GOOD.replace(",", "\t"), "2027.csv") == schedule  # pasted cells


def test_without_a_source_line_the_file_name_is_the_source():
    schedule = parse_schedule("日期,类型,名称\r\n2027-10-01,放假,国庆节\r\n,,\r\n", "a.csv")
    assert schedule.source == "导入自 a.csv" and len(schedule.days) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "日期,类型,名称\n2027-10-01,放假,国庆节\n2027-02-30,放假,x\n",
            "第3行“日期”列: “2027-02-30”不是有效日期",
        ),
        ("日期,类型,名称\n2027-10-01,休假,国庆节\n", "第2行“类型”列: “休假”应为“放假”或“上班”"),
        (
            "日期,类型,名称\n2027-10-01,放假,国庆节\n2028-01-01,放假,元旦\n",
            "第3行“日期”列: 2028-01-01不在2027年",
        ),
        ("2027-10-01,放假,国庆节\n", "第1行: 第一行应为表头“日期,类型,名称”"),
        ("日期,类型\n2027-10-01,放假\n", "缺少“名称”列"),
        ("日期,类型,名称\n2027-09-27,上班,调休\n", "第2行“类型”列: 2027-09-27是周一,本就是工作日"),
        (
            "日期,类型,名称\n2027-10-01,放假,国庆节\n2027-10-01,放假,国庆节\n",
            "第3行“日期”列: 2027-10-01与第2行重复",
        ),
        ("日期,类型,名称\n2027-10-01,放假,\n", "第2行“名称”列: 不能为空"),
        ("日期,类型,名称\n", "文件中没有日期"),
        ("", "文件是空的"),
    ],
)
def test_bad_files_are_refused_naming_row_and_column(text, message):
    with pytest.raises(ScheduleFileError) as raised:
        parse_schedule(text, "bad.csv")
    assert isinstance(raised.value, DomainError)
    assert message in raised.value.message
    assert raised.value.message.startswith("文件“bad.csv”有")


def test_every_bad_row_is_listed():
    text = "日期,类型,名称\n2027-02-30,放假,x\n2027-10-01,休假,国庆节\n2027-10-02,放假,国庆节\n"
    with pytest.raises(ScheduleFileError) as raised:
        parse_schedule(text, "bad.csv")
    assert [e[:4] for e in raised.value.errors] == ["第2行“", "第3行“"]


def test_an_excel_workbook_is_refused_with_a_hint():
    with pytest.raises(ScheduleFileError, match="另存为"):
        parse_schedule(b"PK\x03\x04rest-of-a-zip", "2027.xlsx")
