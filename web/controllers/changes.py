"""A change request: its page, the reviewers' and author's actions, its attachments.

Every action is a plain form POST answered with 303 back to the page
(POST-redirect-GET), so it works without JavaScript; from htmx the page's
``change`` block comes back instead and replaces itself. A refused action with
something to fix (a missing reason, a wrong file type) shows the page again,
status 400, with the message next to the field.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core import files
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.workflow import services as wf
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.forms import form_text
from qingdan.web.rendering import render, wants_block
from qingdan.web.workflow_views import DONE_MESSAGES, change_view, field_errors

BLOCK = "change"
EXPIRED = "页面已过期,请刷新页面查看申请的最新内容后再审核"

#: The fields of each action's form; an error about any other field shows atop the form.
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "approve": ("comment",),
    "return": ("reason",),
    "reject": ("reason",),
    "skip": ("reason",),
    "withdraw": ("reason",),
    "resubmit": ("reason",),
    "attachment": ("kind", "file"),
}
# Upload limit of the file store, plus room for the form around the file.
MAX_UPLOAD_BODY = files.MAX_BYTES + 1024 * 1024


async def _approve(ctx: TenantContext, principal: Principal, cr_id: int, form: Any) -> None:
    # The page sends the version it showed; approving without knowing what was
    # seen would let an approval pass for a version nobody looked at.
    raw = form.get("seen_version")
    if not isinstance(raw, str):
        raise ConflictError(EXPIRED)
    cr = await wf.get_request(ctx, cr_id)
    seen = int(raw) if raw.strip().isdigit() else None
    if seen is None and cr.version is not None:
        raise ConflictError(EXPIRED)
    await wf.approve(
        ctx,
        principal,
        cr_id,
        form_text(form, "comment"),
        seen_version=seen,
        seen_step=_seen_step(form),
    )


def _seen_step(form: Any) -> int | None:
    # The step the page showed: acting after someone else moved the request on
    # is refused as a conflict (409, refresh) rather than as a missing right.
    raw = form.get("seen_step")
    return int(raw) if isinstance(raw, str) and raw.strip().isdigit() else None


async def _perform(
    action: str, ctx: TenantContext, principal: Principal, cr_id: int, form: Any
) -> None:
    reason = form_text(form, "reason")
    if action == "approve":
        await _approve(ctx, principal, cr_id, form)
    elif action == "return":
        await wf.return_request(ctx, principal, cr_id, reason, _seen_step(form))
    elif action == "reject":
        await wf.reject(ctx, principal, cr_id, reason, _seen_step(form))
    elif action == "skip":
        await wf.skip(ctx, principal, cr_id, reason, _seen_step(form))
    elif action == "withdraw":
        await wf.withdraw(ctx, principal, cr_id, reason)
    elif action == "resubmit":
        await wf.resubmit(ctx, principal, cr_id, reason)
    else:
        raise NotFound("页面")


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback and the real (Chinese) name per RFC 6266/5987."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback or 'attachment'}\"; filename*=UTF-8''{quote(filename, safe='')}"


class ChangeController(TenantController):
    path = "/t/{slug:str}"

    async def _page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        cr_id: int,
        *,
        errors: dict[str, dict[str, str]] | None = None,
        values: dict[str, dict[str, str]] | None = None,
        done: FromQuery[str] = "",
        status_code: int = 200,
        after_action: bool = False,
    ) -> Response:
        view = await change_view(ctx, principal, cr_id)
        block = BLOCK if wants_block(request, BLOCK) else None
        oob_waiting = None
        if block and after_action:
            # The nav's badge is outside the block: refresh it out of band.
            from qingdan.core.workflow.inbox import inbox_for

            oob_waiting = len((await inbox_for(ctx, principal)).waiting)
        context = {
            "view": view,
            "cr": view.cr,
            "base": f"/t/{ctx.slug}",
            "errors": errors or {},
            "values": values or {},
            "done": DONE_MESSAGES.get(done, ""),
            "oob_waiting": oob_waiting,
        }
        # A refused action keeps the scroll position: the field with the
        # message (autofocus) is where the user was, not the top of the page.
        headers = {"HX-Reswap": "innerHTML"} if block and status_code >= 400 else None
        return render(
            request,
            "changes/detail.html",
            context,
            block=block,
            status_code=status_code,
            headers=headers,
        )

    def _after(
        self, request: Request, ctx: TenantContext, cr_id: int, done: str
    ) -> Response | None:
        if wants_block(request, BLOCK):
            return None
        return Redirect(path=f"/t/{ctx.slug}/changes/{cr_id}?done={done}", status_code=303)

    @get("/changes/{cr_id:int}", name="changes:detail")
    async def detail(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        cr_id: FromPath[int],
        done: FromQuery[str] = "",
    ) -> Response:
        return await self._page(request, ctx, principal, cr_id, done=done)

    @post(
        "/changes/{cr_id:int}/attachments",
        name="changes:upload",
        status_code=303,
        request_max_body_size=MAX_UPLOAD_BODY,
    )
    async def upload(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        cr_id: FromPath[int],
    ) -> Response:
        form = await request.form()
        kind = form_text(form, "kind", 60) or "other"
        upload = form.get("file")
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise DomainError("请选择要上传的文件", "file")
            data = await upload.read()
            await wf.add_attachment(ctx, principal, cr_id, kind, upload.filename, data)
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._page(
                request,
                ctx,
                principal,
                cr_id,
                errors={"attachment": field_errors(exc, ACTION_FIELDS["attachment"])},
                values={"attachment": {"kind": kind}},
                status_code=400,
            )
        return self._after(request, ctx, cr_id, "attachment") or await self._page(
            request, ctx, principal, cr_id, done="attachment", after_action=True
        )

    @post("/changes/{cr_id:int}/{action:str}", name="changes:act", status_code=303)
    async def act(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        cr_id: FromPath[int],
        action: FromPath[str],
    ) -> Response:
        if action not in ACTION_FIELDS or action == "attachment":
            raise NotFound("页面")
        form = await request.form()
        try:
            await _perform(action, ctx, principal, cr_id, form)
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            fields = ACTION_FIELDS[action]
            return await self._page(
                request,
                ctx,
                principal,
                cr_id,
                errors={action: field_errors(exc, fields)},
                values={action: {f: form_text(form, f) for f in fields}},
                status_code=400,
            )
        return self._after(request, ctx, cr_id, action) or await self._page(
            request, ctx, principal, cr_id, done=action, after_action=True
        )

    @get("/attachments/{attachment_id:int}", name="attachments:download", opt={"nav": False})
    async def download(
        self, ctx: NamedDependency[TenantContext], attachment_id: FromPath[int]
    ) -> Response:
        row, data = await wf.read_attachment(ctx, attachment_id)
        return Response(
            content=data,
            media_type=row["content_type"],
            headers={
                "Content-Disposition": content_disposition(row["filename"]),
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, no-store",
            },
        )
