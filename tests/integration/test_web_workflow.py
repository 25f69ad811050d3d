"""The adjustment workflow in the browser: inbox, review queue, change request
page and its actions, attachments, submitting from the item page, claims and
obligations. The request state is built with the core services, then the
pages are driven as the role users of ``build_tenant`` (username = role).
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from urllib.parse import unquote

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.services import get_item
from qingdan.core.catalog.validation import dump_document
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import PASSWORD
from qingdan.core.workflow import services as wf
from qingdan.core.workflow.obligations import open_obligations
from qingdan.core.workflow.schemas import ChangeStatus
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

PDF = b"%PDF-1.4\n%test\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
HX_CHANGE = {"HX-Request": "true", "HX-Target": "change"}


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(c, slug: str, username: str):
    page = await c.get(f"/t/{slug}/login")
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r


async def post_form(c, page_url: str, url: str, data: dict | None = None, **kwargs):
    """POST ``data`` with the CSRF token of ``page_url``, as the page's form would."""
    page = await c.get(page_url)
    assert page.status_code == 200, page.text
    return await c.post(
        url,
        data={**(data or {}), "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
        **kwargs,
    )


# The request state, built with the services ------------------------------------------


async def who(t, role: str):
    return await tenancy.load_principal(t.users[role])


def _place():
    return {
        "agency_name": "样例市场监督管理局",
        "process": [{"name": "受理"}, {"name": "审查"}, {"name": "决定"}],
        "locations": [{"name": "样例市政务服务中心", "address": "样例路1号"}],
        "consultation": [{"kind": "phone", "value": "0000-1234567"}],
        "complaints": [{"kind": "phone", "value": "12345"}],
        "result": {"name": "许可证", "type": "licence"},
    }


async def claimed(t):
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | _place()
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    return item, clerk


async def submitted_claim(t):
    item, clerk = await claimed(t)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "新认领省级下发事项")
    return item, cr


async def published_item(t):
    item, cr = await submitted_claim(t)
    for role in ("agency_reviewer", "reform_office", "data_center"):
        await wf.approve(t.ctx, await who(t, role), cr.id)
    return item


async def amend_request(t):
    """A published item whose promised limit the clerk shortens from 10 to 5 working days."""
    item = await published_item(t)
    clerk = await who(t, "clerk")
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.published) | {"promised_limit": {"value": 5, "unit": "working_day"}}
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.amend, "压缩承诺办结时限")
    return item, cr


# Inbox and review queue -----------------------------------------------------------------


async def test_login_lands_on_the_inbox_which_lists_a_submitted_request(make_tenant):
    t = await make_tenant()
    _, cr = await submitted_claim(t)
    async with client() as c:
        r = await login(c, t.slug, "agency_reviewer")
        assert r.headers["location"] == f"/t/{t.slug}/"
        home = await c.get(f"/t/{t.slug}/")
        assert home.status_code == 200
        text = home.text
        assert "待我审核" in text and "被退回" in text and "我的后续义务" in text and "通知" in text
        assert f'href="/t/{t.slug}/changes/{cr.id}"' in text
        assert "样例许可事项" in text and "部门审核" in text and "实施机构审核员" in text
        # The nav: 事项清单 is linked, 审核 shows for a reviewer, the badge counts the waiting item.
        assert f'href="/t/{t.slug}/items"' in text
        assert f'href="/t/{t.slug}/reviews"' in text
        assert 'class="badge" aria-hidden="true">1<' in text
        # The step's notice is unread; marking it read takes it off the list.
        assert "待审核: 样例许可事项" in text
        notice_id = re.search(rf"/t/{t.slug}/notices/(\d+)/read", text).group(1)
        read = await post_form(c, f"/t/{t.slug}/", f"/t/{t.slug}/notices/{notice_id}/read")
        assert read.status_code == 303
        assert "待审核: 样例许可事项" not in (await c.get(f"/t/{t.slug}/")).text

        queue = await c.get(f"/t/{t.slug}/reviews")
        assert queue.status_code == 200
        assert f'href="/t/{t.slug}/changes/{cr.id}"' in queue.text
        assert "共 1 项" in queue.text

    async with client() as c:
        await login(c, t.slug, "clerk")
        home = await c.get(f"/t/{t.slug}/")
        assert f"/changes/{cr.id}" not in home.text.split("被退回")[0], "authors do not review"
        assert f'href="/t/{t.slug}/claims"' in home.text
        assert f'href="/t/{t.slug}/reviews"' not in home.text


