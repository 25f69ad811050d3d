"""The public portal and the open API: published versions only, Chinese search,
facets, guides and PDFs with HTTP validators, and no tenant ever sees another's.

The app runs its own event loop (Litestar's test client), so each test creates
its data first and only then opens the client.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.services import (
    create_catalog_entry,
    create_item,
    get_item,
    publish_draft,
    save_draft,
)
from qingdan.core.catalog.validation import dump_document
from qingdan.core.demo.loader import load_demo
from qingdan.core.errors import NotFound
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.plugins import get_registry
from qingdan.core.publishing import portal
from qingdan.core.publishing.search import index_item, parse_query, reindex_tenant, search
from qingdan.core.publishing.tables import GuideFile, SearchTerm
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.context import load_context
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM, build_tenant, sample_entry_document
from qingdan.core.workflow import services as wf
from qingdan.web.testing import shared_app

pytestmark = [pytest.mark.db, pytest.mark.usefixtures("database")]

HX = {"HX-Request": "true", "HX-Target": "results"}


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


async def tenant():
    return await build_tenant(plugin="sample", slug=f"portal{uuid.uuid4().hex[:8]}")


async def publish(t, item_id: int, **changes) -> int:
    """Save a draft with ``changes`` and publish it (as the demo loader does); its version id."""
    detail = await get_item(t.ctx, item_id)
    doc = dump_document(detail.draft or detail.published) | SAMPLE_PLACE | changes
    await save_draft(t.ctx, SYSTEM, item_id, doc, detail.item["lock_version"])
    version = await publish_draft(t.ctx, SYSTEM, item_id)
    await index_item(t.ctx, item_id)  # what the publication hook does
    return version.id


async def published(t, agency: int = 0, handling_item: str = "00", entry_id=None, **changes):
    item = await create_item(
        t.ctx,
        SYSTEM,
        entry_id=entry_id or t.entry_id,
        agency_id=t.agency_ids[agency],
        handling_item=handling_item,
    )
    await publish(t, item.id, **changes)
    return item


async def who(t, role: str):
    return await tenancy.load_principal(t.users[role])


async def approve_all(t, cr_id: int) -> None:
    for role in ("agency_reviewer", "reform_office", "data_center"):
        await wf.approve(t.ctx, await who(t, role), cr_id)


async def names(t, q: str) -> list[str]:
    page = await portal.browse(t.ctx, portal.PortalQuery(q=q, page_size=100))
    return [row.name for row in page.rows]


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# Search ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def jinchang(database):
    """The demo's 金昌市, as `qingdan demo` loads it (idempotent), with its index built."""
    await load_demo(get_registry())
    ctx = await load_context(slug="jinchang")
    assert await reindex_tenant(ctx) >= 100
    return ctx


async def test_kaifandian_finds_the_food_business_licence_in_the_demo_catalog(jinchang):
    result = await search(jinchang, "开饭店")
    found = [(await portal.published_item(jinchang, hit.item_id)).item.name for hit in result.hits]
    assert "食品经营许可" in found
    assert "餐饮" in result.expansions
    # A partial name and a phrase in a sentence find it too.
    page = await portal.browse(jinchang, portal.PortalQuery(q="我想开个饭店"))
    assert "食品经营许可" in [r.name for r in page.rows]
    page = await portal.browse(jinchang, portal.PortalQuery(q="食品经营"))
    assert page.rows[0].name.startswith("食品经营")
    async with client() as c:
        html = (await c.get("/p/jinchang/", params={"q": "开饭店"})).text
        api = (await c.get("/api/v1/tenants/jinchang/items", params={"q": "开饭店"})).json()
    assert "食品经营许可" in html
    assert "食品经营许可" in [i["name"] for i in api["items"]]


async def test_an_everyday_phrase_finds_an_item_that_only_says_canyin():
    t = await tenant()
    await published(
        t,
        name="小型餐饮单位备案",
        acceptance_conditions="在本市从事餐饮服务的小型经营者。",
        keywords=[],
    )
    await published(t, agency=1, name="建筑垃圾处置核准", keywords=[])
    assert parse_query("开饭店")[0].expansions  # the phrase is in the synonym data
    assert await names(t, "开饭店") == ["小型餐饮单位备案"]
    assert await names(t, "开个饭馆") == ["小型餐饮单位备案"]
    assert await names(t, "垃圾") == ["建筑垃圾处置核准"]  # a word inside the name
    assert await names(t, "身份证") == []


