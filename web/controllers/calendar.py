"""工作日日历: the tenant administrator's page for each year's holiday schedule.

Deadlines are counted in working days (docs/calendar.md). chinesecalendar
only knows the years up to its release; for a later year a tenant_admin
enters the State Council's notice here: imports it as a CSV file, or edits
single days, for this tenant only. Until then the year counts weekends only
and every deadline crossing it is provisional (暂定); the page says so.

Every change is a plain form POST answered with 303 back to the year
(POST-redirect-GET); a refused file or day shows the page again, status 400,
with the errors next to the form. The services audit every change.
"""

from __future__ import annotations

import calendar as month_calendar
import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core.calendar import (
    ScheduleDay,
    ScheduleFileError,
    StoredYear,
    WorkingCalendar,
    YearSchedule,
    import_schedule,
    list_years,
    load_calendar,
    local_date,
    remove_day,
    remove_year,
    set_day,
)
from qingdan.core.calendar.schemas import DAY_KIND_LABELS, DayKind, YearSource, provisional_note
from qingdan.core.calendar.services import MAX_YEAR, MIN_YEAR, NAME_LENGTH, builtin_knows
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.tenancy.services import load_principal
from qingdan.core.workflow.services import actor_of
from qingdan.web.controllers.changes import content_disposition
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_date, form_text
from qingdan.web.guards import requires_role, requires_tenant
from qingdan.web.nav import load_nav
from qingdan.web.rendering import render, wants_block

#: The page, under ``/t/{slug}``, and who may use it (web/nav.py links it for them).
NAV_PATH = "/admin/calendar"
CALENDAR_ROLES = (Role.tenant_admin,)

admins_only = requires_role(*CALENDAR_ROLES)

CHECK = "calendar-check"  # the 期限试算 box, swapped alone from htmx
WEEKDAYS = "一二三四五六日"
MAX_CHECK_DAYS = 1000
# A schedule file is a few KB; leave room for the form around it.
MAX_UPLOAD_BODY = 1024 * 1024

#: Where a year's holidays come from, as the banner says it.
ORIGIN_LABELS = {
    "tenant": "本租户录入",
    "platform": "平台录入",
    "builtin": "内置(chinesecalendar)",
    "unknown": "暂无官方放假安排:期限暂按周末推算,标注为“暂定”",
}

#: What the page says after a change (``?done=`` after the redirect).
DONE_MESSAGES = {
    "import": "已导入{year}年放假安排。",
    "set_day": "已保存该日的安排。",
    "remove_day": "已取消该日的安排。",
    "remove_year": "已删除本租户录入的{year}年放假安排。",
}

# Statutory holidays on fixed dates (全国年节及纪念日放假办法, as in force from 2025);
# the lunar ones (春节, 清明节, 端午节, 中秋节) and the 调休 days come from each
# year's notice.
FIXED_HOLIDAYS = (
    (1, 1, "元旦"),
    (5, 1, "劳动节"),
    (5, 2, "劳动节"),
    (10, 1, "国庆节"),
    (10, 2, "国庆节"),
    (10, 3, "国庆节"),
)


def _today() -> date:
    return local_date(datetime.now(UTC))


def weekday_label(d: date) -> str:
    return "周" + WEEKDAYS[d.weekday()]


def default_year(calendar: WorkingCalendar, today: date | None = None) -> int:
    """Next year once this year's holidays are known (the one to enter), else this year."""
    today = today or _today()
    year = today.year + 1 if calendar.knows_year(today.year) else today.year
    return min(max(year, MIN_YEAR), MAX_YEAR)


def parse_year(raw: Any) -> int | None:
    text = str(raw or "").strip()
    if not text.isdigit():
        return None
    year = int(text)
    return year if MIN_YEAR <= year <= MAX_YEAR else None


def _origin(
    calendar: WorkingCalendar, own: StoredYear | None, platform: StoredYear | None, year: int
) -> str:
    if own is not None:
        return "tenant"
    if platform is not None:
        return "platform"
    if calendar.year_source(year) is YearSource.chinesecalendar:
        return "builtin"
    return "unknown"


# The month grid -------------------------------------------------------------------------