# The change request page ----------------------------------------------------------------


async def test_request_page_shows_chain_offices_and_the_amend_diff(make_tenant):
    t = await make_tenant()
    item, cr = await amend_request(t)
    async with client() as c:
        await login(c, t.slug, "agency_reviewer")
        r = await c.get(f"/t/{t.slug}/changes/{cr.id}")
    assert r.status_code == 200
    text = r.text
    assert "变更申请" in text and "审核中" in text and "压缩承诺办结时限" in text
    assert f'href="/t/{t.slug}/items/{item.id}"' in text
    chain = text[
        text.index('<ol class="chain">') : text.index("</ol>", text.index('<ol class="chain">'))
    ]
    offices = ["实施机构审核员", "审改机构", "大数据中心"]
    assert all(office in chain for office in offices)
    assert [chain.index(o) for o in offices] == sorted(chain.index(o) for o in offices)
    assert "办理中" in chain and "未开始" in chain
    # The diff: the promised limit, before and after.
    assert "承诺办结时限" in text
    assert '<del class="diff-removed">10个工作日</del>' in text
    assert '<ins class="diff-added">5个工作日</ins>' in text
    # The reviewer gets the decision forms, approving the version shown.
    assert f'name="seen_version" value="{cr.version}"' in text
    for action in ("approve", "return", "reject"):
        assert f'action="/t/{t.slug}/changes/{cr.id}/{action}"' in text
    assert f"/changes/{cr.id}/withdraw" not in text


async def test_status_changes_have_no_diff_and_authors_get_no_review_forms(make_tenant):
    t = await make_tenant()
    item = await published_item(t)
    cr = await wf.submit(t.ctx, await who(t, "clerk"), item.id, ChangeKind.suspend, "系统升级")
    async with client() as c:
        await login(c, t.slug, "clerk")
        r = await c.get(f"/t/{t.slug}/changes/{cr.id}")
    assert r.status_code == 200
    assert "暂停申请" in r.text
    assert "没有要素差异" in r.text
    assert f"/changes/{cr.id}/approve" not in r.text
    assert f"/changes/{cr.id}/withdraw" in r.text  # the author, before any decision


async def test_approve_by_post_advances_the_chain(make_tenant):
    t = await make_tenant()
    _, cr = await submitted_claim(t)
    page_url = f"/t/{t.slug}/changes/{cr.id}"
    async with client() as c:
        await login(c, t.slug, "agency_reviewer")
        r = await post_form(
            c, page_url, f"{page_url}/approve", {"seen_version": str(cr.version), "comment": "同意"}
        )
        assert r.status_code == 303
        assert r.headers["location"] == f"{page_url}?done=approve"
        after = await c.get(r.headers["location"])
        assert "已审核通过" in after.text
        assert f"{page_url}/approve" not in after.text  # the next step is not theirs
    steps = await wf.steps_of(t.ctx, cr.id)
    assert [s["status"] for s in steps] == ["approved", "active", "pending"]
    assert steps[0]["comment"] == "同意" and steps[0]["version_seen"] == cr.version

    # From htmx the page's block comes back in place, with the nav badge out of band.
    async with client() as c:
        await login(c, t.slug, "reform_office")
        r = await post_form(
            c,
            page_url,
            f"{page_url}/approve",
            {"seen_version": str(cr.version)},
            headers=HX_CHANGE,
        )
        assert r.status_code == 200
        assert "<html" not in r.text and "已审核通过" in r.text
        assert 'id="nav-waiting" hx-swap-oob="true"' in r.text
    steps = await wf.steps_of(t.ctx, cr.id)
    assert [s["status"] for s in steps] == ["approved", "approved", "active"]


