"""An item's history page (versions with their diffs, change requests with each
office's decision, audit entries) and the tenant's recent changes on the home
page. The history is made with the core services, then read as a user would.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from html import unescape

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.services import get_item
from qingdan.core.catalog.validation import dump_document
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import PASSWORD
from qingdan.core.workflow import services as wf
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


async def login(c, slug: str, username: str):
    page = await c.get(f"/t/{slug}/login")
    token = CSRF_FIELD.search(page.text).group(1)
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


async def who(t, role: str):
    return await tenancy.load_principal(t.users[role])


def text_of(html: str) -> str:
    """The page's visible text, tags removed and whitespace squeezed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def section(html: str, section_id: str) -> str:
    return html.split(f'id="{section_id}"', 1)[1].split("</section>", 1)[0]


async def claimed_returned_and_published(t):
    """A claimed item: returned once with a reason, resubmitted, approved by the
    chain and published; then its draft changed again (a third version)."""
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | {
        "agency_name": "样例市场监督管理局",
        "process": [{"name": "受理"}, {"name": "审查"}, {"name": "决定"}],
        "locations": [{"name": "样例市政务服务中心", "address": "样例路1号"}],
        "consultation": [{"kind": "phone", "value": "0000-1234567"}],
        "complaints": [{"kind": "phone", "value": "12345"}],
        "result": {"name": "许可证", "type": "licence"},
    }
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领省级下发事项")
    await wf.return_request(t.ctx, await who(t, "agency_reviewer"), cr.id, "请补充办理地点的电话")
    await wf.resubmit(t.ctx, clerk, cr.id, "已补充")
    for role in ("agency_reviewer", "reform_office", "data_center"):
        await wf.approve(t.ctx, await who(t, role), cr.id)
    detail = await get_item(t.ctx, item.id)
    changed = dump_document(detail.published) | {
        "promised_limit": {"value": 3, "unit": "working_day"}
    }
    await wf.edit_draft(t.ctx, clerk, item.id, changed, detail.item["lock_version"])
    return item, cr


async def test_history_page_lists_versions_decisions_by_office_and_audit(make_tenant):
    t = await make_tenant()
    item, cr = await claimed_returned_and_published(t)
    versions = [v["number"] for v in await _versions(t, item.id)]
    latest = max(versions)
    async with client() as c:
        await login(c, t.slug, "service_center")  # any member of the tenant may read it
        page = await c.get(f"/t/{t.slug}/items/{item.id}")
        history_url = f"/t/{t.slug}/items/{item.id}/history"
        assert f'href="{history_url}"' in page.text
        r = await c.get(history_url)
    assert r.status_code == 200
    html = r.text

    rows = section(html, "versions").split("<tr>")[2:]
    assert [int(re.search(r"版本 (\d+)", row).group(1)) for row in rows] == sorted(
        versions, reverse=True
    )
    newest, published = text_of(rows[0]), text_of(rows[1])
    assert "当前草稿" in newest and "未发布" in newest and "信息员" in newest
    assert "当前发布版本" in published and "已发布" in published
    assert f'href="{history_url}/versions/{latest}"' in rows[0]

    requests = section(html, "requests")
    assert f"认领申请 #{cr.id}" in text_of(requests)
    # Each decision in order, with its office, what was decided, by whom and why.
    decisions = [
        [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)][1:]
        for row in re.findall(r'<tr class="decision-\w+">(.*?)</tr>', requests, re.S)
    ]
    assert [d[1] for d in decisions] == ["提交", "退回", "重新提交", "通过", "通过", "通过", "发布"]
    assert decisions[0] == ["申请人", "提交", "信息员", "认领省级下发事项"]
    assert decisions[1] == ["实施机构审核员 部门审核", "退回", "审核员", "请补充办理地点的电话"]
    assert decisions[2] == ["申请人", "重新提交", "信息员", "已补充"]
    offices = [d[0] for d in decisions[3:6]]
    assert offices == ["实施机构审核员 部门审核", "审改机构 审改机构审核", "大数据中心 质检发布"]
    assert [d[2] for d in decisions[3:]] == ["审核员", "审改机构", "大数据中心", "大数据中心"]

    audit = section(html, "audit")
    entries = [
        [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in audit.split("<tbody>")[1].split("<tr>")[1:]
    ]
    seqs = [int(e[0]) for e in entries]
    assert seqs == sorted(seqs, reverse=True)  # newest first
    summaries = [e[3] for e in entries]
    # The item's own entries and those of its change request, with who did it.
    assert f"“部门审核”退回 (申请 #{cr.id})" in summaries
    assert any(s.startswith("发布事项") for s in summaries)
    assert entries[0][2] == "信息员" and entries[0][3].startswith("保存事项草稿")


async def test_version_link_shows_what_that_version_changed(make_tenant):
    t = await make_tenant()
    item, _ = await claimed_returned_and_published(t)
    latest = max(v["number"] for v in await _versions(t, item.id))
    async with client() as c:
        await login(c, t.slug, "clerk")
        r = await c.get(f"/t/{t.slug}/items/{item.id}/history/versions/{latest}")
        assert r.status_code == 200
        page = text_of(r.text)
        assert f"版本 {latest} 的改动" in page and f"与版本 {latest - 1}" in page
        assert "承诺办结时限" in page and "3个工作日" in page
        # Only the element that changed is listed.
        assert "办理地点" not in text_of(r.text.split('aria-label="版本差异"')[1])
        first = await c.get(f"/t/{t.slug}/items/{item.id}/history/versions/1")
        assert first.status_code == 200 and "第一个版本" in first.text
        assert (
            await c.get(f"/t/{t.slug}/items/{item.id}/history/versions/{latest + 1}")
        ).status_code == 404


async def test_another_tenants_item_history_is_not_found(make_tenant):
    mine, theirs = await make_tenant(), await make_tenant()
    item, _ = await claimed_returned_and_published(theirs)
    async with client() as c:
        await login(c, mine.slug, "clerk")
        # Through one's own tenant's address: the item is not in it.
        assert (await c.get(f"/t/{mine.slug}/items/{item.id}/history")).status_code == 404
        assert (
            await c.get(f"/t/{mine.slug}/items/{item.id}/history/versions/1")
        ).status_code == 404
        assert (await c.get(f"/t/{theirs.slug}/items/{item.id}/history")).status_code == 404


async def test_home_shows_the_tenants_recent_publications_and_decisions(make_tenant):
    t = await make_tenant()
    other = await make_tenant()
    item, cr = await claimed_returned_and_published(t)
    other_item, other_cr = await claimed_returned_and_published(other)
    name = (await get_item(t.ctx, item.id)).item["name"]
    async with client() as c:
        await login(c, t.slug, "legal_reviewer")  # nothing in the inbox: still sees the news
        html = (await c.get(f"/t/{t.slug}/")).text
    recent = section(html, "recent")
    assert f'href="/t/{t.slug}/items/{item.id}"' in recent and name in recent
    news = text_of(recent)
    assert "发布" in news and "退回" in news and "请补充办理地点的电话" in news
    assert f'href="/t/{t.slug}/changes/{cr.id}"' in recent
    # Only this tenant's changes.
    assert f'/items/{other_item.id}"' not in recent
    assert f'/changes/{other_cr.id}"' not in recent


async def _versions(t, item_id):
    from qingdan.core.catalog.services import item_versions

    return await item_versions(t.ctx, item_id)
