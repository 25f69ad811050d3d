"""梳理工作 pages: the campaign list, creating a campaign from the plugin's template,
the progress view (filterable, downloadable as an Excel file), the dates and
agencies of a campaign, and each agency's submission page with the sign-off
upload and the reviewing offices' actions.

Every change is a plain form POST answered with 303 back to its page
(POST-redirect-GET); a refused form shows the page again, status 400, with the
service's Chinese message next to the field. Who may see what is checked here
(the progress view is the offices', an agency page its own people's and the
offices'); who may change what is checked again by the services.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core import files
from qingdan.core.calendar import load_calendar, local_date
from qingdan.core.campaigns import services as campaigns
from qingdan.core.campaigns.detail import own_agencies, status_counts, submission_detail
from qingdan.core.campaigns.export import progress_workbook
from qingdan.core.campaigns.permissions import may_manage, may_oversee
from qingdan.core.campaigns.progress import (
    EXTRA_FILTERS,
    campaign_progress,
    phase_views,
    stage_label,
)
from qingdan.core.campaigns.schemas import (
    SUBMISSION_STATUS_LABELS,
    PhaseDates,
    SubmissionStatus,
)
from qingdan.core.campaigns.templates import default_dates
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.web.controllers.changes import content_disposition
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_date, form_int, form_text
from qingdan.web.rendering import render, wants_block

NAV_PATH = "/campaigns"
RESULTS = "progress-results"  # the progress table, swapped alone by the filter form
MAX_UPLOAD_BODY = files.MAX_BYTES + 1024 * 1024

#: What a page says after a change (``?done=`` after the redirect).
DONE_MESSAGES = {
    "created": "已发起梳理工作。",
    "dates": "已保存阶段日期。",
    "agencies": "已增加参与部门。",
    "submitted": "已报送。",
    "unsigned": "已报送,待上传部门主要负责人审签件:上传后报送才计入。",
    "signoff": "已上传审签件,报送已计入。",
    "pass": "已审核通过。",
    "return": "已退回,并告知退回理由。",
}

#: The filter of the progress view: statuses, then the derived ones.
STATUS_FILTERS = {
    **{s.value: label for s, label in SUBMISSION_STATUS_LABELS.items()},
    "not_required": "无事项,无需报送",
    **EXTRA_FILTERS,
}


def _today() -> date:
    return local_date(datetime.now(UTC))


def _phase_dates(form: Any, phases: list[tuple[str, str, bool]]) -> list[PhaseDates]:
    """The dates posted for ``phases`` (code, name, takes submissions), each required."""
    result = []
    for code, name, submissions in phases:
        start = form_date(form, f"{code}_start", f"“{name}”的开始日期")
        end = form_date(form, f"{code}_end", f"“{name}”的结束日期")
        due = form_date(form, f"{code}_due", f"“{name}”的报送截止日期") if submissions else None
        if start is None:
            raise DomainError(f"请填写“{name}”的开始日期", f"{code}_start")
        if end is None:
            raise DomainError(f"请填写“{name}”的结束日期", f"{code}_end")
        if submissions and due is None:
            raise DomainError(f"请填写“{name}”的报送截止日期", f"{code}_due")
        result.append(PhaseDates(code=code, name=name, start=start, end=end, due=due))
    return result


def _date_values(phases: list[PhaseDates]) -> dict[str, str]:
    values = {}
    for p in phases:
        values[f"{p.code}_start"] = p.start.isoformat()
        values[f"{p.code}_end"] = p.end.isoformat()
        if p.due is not None:
            values[f"{p.code}_due"] = p.due.isoformat()
    return values


def _form_values(form: Any, names: list[str]) -> dict[str, str]:
    return {n: form_text(form, n, 200) for n in names}


def _agency_ids(form: Any) -> list[int]:
    raw = form.getall("agencies", [])
    ids = []
    for value in raw if isinstance(raw, list) else [raw]:
        text = str(value).strip()
        if not text.isdigit():
            raise DomainError("所选部门无效,请刷新页面后重新选择", "agencies")
        ids.append(int(text))
    return ids


def _year(raw: Any, default: int) -> int:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else default


def _error(exc: DomainError, fields: set[str]) -> dict[str, str]:
    """The message under its field, or at the top of the form (``""``)."""
    return {exc.field if exc.field in fields else "": exc.message}


class CampaignController(TenantController):
    path = "/t/{slug:str}" + NAV_PATH

    # The list --------------------------------------------------------------------------

    @get("/", name="campaigns:list")
    async def index(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        today = _today()
        counts = await status_counts(ctx)
        rows = []
        for c in await campaigns.list_campaigns(ctx):
            phases = await campaigns.phases_of(ctx, c["id"])
            reviewers = {r["role"] for p in phases for r in p["reviewers"] or []}
            views = phase_views(phases, today)
            by_status = counts.get(c["id"], {})
            rows.append(
                {
                    "campaign": c,
                    "stage": stage_label(views),
                    "first": views[0] if views else None,
                    "last": views[-1] if views else None,
                    "total": sum(by_status.values()),
                    "counted": sum(n for s, n in by_status.items() if SubmissionStatus(s).counts),
                    "passed": by_status.get(SubmissionStatus.passed.value, 0),
                    "oversee": may_oversee(principal, reviewers),
                    "own": await own_agencies(ctx, principal, c["id"]),
                }
            )
        return render(
            request,
            "campaigns/list.html",
            {
                "base": f"/t/{ctx.slug}{NAV_PATH}",
                "rows": rows,
                "may_manage": may_manage(principal),
            },
        )

    # Creating ----------------------------------------------------------------------------

    async def _new_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        *,
        year: int,
        start: date | None = None,
        values: dict[str, str] | None = None,
        selected: set[int] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        if not may_manage(principal):
            raise PermissionDenied("只有租户管理员或大数据中心可以发起梳理工作")
        template = campaigns.campaign_template(ctx)
        agencies = await campaigns.active_agencies(ctx)
        if values is None:
            calendar = await load_calendar(ctx.tenant_id)
            dates = default_dates(template, year, calendar, start=start, today=_today())
            values = {"name": f"{year}年{template.name}", **_date_values(dates)}
        return render(
            request,
            "campaigns/new.html",
            {
                "base": f"/t/{ctx.slug}{NAV_PATH}",
                "template": template,
                "year": year,
                "start": start.isoformat() if start else "",
                "values": values,
                "agencies": agencies,
                "selected": selected if selected is not None else {a["id"] for a in agencies},
                "errors": errors or {},
                "offset_based": any(
                    p.start_day is not None or p.end_day is not None for p in template.phases
                ),
            },
            status_code=status_code,
        )

    @get("/new", name="campaigns:new")
    async def new(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        year: FromQuery[str] = "",
        start: FromQuery[str] = "",
    ) -> Response:
        today = _today()
        shown = _year(year, today.year)
        try:
            begin = date.fromisoformat(start) if start else None
        except ValueError:
            begin = None
        return await self._new_page(request, ctx, principal, year=shown, start=begin)

    @post("/", name="campaigns:create", status_code=303)
    async def create(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
    ) -> Response:
        form = await request.form()
        template = campaigns.campaign_template(ctx)
        phases = [(p.code, p.name, p.submissions) for p in template.phases]
        fields = ["name", "year"] + [
            f"{code}_{part}" for code, _, sub in phases for part in ("start", "end", "due")
        ]
        values = _form_values(form, fields)
        year = _year(values["year"], 0)
        selected: set[int] = set()
        try:
            selected = set(_agency_ids(form))
            if not year:
                raise DomainError("年度应为2000年至2100年之间的年份", "year")
            campaign = await campaigns.create_campaign(
                ctx,
                principal,
                year=year,
                name=values["name"],
                phases=_phase_dates(form, phases),
                agency_ids=selected,
            )
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._new_page(
                request,
                ctx,
                principal,
                year=year or _today().year,
                values=values,
                selected=selected,
                errors=_error(exc, {*fields, "agencies"}),
                status_code=400,
            )
        return Redirect(path=f"/t/{ctx.slug}{NAV_PATH}/{campaign.id}?done=created", status_code=303)

    # The progress view ---------------------------------------------------------------------

    async def _reviewer_roles(self, ctx: TenantContext, campaign_id: int) -> set[str]:
        phases = await campaigns.phases_of(ctx, campaign_id)
        return {r["role"] for p in phases for r in p["reviewers"] or []}

    async def _progress(
        self,
        ctx: TenantContext,
        principal: Principal,
        campaign_id: int,
        status: str,
        q: str,
        waiting: str,
    ) -> tuple[Any, dict[str, Any]]:
        roles = await self._reviewer_roles(ctx, campaign_id)
        if not may_oversee(principal, roles):
            raise PermissionDenied("您没有查看全部门报送情况的权限")
        filters = {
            "status": status if status in STATUS_FILTERS else "",
            "q": " ".join(q.split())[:50],
            "waiting": waiting if waiting.isdigit() else "",
        }
        progress = await campaign_progress(
            ctx,
            campaign_id,
            today=_today(),
            status=filters["status"],
            q=filters["q"],
            waiting=int(filters["waiting"]) if filters["waiting"] else None,
        )
        return progress, filters

    @get("/{campaign_id:int}", name="campaigns:progress")
    async def progress(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
        status: FromQuery[str] = "",
        q: FromQuery[str] = "",
        waiting: FromQuery[str] = "",
        done: FromQuery[str] = "",
    ) -> Response:
        await campaigns.get_campaign(ctx, campaign_id)  # NotFound before anything else
        roles = await self._reviewer_roles(ctx, campaign_id)
        if not may_oversee(principal, roles):
            # An agency's own people go to their agency's page.
            mine = await own_agencies(ctx, principal, campaign_id)
            if mine:
                return Redirect(
                    path=f"/t/{ctx.slug}{NAV_PATH}/{campaign_id}/agencies/{mine[0]['agency']}",
                    status_code=303,
                )
        progress, filters = await self._progress(ctx, principal, campaign_id, status, q, waiting)
        base = f"/t/{ctx.slug}{NAV_PATH}/{campaign_id}"
        query = "&".join(f"{k}={v}" for k, v in filters.items() if v)
        context = {
            "base": base,
            "list_url": f"/t/{ctx.slug}{NAV_PATH}",
            "progress": progress,
            "filters": filters,
            "status_filters": STATUS_FILTERS,
            "xlsx_url": f"{base}/progress.xlsx" + (f"?{query}" if query else ""),
            "may_manage": may_manage(principal),
            "done": DONE_MESSAGES.get(done, ""),
        }
        block = "results" if wants_block(request, RESULTS) else None
        return render(request, "campaigns/progress.html", context, block=block)

    @get("/{campaign_id:int}/progress.xlsx", name="campaigns:xlsx", opt={"nav": False})
    async def workbook(
        self,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
        status: FromQuery[str] = "",
        q: FromQuery[str] = "",
        waiting: FromQuery[str] = "",
    ) -> Response:
        progress, _ = await self._progress(ctx, principal, campaign_id, status, q, waiting)
        name = f"{progress.campaign['name']}-报送情况-{progress.today.isoformat()}.xlsx"
        return Response(
            content=progress_workbook(progress),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": content_disposition(name),
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    # Dates and agencies --------------------------------------------------------------------

    async def _edit_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        campaign_id: int,
        *,
        values: dict[str, str] | None = None,
        errors: dict[str, dict[str, str]] | None = None,
        done: str = "",
        status_code: int = 200,
    ) -> Response:
        if not may_manage(principal):
            raise PermissionDenied("只有租户管理员或大数据中心可以修改梳理工作")
        campaign = await campaigns.get_campaign(ctx, campaign_id)
        phases = await campaigns.phases_of(ctx, campaign_id)
        present = await campaigns.participant_ids(ctx, campaign_id)
        if values is None:
            values = {}
            for p in phases:
                values[f"{p['code']}_start"] = p["start_date"].isoformat()
                values[f"{p['code']}_end"] = p["end_date"].isoformat()
                if p["due_date"]:
                    values[f"{p['code']}_due"] = p["due_date"].isoformat()
        return render(
            request,
            "campaigns/edit.html",
            {
                "base": f"/t/{ctx.slug}{NAV_PATH}/{campaign_id}",
                "campaign": campaign,
                "phases": phases,
                "values": values,
                "others": [
                    a for a in await campaigns.active_agencies(ctx) if a["id"] not in present
                ],
                "errors": errors or {},
                "done": DONE_MESSAGES.get(done, ""),
            },
            status_code=status_code,
        )

    @get("/{campaign_id:int}/edit", name="campaigns:edit")
    async def edit(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
        done: FromQuery[str] = "",
    ) -> Response:
        return await self._edit_page(request, ctx, principal, campaign_id, done=done)

    @post("/{campaign_id:int}/dates", name="campaigns:dates", status_code=303)
    async def save_dates(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        phases = await campaigns.phases_of(ctx, campaign_id)
        spec = [(p["code"], p["name"], p["submissions"]) for p in phases]
        fields = [f"{c}_{part}" for c, _, _ in spec for part in ("start", "end", "due")]
        values = _form_values(form, fields)
        try:
            await campaigns.update_dates(
                ctx,
                principal,
                campaign_id,
                _phase_dates(form, spec),
                form_int(form, "lock_version") or 0,
            )
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._edit_page(
                request,
                ctx,
                principal,
                campaign_id,
                values=values,
                errors={"dates": _error(exc, set(fields))},
                status_code=400,
            )
        return Redirect(
            path=f"/t/{ctx.slug}{NAV_PATH}/{campaign_id}/edit?done=dates", status_code=303
        )

    @post("/{campaign_id:int}/agencies", name="campaigns:agencies", status_code=303)
    async def save_agencies(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        try:
            await campaigns.add_agencies(
                ctx, principal, campaign_id, _agency_ids(form), form_int(form, "lock_version") or 0
            )
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._edit_page(
                request,
                ctx,
                principal,
                campaign_id,
                errors={"agencies": {"": exc.message}},
                status_code=400,
            )
        return Redirect(
            path=f"/t/{ctx.slug}{NAV_PATH}/{campaign_id}/edit?done=agencies", status_code=303
        )

    # An agency's submission -------------------------------------------------------------------

    async def _submission_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        campaign_id: int,
        agency_id: int,
        *,
        errors: dict[str, dict[str, str]] | None = None,
        values: dict[str, str] | None = None,
        done: str = "",
        status_code: int = 200,
    ) -> Response:
        detail = await submission_detail(ctx, principal, campaign_id, agency_id, today=_today())
        return render(
            request,
            "campaigns/submission.html",
            {
                "base": f"/t/{ctx.slug}{NAV_PATH}/{campaign_id}/agencies/{agency_id}",
                "campaign_url": f"/t/{ctx.slug}{NAV_PATH}/{campaign_id}",
                "list_url": f"/t/{ctx.slug}{NAV_PATH}",
                "d": detail,
                "errors": errors or {},
                "values": values or {},
                "done": DONE_MESSAGES.get(done, ""),
            },
            status_code=status_code,
        )

    def _back(self, ctx: TenantContext, campaign_id: int, agency_id: int, done: str) -> Redirect:
        return Redirect(
            path=f"/t/{ctx.slug}{NAV_PATH}/{campaign_id}/agencies/{agency_id}?done={done}",
            status_code=303,
        )

    @get("/{campaign_id:int}/agencies/{agency_id:int}", name="campaigns:submission")
    async def submission(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
        agency_id: FromPath[int],
        done: FromQuery[str] = "",
    ) -> Response:
        return await self._submission_page(
            request, ctx, principal, campaign_id, agency_id, done=done
        )

    @post(
        "/{campaign_id:int}/agencies/{agency_id:int}/submit",
        name="campaigns:submit",
        status_code=303,
        request_max_body_size=MAX_UPLOAD_BODY,
    )
    async def submit(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
        agency_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        values = {
            "kind": form_text(form, "kind", 20),
            "zero_reason": form_text(form, "zero_reason"),
            "note": form_text(form, "note"),
        }
        upload = form.get("signoff")
        try:
            signoff = None
            if isinstance(upload, UploadFile) and upload.filename:
                signoff = (upload.filename, await upload.read())
            row = await campaigns.submit(
                ctx,
                principal,
                campaign_id,
                agency_id,
                kind=values["kind"],
                zero_reason=values["zero_reason"],
                note=values["note"],
                signoff=signoff,
                lock_version=form_int(form, "lock_version"),
            )
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._submission_page(
                request,
                ctx,
                principal,
                campaign_id,
                agency_id,
                errors={"submit": _error(exc, {"kind", "zero_reason", "signoff"})},
                values=values,
                status_code=400,
            )
        done = "submitted" if row["status"] == SubmissionStatus.submitted.value else "unsigned"
        return self._back(ctx, campaign_id, agency_id, done)

    @post(
        "/{campaign_id:int}/agencies/{agency_id:int}/signoff",
        name="campaigns:signoff",
        status_code=303,
        request_max_body_size=MAX_UPLOAD_BODY,
    )
    async def signoff(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
        agency_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        upload = form.get("signoff")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise DomainError("请选择部门主要负责人审签并加盖公章的材料(PDF或图片)", "signoff")
            await campaigns.attach_signoff(
                ctx,
                principal,
                campaign_id,
                agency_id,
                upload.filename,
                await upload.read(),
                lock_version=form_int(form, "lock_version"),
            )
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._submission_page(
                request,
                ctx,
                principal,
                campaign_id,
                agency_id,
                errors={"signoff": _error(exc, {"signoff"})},
                status_code=400,
            )
        return self._back(ctx, campaign_id, agency_id, "signoff")

    @post(
        "/{campaign_id:int}/agencies/{agency_id:int}/review",
        name="campaigns:review",
        status_code=303,
    )
    async def review(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
        agency_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        values = {"outcome": form_text(form, "outcome", 20), "reason": form_text(form, "reason")}
        position = form_int(form, "position")
        try:
            if position is None:
                raise NotFound("审核环节")
            await campaigns.review(
                ctx,
                principal,
                campaign_id,
                agency_id,
                position=position,
                outcome=values["outcome"],
                reason=values["reason"],
                lock_version=form_int(form, "lock_version"),
            )
        except (PermissionDenied, ConflictError, NotFound):
            raise
        except DomainError as exc:
            return await self._submission_page(
                request,
                ctx,
                principal,
                campaign_id,
                agency_id,
                errors={"review": _error(exc, {"outcome", "reason"})},
                values=values,
                status_code=400,
            )
        return self._back(ctx, campaign_id, agency_id, values["outcome"])

    @get(
        "/{campaign_id:int}/agencies/{agency_id:int}/signoffs/{signoff_id:int}",
        name="campaigns:signoff_file",
        opt={"nav": False},
    )
    async def signoff_download(
        self,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        campaign_id: FromPath[int],
        agency_id: FromPath[int],
        signoff_id: FromPath[int],
    ) -> Response:
        # The page's own check: the agency's people and the offices only.
        detail = await submission_detail(ctx, principal, campaign_id, agency_id)
        row, data = await campaigns.signoff_file(ctx, detail.submission["id"], signoff_id)
        return Response(
            content=data,
            media_type=row["content_type"],
            headers={
                "Content-Disposition": content_disposition(row["filename"]),
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )
