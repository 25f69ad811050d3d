"""The working-day calendar page of a tenant administrator: the year's grid and
where its holidays come from, import of a schedule file, single-day edits,
the 期限试算 box, the example file, and who may see the page.

Platform-wide rows are shared by the whole session (test_calendar_store uses
2091-2094 for them), so the unknown year here is 2095, and only ever imported
for one test tenant. Data is set up before the client opens and checked after
it closes (the app rebinds the database engine on startup).
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.audit.tables import AuditEntry
from qingdan.core.calendar import (
    WorkingCalendar,
    import_schedule,
    load_calendar,
    parse_schedule,
)
from qingdan.core.calendar.services import builtin_schedule, get_schedule
from qingdan.core.testing import PASSWORD, SYSTEM
from qingdan.web.controllers.calendar import default_year
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
HX_CHECK = {"HX-Request": "true", "HX-Target": "calendar-check"}
YEAR = 2095  # nobody stores it platform-wide
PROVISIONAL_BANNER = "暂无官方放假安排:期限暂按周末推算,标注为“暂定”"


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(c, slug: str, username: str = "tenant_admin"):
    page = await c.get(f"/t/{slug}/login")
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r


def url(t, rest: str = "") -> str:
    return f"/t/{t.slug}/admin/calendar{rest}"


async def post_form(c, page_url: str, target: str, data: dict | None = None, **kwargs):
    """POST ``data`` with the CSRF token of ``page_url``, as the page's form would."""
    page = await c.get(page_url)
    assert page.status_code == 200, page.text
    return await c.post(
        target,
        data={**(data or {}), "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
        **kwargs,
    )


async def upload(c, t, text: str | bytes, filename: str = f"{YEAR}.csv", shown: int = YEAR):
    data = text.encode("utf-8-sig") if isinstance(text, str) else text
    return await post_form(
        c,
        url(t, f"?year={shown}"),
        url(t, "/import"),
        {"year": str(shown)},
        files={"file": (filename, data, "text/csv")},
    )


def csv_for(year: int) -> str:
    """A made-up schedule (the format, not the facts): National Day 10-01..10-07
    off, the Sunday before and the Saturday after worked."""
    oct1 = date(year, 10, 1)
    sunday_before = oct1 - timedelta(days=(oct1.weekday() + 1) % 7 or 7)
    saturday_after = date(year, 10, 8) + timedelta(days=(5 - date(year, 10, 8).weekday()) % 7)
    lines = [f"# 来源: 国务院办公厅关于{year}年部分节假日安排的通知", "日期,类型,名称"]
    lines += [f"{year}-10-{d:02d},放假,国庆节" for d in range(1, 8)]
    lines += [f"{sunday_before},上班,国庆节调休", f"{saturday_after},上班,国庆节调休"]
    return "\n".join(lines) + "\n"


def day_row(html: str, day: str) -> str:
    """The text of the days table's row for ``day`` (tags dropped)."""
    match = re.search(
        rf"<tr class=\"cal-row-\w+\">\s*<td class=\"nowrap\">{day}</td>(.*?)</tr>", html, re.S
    )
    assert match, f"no row for {day}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def check_url(t, start: date, n: int, year: int = YEAR) -> str:
    return url(t, f"?year={year}&start={start.isoformat()}&n={n}")


async def calendar_actions(tenant_id: int) -> list[dict]:
    return await AuditEntry.select(AuditEntry.action, AuditEntry.actor).where(
        (AuditEntry.tenant == tenant_id) & AuditEntry.action.like("calendar.%")
    )


# The page ---------------------------------------------------------------------------------


async def test_2025_shows_national_day_and_the_make_up_workday(make_tenant):
    t = await make_tenant()
    async with client() as c:
        await login(c, t.slug)
        r = await c.get(url(t, "?year=2025"))
    assert r.status_code == 200
    text = r.text
    assert "工作日日历 · 2025年" in text
    assert "2025年数据来源:内置(chinesecalendar)" in text
    assert "来源:chinesecalendar" in text
    # The legend and twelve months, Monday first.
    for word in ("放假", "调休上班", "周末", "今天"):
        assert word in text.split('class="cal-legend"')[1].split("</ul>")[0]
    assert text.count('<table class="cal-month">') == 12
    assert "<caption>1月</caption>" in text and "<caption>12月</caption>" in text
    head = text.split('<table class="cal-month">')[1].split("</thead>")[0]
    assert re.findall(r"<th[^>]*>(.)</th>", head) == list("一二三四五六日")
    # The holidays with their names, and the make-up Sunday 09-28 as 上班.
    for d in range(1, 9):
        row = day_row(text, f"2025-10-0{d}")
        assert "放假" in row and ("国庆节" in row or "中秋节" in row)
    assert day_row(text, "2025-10-01") == "周三 放假 国庆节 取消 2025-10-01的放假安排"
    assert day_row(text, "2025-09-28").startswith("周日 上班 国庆节调休")
    assert '<td class="cal-day cal-workday" title="9月28日 周日 调休上班:国庆节调休">' in text
    assert '<td class="cal-day cal-holiday" title="10月1日 周三 放假:国庆节">' in text
    assert '<td class="cal-day cal-weekend" title="9月27日 周六 周末">' in text
    assert "1日–5日 国庆节(放假)" in text and "28日 国庆节调休(上班)" in text
    assert PROVISIONAL_BANNER not in text
    # Year navigation.
    assert f'href="{url(t, "?year=2024")}"' in text and f'href="{url(t, "?year=2026")}"' in text


async def test_a_year_without_data_shows_the_provisional_banner(make_tenant):
    t = await make_tenant()
    start = date(YEAR, 9, 29)
    async with client() as c:
        await login(c, t.slug)
        r = await c.get(url(t, f"?year={YEAR}"))
        check = await c.get(check_url(t, start, 1), headers=HX_CHECK)
    assert r.status_code == 200
    assert f"{YEAR}年{PROVISIONAL_BANNER}" in r.text
    assert f"{YEAR}年尚无放假安排" in r.text
    assert 'class="cal-day cal-holiday"' not in r.text
    # The box counts weekends only and says the answer is provisional.
    expected = WorkingCalendar(builtin=False).add_working_days(start, 1)
    assert check.status_code == 200 and "<html" not in check.text
    assert f"<strong>{expected.due.isoformat()}</strong>" in check.text
    assert '<span class="provisional">暂定</span>' in check.text
    assert f"待录入{YEAR}年放假安排" in check.text


async def test_the_default_year_is_the_one_to_enter_next(make_tenant):
    t = await make_tenant()
    expected = default_year(await load_calendar(t.tenant_id))
    async with client() as c:
        await login(c, t.slug)
        r = await c.get(url(t))
    assert r.status_code == 200
    assert f"工作日日历 · {expected}年" in r.text


# Import ----------------------------------------------------------------------------------------


async def test_importing_a_schedule_file_makes_the_year_known(make_tenant):
    t = await make_tenant()
    text = csv_for(YEAR)
    start = date(YEAR, 9, 30)
    expected = WorkingCalendar([parse_schedule(text)], builtin=False).add_working_days(start, 1)
    assert not expected.provisional
    async with client() as c:
        await login(c, t.slug)
        before = await c.get(check_url(t, start, 1), headers=HX_CHECK)
        r = await upload(c, t, text)
        assert r.status_code == 303, r.text
        assert r.headers["location"] == url(t, f"?year={YEAR}&done=import")
        page = await c.get(r.headers["location"])
        after = await c.get(check_url(t, start, 1), headers=HX_CHECK)
    assert "暂定" in before.text
    assert page.status_code == 200
    html = page.text
    assert f"已导入{YEAR}年放假安排" in html
    assert f"{YEAR}年数据来源:本租户录入" in html
    assert f"来源:国务院办公厅关于{YEAR}年部分节假日安排的通知;租户管理员 于" in html
    assert PROVISIONAL_BANNER not in html
    assert day_row(html, f"{YEAR}-10-01").split(" 取消")[0].endswith("放假 国庆节")
    assert "放假 7 天,调休上班 2 天" in html
    # The stored years list: this tenant's year, its source, who entered it.
    years = html.split('id="stored-years"')[1]
    assert f">{YEAR}年</a>" in years and "本租户" in years
    assert f"国务院办公厅关于{YEAR}年部分节假日安排的通知" in years
    assert "租户管理员" in years and "生效" in years
    # The box now counts the holidays and is not provisional.
    assert f"<strong>{expected.due.isoformat()}</strong>" in after.text
    assert "非暂定" in after.text and "provisional" not in after.text

    stored = await get_schedule(t.tenant_id, YEAR)
    assert stored is not None and len(stored.holidays) == 7 and len(stored.workdays) == 2
    assert [dict(r) for r in await calendar_actions(t.tenant_id)] == [
        {"action": "calendar.import", "actor": t.users["tenant_admin"]}
    ]


async def test_a_bad_file_lists_every_bad_row_and_writes_nothing(make_tenant):
    t = await make_tenant()
    text = "\n".join(
        [
            "日期,类型,名称",
            f"{YEAR}-10-01,放假,国庆节",
            f"{YEAR}-02-30,放假,春节",
            f"{YEAR}-10-02,休假,国庆节",
        ]
    )
    async with client() as c:
        await login(c, t.slug)
        r = await upload(c, t, text, filename="坏文件.csv")
        empty = await post_form(c, url(t, f"?year={YEAR}"), url(t, "/import"), {"year": str(YEAR)})
    assert r.status_code == 400
    errors = r.text.split('id="import-errors"')[1].split("</div>")[0]
    assert "文件“坏文件.csv”有2处错误,未导入任何数据" in errors
    items = re.findall(r"<li>(.*?)</li>", errors)
    assert len(items) == 2
    assert items[0].startswith("第3行“日期”列: “2095-02-30”不是有效日期")
    assert items[1].startswith("第4行“类型”列: “休假”应为“放假”或“上班”")
    # The page is still the year shown, with the form to try again.
    assert f"{YEAR}年{PROVISIONAL_BANNER}" in r.text
    assert 'enctype="multipart/form-data"' in r.text
    assert empty.status_code == 400 and "请选择要导入的放假安排文件" in empty.text

    assert await get_schedule(t.tenant_id, YEAR) is None
    assert await calendar_actions(t.tenant_id) == []


# Single days ------------------------------------------------------------------------------------


async def test_set_and_remove_a_day_from_the_page(make_tenant):
    t = await make_tenant()
    await import_schedule(t.tenant_id, SYSTEM, csv_for(YEAR), f"{YEAR}.csv")
    weekday = next(
        d for d in (date(YEAR, 6, 15) + timedelta(n) for n in range(7)) if d.weekday() < 5
    )
    page_url = url(t, f"?year={YEAR}")
    async with client() as c:
        await login(c, t.slug)
        r = await post_form(
            c,
            page_url,
            url(t, "/days"),
            {"year": str(YEAR), "day": weekday.isoformat(), "kind": "holiday", "name": "地方节日"},
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == url(t, f"?year={YEAR}&done=set_day#days")
        page = await c.get(page_url)
        assert "已保存该日的安排" not in page.text  # only after the redirect
        assert day_row(page.text, weekday.isoformat()).split(" 取消")[0].endswith("放假 地方节日")

        # A weekday cannot be a make-up workday: 400, the message beside the form.
        refused = await post_form(
            c,
            page_url,
            url(t, "/days"),
            {"year": str(YEAR), "day": weekday.isoformat(), "kind": "workday", "name": "调休"},
        )
        assert refused.status_code == 400
        assert 'id="set-day-error"' in refused.text and "本就是工作日" in refused.text
        assert f'value="{weekday.isoformat()}"' in refused.text

        removed = await post_form(c, page_url, url(t, f"/days/{weekday.isoformat()}/remove"))
        assert removed.status_code == 303
        assert removed.headers["location"] == url(t, f"?year={YEAR}&done=remove_day#days")
        after = (await c.get(removed.headers["location"])).text
        assert "已取消该日的安排" in after
        assert f'<td class="nowrap">{weekday.isoformat()}</td>' not in after

        # A day that is not in the schedule cannot be removed.
        again = await post_form(c, page_url, url(t, f"/days/{weekday.isoformat()}/remove"))
        assert again.status_code == 400 and "不是2095年放假安排中的" in again.text
        bad = await post_form(c, page_url, url(t, "/days/2095-13-01/remove"))
        assert bad.status_code == 404

    actions = [r["action"] for r in await calendar_actions(t.tenant_id)]
    assert actions == ["calendar.import", "calendar.set_day", "calendar.remove_day"]
    stored = await get_schedule(t.tenant_id, YEAR)
    assert weekday not in {d.day for d in stored.days}


async def test_editing_a_built_in_year_copies_it_and_restore_goes_back(make_tenant):
    t = await make_tenant()
    page_url = url(t, "?year=2025")
    async with client() as c:
        await login(c, t.slug)
        first = await c.get(page_url)
        assert "恢复为" not in first.text
        assert "会先把当前生效的安排(内置(chinesecalendar))复制为本租户的2025年安排" in first.text
        r = await post_form(c, page_url, url(t, "/days/2025-09-28/remove"))
        assert r.status_code == 303
        page = (await c.get(page_url)).text
        assert "2025年数据来源:本租户录入" in page
        assert '<td class="nowrap">2025-09-28</td>' not in page
        assert day_row(page, "2025-10-11").startswith("周六 上班 国庆节调休")
        assert "恢复为内置安排" in page

        restore = await post_form(c, page_url, url(t, "/years/2025/remove"))
        assert restore.status_code == 303
        back = (await c.get(restore.headers["location"])).text
        assert "已删除本租户录入的2025年放假安排" in back
        assert "2025年数据来源:内置(chinesecalendar)" in back
        assert day_row(back, "2025-09-28").startswith("周日 上班 国庆节调休")

        # Nothing left to restore; a year without data cannot be edited by hand.
        none_left = await post_form(c, page_url, url(t, "/years/2025/remove"))
        assert none_left.status_code == 400 and "本租户没有录入2025年的放假安排" in none_left.text
        unknown = await post_form(
            c,
            page_url,
            url(t, "/days"),
            {"year": str(YEAR), "day": f"{YEAR}-10-01", "kind": "holiday", "name": "国庆节"},
        )
        assert unknown.status_code == 400 and f"请先导入{YEAR}年的放假安排文件" in unknown.text

    actions = [r["action"] for r in await calendar_actions(t.tenant_id)]
    assert actions == ["calendar.remove_day", "calendar.remove_year"]
    assert await get_schedule(t.tenant_id, 2025) is None
    assert await get_schedule(t.tenant_id, YEAR) is None


# The example file ---------------------------------------------------------------------------------


async def test_the_example_file_downloads_and_imports_cleanly(make_tenant):
    t = await make_tenant()
    async with client() as c:
        await login(c, t.slug)
        page = await c.get(url(t, f"?year={YEAR}"))
        assert f'href="{url(t, f"/example.csv?year={YEAR}")}"' in page.text
        example = await c.get(url(t, f"/example.csv?year={YEAR}"))
        known = await c.get(url(t, "/example.csv?year=2025"))
        assert example.status_code == 200
        assert example.headers["content-type"].startswith("text/csv")
        disposition = example.headers["content-disposition"]
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"放假安排-{YEAR}.csv"
        assert example.content.startswith("\ufeff".encode())
        r = await upload(c, t, example.content, filename=f"放假安排-{YEAR}.csv")
        assert r.status_code == 303, r.text
        shown = (await c.get(r.headers["location"])).text
        assert f"{YEAR}年数据来源:本租户录入" in shown
        assert day_row(shown, f"{YEAR}-01-01").split(" 取消")[0].endswith("放假 元旦")

        # A known year's example is the schedule in effect, and imports back as it is.
        again = await upload(c, t, known.content, filename="2025.csv", shown=2025)
        assert again.status_code == 303, again.text
    text = example.content.decode("utf-8-sig")
    assert "日期,类型,名称" in text and f"{YEAR}-10-01,放假,国庆节" in text
    assert parse_schedule(example.content).year == YEAR
    stored = await get_schedule(t.tenant_id, 2025)
    assert stored is not None and stored.days == builtin_schedule(2025).days


# Who may see it -------------------------------------------------------------------------------------


async def test_only_the_tenant_admin_of_this_tenant(make_tenant):
    t = await make_tenant()
    other = await make_tenant()
    async with client() as c:
        await login(c, t.slug, "clerk")
        assert (await c.get(url(t, "?year=2025"))).status_code == 403
        assert (await c.get(url(t, "/example.csv"))).status_code == 403
        r = await upload_as_other(c, t, f"/t/{t.slug}/")
        assert r.status_code == 403
    async with client() as c:
        await login(c, other.slug, "tenant_admin")
        assert (await c.get(url(other, "?year=2025"))).status_code == 200
        assert (await c.get(url(t, "?year=2025"))).status_code == 404
        assert (await c.get(url(t, "/example.csv"))).status_code == 404
        r = await upload_as_other(c, t, f"/t/{other.slug}/")
        assert r.status_code == 404
        removed = await post_form(c, f"/t/{other.slug}/", url(t, "/years/2025/remove"))
        assert removed.status_code == 404
    assert await get_schedule(t.tenant_id, YEAR) is None
    assert await calendar_actions(t.tenant_id) == []


async def upload_as_other(c, t, token_page: str):
    """Post a valid file to ``t``'s import with a token from a page the user may see."""
    return await post_form(
        c,
        token_page,
        url(t, "/import"),
        {"year": str(YEAR)},
        files={"file": ("x.csv", csv_for(YEAR).encode(), "text/csv")},
    )
