"""`qingdan demo` data: three jurisdictions with complete, realistic items."""

import re

import pytest

from qingdan.core.audit.services import verify_chain
from qingdan.core.catalog.requirements import missing_elements
from qingdan.core.catalog.schemas import ItemQuery
from qingdan.core.catalog.services import get_item, list_items
from qingdan.core.catalog.tables import Item
from qingdan.core.demo.loader import DEMO_PASSWORD, DEMO_USERS, load_demo
from qingdan.core.plugins import get_registry
from qingdan.core.tenancy.context import load_context
from qingdan.core.tenancy.services import authenticate, list_agencies

pytestmark = pytest.mark.db

ARTICLE = r"第[一二三四五六七八九十百千零]+条.*"
EXPECTED = {"jinchang": "金昌市", "anyang": "安阳市", "shuozhou": "朔州市朔城区"}


@pytest.fixture(scope="module")
async def demo(database):
    first = await load_demo(get_registry())
    second = await load_demo(get_registry())
    return first, second


async def test_three_tenants_with_real_names_and_division_codes(demo):
    first, second = demo
    assert {s.slug: s.name for s in first} == EXPECTED
    assert all(s.created for s in first)
    assert not any(s.created for s in second), "a second load must change nothing"
    jinchang = await load_context(slug="jinchang")
    assert jinchang.tenant["division_code"] == "620300000000"


@pytest.mark.parametrize("slug", sorted(EXPECTED))
async def test_each_tenant_has_agencies_and_over_100_complete_published_items(demo, slug):
    ctx = await load_context(slug=slug)
    agencies = await list_agencies(ctx.scope)
    assert len(agencies) >= 15
    page = await list_items(ctx, ItemQuery(page_size=100))
    assert page.total >= 100
    assert await ctx.scope.count(Item).where(Item.status != "published") == 0
    ids = [r["id"] for r in await ctx.scope.select(Item, Item.id)]
    for item_id in ids:
        detail = await get_item(ctx, item_id)
        doc = detail.published
        reqs = ctx.plugin.element_requirements(doc.item_type, ctx.settings)
        assert missing_elements(doc, reqs) == [], (doc.name, missing_elements(doc, reqs))
        assert ctx.code_format().parse_impl_code(doc.impl_code).base_code == doc.base_code
        if doc.item_type != "public_service":
            assert any(b.article for b in doc.legal_basis), doc.name
        for basis in doc.legal_basis:
            assert basis.law_name
            assert not basis.article or re.fullmatch(ARTICLE, basis.article), basis.article
            assert basis.text == "", "article texts are not to be written from memory"
        assert doc.locations and doc.consultation and doc.complaints
    assert (await verify_chain(ctx.tenant_id)).ok


@pytest.mark.parametrize("slug", sorted(EXPECTED))
async def test_demo_users_sign_in_with_their_roles(demo, slug):
    for username, _, role, _ in DEMO_USERS:
        principal = await authenticate(slug, username, DEMO_PASSWORD)
        assert principal is not None and principal.has_role(role)
    assert await authenticate(slug, "clerk", "wrong-password") is None
    assert await authenticate(None, "platform", DEMO_PASSWORD) is not None


async def test_anyangs_bundles_are_online_from_the_demo_items(demo):
    from qingdan.core.bundles.guide import bundle_guide
    from qingdan.core.bundles.services import list_bundles

    first, _ = demo
    summary = {s.slug: s for s in first}
    ctx = await load_context(slug="anyang")
    rows = await list_bundles(ctx, published_only=True)
    assert summary["anyang"].bundles == len(rows) >= 5
    names = {r.name for r in rows}
    assert {"企业准营", "新生儿出生", "扶残助困", "二手房转移登记及水电气暖联动过户"} <= names
    for row in rows:
        assert row.items == row.visible_items >= 2, row.name
        guide = await bundle_guide(ctx, row.id, public=True)
        assert guide.materials and len(guide.members) == row.items
    # Jurisdictions whose plugin names no bundle get none.
    assert await list_bundles(await load_context(slug="jinchang")) == []
