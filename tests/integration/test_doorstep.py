"""家门口办: each service point's published items (its own and those delegated to
it) counted against the target for its kind, with the gap, on a hand-built set."""

from __future__ import annotations

import pytest

from qingdan.core.catalog.codes import USCC
from qingdan.core.catalog.services import (
    create_catalog_entry,
    create_item,
    get_item,
    publish_draft,
    save_draft,
)
from qingdan.core.catalog.tables import Item
from qingdan.core.catalog.validation import dump_document
from qingdan.core.doorstep import services as doorstep
from qingdan.core.errors import DomainError, PermissionDenied
from qingdan.core.hooktypes import ServicePointKind
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.context import load_context
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM, sample_entry_document

pytestmark = pytest.mark.db

K = ServicePointKind


def test_the_kind_of_point_follows_the_national_division_code():
    assert doorstep.point_kind("410523100000") == K.township  # 城关镇
    assert doorstep.point_kind("410523203000") == K.township  # 瓦岗乡
    assert doorstep.point_kind("410502001000") == K.street  # a 街道办事处
    assert doorstep.point_kind("410523100201") == K.village
    assert doorstep.point_kind("410523000000") is None  # a county has a hall, not a point


async def published_item(t, code: str, name: str, agency_id: int, publish: bool = True) -> int:
    entry = await create_catalog_entry(
        t.ctx, SYSTEM, sample_entry_document(base_code=code, name=name)
    )
    item = await create_item(t.ctx, SYSTEM, entry_id=entry.id, agency_id=agency_id)
    if publish:
        detail = await get_item(t.ctx, item.id)
        doc = dump_document(detail.draft) | SAMPLE_PLACE
        await save_draft(t.ctx, SYSTEM, item.id, doc, detail.item["lock_version"])
        await publish_draft(t.ctx, SYSTEM, item.id)
    return item.id


@pytest.fixture
async def points(make_tenant):
    """Anyang's targets set low, a township with an item of its own, a street, a village."""
    t = await make_tenant(plugin="anyang")
    await tenancy.save_plugin_settings(
        t.tenant_id,
        SYSTEM,
        {
            "township_center_min_items": 3,
            "street_center_min_items": 2,
            "village_station_min_items": 4,
        },
    )
    t.ctx = await load_context(tenant_id=t.tenant_id)
    scope = t.ctx.scope
    county = "410502000000"
    town = await tenancy.add_division(scope, SYSTEM, "410502100000", "样例镇", county)
    street = await tenancy.add_division(scope, SYSTEM, "410502001000", "样例街道", county)
    village = await tenancy.add_division(scope, SYSTEM, "410502100201", "样例村", town.code)
    town_gov = await tenancy.add_agency(
        scope, SYSTEM, "样例镇人民政府", USCC.compose("1", "1", "410502", "TWN00001").value, town.id
    )
    ids = {
        "own": await published_item(t, "DSP001", "本镇事项", town_gov.id),
        "x": await published_item(t, "DSP002", "甲事项", t.agency_ids[0]),
        "y": await published_item(t, "DSP003", "乙事项", t.agency_ids[1]),
        "draft": await published_item(t, "DSP004", "草稿事项", t.agency_ids[0], publish=False),
        "suspended": await published_item(t, "DSP005", "暂停事项", t.agency_ids[2]),
    }
    await scope.update(Item, {Item.status: "suspended"}).where(Item.id == ids["suspended"])
    return t, {"town": town.id, "street": street.id, "village": village.id}, ids


async def test_counts_and_gaps_against_the_targets(points):
    t, div, ids = points
    hall = await tenancy.load_principal(t.users["service_center"])
    await doorstep.delegate(
        t.ctx, hall, div["town"], [ids["x"], ids["y"], ids["draft"], ids["suspended"]]
    )
    await doorstep.delegate(t.ctx, hall, div["street"], [ids["x"]], mode="assisted")
    await doorstep.delegate(t.ctx, hall, div["village"], [ids["x"], ids["y"]], mode="authorized")
    view = await doorstep.overview(t.ctx)
    rows = {r.name: r for r in view.points}
    town, street, village = rows["样例镇"], rows["样例街道"], rows["样例村"]
    # The township: its own item, and x and y (the draft and the suspended item do not count).
    assert (town.kind, town.own, town.delegated, town.count) == (K.township, 1, 2, 3)
    assert (town.target, town.gap, town.met) == (3, 0, True)
    assert (street.kind, street.count, street.target, street.gap, street.met) == (
        K.street,
        1,
        2,
        1,
        False,
    )
    assert (village.kind, village.count, village.target, village.gap) == (K.village, 2, 4, 2)
    summary = {s.kind: s for s in view.summaries}
    assert (summary[K.township].points, summary[K.township].met, summary[K.township].gap) == (
        1,
        1,
        0,
    )
    assert summary[K.village].gap == 2 and summary[K.street].gap == 1
    # Once the draft is published it counts.
    detail = await get_item(t.ctx, ids["draft"])
    doc = dump_document(detail.draft) | SAMPLE_PLACE
    await save_draft(t.ctx, SYSTEM, ids["draft"], doc, detail.item["lock_version"])
    await publish_draft(t.ctx, SYSTEM, ids["draft"])
    assert (await doorstep.point_detail(t.ctx, div["town"])).row.count == 4
    items = {i.name: i for i in (await doorstep.point_detail(t.ctx, div["town"])).items}
    assert items["本镇事项"].how == "本级实施" and items["甲事项"].how == "委托受理"
    assert not items["暂停事项"].counted and items["草稿事项"].counted


async def test_the_seed_targets_apply_by_default(make_tenant):
    t = await make_tenant(plugin="anyang")
    view = await doorstep.overview(t.ctx)
    targets = {s.kind: s.target.min_items for s in view.summaries}
    assert targets == {K.township: 200, K.street: 150, K.village: 40}


async def test_a_delegation_is_all_or_nothing_and_names_the_bad_row(points):
    t, div, ids = points
    admin = await tenancy.load_principal(t.users["tenant_admin"])
    with pytest.raises(DomainError, match="第2个事项“本镇事项”由样例镇本级实施"):
        await doorstep.delegate(t.ctx, admin, div["town"], [ids["x"], ids["own"]])
    assert (await doorstep.point_detail(t.ctx, div["town"])).row.delegated == 0
    await doorstep.delegate(t.ctx, admin, div["town"], [ids["x"]])
    with pytest.raises(DomainError, match="已下沉到样例镇"):
        await doorstep.delegate(t.ctx, admin, div["town"], [ids["y"], ids["x"]])
    await doorstep.revoke(t.ctx, admin, div["town"], ids["x"])
    assert (await doorstep.point_detail(t.ctx, div["town"])).row.delegated == 0
    clerk = await tenancy.load_principal(t.users["clerk"])
    with pytest.raises(PermissionDenied):
        await doorstep.delegate(t.ctx, clerk, div["town"], [ids["x"]])


async def test_another_tenant_sees_none_of_it(points, make_tenant):
    t, div, ids = points
    admin = await tenancy.load_principal(t.users["tenant_admin"])
    other = await make_tenant(plugin="anyang")
    with pytest.raises(Exception, match="不存在或无权访问"):
        await doorstep.delegate(other.ctx, admin, div["town"], [ids["x"]])
    assert (await doorstep.overview(other.ctx)).points == []