async def test_a_word_from_its_materials_or_conditions_finds_an_item():
    t = await tenant()
    await published(
        t,
        name="养殖场备案",
        materials=[
            {"name": "养蜂场地平面图", "type": "original", "necessity": "required"},
            {"name": "申请书", "type": "form", "necessity": "required"},
        ],
        acceptance_conditions="具有符合防疫要求的场所。",
        keywords=[],
    )
    await published(t, agency=1, name="林木采伐许可", keywords=[])
    assert await names(t, "平面图") == ["养殖场备案"]
    assert await names(t, "养蜂") == ["养殖场备案"]
    assert await names(t, "防疫") == ["养殖场备案"]
    assert await names(t, "采伐") == ["林木采伐许可"]
    # Both words must be found when both can be: 采伐 平面图 finds neither alone.
    both = await names(t, "养殖 平面图")
    assert both == ["养殖场备案"]


async def test_the_index_is_built_on_first_read_for_items_published_without_it():
    t = await tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | SAMPLE_PLACE | {"name": "无索引事项", "keywords": ["萤石"]}
    await save_draft(t.ctx, SYSTEM, item.id, doc, detail.item["lock_version"])
    await publish_draft(t.ctx, SYSTEM, item.id)  # no index_item: as before the hook exists
    assert await t.ctx.scope.count(SearchTerm) == 0
    assert await names(t, "萤石") == ["无索引事项"]
    assert await t.ctx.scope.count(SearchTerm) > 0


# Drafts never leak ---------------------------------------------------------------------------


async def test_a_draft_change_never_appears_on_the_portal_until_published():
    t = await tenant()
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | SAMPLE_PLACE | {"keywords": ["许可证"]}
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    # A claim in review is not public yet.
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    async with client() as c:
        assert (await c.get(f"/p/{t.slug}/items/{item.id}")).status_code == 404
        assert (await c.get(f"/api/v1/tenants/{t.slug}/items/{item.id}")).status_code == 404
    assert await names(t, "样例") == []
    await approve_all(t, cr.id)  # published through the workflow (no index hook needed)

    # An amendment in review: a new handling item, new words, new material. (The
    # name stays the catalog's: the quality checks refuse a renamed item.)
    detail = await get_item(t.ctx, item.id)
    draft = dump_document(detail.published) | {
        "handling_item_name": "萤火虫观测",
        "keywords": ["萤火虫"],
        "materials": [
            {
                "name": "萤火虫观测方案",
                "type": "original",
                "necessity": "required",
                "source": "applicant",
            }
        ],
    }
    await wf.edit_draft(t.ctx, clerk, item.id, draft, detail.item["lock_version"])
    amend = await wf.submit(t.ctx, clerk, item.id, ChangeKind.amend, "增加观测方案")
    assert "萤火虫" in (await get_item(t.ctx, item.id)).draft.keywords  # the staff's draft

    assert await names(t, "萤火虫") == []
    assert await names(t, "观测") == []
    assert await names(t, "样例许可") == ["样例许可事项"]
    async with client() as c:
        home = await c.get(f"/p/{t.slug}/")
        found = await c.get(f"/p/{t.slug}/", params={"q": "萤火虫"})
        page = await c.get(f"/p/{t.slug}/items/{item.id}")
        pdf = await c.get(f"/p/{t.slug}/items/{item.id}/guide.pdf")
        api = await c.get(f"/api/v1/tenants/{t.slug}/items/{item.id}")
        api_list = await c.get(f"/api/v1/tenants/{t.slug}/items", params={"q": "萤火虫"})
        catalog = await c.get(f"/api/v1/tenants/{t.slug}/catalog")
    for response in (home, page):
        assert response.status_code == 200
        assert "萤火虫" not in response.text
    assert "样例许可事项" in home.text and "样例许可事项" in page.text
    assert "共找到 0 个事项" in found.text and 'class="portal-item"' not in found.text
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "样例许可事项" in text and "萤火虫" not in text
    assert api.json()["document"]["name"] == "样例许可事项"
    assert "萤火虫" not in api.text
    assert api_list.json()["total"] == 0
    assert "萤火虫" not in catalog.text

    await approve_all(t, amend.id)
    assert await names(t, "萤火虫") == ["样例许可事项"]
    async with client() as c:
        page = await c.get(f"/p/{t.slug}/items/{item.id}")
        versions = await c.get(f"/api/v1/tenants/{t.slug}/items/{item.id}/guides")
    assert "萤火虫观测方案" in page.text
    assert [v["number"] for v in versions.json()] == [3, 2]  # the draft v1 never published