def _cell(d: date, entry: ScheduleDay | None, today: date) -> dict[str, Any]:
    if entry is not None and entry.kind == DayKind.holiday:
        kind, mark, label = "holiday", "休", f"放假:{entry.name}"
    elif entry is not None:
        kind, mark, label = "workday", "班", f"调休上班:{entry.name}"
    elif d.weekday() >= 5:
        kind, mark, label = "weekend", "", "周末"
    else:
        kind, mark, label = "", "", ""
    title = f"{d.month}月{d.day}日 {weekday_label(d)}" + (f" {label}" if label else "")
    return {
        "date": d,
        "kind": kind,
        "mark": mark,
        "label": label,
        "title": title,
        "today": d == today,
    }


def _ranges(days: list[ScheduleDay]) -> list[dict[str, Any]]:
    """Consecutive days of the same kind and name as one line: 1日–5日 国庆节(放假)."""
    groups: list[dict[str, Any]] = []
    for d in days:
        last = groups[-1] if groups else None
        if (
            last is not None
            and last["kind"] == d.kind
            and last["name"] == d.name
            and last["end"] + timedelta(days=1) == d.day
        ):
            last["end"] = d.day
        else:
            groups.append(
                {
                    "kind": d.kind,
                    "kind_label": DAY_KIND_LABELS.get(d.kind, d.kind),
                    "name": d.name,
                    "start": d.day,
                    "end": d.day,
                }
            )
    return groups


def month_grid(year: int, schedule: YearSchedule | None, today: date) -> list[dict[str, Any]]:
    """Twelve months, each a list of weeks (Monday first) of day cells or None."""
    days = {d.day: d for d in (schedule.days if schedule else [])}
    weeks_of = month_calendar.Calendar(firstweekday=0).monthdatescalendar
    months = []
    for month in range(1, 13):
        weeks = [
            [_cell(d, days.get(d), today) if d.month == month else None for d in week]
            for week in weeks_of(year, month)
        ]
        in_month = [d for d in (schedule.days if schedule else []) if d.day.month == month]
        months.append({"month": month, "weeks": weeks, "notes": _ranges(in_month)})
    return months


# The example file -------------------------------------------------------------------------