async def test_approving_a_version_no_longer_shown_is_a_conflict(make_tenant):
    t = await make_tenant()
    _, cr = await submitted_claim(t)
    page_url = f"/t/{t.slug}/changes/{cr.id}"
    async with client() as c:
        await login(c, t.slug, "agency_reviewer")
        stale = await post_form(c, page_url, f"{page_url}/approve", {"seen_version": "999999"})
        assert stale.status_code == 409
        missing = await post_form(c, page_url, f"{page_url}/approve", {})
        assert missing.status_code == 409
    assert (await wf.steps_of(t.ctx, cr.id))[0]["status"] == "active"


async def test_return_without_a_reason_shows_the_error_at_the_field(make_tenant):
    t = await make_tenant()
    _, cr = await submitted_claim(t)
    page_url = f"/t/{t.slug}/changes/{cr.id}"
    async with client() as c:
        await login(c, t.slug, "agency_reviewer")
        r = await post_form(c, page_url, f"{page_url}/return", {"reason": "  "})
        assert r.status_code == 400
        assert "请填写退回原因" in r.text
        assert 'id="return-reason-error"' in r.text and 'aria-invalid="true"' in r.text
        assert "<html" in r.text  # without JavaScript: the whole page again

        partial = await post_form(
            c, page_url, f"{page_url}/reject", {"reason": ""}, headers=HX_CHANGE
        )
        assert partial.status_code == 400
        assert "驳回原因" in partial.text and "<html" not in partial.text

        ok = await post_form(c, page_url, f"{page_url}/return", {"reason": "受理条件表述不清"})
        assert ok.status_code == 303
    assert (await wf.get_request(t.ctx, cr.id)).status == ChangeStatus.returned

    # The author sees it under 被退回 and may resubmit.
    async with client() as c:
        await login(c, t.slug, "clerk")
        home = await c.get(f"/t/{t.slug}/")
        returned = home.text[
            home.text.index('id="returned"') : home.text.index('id="my-obligations"')
        ]
        assert f"/changes/{cr.id}" in returned
        page = await c.get(page_url)
        assert "受理条件表述不清" in page.text and "已退回" in page.text
        r = await post_form(c, page_url, f"{page_url}/resubmit", {"reason": "已修改"})
        assert r.status_code == 303
    assert (await wf.get_request(t.ctx, cr.id)).status == ChangeStatus.in_review


async def test_a_clerk_cannot_approve(make_tenant):
    t = await make_tenant()
    _, cr = await submitted_claim(t)
    page_url = f"/t/{t.slug}/changes/{cr.id}"
    async with client() as c:
        await login(c, t.slug, "clerk")
        r = await post_form(c, page_url, f"{page_url}/approve", {"seen_version": str(cr.version)})
        assert r.status_code == 403
        assert "审核员" in r.text
        unknown = await post_form(c, page_url, f"{page_url}/bless", {})
        assert unknown.status_code == 404
    assert (await wf.steps_of(t.ctx, cr.id))[0]["status"] == "active"


async def test_another_tenants_request_and_attachment_are_not_found(make_tenant):
    a = await make_tenant()
    b = await make_tenant()
    _, cr = await submitted_claim(b)
    att = await wf.add_attachment(b.ctx, await who(b, "clerk"), cr.id, "other", "说明.pdf", PDF)
    async with client() as c:
        await login(c, a.slug, "agency_reviewer")
        for path in (
            f"/t/{b.slug}/changes/{cr.id}",
            f"/t/{b.slug}/attachments/{att.id}",
            f"/t/{a.slug}/changes/{cr.id}",
            f"/t/{a.slug}/attachments/{att.id}",
        ):
            r = await c.get(path, follow_redirects=False)
            assert r.status_code == 404, path
            assert PDF not in r.content
            assert "样例许可事项" not in r.text
        page_url = f"/t/{a.slug}/"
        r = await post_form(
            c, page_url, f"/t/{a.slug}/changes/{cr.id}/approve", {"seen_version": str(cr.version)}
        )
        assert r.status_code == 404
    assert (await wf.steps_of(b.ctx, cr.id))[0]["status"] == "active"


