"""Stored holiday schedules: import, precedence (tenant over platform), edits,
audit, and the ``qingdan calendar`` commands, on the configured database.

Platform-wide rows are shared by the whole test session, so the platform
tests here use far-off years nobody else counts in.
"""

import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

from qingdan.core.audit.services import verify_chain
from qingdan.core.audit.tables import AuditEntry
from qingdan.core.calendar import (
    Deadline,
    ScheduleFileError,
    import_schedule,
    list_years,
    load_calendar,
    remove_day,
    remove_year,
    set_day,
)
from qingdan.core.calendar.services import get_schedule
from qingdan.core.calendar.tables import CalendarYear
from qingdan.core.errors import DomainError, NotFound
from qingdan.core.testing import SYSTEM

pytestmark = pytest.mark.db

def csv_for(year: int, source: str | None = "国务院办公厅关于{y}年部分节假日安排的通知") -> str:
    """A made-up schedule for ``year`` (the format, not the facts): National Day
    10-01..10-07 off, the Sunday before and the Saturday after worked."""
    oct1 = date(year, 10, 1)
    sunday_before = oct1 - timedelta(days=(oct1.weekday() + 1) % 7 or 7)
    saturday_after = date(year, 10, 8) + timedelta(days=(5 - date(year, 10, 8).weekday()) % 7)
    lines = [f"# 来源: {source.format(y=year)}"] if source else []
    lines.append("日期,类型,名称")
    lines += [f"{year}-10-{d:02d},放假,国庆节" for d in range(1, 8)]
    lines += [f"{sunday_before},上班,国庆节调休", f"{saturday_after},上班,国庆节调休"]
    return "\n".join(lines) + "\n"


async def calendar_actions(tenant_id):
    clause = AuditEntry.tenant.is_null() if tenant_id is None else AuditEntry.tenant == tenant_id
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.summary).where(
        clause & AuditEntry.action.like("calendar.%")
    )
    return [r["action"] for r in rows]


async def test_imported_2027_makes_deadlines_non_provisional(make_tenant):
    t = await make_tenant()
    before = (await load_calendar(t.tenant_id)).add_working_days(date(2027, 9, 30), 1)
    assert before == Deadline(date(2027, 10, 1), True, (2027,))

    text = csv_for(2027)  # 2027-09-26 (Sun) and 2027-10-09 (Sat) worked
    schedule = await import_schedule(t.tenant_id, SYSTEM, text.encode("utf-8-sig"), "2027.csv")
    assert schedule.year == 2027 and len(schedule.holidays) == 7 and len(schedule.workdays) == 2
    assert schedule.source == "国务院办公厅关于2027年部分节假日安排的通知"

    cal = await load_calendar(t.tenant_id)
    assert cal.knows_year(2027)
    assert cal.add_working_days(date(2027, 9, 30), 1) == Deadline(date(2027, 10, 8))
    assert cal.add_working_days(date(2027, 9, 30), 2) == Deadline(date(2027, 10, 9))
    assert cal.add_working_days(date(2027, 9, 24), 1) == Deadline(date(2027, 9, 26))
    assert cal.add_working_days(date(2026, 12, 25), 10).label == "2027-01-08"
    # 2026 still comes from chinesecalendar
    assert cal.add_working_days(date(2025, 9, 26), 5).due == date(2025, 10, 10)

    stored = await get_schedule(t.tenant_id, 2027)
    assert stored is not None and stored.days == schedule.days
    assert await calendar_actions(t.tenant_id) == ["calendar.import"]
    assert (await verify_chain(t.tenant_id)).ok


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "2028-10-01,放假,国庆节\n2028-02-30,放假,春节\n",
            "第3行“日期”列: “2028-02-30”不是有效日期",
        ),
        ("2028-10-01,放假,国庆节\n2028-10-02,休假,国庆节\n", "第3行“类型”列: “休假”"),
        ("2028-10-01,放假,国庆节\n2029-01-01,放假,元旦\n", "第3行“日期”列: 2029-01-01不在2028年"),
        (None, "第1行: 第一行应为表头"),
    ],
)
async def test_a_bad_file_names_the_row_and_writes_nothing(make_tenant, body, message):
    t = await make_tenant()
    good = csv_for(2028, source=None)
    await import_schedule(t.tenant_id, SYSTEM, good, "good.csv")
    text = "2028-10-01,放假,国庆节\n" if body is None else "日期,类型,名称\n" + body
    with pytest.raises(DomainError) as raised:
        await import_schedule(t.tenant_id, SYSTEM, text, "bad.csv")
    assert message in raised.value.message
    # the good import is untouched, and only it was audited
    stored = await get_schedule(t.tenant_id, 2028)
    assert stored is not None and len(stored.days) == 9 and stored.source == "导入自 good.csv"
    assert {s.year for s in await list_years(t.tenant_id) if s.tenant_id == t.tenant_id} == {2028}
    assert await calendar_actions(t.tenant_id) == ["calendar.import"]


