"""The catalog (基本目录) in the browser: the list with implementation counts,
an entry's page, proposing its cancellation, and the change request page of
a catalog request (chain, diff, review). Data is built with the core services,
then the pages are driven as the role users of ``build_tenant``.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.queries import entry_requests
from qingdan.core.catalog.services import create_catalog_entry, create_item, get_item
from qingdan.core.catalog.validation import dump_document
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import PASSWORD, SYSTEM, sample_entry_document, submitted_claim
from qingdan.core.workflow import services as wf
from qingdan.core.workflow.catalog_changes import submit_catalog_change
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
HX_RESULTS = {"HX-Request": "true", "HX-Target": "results"}
CANCEL = {
    "kind": "cancel",
    "reason": "设定依据已废止",
    "cancel_basis": "《样例条例》已于2026年废止",
    "document_number": "样政发〔2026〕9号",
}


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


async def who(t, role: str):
    return await tenancy.load_principal(t.users[role])


def row_of(html: str, href: str) -> str:
    """The table row holding the link ``href``."""
    at = html.index(f'href="{href}"')
    return html[html.rindex("<tr>", 0, at) : html.index("</tr>", at)]


def chain_of(html: str) -> str:
    start = html.index('<ol class="chain">')
    return html[start : html.index("</ol>", start)]


# The catalog list ------------------------------------------------------------------------


async def test_the_catalog_lists_entries_with_their_implementation_count(make_tenant):
    t = await make_tenant()
    filing = await create_catalog_entry(
        t.ctx, SYSTEM, sample_entry_document("000101002", "样例备案事项") | {"item_type": "filing"}
    )
    for agency_id in t.agency_ids[:2]:
        await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=agency_id)
    base = f"/t/{t.slug}/catalog"
    async with client() as c:
        await login(c, t.slug, "clerk")
        page = await c.get(base)
        assert page.status_code == 200
        text = page.text
        assert f'href="{base}"' in text and "基本目录" in text  # in the nav, for a clerk too
        assert "共 2 项" in text
        licensing = row_of(text, f"{base}/{t.entry_id}")
        assert "样例许可事项" in licensing and "000101001" in licensing
        assert "行政许可" in licensing and "在用" in licensing and "省级" in licensing
        assert "市级、县级" in licensing
        assert '<td class="implementations">2 项</td>' in licensing
        assert '<td class="implementations">0 项</td>' in row_of(text, f"{base}/{filing.id}")

        by_type = await c.get(base, params={"item_type": "filing"})
        assert "共 1 项" in by_type.text and f'href="{base}/{t.entry_id}"' not in by_type.text
        assert '<option value="filing" selected' in by_type.text
        search = await c.get(base, params={"q": "000101001"})
        assert "共 1 项" in search.text and f'href="{base}/{t.entry_id}"' in search.text
        by_status = await c.get(base, params={"status": "cancelled"})
        assert "共 0 项" in by_status.text and "没有符合条件的基本目录事项" in by_status.text
        junk = await c.get(base, params={"item_type": "nonsense", "source": "x", "page": "-1"})
        assert junk.status_code == 200 and "共 2 项" in junk.text

        # From htmx only the results come back, the filter form stays on the page.
        partial = await c.get(base, params={"item_type": "filing"}, headers=HX_RESULTS)
        assert partial.status_code == 200
        assert "<html" not in partial.text and "<form" not in partial.text
        assert "共 1 项" in partial.text and "样例备案事项" in partial.text


async def test_the_catalog_paginates_with_links_that_keep_the_filters(make_tenant):
    t = await make_tenant()
    for i in range(21):
        await create_catalog_entry(
            t.ctx, SYSTEM, sample_entry_document(f"0003{i:05d}", f"分页目录事项{i:02d}")
        )
    base = f"/t/{t.slug}/catalog"
    async with client() as c:
        await login(c, t.slug, "clerk")
        first = await c.get(base, params={"q": "分页"})
        assert "共 21 项,第 1 / 2 页" in first.text
        assert f'href="{base}?q=%E5%88%86%E9%A1%B5&amp;page=2"' in first.text
        second = await c.get(base, params={"q": "分页", "page": "2"}, headers=HX_RESULTS)
        assert "分页目录事项20" in second.text and "分页目录事项00" not in second.text


# The entry page ----------------------------------------------------------------------------


async def test_the_entry_page_shows_its_elements_items_and_versions(make_tenant):
    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    async with client() as c:
        await login(c, t.slug, "clerk")
        r = await c.get(f"/t/{t.slug}/catalog/{t.entry_id}")
        assert r.status_code == 200
        text = r.text
        assert "<h1>样例许可事项</h1>" in text and "000101001" in text
        # The elements in use, grouped and labelled as on the item page.
        for shown in ("设定依据", "中华人民共和国行政许可法", "第十二条", "申请材料", "申请书"):
            assert shown in text, shown
        assert "法定办结时限" in text and "20个工作日" in text
        # An agency's elements are left off: they are not the catalog's.
        assert "<dt>实施主体</dt>" not in text and "<dt>实施编码</dt>" not in text
        # The items implementing it, and its versions.
        assert f'href="/t/{t.slug}/items/{item.id}"' in text
        assert item.impl_code in text
        assert "在用版本" in text
        assert "要素编辑器" in text
        # A clerk gets no form for proposing catalog changes.
        assert f'action="/t/{t.slug}/catalog/{t.entry_id}/changes"' not in text
        assert "只有审改机构或租户管理员" in text
        # The item page links back to its entry.
        item_page = await c.get(f"/t/{t.slug}/items/{item.id}")
        assert f'href="/t/{t.slug}/catalog/{t.entry_id}"' in item_page.text
        assert "<dt>实施主体</dt>" in item_page.text


async def test_another_tenants_entry_is_not_found(make_tenant):
    a = await make_tenant()
    b = await make_tenant()
    async with client() as c:
        await login(c, a.slug, "tenant_admin")
        for path in (f"/t/{b.slug}/catalog/{b.entry_id}", f"/t/{a.slug}/catalog/{b.entry_id}"):
            r = await c.get(path, follow_redirects=False)
            assert r.status_code == 404, path
            assert "页面不存在" in r.text
        r = await post_form(
            c, f"/t/{a.slug}/catalog", f"/t/{a.slug}/catalog/{b.entry_id}/changes", CANCEL
        )
        assert r.status_code == 404
    assert await entry_requests(b.ctx, b.entry_id) == []


# Proposing a cancellation ------------------------------------------------------------------


async def test_an_admin_cancels_an_entry_and_the_legal_reviewer_approves_it(make_tenant):
    t = await make_tenant()
    entry_url = f"/t/{t.slug}/catalog/{t.entry_id}"
    async with client() as c:
        await login(c, t.slug, "tenant_admin")
        page = await c.get(entry_url)
        assert f'action="{entry_url}/changes"' in page.text and "提交取消申请" in page.text

        missing = await post_form(
            c, entry_url, f"{entry_url}/changes", CANCEL | {"cancel_basis": ""}
        )
        assert missing.status_code == 400
        assert "取消依据" in missing.text and 'id="cancel-basis-error"' in missing.text
        assert "样政发〔2026〕9号" in missing.text  # what was typed stays in the form

        r = await post_form(c, entry_url, f"{entry_url}/changes", CANCEL)
        assert r.status_code == 303, r.text
        match = re.fullmatch(rf"/t/{t.slug}/changes/(\d+)\?done=submit", r.headers["location"])
        assert match
        cr_id = int(match.group(1))
        page = await c.get(r.headers["location"])
        text = page.text
        assert page.status_code == 200
        assert "调整申请已提交" in text
        assert "取消申请:基本目录 · 样例许可事项" in text
        assert f'href="{entry_url}"' in text and "000101001" in text
        assert "样政发〔2026〕9号" in text and "《样例条例》已于2026年废止" in text
        chain = chain_of(text)
        assert "司法行政部门" in chain and "审改机构" in chain
        assert chain.index("司法行政部门") < chain.index("审改机构")
        assert "没有要素差异" in text
        assert f"/changes/{cr_id}/approve" not in text  # never one's own
        assert f"/changes/{cr_id}/withdraw" in text  # the author, before any decision
        # The entry page now points at the open request instead of the form.
        page = await c.get(entry_url)
        assert f'href="/t/{t.slug}/changes/{cr_id}"' in page.text
        assert f'action="{entry_url}/changes"' not in page.text

    cr_url = f"/t/{t.slug}/changes/{cr_id}"
    async with client() as c:
        await login(c, t.slug, "legal_reviewer")
        home = await c.get(f"/t/{t.slug}/")
        waiting = home.text[home.text.index('id="waiting"') : home.text.index('id="returned"')]
        assert f'href="{cr_url}"' in waiting and "基本目录:样例许可事项" in waiting
        queue = await c.get(f"/t/{t.slug}/reviews")
        assert "基本目录:样例许可事项" in queue.text and "None" not in queue.text
        page = await c.get(cr_url)
        assert f'action="{cr_url}/approve"' in page.text
        r = await post_form(c, cr_url, f"{cr_url}/approve", {"seen_version": "", "comment": "合法"})
        assert r.status_code == 303
        assert r.headers["location"] == f"{cr_url}?done=approve"
        after = await c.get(r.headers["location"])
        assert "已审核通过" in after.text and f'action="{cr_url}/approve"' not in after.text
    steps = await wf.steps_of(t.ctx, cr_id)
    assert [(s["role"], s["status"]) for s in steps[:2]] == [
        ("legal_reviewer", "approved"),
        ("reform_office", "active"),
    ]
    assert steps[0]["comment"] == "合法"


async def test_a_clerk_posting_the_cancel_form_is_refused(make_tenant):
    t = await make_tenant()
    entry_url = f"/t/{t.slug}/catalog/{t.entry_id}"
    async with client() as c:
        await login(c, t.slug, "clerk")
        r = await post_form(c, entry_url, f"{entry_url}/changes", CANCEL)
        assert r.status_code == 403
        assert "审改机构" in r.text
    assert await entry_requests(t.ctx, t.entry_id) == []


# The change request page of a catalog request ---------------------------------------------


async def test_an_amend_request_shows_the_changed_element_before_and_after(make_tenant):
    t = await make_tenant()
    doc = sample_entry_document() | {"statutory_limit": {"value": 15, "unit": "working_day"}}
    cr = await submit_catalog_change(
        t.ctx,
        await who(t, "reform_office"),
        ChangeKind.amend,
        "上位法修改,法定时限缩短",
        entry_id=t.entry_id,
        document=doc,
    )
    async with client() as c:
        await login(c, t.slug, "legal_reviewer")
        r = await c.get(f"/t/{t.slug}/changes/{cr.id}")
        assert r.status_code == 200
        text = r.text
        assert "变更申请:基本目录 · 样例许可事项" in text
        assert "拟定版本(版本 2)与提交时在用的版本(版本 1)逐项对比" in text
        assert "法定办结时限" in text
        assert '<del class="diff-removed">20个工作日</del>' in text
        assert '<ins class="diff-added">15个工作日</ins>' in text
        assert "承诺办结时限" not in text.split('id="diff"')[1].split('id="attachments"')[0]
        assert f'action="/t/{t.slug}/changes/{cr.id}/approve"' in text
        # The entry page lists the proposed version and the request.
        entry_page = await c.get(f"/t/{t.slug}/catalog/{t.entry_id}")
        assert f'href="/t/{t.slug}/changes/{cr.id}"' in entry_page.text
        assert "拟定版本" in entry_page.text


async def test_a_new_local_entry_shows_every_element_as_added(make_tenant):
    t = await make_tenant()
    doc = sample_entry_document("000199001", "地方性法规设定的备案事项") | {"item_type": "filing"}
    cr = await submit_catalog_change(
        t.ctx, await who(t, "tenant_admin"), ChangeKind.create, "依据地方性法规新增", document=doc
    )
    async with client() as c:
        await login(c, t.slug, "legal_reviewer")
        r = await c.get(f"/t/{t.slug}/changes/{cr.id}")
        assert r.status_code == 200
        assert "新增申请:基本目录 · 地方性法规设定的备案事项" in r.text
        assert "新增的基本目录事项尚无在用版本" in r.text
        assert '<ins class="diff-added">20个工作日</ins>' in r.text
        assert "本地" in r.text
        # The entry in review has no version in use yet; its page says where to look.
        entry = await c.get(f"/t/{t.slug}/catalog/{cr.catalog_entry}")
        assert entry.status_code == 200
        assert "尚无在用版本" in entry.text
        assert f'href="/t/{t.slug}/changes/{cr.id}"' in entry.text
        listing = await c.get(f"/t/{t.slug}/catalog", params={"status": "in_review"})
        assert "地方性法规设定的备案事项" in listing.text and "本地" in listing.text


async def test_a_published_request_still_shows_what_it_changed(make_tenant):
    """After publication the item has no draft and the entry a new version in use:
    the page compares the versions the request itself recorded."""
    t = await make_tenant()
    item, claim = await submitted_claim(t)
    for role in ("agency_reviewer", "reform_office", "data_center"):
        await wf.approve(t.ctx, await who(t, role), claim.id)
    clerk = await who(t, "clerk")
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.published) | {"promised_limit": {"value": 5, "unit": "working_day"}}
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    item_cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.amend, "压缩承诺时限")
    for role in ("agency_reviewer", "reform_office", "data_center"):
        await wf.approve(t.ctx, await who(t, role), item_cr.id)

    doc = sample_entry_document() | {"statutory_limit": {"value": 15, "unit": "working_day"}}
    entry_cr = await submit_catalog_change(
        t.ctx,
        await who(t, "tenant_admin"),
        ChangeKind.amend,
        "时限缩短",
        entry_id=t.entry_id,
        document=doc,
    )
    for role in ("legal_reviewer", "reform_office", "data_center"):
        await wf.approve(t.ctx, await who(t, role), entry_cr.id)
    assert (await wf.get_request(t.ctx, entry_cr.id)).status == "published"

    async with client() as c:
        await login(c, t.slug, "reform_office")
        page = await c.get(f"/t/{t.slug}/changes/{item_cr.id}")
        assert page.status_code == 200
        assert "草稿(版本 3)与提交时的已发布版本(版本 2)逐项对比" in page.text
        assert '<ins class="diff-added">5个工作日</ins>' in page.text
        page = await c.get(f"/t/{t.slug}/changes/{entry_cr.id}")
        assert page.status_code == 200
        assert "拟定版本(版本 2)与提交时在用的版本(版本 1)逐项对比" in page.text
        assert '<ins class="diff-added">15个工作日</ins>' in page.text
        entry = await c.get(f"/t/{t.slug}/catalog/{t.entry_id}")
        assert "在用版本</strong>(版本 2)" in entry.text and "15个工作日" in entry.text
        # The implementing agency's follow-up links the catalog request.
        await login(c, t.slug, "clerk")
        obligations = await c.get(f"/t/{t.slug}/obligations")
        assert f'href="/t/{t.slug}/changes/{entry_cr.id}"' in obligations.text