# Attachments ---------------------------------------------------------------------------------


async def test_attachment_upload_then_download_returns_the_same_bytes(make_tenant):
    t = await make_tenant()
    _, cr = await submitted_claim(t)
    page_url = f"/t/{t.slug}/changes/{cr.id}"
    async with client() as c:
        await login(c, t.slug, "clerk")
        page = await c.get(page_url)
        assert 'enctype="multipart/form-data"' in page.text
        assert '<option value="other">其他</option>' in page.text
        r = await c.post(
            f"{page_url}/attachments",
            data={"kind": "other", "_csrf_token": csrf_from(page.text)},
            files={"file": ("同意意见.pdf", PDF, "application/pdf")},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        page = await c.get(r.headers["location"])
        assert "附件已上传" in page.text and "同意意见.pdf" in page.text
        att_id = re.search(rf'href="/t/{t.slug}/attachments/(\d+)"', page.text).group(1)

        download = await c.get(f"/t/{t.slug}/attachments/{att_id}")
        assert download.status_code == 200
        assert download.content == PDF
        assert download.headers["content-type"].startswith("application/pdf")
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == "同意意见.pdf"
    (row,) = await wf.attachments_of(t.ctx, cr.id)
    assert row["uploaded_by"] == t.users["clerk"] and row["version"] == cr.version


async def test_a_disallowed_file_type_is_refused_in_chinese(make_tenant):
    t = await make_tenant()
    _, cr = await submitted_claim(t)
    page_url = f"/t/{t.slug}/changes/{cr.id}"
    async with client() as c:
        await login(c, t.slug, "clerk")
        page = await c.get(page_url)
        r = await c.post(
            f"{page_url}/attachments",
            data={"kind": "other", "_csrf_token": csrf_from(page.text)},
            files={"file": ("程序.exe", b"MZ\x90\x00", "application/octet-stream")},
            follow_redirects=False,
        )
        assert r.status_code == 400
        assert "文件类型不允许" in r.text
        assert 'id="attachment-file-error"' in r.text
        fake = await c.post(
            f"{page_url}/attachments",
            data={"kind": "other", "_csrf_token": csrf_from(page.text)},
            files={"file": ("伪装.pdf", b"not a pdf", "application/pdf")},
            follow_redirects=False,
        )
        assert fake.status_code == 400 and "内容与扩展名" in fake.text
    assert await wf.attachments_of(t.ctx, cr.id) == []


# Submitting from the item page ------------------------------------------------------------


async def test_submitting_a_suspension_from_the_item_page(make_tenant):
    t = await make_tenant()
    item = await published_item(t)
    item_url = f"/t/{t.slug}/items/{item.id}"
    async with client() as c:
        await login(c, t.slug, "clerk")
        page = await c.get(item_url)
        assert "提交调整申请" in page.text
        kinds = re.findall(
            r'<option value="(\w+)"', page.text.split('id="change-kind"')[1].split("</select>")[0]
        )
        assert kinds == ["suspend", "cancel"], "no 变更 without a differing draft"
        # The history lists the claim that published it.
        assert "调整历史" in page.text and "认领" in page.text

        missing = await post_form(
            c, item_url, f"{item_url}/changes", {"kind": "suspend", "reason": " "}
        )
        assert missing.status_code == 400
        assert "请填写调整原因" in missing.text and 'id="change-reason-error"' in missing.text

        r = await post_form(
            c, item_url, f"{item_url}/changes", {"kind": "suspend", "reason": "系统升级暂停受理"}
        )
        assert r.status_code == 303
        match = re.fullmatch(rf"/t/{t.slug}/changes/(\d+)\?done=submit", r.headers["location"])
        assert match
        cr_page = await c.get(r.headers["location"])
        assert "暂停申请" in cr_page.text and "系统升级暂停受理" in cr_page.text
        # The item page now links the open request instead of the form.
        page = await c.get(item_url)
        assert f'href="/t/{t.slug}/changes/{match.group(1)}"' in page.text
        assert 'id="change-kind"' not in page.text
    cr = await wf.open_request_for(t.ctx, item.id)
    assert cr.id == int(match.group(1)) and cr.kind == "suspend"


async def test_a_cancellation_needs_its_basis_and_document_number(make_tenant):
    t = await make_tenant()
    item = await published_item(t)
    item_url = f"/t/{t.slug}/items/{item.id}"
    async with client() as c:
        await login(c, t.slug, "clerk")
        r = await post_form(
            c, item_url, f"{item_url}/changes", {"kind": "cancel", "reason": "依据废止"}
        )
        assert r.status_code == 400
        assert "取消依据" in r.text and 'id="change-cancel-basis-error"' in r.text
        bad_date = await post_form(
            c,
            item_url,
            f"{item_url}/changes",
            {"kind": "suspend", "reason": "升级", "effective_date": "明天"},
        )
        assert bad_date.status_code == 400 and "生效日期格式不正确" in bad_date.text
        ok = await post_form(
            c,
            item_url,
            f"{item_url}/changes",
            {
                "kind": "cancel",
                "reason": "依据废止",
                "cancel_basis": "《某条例》已废止",
                "document_number": "样政发〔2026〕1号",
            },
        )
        assert ok.status_code == 303
        page = await c.get(ok.headers["location"])
        assert "样政发〔2026〕1号" in page.text and "司法行政部门" in page.text

    async with client() as c:
        await login(c, t.slug, "reform_office")
        page = await c.get(item_url)
        assert 'id="change-kind"' not in page.text  # not of the item's agency


# Claims -----------------------------------------------------------------------------------------


async def test_the_claim_page_lists_an_entry_and_claiming_creates_the_item(make_tenant):
    t = await make_tenant()
    async with client() as c:
        await login(c, t.slug, "clerk")
        page = await c.get(f"/t/{t.slug}/claims")
        assert page.status_code == 200
        assert "样例许可事项" in page.text and "000101001" in page.text
        assert "设区的市级" in page.text or "市级" in page.text  # the entry's levels
        r = await post_form(c, f"/t/{t.slug}/claims", f"/t/{t.slug}/claims/{t.entry_id}")
        assert r.status_code == 303
        match = re.fullmatch(rf"/t/{t.slug}/items/(\d+)", r.headers["location"])
        assert match
        item_page = await c.get(r.headers["location"])
        assert item_page.status_code == 200 and "样例许可事项" in item_page.text
        again = await c.get(f"/t/{t.slug}/claims")
        assert f'/claims/{t.entry_id}"' not in again.text
    detail = await get_item(t.ctx, int(match.group(1)))
    assert detail.item["agency"] == t.agency_ids[0] and detail.item["status"] == "draft"

    async with client() as c:
        await login(c, t.slug, "reform_office")
        assert (await c.get(f"/t/{t.slug}/claims")).status_code == 403


# Obligations -------------------------------------------------------------------------------------


async def test_marking_an_obligation_done_removes_it(make_tenant):
    t = await make_tenant()
    await published_item(t)
    (obligation,) = [o for o in await open_obligations(t.ctx) if o["kind"] == "hall_update"]
    async with client() as c:
        await login(c, t.slug, "service_center")
        page = await c.get(f"/t/{t.slug}/obligations")
        assert page.status_code == 200
        assert "大厅进驻事项调整更新" in page.text and "政务服务中心" in page.text
        done_url = f"/t/{t.slug}/obligations/{obligation['id']}/done"
        assert f'action="{done_url}"' in page.text
        r = await post_form(c, f"/t/{t.slug}/obligations", done_url, {"note": "大厅屏幕已更新"})
        assert r.status_code == 303
        page = await c.get(r.headers["location"])
        assert "已标记为完成" in page.text
        assert "大厅进驻事项调整更新" not in page.text
    assert all(o["id"] != obligation["id"] for o in await open_obligations(t.ctx))

    async with client() as c:
        await login(c, t.slug, "clerk")
        page = await c.get(f"/t/{t.slug}/obligations")
        assert "大厅进驻事项调整更新" not in page.text  # not the clerk's to do


# CSRF ------------------------------------------------------------------------------------------------


async def test_a_post_without_the_csrf_token_is_refused(make_tenant):
    t = await make_tenant()
    _, cr = await submitted_claim(t)
    async with client() as c:
        await login(c, t.slug, "agency_reviewer")
        await c.get(f"/t/{t.slug}/changes/{cr.id}")  # has the CSRF cookie, not the token
        r = await c.post(
            f"/t/{t.slug}/changes/{cr.id}/approve",
            data={"seen_version": str(cr.version)},
            follow_redirects=False,
        )
        assert r.status_code == 403
        assert "请刷新页面" in r.text
        upload = await c.post(
            f"/t/{t.slug}/changes/{cr.id}/attachments",
            files={"file": ("a.pdf", PDF, "application/pdf")},
            follow_redirects=False,
        )
        assert upload.status_code == 403
    assert (await wf.steps_of(t.ctx, cr.id))[0]["status"] == "active"
    assert await wf.attachments_of(t.ctx, cr.id) == []


async def test_the_workflow_pages_need_sign_in(make_tenant):
    t = await make_tenant()
    _, cr = await submitted_claim(t)
    async with client() as c:
        for path in ("/", "/reviews", "/obligations", "/claims", f"/changes/{cr.id}"):
            r = await c.get(f"/t/{t.slug}{path}", follow_redirects=False)
            assert r.status_code == 303, path
            assert r.headers["location"].startswith(f"/t/{t.slug}/login?next="), path


SEEN_STEP = re.compile(r'name="seen_step" value="(\d+)"')


async def test_acting_on_a_step_someone_else_just_decided_is_a_conflict_not_a_refusal(
    make_tenant,
):
    """Two reviewers of the agency open the same request; one approves. The other's
    approval or return from the page they still show answers 409 with 刷新页面,
    not 403 (they had the right; the request moved on), and changes nothing."""
    from qingdan.core.testing import SYSTEM

    t = await make_tenant()
    _, cr = await submitted_claim(t)
    colleague = await tenancy.create_user(t.tenant_id, SYSTEM, "reviewer2", "审核员二", "x" * 12)
    await tenancy.grant_role(
        t.tenant_id, SYSTEM, colleague.id, "agency_reviewer", agency_id=t.agency_ids[0]
    )
    page_url = f"/t/{t.slug}/changes/{cr.id}"
    async with client() as c:
        await login(c, t.slug, "agency_reviewer")
        seen_step = SEEN_STEP.search((await c.get(page_url)).text).group(1)
    await wf.approve(t.ctx, await tenancy.load_principal(colleague.id), cr.id, "同意")
    before = [s["status"] for s in await wf.steps_of(t.ctx, cr.id)]
    async with client() as c:
        await login(c, t.slug, "agency_reviewer")
        for action, fields in (
            ("approve", {"seen_version": str(cr.version), "comment": "我也同意"}),
            ("return", {"reason": "材料不全"}),
        ):
            r = await post_form(
                c, page_url, f"{page_url}/{action}", fields | {"seen_step": seen_step}
            )
            assert r.status_code == 409, (action, r.status_code)
            assert "请刷新页面" in r.text
    assert (
        [s["status"] for s in await wf.steps_of(t.ctx, cr.id)]
        == before
        == [
            "approved",
            "active",
            "pending",
        ]
    )
    decisions = [d["action"] for d in await wf.decisions_of(t.ctx, cr.id)]
    assert decisions.count("approve") == 1 and "return" not in decisions
