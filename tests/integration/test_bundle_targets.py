"""安阳 任务16 (二(四)16): 5 涉企 and 8 涉及个人 bundles online by 2022-12-31, every
listed bundle by 2023-12-31. The bundles page counts the bundles online by audience
against these targets (plugin settings) and shows the gap; a bundle set up but not
online does not count.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from datetime import date
from html import unescape

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.bundles import services as bundles
from qingdan.core.bundles.schemas import BundleInput
from qingdan.core.bundles.targets import ALL_LISTED, bundle_progress
from qingdan.core.catalog.services import create_catalog_entry, create_item, publish_draft
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.context import load_context
from qingdan.core.testing import PASSWORD, SYSTEM, sample_entry_document
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def _published_items(t) -> list[int]:
    ids = []
    for n in range(2):
        doc = sample_entry_document(f"889{n:03d}", f"一件事事项{n}")
        entry = await create_catalog_entry(t.ctx, SYSTEM, doc)
        made = await create_item(t.ctx, SYSTEM, entry_id=entry.id, agency_id=t.agency_ids[0])
        await publish_draft(t.ctx, SYSTEM, made.id)
        ids.append(made.id)
    return ids


async def _bundle(t, admin, items: list[int], *, online: bool, **how) -> int:
    bundle_id = await bundles.create_bundle(t.ctx, admin, **how)
    for item_id in items:
        lock = (await bundles.bundle_detail(t.ctx, bundle_id)).lock_version
        await bundles.add_item(t.ctx, admin, bundle_id, item_id, lock)
    if online:
        lock = (await bundles.bundle_detail(t.ctx, bundle_id)).lock_version
        await bundles.publish_bundle(t.ctx, admin, bundle_id, lock)
    return bundle_id


async def _anyang_with_bundles(make_tenant):
    """Online: 企业开办, 企业准营, 新生儿出生 (listed) and 开餐馆 (the city's own, 涉企);
    员工录用 set up but not online."""
    t = await make_tenant(plugin="anyang")
    admin = await tenancy.load_principal(t.users["tenant_admin"])
    items = await _published_items(t)
    for code in ("enterprise_opening", "enterprise_permits", "newborn"):
        await _bundle(t, admin, items, online=True, code=code)
    await _bundle(t, admin, items, online=False, code="employee_hiring")
    own = BundleInput(name="开餐馆", audience="enterprise", lead_agency_id=t.agency_ids[0])
    await _bundle(t, admin, items, online=True, data=own)
    return t


def _by_scope(progress):
    return {p.scope: p for p in progress}


async def test_online_bundles_are_counted_by_audience_against_the_seeds_targets(make_tenant):
    t = await _anyang_with_bundles(make_tenant)

    in_2022 = _by_scope(await bundle_progress(t.ctx, today=date(2022, 6, 1)))
    enterprise, personal, full = in_2022["涉企"], in_2022["涉及个人"], in_2022[ALL_LISTED]
    assert (enterprise.target, enterprise.online, enterprise.gap) == (5, 3, 2)
    assert (personal.target, personal.online, personal.gap) == (8, 1, 7)
    assert enterprise.deadline == personal.deadline == date(2022, 12, 31)
    assert not enterprise.overdue
    assert "二(四)16" in enterprise.basis
    # Full coverage counts only the 13 bundles the plan lists, not the city's own.
    assert (full.target, full.online, full.gap) == (13, 3, 10)
    assert full.deadline == date(2023, 12, 31)
    assert "员工录用" in full.missing and "企业开办" not in full.missing
    assert len(full.missing) == 10

    later = _by_scope(await bundle_progress(t.ctx, today=date(2024, 1, 1)))
    assert later["涉企"].overdue and later[ALL_LISTED].overdue

    # The targets are settings: lowering 涉企 to 3 meets it.
    await tenancy.save_plugin_settings(t.tenant_id, SYSTEM, {"enterprise_bundles_target": 3})
    ctx = await load_context(tenant_id=t.tenant_id)
    met = _by_scope(await bundle_progress(ctx, today=date(2022, 6, 1)))["涉企"]
    assert (met.target, met.online, met.gap) == (3, 3, 0)


async def test_a_plugin_without_targets_shows_none(make_tenant):
    t = await make_tenant(plugin="jinchang")
    assert await bundle_progress(t.ctx) == []


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


async def test_the_bundles_page_shows_counts_and_gaps(make_tenant):
    t = await _anyang_with_bundles(make_tenant)
    async with client() as http:
        page = await http.get(f"/t/{t.slug}/login")
        token = CSRF_FIELD.search(page.text).group(1)
        r = await http.post(
            f"/t/{t.slug}/login",
            data={"username": "data_center", "password": PASSWORD, "_csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        page = await http.get(f"/t/{t.slug}/bundles/")
    assert page.status_code == 200
    html = unescape(page.text)
    table = html[html.index('id="bundle-progress"') :]
    table = re.sub(r"\s+", "", table[: table.index("</table>")])
    assert re.search(r"<td>涉企</td><td>5项</td><td>3项</td><td><strong[^>]*>差2项", table)
    assert re.search(r"<td>涉及个人</td><td>8项</td><td>1项</td><td><strong[^>]*>差7项", table)
    assert "员工录用" in table  # named among the listed bundles not yet online