def example_csv(year: int, schedule: YearSchedule | None, origin: str) -> str:
    """A schedule file for ``year`` that imports as it is.

    For a known year it holds the schedule in effect (to check or adapt);
    for an unknown one the fixed-date statutory holidays and how to complete
    them from the notice.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if schedule is not None:
        out.write(f"# 来源: {schedule.source}\r\n")
        out.write(f"# {year}年当前生效的放假安排({ORIGIN_LABELS[origin]}),可核对、修改后导入。\r\n")
        rows = [(d.day.isoformat(), DAY_KIND_LABELS[d.kind], d.name) for d in schedule.days]
    else:
        out.write(
            f"# 来源: 国务院办公厅关于{year}年部分节假日安排的通知(示例,请按通知核对补全)\r\n"
        )
        out.write(
            "# 本文件只是格式示例:只列出日期固定的法定节假日。请按国务院办公厅通知逐日补全"
            "春节、清明节、端午节、中秋节等放假的日子(落在周末的放假日也要列出),"
            "以及周末调休上班的日子(类型写“上班”)。\r\n"
        )
        oct1 = date(year, 10, 1)
        weekend_before = oct1 - timedelta(days=(oct1.weekday() + 1) % 7 or 7)  # the Sunday before
        out.write(f"# 调休上班的写法: {weekend_before.isoformat()},上班,国庆节调休\r\n")
        rows = [(date(year, m, d).isoformat(), "放假", name) for m, d, name in FIXED_HOLIDAYS]
    writer.writerow(["日期", "类型", "名称"])
    writer.writerows(rows)
    return out.getvalue()


# The 期限试算 box ----------------------------------------------------------------------------


def deadline_check(calendar: WorkingCalendar, start_raw: str, n_raw: str) -> dict[str, Any]:
    """The box's values, and add_working_days' answer when both were given."""
    start_raw, n_raw = start_raw.strip()[:20], n_raw.strip()[:10]
    view: dict[str, Any] = {"start": start_raw, "n": n_raw, "result": None, "error": ""}
    if not start_raw and not n_raw:
        return view
    try:
        start = date.fromisoformat(start_raw)
    except ValueError:
        view["error"] = "起算日期格式不正确,请按“年-月-日”填写"
        return view
    if not MIN_YEAR <= start.year <= MAX_YEAR:
        view["error"] = f"起算日期应在{MIN_YEAR}年至{MAX_YEAR}年之间"
        return view
    if not n_raw.isdigit() or int(n_raw) > MAX_CHECK_DAYS:
        view["error"] = f"工作日数应为0至{MAX_CHECK_DAYS}之间的整数"
        return view
    n = int(n_raw)
    deadline = calendar.add_working_days(start, n)
    view["result"] = {
        "start": start,
        "start_weekday": weekday_label(start),
        "n": n,
        "due": deadline.due,
        "due_weekday": weekday_label(deadline.due),
        "provisional": deadline.provisional,
        "note": provisional_note(deadline.years_without_data) if deadline.provisional else "",
        "label": deadline.label,
    }
    return view


# The stored years ---------------------------------------------------------------------------


async def _entered_by(
    stored: list[StoredYear], tenant_id: int
) -> dict[tuple[int, int | None], str]:
    """Who last changed each stored year, by (year, owner): a name for this tenant's
    users; platform rows name no one (their operators are not the tenant's users)."""
    names: dict[int, str] = {}
    result: dict[tuple[int, int | None], str] = {}
    for s in stored:
        key = (s.year, s.tenant_id)
        if s.tenant_id is None:
            result[key] = "平台管理员"
        elif s.entered_by is None:
            result[key] = "系统"
        else:
            if s.entered_by not in names:
                user = await load_principal(s.entered_by)
                ok = user is not None and user.tenant_id == tenant_id
                names[s.entered_by] = user.display_name if ok else "已停用的用户"
            result[key] = names[s.entered_by]
    return result


# The controller -----------------------------------------------------------------------------


def _redirect(ctx: TenantContext, year: int, done: str, anchor: str = "") -> Redirect:
    return Redirect(
        path=f"/t/{ctx.slug}{NAV_PATH}?year={year}&done={done}{anchor}", status_code=303
    )


def _path_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise NotFound("页面") from None


class CalendarController(TenantController):
    path = "/t/{slug:str}" + NAV_PATH
    # Own tenant (else 404), then tenant_admin (else 403), then the nav count.
    guards = [requires_tenant, admins_only, load_nav]  # noqa: RUF012

    async def _page(
        self,
        request: Request,
        ctx: TenantContext,
        year: int,
        *,
        done: str = "",
        check: tuple[str, str] = ("", ""),
        errors: dict[str, Any] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        calendar = await load_calendar(ctx.tenant_id)
        base = f"/t/{ctx.slug}{NAV_PATH}"
        context: dict[str, Any] = {
            "base": base,
            "year": year,
            "check": deadline_check(calendar, *check),
        }
        if wants_block(request, CHECK):
            return render(request, "admin/calendar.html", context, block="check")
        stored = await list_years(ctx.tenant_id)
        own = next((s for s in stored if s.year == year and s.tenant_id is not None), None)
        platform = next((s for s in stored if s.year == year and s.tenant_id is None), None)
        origin = _origin(calendar, own, platform, year)
        schedule = calendar.schedule(year)
        today = _today()
        if own is not None:
            restore_label = (
                "恢复为平台安排"
                if platform is not None
                else "恢复为内置安排"
                if builtin_knows(year)
                else "删除本租户的安排(恢复为按周末推算)"
            )
        else:
            restore_label = ""
        context |= {
            "origin": origin,
            "origin_label": ORIGIN_LABELS[origin],
            "schedule": schedule,
            "own": own,
            "platform": platform,
            "restore_label": restore_label,
            "months": month_grid(year, schedule, today),
            "weekdays": WEEKDAYS,
            "days": [
                {
                    "day": d.day,
                    "weekday": weekday_label(d.day),
                    "kind": d.kind,
                    "kind_label": DAY_KIND_LABELS.get(d.kind, d.kind),
                    "name": d.name,
                }
                for d in (schedule.days if schedule else [])
            ],
            "holidays": len(schedule.holidays) if schedule else 0,
            "workdays": len(schedule.workdays) if schedule else 0,
            "stored": stored,
            "entered_by": await _entered_by(stored, ctx.tenant_id),
            "done": DONE_MESSAGES.get(done, "").format(year=year),
            "errors": errors or {},
            "values": values or {},
            "min_year": MIN_YEAR,
            "max_year": MAX_YEAR,
            "name_length": NAME_LENGTH,
            "this_year": today.year,
        }
        return render(request, "admin/calendar.html", context, status_code=status_code)

    async def _shown_year(self, ctx: TenantContext, raw: Any) -> int:
        year = parse_year(raw)
        return year if year is not None else default_year(await load_calendar(ctx.tenant_id))

    @get("/", name="calendar:page")
    async def page(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        year: FromQuery[str] = "",
        done: FromQuery[str] = "",
        start: FromQuery[str] = "",
        n: FromQuery[str] = "",
    ) -> Response:
        shown = await self._shown_year(ctx, year)
        return await self._page(request, ctx, shown, done=done, check=(start, n))

    @get("/example.csv", name="calendar:example", opt={"nav": False})
    async def example(
        self, ctx: NamedDependency[TenantContext], year: FromQuery[str] = ""
    ) -> Response:
        calendar = await load_calendar(ctx.tenant_id)
        shown = parse_year(year) or default_year(calendar)
        stored = await list_years(ctx.tenant_id)
        own = next((s for s in stored if s.year == shown and s.tenant_id is not None), None)
        platform = next((s for s in stored if s.year == shown and s.tenant_id is None), None)
        origin = _origin(calendar, own, platform, shown)
        text = example_csv(shown, calendar.schedule(shown), origin)
        return Response(
            # With a BOM, so Excel opens the UTF-8 file as UTF-8.
            content=("\ufeff" + text).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": content_disposition(f"放假安排-{shown}.csv"),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )

    @post(
        "/import",
        name="calendar:import",
        status_code=303,
        request_max_body_size=MAX_UPLOAD_BODY,
    )
    async def import_file(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        shown = await self._shown_year(ctx, form_text(form, "year", 10))
        upload = form.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise DomainError("请选择要导入的放假安排文件(CSV)", "file")
            data = await upload.read()
            schedule = await import_schedule(
                ctx.tenant_id, actor_of(principal), data, upload.filename
            )
        except (PermissionDenied, ConflictError):
            raise
        except ScheduleFileError as exc:
            head = exc.message.split("\n", 1)[0]
            errors = {"import_head": head, "import": list(exc.errors)}
            return await self._page(request, ctx, shown, errors=errors, status_code=400)
        except DomainError as exc:
            errors = {"import_head": exc.message, "import": []}
            return await self._page(request, ctx, shown, errors=errors, status_code=400)
        return _redirect(ctx, schedule.year, "import")

    @post("/days", name="calendar:set_day", status_code=303)
    async def save_day(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        values = {
            "day": form_text(form, "day", 20),
            "kind": form_text(form, "kind", 20),
            "name": form_text(form, "name", 200),
        }
        day: date | None = None
        try:
            day = form_date(form, "day", "日期")
            if day is None:
                raise DomainError("请填写日期", "day")
            await set_day(ctx.tenant_id, actor_of(principal), day, values["kind"], values["name"])
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            shown = parse_year(day.year if day else None) or await self._shown_year(
                ctx, form_text(form, "year", 10)
            )
            field = exc.field if exc.field in ("day", "kind", "name") else ""
            return await self._page(
                request,
                ctx,
                shown,
                errors={"set_day": {field: exc.message}},
                values=values,
                status_code=400,
            )
        return _redirect(ctx, day.year, "set_day", "#days")

    @post("/days/{day:str}/remove", name="calendar:remove_day", status_code=303)
    async def drop_day(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        day: FromPath[str],
    ) -> Response:
        when = _path_date(day)
        try:
            await remove_day(ctx.tenant_id, actor_of(principal), when)
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            shown = parse_year(when.year) or await self._shown_year(ctx, "")
            return await self._page(
                request, ctx, shown, errors={"days": exc.message}, status_code=400
            )
        return _redirect(ctx, when.year, "remove_day", "#days")

    @post("/years/{year:int}/remove", name="calendar:remove_year", status_code=303)
    async def drop_year(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        year: FromPath[int],
    ) -> Response:
        if parse_year(year) is None:
            raise NotFound("页面")
        try:
            await remove_year(ctx.tenant_id, actor_of(principal), year)
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._page(
                request, ctx, year, errors={"restore": exc.message}, status_code=400
            )
        return _redirect(ctx, year, "remove_year")
