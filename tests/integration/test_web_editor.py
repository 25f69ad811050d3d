"""The item editor: every element of the schema on one form, read back by the
same description that rendered it; rows added, moved and removed in place;
Chinese messages next to the field; a stale lock refused without losing input.

The form is posted the way a browser would post it: the successful controls
of the rendered page (``FormReader``), changed where a test says so.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from litestar.testing import AsyncTestClient
from msgspec import inspect as mi

from qingdan.core.audit.services import entries_for
from qingdan.core.catalog.elements import (
    ELEMENT_GROUPS,
    FAQ,
    Contact,
    ElementDocument,
    Fee,
    IntermediaryService,
    LegalBasis,
    Location,
    Material,
    ProcessStep,
    Result,
    SpecialStep,
    TimeLimit,
)
from qingdan.core.catalog.services import get_item
from qingdan.core.catalog.validation import dump_document
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.schemas import Role
from qingdan.core.testing import PASSWORD, SAMPLE_PLACE, SYSTEM, submitted_claim
from qingdan.core.workflow import services as wf
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


async def login(c, slug: str, username: str) -> None:
    page = await c.get(f"/t/{slug}/login")
    token = CSRF_FIELD.search(page.text).group(1)
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


class FormReader(HTMLParser):
    """The name/value pairs a browser submits for the form ``#editor-form``, in order
    (text inputs, checked boxes, selected options, textareas; not the buttons)."""

    def __init__(self, form_id: str = "editor-form"):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: dict | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if "name" not in a or kind in ("submit", "button"):
                return
            if kind == "checkbox" and "checked" not in a:
                return
            self.pairs.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and "name" in a:
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
        elif tag == "textarea" and "name" in a:
            self._textarea, self._text = a["name"], []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)
        elif self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "option" and self._option is not None:
            o = self._option
            self._options.append(
                (o["value"] if o["value"] is not None else o["text"], o["selected"])
            )
            self._option = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._options if selected]
            chosen = chosen or [v for v, _ in self._options[:1]]
            self.pairs += [(self._select, v) for v in chosen[:1]]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            # HTML drops one line break right after <textarea>.
            self.pairs.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_of(html: str) -> list[tuple[str, str]]:
    reader = FormReader()
    reader.feed(html)
    assert reader.pairs, "the page has no editor form"
    return reader.pairs


def changed(pairs: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """``pairs`` with the named fields set (``materials__0__copies`` for ``materials-0-copies``)."""
    wanted = {k.replace("__", "-"): v for k, v in values.items()}
    unknown = set(wanted) - {k for k, _ in pairs}
    assert not unknown, f"no such fields: {sorted(unknown)}"
    return [(k, wanted.get(k, v)) for k, v in pairs]


async def post(c, url: str, pairs: list[tuple[str, str]], headers: dict | None = None):
    """POST ``pairs`` form-encoded in their order, as a browser does."""
    return await c.post(
        url,
        content=urlencode(pairs),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        follow_redirects=False,
    )


def value_of(pairs: list[tuple[str, str]], name: str) -> str:
    return dict(pairs)[name]


def rows_of(pairs: list[tuple[str, str]], element: str, column: str) -> list[str]:
    pattern = re.compile(rf"^{element}-(\d+)-{column}$")
    return [v for k, v in pairs if pattern.match(k)]


async def who(t, role: str):
    return await tenancy.load_principal(t.users[role])


async def claimed(t):
    """The sample entry claimed by the first agency's clerk, its place elements filled in,
    and two more materials, so rows can be moved."""
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | SAMPLE_PLACE
    doc["materials"] = [
        *doc["materials"],
        {"name": "营业执照", "type": "copy", "copies": 2},
        {"name": "法定代表人身份证明", "necessity": "deferrable", "notes": "第一行\n第二行"},
    ]
    doc["special_steps"] = [
        {
            "name": "现场踏勘",
            "time_limit": {"value": 5, "unit": "working_day"},
            "counted_in_limit": True,
        }
    ]
    doc["keywords"] = ["许可", "样例"]
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    return item


def edit_url(t, item) -> str:
    return f"/t/{t.slug}/items/{item.id}/edit"


async def open_editor(c, t, item) -> tuple[str, list[tuple[str, str]]]:
    r = await c.get(edit_url(t, item))
    assert r.status_code == 200, r.text
    return r.text, form_of(r.text)


def _titles(cls) -> list[tuple[str, str]]:
    info = mi.type_info(cls)
    out = []
    for f in info.fields:
        t = f.type
        while isinstance(t, mi.Metadata):
            if t.extra_json_schema and "title" in t.extra_json_schema:
                out.append((f.name, t.extra_json_schema["title"]))
                break
            t = t.type
    return out


# The page --------------------------------------------------------------------------------


async def test_editor_shows_every_group_and_every_element_of_the_schema(make_tenant):
    t = await make_tenant()
    item = await claimed(t)
    async with client() as c:
        await login(c, t.slug, "clerk")
        html, pairs = await open_editor(c, t, item)
    for title, _ in ELEMENT_GROUPS:
        assert f">{title}</h2>" in html, title
    titles = _titles(ElementDocument)
    assert len(titles) == len(ElementDocument.__struct_fields__)
    for name, title in titles:
        assert title in html, f"{name} ({title}) is not on the editor"
        assert f'id="el-{name}"' in html, name
    # The parts of table and fieldset elements too (材料名称, 时限单位 ...).
    for part in (Material, Fee, ProcessStep, SpecialStep, IntermediaryService, Result,
                 Location, Contact, FAQ, LegalBasis, TimeLimit):  # fmt: skip
        for name, title in _titles(part):
            assert title in html, f"{part.__name__}.{name} ({title}) is not on the editor"
    # Codes and the agency are shown, not posted.
    names = {k for k, _ in pairs}
    for readonly in ("base_code", "impl_code", "agency_name", "agency_uscc", "handling_item"):
        assert readonly not in names
    assert f'value="{item.impl_code}" readonly' in html
    # Inputs by type: a textarea for long text, a number, a checkbox, a select with
    # Chinese labels, a checkbox group, a fieldset for a time limit, a table of rows.
    assert '<textarea id="el-acceptance_conditions" name="acceptance_conditions"' in html
    assert 'type="number" step="1" min="0" max="10" inputmode="numeric" id="el-visits"' in html
    assert 'type="checkbox" id="el-in_hall" name="in_hall" value="1" checked' in html
    assert '<option value="promised" selected>承诺件</option>' in html
    assert 'name="levels" value="municipal" checked> 市级' in html
    assert '<fieldset class="field field-group" id="el-statutory_limit"' in html
    assert 'name="statutory_limit-unit"' in html and 'name="statutory_limit-note"' in html
    assert value_of(pairs, "materials-1-name") == "营业执照"
    assert value_of(pairs, "special_steps-0-time_limit-value") == "5"
    assert ("special_steps-0-counted_in_limit", "1") in pairs
    # Every input has a label naming its element.
    for field_id in re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html):
        if field_id.startswith("el-"):
            assert f'for="{field_id}"' in html, f"no label for {field_id}"
    # Row buttons: 上移/下移/删除 per row, 新增一行 per table, with htmx and without.
    for action in ("up", "down", "remove"):
        assert f'value="{action}:materials:1"' in html
    assert 'value="add:materials"' in html
    assert f'formaction="/t/{t.slug}/items/{item.id}/edit/rows"' in html
    assert f'hx-post="/t/{t.slug}/items/{item.id}/edit/rows"' in html
    # The lock version travels with the form; the unsaved-changes warning is there.
    detail = await get_item(t.ctx, item.id)
    assert ("lock_version", str(detail.item["lock_version"])) in pairs
    assert "beforeunload" in html


async def test_posting_the_form_unchanged_saves_the_same_document(make_tenant):
    t = await make_tenant()
    item = await claimed(t)
    before = await get_item(t.ctx, item.id)
    async with client() as c:
        await login(c, t.slug, "clerk")
        _, pairs = await open_editor(c, t, item)
        r = await post(c, edit_url(t, item), pairs)
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/t/{t.slug}/items/{item.id}?done=saved"
        page = await c.get(r.headers["location"])
        assert "草稿已保存" in page.text
    after = await get_item(t.ctx, item.id)
    assert after.item["draft_version"] != before.item["draft_version"]
    assert dump_document(after.draft) == dump_document(before.draft)


async def test_saving_changes_writes_a_new_draft_version_and_the_audit_log(make_tenant):
    t = await make_tenant()
    item = await claimed(t)
    before = await get_item(t.ctx, item.id)
    async with client() as c:
        await login(c, t.slug, "clerk")
        _, pairs = await open_editor(c, t, item)
        pairs = changed(
            pairs,
            acceptance_conditions="申请人具备相应条件。\r\n材料齐全。",
            materials__1__copies=" 3 ",
            visits="",
            promised_limit__value="8",
        )
        pairs = [(k, v) for k, v in pairs if k not in ("in_hall", "levels")]  # unchecked
        pairs += [("levels", "county"), ("channels", "courier")]
        r = await post(c, edit_url(t, item), pairs)
        assert r.status_code == 303, r.text
    after = await get_item(t.ctx, item.id)
    assert after.item["draft_version"] != before.item["draft_version"]
    assert after.item["lock_version"] == before.item["lock_version"] + 1
    doc = after.draft
    assert doc.acceptance_conditions == "申请人具备相应条件。\n材料齐全。"
    assert doc.materials[1].copies == 3
    assert doc.visits == 0 and doc.in_hall is False
    assert doc.promised_limit.value == 8
    assert [lv.value for lv in doc.levels] == ["county"]
    assert [ch.value for ch in doc.channels] == ["counter", "online_pc", "courier"]
    assert doc.impl_code == item.impl_code and doc.base_code == item.base_code
    audit = [
        e
        for e in await entries_for(t.tenant_id, "item", item.id)
        if e["action"] == "item.save_draft"
    ]
    saved = audit[-1]
    assert saved["actor"] == t.users["clerk"]
    assert saved["data"]["version"] == after.item["draft_version"]
    assert saved["data"]["previous_version"] == before.item["draft_version"]
    assert "受理条件" in saved["summary"] and "承诺办结时限" in saved["summary"]


# Rows ------------------------------------------------------------------------------------


async def test_rows_are_added_moved_and_removed_in_place_keeping_other_values(make_tenant):
    t = await make_tenant()
    item = await claimed(t)
    before = await get_item(t.ctx, item.id)
    rows_url = f"{edit_url(t, item)}/rows"
    htmx = {"HX-Request": "true", "HX-Target": "group-4"}
    async with client() as c:
        await login(c, t.slug, "clerk")
        _, pairs = await open_editor(c, t, item)
        # Something typed elsewhere, not saved: it must survive every row action.
        pairs = changed(pairs, name="样例许可事项(改)", materials__0__notes="原件一份")

        # 新增一行 (htmx): only the 申请材料 section comes back, with a fourth, empty row.
        r = await post(c, rows_url, [*pairs, ("row_action", "add:materials")], headers=htmx)
        assert r.status_code == 200, r.text
        assert r.text.lstrip().startswith('<section id="group-4"'), r.text[:200]
        assert "<html" not in r.text and 'name="name"' not in r.text
        section = form_of(f'<form id="editor-form">{r.text}</form>')
        assert rows_of(section, "materials", "name") == [
            "申请书",
            "营业执照",
            "法定代表人身份证明",
            "",
        ]
        assert 'id="el-materials-3-name" name="materials-3-name" value="" autofocus' in r.text
        assert value_of(section, "materials-0-notes") == "原件一份"
        # The page swaps the section in; the rest of the form is what the user has.
        pairs = [(k, v) for k, v in pairs if not k.startswith("materials-")]
        pairs += [(k, v) for k, v in section if k.startswith("materials-")]
        pairs = changed(pairs, materials__3__name="授权委托书")

        # 上移 the new row twice, then 删除 the second row (营业执照).
        for index in (3, 2):
            r = await post(
                c, rows_url, [*pairs, ("row_action", f"up:materials:{index}")], headers=htmx
            )
            assert r.status_code == 200, r.text
            section = form_of(f'<form id="editor-form">{r.text}</form>')
            pairs = [(k, v) for k, v in pairs if not k.startswith("materials-")]
            pairs += [(k, v) for k, v in section if k.startswith("materials-")]
        assert rows_of(pairs, "materials", "name") == [
            "申请书",
            "授权委托书",
            "营业执照",
            "法定代表人身份证明",
        ]
        assert 'id="el-materials-1-up"' in r.text and "autofocus" in r.text
        r = await post(c, rows_url, [*pairs, ("row_action", "remove:materials:2")], headers=htmx)
        section = form_of(f'<form id="editor-form">{r.text}</form>')
        pairs = [(k, v) for k, v in pairs if not k.startswith("materials-")]
        pairs += [(k, v) for k, v in section if k.startswith("materials-")]
        assert rows_of(pairs, "materials", "name") == ["申请书", "授权委托书", "法定代表人身份证明"]
        # Values of the moved rows went with them.
        assert value_of(pairs, "materials-0-notes") == "原件一份"
        assert value_of(pairs, "materials-2-necessity") == "deferrable"
        assert value_of(pairs, "materials-2-notes") == "第一行\n第二行"

        # Nothing was saved by the row actions.
        _, fresh = await open_editor(c, t, item)
        assert value_of(fresh, "lock_version") == str(before.item["lock_version"])
        assert rows_of(fresh, "materials", "name") == ["申请书", "营业执照", "法定代表人身份证明"]

        # Without JavaScript, a row button posts the form and gets the whole editor back.
        r = await post(c, rows_url, [*pairs, ("row_action", "down:materials:0")])
        assert r.status_code == 200
        assert "<html" in r.text and "尚未保存" in r.text
        page = form_of(r.text)
        assert value_of(page, "name") == "样例许可事项(改)"
        assert rows_of(page, "materials", "name") == ["授权委托书", "申请书", "法定代表人身份证明"]

        # Saving then keeps all of it.
        r = await post(c, edit_url(t, item), page)
        assert r.status_code == 303, r.text
    doc = (await get_item(t.ctx, item.id)).draft
    assert doc.name == "样例许可事项(改)"
    assert [m.name for m in doc.materials] == ["授权委托书", "申请书", "法定代表人身份证明"]
    assert doc.materials[1].notes == "原件一份"


async def test_a_row_added_and_left_empty_is_not_saved(make_tenant):
    t = await make_tenant()
    item = await claimed(t)
    async with client() as c:
        await login(c, t.slug, "clerk")
        _, pairs = await open_editor(c, t, item)
        r = await post(c, f"{edit_url(t, item)}/rows", [*pairs, ("row_action", "add:faq")])
        page = form_of(r.text)
        assert ("faq-0-question", "") in page
        r = await post(c, edit_url(t, item), page)
        assert r.status_code == 303, r.text
    assert (await get_item(t.ctx, item.id)).draft.faq == []


async def test_row_actions_in_parts_and_unknown_ones_refused(make_tenant):
    t = await make_tenant()
    item = await claimed(t)
    async with client() as c:
        await login(c, t.slug, "clerk")
        _, pairs = await open_editor(c, t, item)
        r = await post(
            c,
            f"{edit_url(t, item)}/rows",
            [*pairs, ("action", "remove"), ("element", "materials"), ("index", "0")],
        )
        assert r.status_code == 200
        assert rows_of(form_of(r.text), "materials", "name") == ["营业执照", "法定代表人身份证明"]
        for action in ("add:name", "explode:materials:0", "remove:materials:9", "up:impl_code:0"):
            r = await post(c, f"{edit_url(t, item)}/rows", [*pairs, ("row_action", action)])
            assert r.status_code == 400, action


# Refusals ---------------------------------------------------------------------------------


async def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_saved(make_tenant):
    t = await make_tenant()
    item = await claimed(t)
    before = await get_item(t.ctx, item.id)
    async with client() as c:
        await login(c, t.slug, "clerk")
        _, pairs = await open_editor(c, t, item)
        pairs = changed(pairs, materials__0__copies="两份", prohibitions="不得代办")
        r = await post(c, edit_url(t, item), pairs)
    assert r.status_code == 400
    html = r.text
    # Next to the exact input, tied to it for screen readers, and in the summary.
    field = re.search(r'<input [^>]*id="el-materials-0-copies"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="el-materials-0-copies-error"' in field
    assert 'value="两份"' in field  # kept as typed
    message = re.search(r'<p class="form-error" id="el-materials-0-copies-error">([^<]*)</p>', html)
    assert message and "应为整数" in message.group(1)
    assert 'class="error-summary"' in html
    assert '<a href="#el-materials-0-copies">申请材料第1行 › 份数:应为整数' in html
    # Everything else typed is still there.
    assert value_of(form_of(html), "prohibitions") == "不得代办"
    after = await get_item(t.ctx, item.id)
    assert after.item["lock_version"] == before.item["lock_version"]
    assert after.item["draft_version"] == before.item["draft_version"]


async def test_rules_across_elements_and_empty_required_fields_are_placed(make_tenant):
    t = await make_tenant()
    item = await claimed(t)
    async with client() as c:
        await login(c, t.slug, "clerk")
        _, pairs = await open_editor(c, t, item)
        r = await post(c, edit_url(t, item), changed(pairs, visits="2"))
        assert r.status_code == 400
        assert 'id="el-visits_reason-error"' in r.text
        assert "必须填写“必须现场办理原因”" in r.text
        r = await post(c, edit_url(t, item), changed(pairs, materials__1__name=" "))
        assert r.status_code == 400
        assert '<p class="form-error" id="el-materials-1-name-error">不能为空</p>' in r.text


async def test_a_stale_lock_is_refused_with_409_and_the_input_echoed(make_tenant):
    t = await make_tenant()
    item = await claimed(t)
    async with client() as c:
        await login(c, t.slug, "clerk")
        _, pairs = await open_editor(c, t, item)
        # Meanwhile the item is saved from another window.
        _, other = await open_editor(c, t, item)
        r = await post(c, edit_url(t, item), changed(other, prohibitions="他人的修改"))
        assert r.status_code == 303

        mine = changed(
            pairs, acceptance_conditions="我的修改,不能丢", materials__2__name="我的材料"
        )
        r = await post(c, edit_url(t, item), mine)
        assert r.status_code == 409
        assert "该事项已被他人修改" in r.text and "请刷新" in r.text
        echoed = form_of(r.text)
        assert value_of(echoed, "acceptance_conditions") == "我的修改,不能丢"
        assert value_of(echoed, "materials-2-name") == "我的材料"
        assert value_of(echoed, "lock_version") == value_of(pairs, "lock_version")
        assert f'href="/t/{t.slug}/items/{item.id}" target="_blank"' in r.text

        # Saving the same page again is refused again; overwriting is an explicit choice.
        r = await post(c, edit_url(t, item), echoed)
        assert r.status_code == 409
        latest = re.search(r'name="overwrite_lock" value="(\d+)"', r.text).group(1)
        stale = await get_item_draft_via_page(c, t, item)
        assert stale["prohibitions"] == "他人的修改"
        assert stale["acceptance_conditions"] != "我的修改,不能丢"
        r = await post(c, edit_url(t, item), [*echoed, ("overwrite_lock", latest)])
        assert r.status_code == 303, r.text
    doc = (await get_item(t.ctx, item.id)).draft
    assert doc.acceptance_conditions == "我的修改,不能丢"
    assert doc.prohibitions == ""  # the page's content won, as chosen


async def get_item_draft_via_page(c, t, item) -> dict[str, str]:
    _, pairs = await open_editor(c, t, item)
    return dict(pairs)


async def test_only_the_items_agency_may_edit(make_tenant, unique):
    t = await make_tenant()
    item = await claimed(t)
    # A clerk of the second agency of the same tenant.
    other = await tenancy.create_user(
        t.tenant_id, SYSTEM, f"clerk2{unique}", "他局信息员", PASSWORD
    )
    await tenancy.grant_role(t.tenant_id, SYSTEM, other.id, Role.clerk, agency_id=t.agency_ids[1])
    async with client() as c:
        await login(c, t.slug, f"clerk2{unique}")
        r = await c.get(edit_url(t, item))
        assert r.status_code == 403
        page = await c.get(f"/t/{t.slug}/items/{item.id}")
        assert f'href="{edit_url(t, item)}"' not in page.text
        token = CSRF_FIELD.search(page.text).group(1)
        r = await c.post(edit_url(t, item), data={"_csrf_token": token, "name": "x"})
        assert r.status_code == 403
        r = await c.post(
            f"{edit_url(t, item)}/rows", data={"_csrf_token": token, "row_action": "add:faq"}
        )
        assert r.status_code == 403
    async with client() as c:
        await login(c, t.slug, "reform_office")
        assert (await c.get(edit_url(t, item))).status_code == 403
    # The agency's reviewer may; the item page links the editor for them.
    async with client() as c:
        await login(c, t.slug, "agency_reviewer")
        assert (await c.get(edit_url(t, item))).status_code == 200
        page = await c.get(f"/t/{t.slug}/items/{item.id}")
        assert f'href="{edit_url(t, item)}"' in page.text and "编辑草稿" in page.text
    # Another tenant's user gets 404, as for anything of another tenant.
    t2 = await make_tenant()
    async with client() as c:
        await login(c, t2.slug, "clerk")
        assert (await c.get(edit_url(t, item))).status_code == 404
        assert (await c.get(f"/t/{t2.slug}/items/{item.id}/edit")).status_code == 404


async def test_required_elements_are_marked_and_missing_ones_listed(make_tenant):
    t = await make_tenant()
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    required = t.ctx.plugin.element_requirements(
        (await get_item(t.ctx, item.id)).draft.item_type, t.ctx.settings
    ).required
    async with client() as c:
        await login(c, t.slug, "clerk")
        html, _ = await open_editor(c, t, item)
    head = html[: html.index('<nav class="section-nav"')]
    assert "尚未填写的必填要素" in head
    missing = re.findall(r'<li><a href="#el-(\w+)">([^<]+)</a></li>', head)
    assert {name for name, _ in missing} >= {"locations", "consultation", "complaints", "process"}
    assert ("locations", "办理地点") in missing
    assert "materials" not in {name for name, _ in missing}  # the entry has one
    # Each required element carries the 必填 badge, and only those.
    for name in required:
        label = re.search(rf'(?:for|id)="el-{name}"[^>]*>(.*?)</(?:label|legend|h3)>', html, re.S)
        assert label and "必填" in label.group(1), name
    assert 'for="el-prohibitions">禁止性要求</label>' in html
    # Filled in and saved, the list is gone.
    detail = await get_item(t.ctx, item.id)
    await wf.edit_draft(
        t.ctx,
        clerk,
        item.id,
        dump_document(detail.draft) | SAMPLE_PLACE,
        detail.item["lock_version"],
    )
    async with client() as c:
        await login(c, t.slug, "clerk")
        html, _ = await open_editor(c, t, item)
    assert "尚未填写的必填要素" not in html and "必填要素已全部填写" in html


async def test_a_returned_request_links_its_author_to_the_editor(make_tenant):
    t = await make_tenant()
    item, cr = await submitted_claim(t)
    await wf.return_request(t.ctx, await who(t, "agency_reviewer"), cr.id, "请补充常见问题")
    async with client() as c:
        await login(c, t.slug, "clerk")
        page = await c.get(f"/t/{t.slug}/changes/{cr.id}")
        assert f'href="{edit_url(t, item)}"' in page.text
        html, pairs = await open_editor(c, t, item)
        assert f"/changes/{cr.id}" in html  # the open request is named
        r = await post(c, f"{edit_url(t, item)}/rows", [*pairs, ("row_action", "add:faq")])
        page = changed(
            form_of(r.text), faq__0__question="需要本人到场吗?", faq__0__answer="不需要。"
        )
        r = await post(c, edit_url(t, item), page)
        assert r.status_code == 303, r.text
    assert (await get_item(t.ctx, item.id)).draft.faq[0].answer == "不需要。"
    assert (await wf.get_request(t.ctx, cr.id)).version == (await get_item(t.ctx, item.id)).item[
        "draft_version"
    ]
