"""A tenant's items: the filterable list, the detail page, submitting a change,
and the editor of an item's draft.

The detail page carries the item's 调整 panel (its open change request, or the
form to start one) and the history of its change requests.

The editor (``/items/{id}/edit``) shows every element of the schema in its
groups (web/element_form.py builds the inputs and reads them back). Saving goes
through ``edit_draft`` with the item's lock version: a refused save (an invalid
value, someone else saved first) shows the page again with everything typed.
The row buttons post the whole form to ``/edit/rows``: htmx gets the element's
section back, a browser without JavaScript the whole page, changed, not saved.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from qingdan.core.catalog.requirements import missing_elements
from qingdan.core.catalog.schemas import PAGE_SIZES, SORTS, ItemDetail
from qingdan.core.catalog.services import get_item, item_versions, list_items
from qingdan.core.catalog.validation import (
    ElementError,
    ElementValidationError,
    dump_document,
    element_title,
    validate_document,
)
from qingdan.core.catalog.vocab import ItemStatus, ItemType, Level
from qingdan.core.checks.services import (
    document_findings,
    findings_by_element,
    item_findings,
)
from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal
from qingdan.core.tenancy.services import list_agencies, list_divisions
from qingdan.core.workflow.permissions import division_codes, may_author
from qingdan.core.workflow.services import edit_draft, open_request_for, submit
from qingdan.web.controllers.tenant import TenantController
from qingdan.web.display import document_groups
from qingdan.web.element_form import (
    SPECS,
    TITLE_TO_NAME,
    FormError,
    RowAction,
    apply_row_action,
    editor_form,
    parse_form,
    widget_id,
)
from qingdan.web.forms import form_date, form_int, form_text, item_query, page_window, query_string
from qingdan.web.nav import is_partial
from qingdan.web.rendering import render, wants_block
from qingdan.web.workflow_views import adjust_panel, field_errors

RESULTS = "results"
SUBMIT_FIELDS = ("kind", "reason", "cancel_basis", "document_number", "effective_date")
#: The block of items/edit.html a row button (htmx) gets back: one element group.
SECTION = "section"
#: What the item page says after a redirect (``?done=``).
DONE_MESSAGES = {"saved": "草稿已保存。"}
ROW_NOTICES = {
    "add": "已新增一行",
    "remove": "已删除一行",
    "up": "已上移一行",
    "down": "已下移一行",
}


async def _editable(ctx: TenantContext, principal: Principal, item_id: int) -> ItemDetail:
    """The item, if ``principal`` may edit its draft (its agency's clerk or reviewer)."""
    detail = await get_item(ctx, item_id)
    if not may_author(principal, detail.item, await division_codes(ctx)):
        raise PermissionDenied("只有本实施机构的信息员或审核员可以编辑该事项")
    if detail.item["status"] == ItemStatus.cancelled.value:
        raise DomainError("已取消的事项不能再编辑")
    return detail


def _item_type_choices(ctx: TenantContext, current: str) -> list[tuple[str, str]]:
    """The plugin's item types, and the current one even if the plugin no longer has it."""
    types = [(t.value, t.label) for t in ctx.plugin.item_types(ctx.settings)]
    if current and current not in {value for value, _ in types}:
        try:
            types.append((current, ItemType(current).label))
        except ValueError:
            pass
    return types


class ItemController(TenantController):
    path = "/t/{slug:str}/items"

    @get("/", name="items:list")
    async def index(self, request: Request, ctx: NamedDependency[TenantContext]) -> Response:
        query = item_query(request.query_params)
        page = await list_items(ctx, query)
        base_url = f"/t/{ctx.slug}/items"
        context = {
            "query": query,
            "page": page,
            "base_url": base_url,
            "page_url": lambda n: base_url + query_string(query, page=n),
            # 导出当前筛选: the export page with exactly this filter (page and size aside).
            "export_url": f"/t/{ctx.slug}/exports"
            + query_string(query, page=1, page_size=PAGE_SIZES[0]),
            "pages": page_window(page.page, page.pages),
            "sorts": SORTS,
        }
        if wants_block(request, RESULTS):
            # The filter form stays on the page; only the table is replaced.
            return render(request, "items/list.html", context, block=RESULTS)
        # Choices for the filter form, needed on the full page only.
        context |= {
            "agencies": await list_agencies(ctx.scope),
            "divisions": await list_divisions(ctx.scope),
            "item_types": [(t.value, t.label) for t in ctx.plugin.item_types(ctx.settings)],
            "statuses": ItemStatus.choices(),
            "levels": Level.choices(),
            "page_sizes": PAGE_SIZES,
        }
        return render(request, "items/list.html", context)

    async def _detail_page(
        self,
        request: Request,
        ctx: TenantContext,
        principal: Principal,
        item_id: int,
        view: str = "",
        *,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        done: str = "",
        status_code: int = 200,
    ) -> Response:
        detail = await get_item(ctx, item_id)
        versions = await item_versions(ctx, item_id)
        if view == "published" and detail.published is not None:
            showing, doc = "published", detail.published
        elif view == "draft" and detail.draft is not None:
            showing, doc = "draft", detail.draft
        else:
            showing = "draft" if detail.draft is not None else "published"
            doc = detail.current
        context: dict[str, Any] = {
            "item": detail.item,
            "detail": detail,
            "doc": doc,
            "showing": showing,
            "groups": document_groups(doc),
            "versions": versions,
            "base_url": f"/t/{ctx.slug}/items",
            "base": f"/t/{ctx.slug}",
            "adjust": await adjust_panel(ctx, principal, detail),
            "errors": errors or {},
            "values": values or {},
            "done": DONE_MESSAGES.get(done, ""),
            "findings": await item_findings(ctx, item_id),
        }
        return render(request, "items/detail.html", context, status_code=status_code)

    @get("/{item_id:int}", name="items:detail")
    async def detail(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        item_id: FromPath[int],
        view: FromQuery[str] = "",
        done: FromQuery[str] = "",
    ) -> Response:
        return await self._detail_page(request, ctx, principal, item_id, view, done=done)

    @post("/{item_id:int}/changes", name="items:submit_change", status_code=303)
    async def submit_change(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        item_id: FromPath[int],
    ) -> Response:
        """提交调整申请; on success, to the new request's page."""
        form = await request.form()
        values = {name: form_text(form, name) for name in SUBMIT_FIELDS}
        try:
            try:
                kind = ChangeKind(values["kind"])
            except ValueError:
                raise DomainError("请选择调整类型", "kind") from None
            cr = await submit(
                ctx,
                principal,
                item_id,
                kind,
                values["reason"],
                cancel_basis=values["cancel_basis"] if kind == ChangeKind.cancel else "",
                document_number=values["document_number"] if kind == ChangeKind.cancel else "",
                effective_date=form_date(form, "effective_date", "生效日期"),
            )
        except (PermissionDenied, ConflictError):
            raise
        except DomainError as exc:
            return await self._detail_page(
                request,
                ctx,
                principal,
                item_id,
                errors=field_errors(exc, SUBMIT_FIELDS),
                values=values,
                status_code=400,
            )
        return Redirect(path=f"/t/{ctx.slug}/changes/{cr.id}?done=submit", status_code=303)

    # The editor -------------------------------------------------------------------------

    async def _editor(
        self,
        request: Request,
        ctx: TenantContext,
        detail: ItemDetail,
        values: dict[str, Any],
        lock_version: int | None,
        *,
        errors: list[ElementError] | None = None,
        conflict: dict[str, Any] | None = None,
        notice: str = "",
        focus: str = "",
        dirty: bool = False,
        section: str | None = None,
        status_code: int = 200,
    ) -> Response:
        """The editor page for ``values``; only the group of element ``section`` for htmx."""
        item = detail.item
        current = detail.current
        # What blocks submission: the document on screen if it is valid, else the saved one.
        try:
            shown = validate_document(values)
        except ElementValidationError:
            shown = current
        requirements = ctx.plugin.element_requirements(shown.item_type, ctx.settings)
        missing = [TITLE_TO_NAME[t] for t in missing_elements(shown, requirements)]
        # 质检 of the same document, shown next to each element (saving stores them).
        findings = await document_findings(ctx, item["id"], shown)
        form = editor_form(
            values,
            errors=errors or [],
            required=requirements.required,
            missing=missing,
            choices={"item_type": _item_type_choices(ctx, str(values.get("item_type") or ""))},
            focus=focus,
        )
        base = f"/t/{ctx.slug}"
        context: dict[str, Any] = {
            "item": item,
            "detail": detail,
            "form": form,
            "base": base,
            "base_url": f"{base}/items",
            "item_url": f"{base}/items/{item['id']}",
            "edit_url": f"{base}/items/{item['id']}/edit",
            "rows_url": f"{base}/items/{item['id']}/edit/rows",
            "lock_version": "" if lock_version is None else lock_version,
            "requirements": requirements,
            "missing": [{"id": widget_id(n), "title": SPECS[n].title} for n in missing],
            "open_request": await open_request_for(ctx, item["id"]),
            "conflict": conflict,
            "notice": notice,
            "focus": focus,
            "dirty": dirty,
            "findings": [
                {"id": widget_id(f.element), "f": f} for f in findings if f.element in SPECS
            ],
            "findings_at": findings_by_element(findings),
        }
        if section is not None:
            context["group"] = form.group_of(section)
            return render(request, "items/edit.html", context, block=SECTION)
        return render(request, "items/edit.html", context, status_code=status_code)

    @get("/{item_id:int}/edit", name="items:edit")
    async def edit(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        item_id: FromPath[int],
    ) -> Response:
        detail = await _editable(ctx, principal, item_id)
        values = dump_document(detail.current)
        return await self._editor(request, ctx, detail, values, detail.item["lock_version"])

    @post("/{item_id:int}/edit", name="items:save", status_code=303)
    async def save(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        item_id: FromPath[int],
    ) -> Response:
        """保存草稿 through ``edit_draft``; on success, to the item page."""
        detail = await _editable(ctx, principal, item_id)
        form = await request.form()
        values = parse_form(form, dump_document(detail.current))
        lock_version = form_int(form, "lock_version")
        # "用本页内容覆盖" after a conflict: the lock the user was shown, deliberately.
        overwrite = form_int(form, "overwrite_lock")
        expected = overwrite if overwrite is not None else lock_version
        try:
            document = validate_document(values)
            if expected is None:
                raise ConflictError("页面已过期,请刷新页面后重新编辑")
            await edit_draft(ctx, principal, item_id, document, expected)
        except ElementValidationError as exc:
            return await self._editor(
                request,
                ctx,
                detail,
                values,
                lock_version,
                errors=exc.errors,
                dirty=True,
                status_code=400,
            )
        except ConflictError as exc:
            latest = await get_item(ctx, item_id)
            return await self._editor(
                request,
                ctx,
                latest,
                values,
                lock_version,
                conflict={"message": exc.message, "lock": latest.item["lock_version"]},
                dirty=True,
                status_code=409,
            )
        except PermissionDenied:
            raise
        except DomainError as exc:
            # A rule of the service (the item type is not this jurisdiction's ...).
            path = exc.field if exc.field in SPECS else ""
            error = ElementError(
                path=path, element=element_title(path) if path else "", message=exc.message
            )
            return await self._editor(
                request,
                ctx,
                detail,
                values,
                lock_version,
                errors=[error],
                dirty=True,
                status_code=400,
            )
        return Redirect(path=f"/t/{ctx.slug}/items/{item_id}?done=saved", status_code=303)

    @post("/{item_id:int}/edit/rows", name="items:edit_rows", status_code=200)
    async def edit_rows(
        self,
        request: Request,
        ctx: NamedDependency[TenantContext],
        principal: NamedDependency[Principal],
        item_id: FromPath[int],
    ) -> Response:
        """新增一行 / 上移 / 下移 / 删除 of a table element, on what the form holds now.

        Nothing is saved: htmx gets the element's section back and swaps it in
        place; without JavaScript the whole editor comes back with the change.
        """
        detail = await _editable(ctx, principal, item_id)
        form = await request.form()
        values = parse_form(form, dump_document(detail.current), drop_blank_rows=False)
        try:
            # The buttons send "up:materials:2"; a script may send the three parts apart.
            raw = form_text(form, "row_action", 200) or ":".join(
                form_text(form, part, 100) for part in ("action", "element", "index")
            )
            act = RowAction.parse(raw)
            focus = apply_row_action(values, act)
        except FormError as exc:
            raise DomainError(str(exc)) from None
        partial = is_partial(request)
        return await self._editor(
            request,
            ctx,
            detail,
            values,
            form_int(form, "lock_version"),
            focus=focus,
            dirty=True,
            notice=f"{ROW_NOTICES[act.action]}({SPECS[act.element].title}),尚未保存。",
            section=act.element if partial else None,
        )