async def test_draft_only_and_cancelled_items_are_not_found_and_suspended_ones_say_so():
    t = await tenant()
    draft = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[1])
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | SAMPLE_PLACE
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    await approve_all(t, (await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")).id)
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.suspend, "系统升级")
    await approve_all(t, cr.id)
    async with client() as c:
        for path in (
            f"/p/{t.slug}/items/{draft.id}",
            f"/p/{t.slug}/items/{draft.id}/guide.pdf",
            f"/api/v1/tenants/{t.slug}/items/{draft.id}",
        ):
            assert (await c.get(path)).status_code == 404, path
        home = await c.get(f"/p/{t.slug}/")
        page = await c.get(f"/p/{t.slug}/items/{item.id}")
    assert home.text.count('class="portal-item"') == 1
    assert "暂停受理" in home.text and "暂停受理" in page.text
    assert "Last-Modified" not in page.headers  # the page changed, its version did not

    cr = await wf.submit(
        t.ctx, clerk, item.id, ChangeKind.cancel, "依据废止",
        cancel_basis="《某条例》已废止", document_number="样政发〔2026〕1号",
    )  # fmt: skip
    for step in await wf.steps_of(t.ctx, cr.id):
        await wf.approve(t.ctx, await who(t, step["role"]), cr.id)
    async with client() as c:
        assert (await c.get(f"/p/{t.slug}/items/{item.id}")).status_code == 404
        home = await c.get(f"/p/{t.slug}/")
    assert "共找到 0 个事项" in home.text


# Tenants -----------------------------------------------------------------------------------


async def test_another_tenants_items_never_appear():
    a, b = await tenant(), await tenant()
    await published(a, name="甲地事项", keywords=["葡萄酒"])
    theirs = await published(b, name="乙地渡口管理", keywords=["摆渡船"])
    assert await names(b, "摆渡船") == ["乙地渡口管理"]
    assert await names(a, "摆渡船") == []
    assert await names(a, "渡口") == []
    assert (await search(a.ctx, "渡口")).hits == []
    with pytest.raises(NotFound):
        await portal.published_item(a.ctx, theirs.id)
    async with client() as c:
        for path in (
            f"/p/{a.slug}/items/{theirs.id}",
            f"/p/{a.slug}/items/{theirs.id}/guide.pdf",
            f"/api/v1/tenants/{a.slug}/items/{theirs.id}",
            f"/api/v1/tenants/{a.slug}/items/{theirs.id}/guides",
        ):
            response = await c.get(path)
            assert response.status_code == 404, path
            assert "乙地" not in response.text
        own = await c.get(f"/p/{b.slug}/items/{theirs.id}")
        unknown = await c.get("/p/no-such-tenant/")
        api_unknown = await c.get("/api/v1/tenants/no-such-tenant/items")
        home = await c.get(f"/p/{a.slug}/")
    assert own.status_code == 200 and "乙地渡口管理" in own.text
    assert unknown.status_code == 404
    assert api_unknown.status_code == 404 and api_unknown.json()["status_code"] == 404
    assert "乙地" not in home.text


# Caching -----------------------------------------------------------------------------------


async def test_guide_page_and_pdf_carry_etag_and_last_modified_and_answer_304():
    t = await tenant()
    item = await published(t, name="缓存测试事项")
    base = f"/p/{t.slug}/items/{item.id}"
    async with client() as c:
        page = await c.get(base)
        pdf = await c.get(base + "/guide.pdf")
        printed = await c.get(base + "/guide.pdf", params={"kind": "print"})
        bad_kind = await c.get(base + "/guide.pdf", params={"kind": "poster"})
        assert page.status_code == 200 and pdf.status_code == 200
        for response in (page, pdf):
            assert response.headers["etag"]
            assert response.headers["last-modified"].endswith("GMT")
            assert response.headers["cache-control"] == "public, max-age=300"
            assert "set-cookie" not in response.headers
            again = await c.get(base if response is page else base + "/guide.pdf",
                                headers={"If-None-Match": response.headers["etag"]})  # fmt: skip
            assert again.status_code == 304 and again.content == b""
            assert again.headers["etag"] == response.headers["etag"]
            since = await c.get(
                base if response is page else base + "/guide.pdf",
                headers={"If-Modified-Since": response.headers["last-modified"]},
            )
            assert since.status_code == 304
            earlier = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
            stale = await c.get(
                base if response is page else base + "/guide.pdf",
                headers={"If-Modified-Since": earlier},
            )
            assert stale.status_code == 200
        assert "attachment" in pdf.headers["content-disposition"]
        assert bad_kind.status_code == 400
        # The list and the API are cacheable too.
        home = await c.get(f"/p/{t.slug}/")
        assert (
            await c.get(f"/p/{t.slug}/", headers={"If-None-Match": home.headers["etag"]})
        ).status_code == 304
        api = await c.get(f"/api/v1/tenants/{t.slug}/items")
        assert api.headers["access-control-allow-origin"] == "*"
        repeat = await c.get(
            f"/api/v1/tenants/{t.slug}/items", headers={"If-None-Match": api.headers["etag"]}
        )
        assert repeat.status_code == 304
    # The PDF's ETag is its stored SHA-256, the file is the version's.
    rows = await t.ctx.scope.select(GuideFile, GuideFile.sha256, GuideFile.kind).where(
        GuideFile.item == item.id
    )
    shas = {r["kind"]: r["sha256"] for r in rows}
    assert pdf.headers["etag"] == f'"{shas["screen"]}"'
    assert hashlib.sha256(pdf.content).hexdigest() == shas["screen"]
    assert printed.headers["etag"] == f'"{shas["print"]}"' != pdf.headers["etag"]
    # A pinned version's PDF never changes.
    detail = await portal.published_item(t.ctx, item.id)
    async with client() as c:
        pinned = await c.get(detail.versions[0].pdf_url)
    assert pinned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert pinned.headers["etag"] == pdf.headers["etag"]

    # A new version changes both validators.
    await publish(t, item.id, name="缓存测试事项(第二版)")
    async with client() as c:
        newer = await c.get(base, headers={"If-None-Match": page.headers["etag"]})
        newer_pdf = await c.get(base + "/guide.pdf", headers={"If-None-Match": pdf.headers["etag"]})
    assert newer.status_code == 200 and "第二版" in newer.text
    assert newer_pdf.status_code == 200 and newer_pdf.headers["etag"] != pdf.headers["etag"]


# Pages, facets and the API ---------------------------------------------------------------------


async def test_facets_filter_and_count():
    t = await tenant()
    filing = await create_catalog_entry(
        t.ctx, SYSTEM, sample_entry_document("000101002", "样例备案事项") | {"item_type": "filing"}
    )
    await published(t, name="个人许可事项", audience=["natural_person"], levels=["county"])
    await published(t, agency=1, name="企业许可事项", audience=["enterprise"], levels=["municipal"])
    await published(
        t, agency=2, entry_id=filing.id, name="企业备案事项", audience=["enterprise"],
        levels=["municipal", "county"],
    )  # fmt: skip
    page = await portal.browse(t.ctx, portal.PortalQuery())
    facets = {f.key: {v.value: v.count for v in f.values} for f in page.facets}
    assert facets["item_type"] == {"licensing": 2, "filing": 1}
    assert facets["audience"] == {"person": 1, "legal": 2}
    assert facets["level"] == {"municipal": 2, "county": 2}
    assert len(facets["agency"]) == 3

    legal = await portal.browse(t.ctx, portal.PortalQuery(audience="legal"))
    assert sorted(r.name for r in legal.rows) == ["企业备案事项", "企业许可事项"]
    # The chosen facet keeps its other values' counts, so it can be switched.
    chosen = {f.key: {v.value: v.count for v in f.values} for f in legal.facets}
    assert chosen["audience"] == {"person": 1, "legal": 2}
    assert chosen["item_type"] == {"licensing": 1, "filing": 1}

    both = await portal.browse(t.ctx, portal.PortalQuery(audience="legal", item_type="filing"))
    assert [r.name for r in both.rows] == ["企业备案事项"]

    # Search words and a catalog entry narrow the counts as they narrow the list.
    words = await portal.browse(t.ctx, portal.PortalQuery(q="企业"))
    assert sorted(r.name for r in words.rows) == ["企业备案事项", "企业许可事项"]
    counted = {f.key: {v.value: v.count for v in f.values} for f in words.facets}
    assert counted["audience"] == {"legal": 2}
    assert counted["item_type"] == {"licensing": 1, "filing": 1}
    entry = await portal.browse(t.ctx, portal.PortalQuery(entry=filing.id, level="county"))
    assert [r.name for r in entry.rows] == ["企业备案事项"]
    counted = {f.key: {v.value: v.count for v in f.values} for f in entry.facets}
    assert counted["item_type"] == {"filing": 1} and counted["level"] == {
        "municipal": 1,
        "county": 1,
    }
    nothing = await portal.browse(t.ctx, portal.PortalQuery(q="企业", audience="person"))
    assert nothing.rows == [] and nothing.total == 0
    async with client() as c:
        html = await c.get(f"/p/{t.slug}/", params={"audience": "legal", "item_type": "filing"})
        partial = await c.get(f"/p/{t.slug}/", params={"level": "county"}, headers=HX)
        catalog = await c.get(f"/p/{t.slug}/catalog")
        api = await c.get(
            f"/api/v1/tenants/{t.slug}/items", params={"item_type": "licensing", "level": "county"}
        )
        bad = await c.get(f"/api/v1/tenants/{t.slug}/items", params={"item_type": "nonsense"})
        api_catalog = await c.get(f"/api/v1/tenants/{t.slug}/catalog")
    assert html.text.count('class="portal-item"') == 1 and "企业备案事项" in html.text
    assert "服务对象:法人" in html.text
    assert "<html" not in partial.text and partial.text.count('class="portal-item"') == 2
    assert "HX-Request" in partial.headers["vary"]
    assert "样例许可事项" in catalog.text and "样例备案事项" in catalog.text
    assert "2个实施机构" in catalog.text
    assert [i["name"] for i in api.json()["items"]] == ["个人许可事项"]
    assert bad.status_code == 400
    entries = {e["name"]: e for e in api_catalog.json()["entries"]}
    assert entries["样例许可事项"]["agencies"] == 2 and entries["样例备案事项"]["agencies"] == 1


async def test_the_list_is_arranged_once_and_rearranged_when_what_is_visible_changes():
    t = await tenant()
    first = await published(t, name="第一个事项")
    (shown,) = (await portal.browse(t.ctx, portal.PortalQuery())).rows
    assert shown.name == "第一个事项"
    key = (t.ctx.tenant_id, t.ctx.slug)
    arranged = portal._LIST_INDEXES[key]
    await portal.browse(t.ctx, portal.PortalQuery(q="事项"))
    assert portal._LIST_INDEXES[key] is arranged  # nothing changed: kept

    # A new publication (from any process: only the database tells) shows at once.
    await published(t, agency=1, name="第二个事项")
    names_now = [r.name for r in (await portal.browse(t.ctx, portal.PortalQuery())).rows]
    assert names_now == ["第一个事项", "第二个事项"]
    assert portal._LIST_INDEXES[key] is not arranged

    # A new version of an item replaces the old one in the list and the facets.
    await publish(t, first.id, name="第一个事项", audience=["enterprise"])
    page = await portal.browse(t.ctx, portal.PortalQuery(audience="legal"))
    assert [r.name for r in page.rows] == ["第一个事项"]
    assert [r.version_number for r in page.rows] == [shown.version_number + 1]


async def test_openapi_schema_lists_the_api_and_no_page():
    async with client() as c:
        response = await c.get("/api/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "清单 qingdan API"
    paths = set(schema["paths"])
    assert {
        "/api/v1/tenants",
        "/api/v1/tenants/{slug}/items",
        "/api/v1/tenants/{slug}/items/{item_id}",
        "/api/v1/tenants/{slug}/items/{item_id}/guides",
        "/api/v1/tenants/{slug}/catalog",
    } <= paths
    assert not [p for p in paths if not p.startswith("/api/")], paths
    components = schema["components"]["schemas"]
    assert {"PortalItem", "ItemList", "Catalog"} <= {name.rsplit("_", 1)[-1] for name in components}


async def test_landing_page_links_each_portal(make_tenant):
    t = await make_tenant()
    async with client() as c:
        landing = await c.get("/")
    assert f'href="/p/{t.slug}/"' in landing.text
    assert "即将开放" not in landing.text