async def test_a_bad_file_into_an_empty_year_leaves_it_empty(make_tenant):
    t = await make_tenant()
    with pytest.raises(ScheduleFileError):
        await import_schedule(t.tenant_id, SYSTEM, "日期,类型,名称\n2030-13-01,放假,x\n", "x.csv")
    assert await get_schedule(t.tenant_id, 2030) is None
    assert not (await load_calendar(t.tenant_id)).knows_year(2030)
    assert await CalendarYear.count().where(CalendarYear.tenant == t.tenant_id) == 0


async def test_reimport_replaces_the_year(make_tenant):
    t = await make_tenant()
    await import_schedule(t.tenant_id, SYSTEM, csv_for(2029), "first.csv")
    second = "# 来源: 更正后的通知\n日期,类型,名称\n2029-05-01,放假,劳动节\n"
    await import_schedule(t.tenant_id, SYSTEM, second, "second.csv")
    stored = await get_schedule(t.tenant_id, 2029)
    assert stored.source == "更正后的通知" and [d.day for d in stored.days] == [date(2029, 5, 1)]
    cal = await load_calendar(t.tenant_id)
    assert cal.is_working_day(date(2029, 10, 1))  # no longer a holiday
    assert not cal.is_working_day(date(2029, 5, 1))
    years = [s for s in await list_years(t.tenant_id) if s.tenant_id == t.tenant_id]
    assert len(years) == 1 and (years[0].holidays, years[0].workdays) == (1, 0)
    assert await calendar_actions(t.tenant_id) == ["calendar.import", "calendar.import"]
    assert await CalendarYear.count().where(CalendarYear.tenant == t.tenant_id) == 1


async def test_tenant_schedule_overrides_the_platform_and_does_not_leak(make_tenant):
    a, b = await make_tenant(), await make_tenant()
    year = 2091
    await import_schedule(None, SYSTEM, csv_for(year, "平台录入"), f"{year}.csv")
    own = f"日期,类型,名称\n{year}-10-01,放假,国庆节\n{year}-10-08,放假,本地节日\n"
    await import_schedule(a.tenant_id, SYSTEM, own, "own.csv")

    platform, cal_a, cal_b = (
        await load_calendar(None),
        await load_calendar(a.tenant_id),
        await load_calendar(b.tenant_id),
    )
    assert platform.schedule(year).source == "平台录入"
    assert cal_b.schedule(year).source == "平台录入"  # b has nothing of its own
    assert cal_a.schedule(year).source == "导入自 own.csv"
    assert not cal_a.is_working_day(date(year, 10, 8)) and cal_b.is_working_day(date(year, 10, 8))
    assert cal_a.is_working_day(date(year, 10, 2))  # the whole year is a's, not merged
    assert not cal_b.is_working_day(date(year, 10, 2))

    listed = await list_years(a.tenant_id)
    mine = [(s.tenant_id, s.in_effect) for s in listed if s.year == year]
    assert mine == [(a.tenant_id, True), (None, False)]
    assert [s.in_effect for s in await list_years(b.tenant_id) if s.year == year] == [True]
    assert all(s.tenant_id is None for s in await list_years(None))
    assert "calendar.import" in await calendar_actions(None)
    assert await calendar_actions(b.tenant_id) == []
    assert (await verify_chain(None)).ok


async def test_set_and_remove_a_day_copy_the_schedule_in_effect(make_tenant):
    a, b = await make_tenant(), await make_tenant()
    # a year chinesecalendar knows: a's copy starts from the built-in 2026
    schedule = await set_day(a.tenant_id, SYSTEM, date(2026, 10, 9), "放假", "本地节日")
    assert schedule.source.startswith("chinesecalendar")
    assert date(2026, 10, 10) in {d.day for d in schedule.workdays}  # copied
    cal_a, cal_b = await load_calendar(a.tenant_id), await load_calendar(b.tenant_id)
    assert cal_a.add_working_days(date(2026, 9, 30), 2).due == date(2026, 10, 10)
    assert cal_b.add_working_days(date(2026, 9, 30), 2).due == date(2026, 10, 9)

    await remove_day(a.tenant_id, SYSTEM, date(2026, 10, 10))
    cal_a = await load_calendar(a.tenant_id)
    assert not cal_a.is_working_day(date(2026, 10, 10))  # an ordinary Saturday again
    assert await calendar_actions(a.tenant_id) == ["calendar.set_day", "calendar.remove_day"]

    with pytest.raises(DomainError, match="不是2026年放假安排中的"):
        await remove_day(a.tenant_id, SYSTEM, date(2026, 10, 10))
    with pytest.raises(DomainError, match="本就是工作日"):
        await set_day(a.tenant_id, SYSTEM, date(2026, 10, 12), "上班", "调休")
    with pytest.raises(DomainError, match="应为“放假”或“上班”"):
        await set_day(a.tenant_id, SYSTEM, date(2026, 10, 12), "休假", "x")
    # a year with no data at all must be imported first; nothing is written
    with pytest.raises(DomainError, match="请先导入2093年"):
        await set_day(a.tenant_id, SYSTEM, date(2093, 10, 1), "放假", "国庆节")
    assert await get_schedule(a.tenant_id, 2093) is None

    await remove_year(a.tenant_id, SYSTEM, 2026)
    cal_a = await load_calendar(a.tenant_id)
    assert cal_a.year_source(2026) == "chinesecalendar" and cal_a.is_working_day(date(2026, 10, 10))


async def test_a_tenant_edit_starts_from_the_platform_schedule(make_tenant):
    t = await make_tenant()
    year = 2092
    await import_schedule(None, SYSTEM, csv_for(year, "平台录入"), f"{year}.csv")
    schedule = await set_day(t.tenant_id, SYSTEM, date(year, 10, 8), "放假", "本地节日")
    assert schedule.source == "平台录入" and len(schedule.holidays) == 8
    assert len((await load_calendar(None)).schedule(year).holidays) == 7


async def test_unknown_tenant_is_refused(database):
    with pytest.raises(NotFound):
        await import_schedule(987654, SYSTEM, csv_for(2027), "x.csv")


# The command line -------------------------------------------------------------------------------


def qingdan(*args):
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "qingdan.cli", "calendar", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


async def test_cli_add_workdays_import_and_show(make_tenant, tmp_path):
    t = await make_tenant()
    done = qingdan("add-workdays", "2025-09-26", "5")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["2025-10-10"]

    done = qingdan("add-workdays", "2026-12-25", "10", "--tenant", t.slug)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "2027-01-08" and lines[1].startswith("暂按周末推算,待录入2027年放假安排")

    bad = tmp_path / "bad.csv"
    bad.write_text("日期,类型,名称\n2027-10-01,放假,国庆节\n2027-02-30,放假,春节\n")
    done = qingdan("import", str(bad), "--tenant", t.slug)
    assert done.returncode == 1
    assert "第3行“日期”列: “2027-02-30”不是有效日期" in done.stderr
    assert await get_schedule(t.tenant_id, 2027) is None

    good = tmp_path / "2027.csv"
    good.write_bytes(csv_for(2027).encode("utf-8-sig"))
    done = qingdan("import", str(good), "--tenant", t.slug)
    assert done.returncode == 0, done.stderr
    assert "已导入2027年放假安排" in done.stdout and "放假 7 天" in done.stdout

    done = qingdan("add-workdays", "2027-09-30", "1", "--tenant", t.slug)
    assert done.stdout.splitlines() == ["2027-10-08"]
    done = qingdan("add-workdays", "2027-09-30", "1")  # the platform has no 2027
    assert done.stdout.splitlines()[0] == "2027-10-01" and "暂按周末推算" in done.stdout

    done = qingdan("show", "2027", "--tenant", t.slug)
    assert done.returncode == 0, done.stderr
    assert (
        "已录入的放假安排(本租户)" in done.stdout
        and "2027-09-26  周日  上班  国庆节调休" in done.stdout
    )
    assert "未录入放假安排" in qingdan("show", "2027").stdout
    assert "chinesecalendar" in qingdan("show", "2026").stdout

    assert qingdan("add-workdays", "2027-09-30", "1", "--tenant", "no-such").returncode == 1


async def test_cli_import_without_tenant_is_platform_wide(database, tmp_path):
    good = tmp_path / "2094.csv"
    good.write_text(csv_for(2094, "平台录入"))
    done = qingdan("import", str(good))
    assert done.returncode == 0, done.stderr
    assert "全平台" in done.stdout
    assert (await load_calendar(None)).knows_year(2094)
    assert "已录入的放假安排(平台)" in qingdan("show", "2094").stdout
