"""各类清单 are views of the published catalog: each list shows exactly the items
(and materials, services, steps) whose published elements qualify, follows every
new publication, never shows a draft, and never another tenant's items."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from qingdan.core.catalog import lists
from qingdan.core.catalog.services import (
    create_catalog_entry,
    create_item,
    get_item,
    publish_draft,
    save_draft,
)
from qingdan.core.catalog.validation import dump_document
from qingdan.core.errors import NotFound
from qingdan.core.hooktypes import CatalogListKind
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM, sample_entry_document

pytestmark = pytest.mark.db

K = CatalogListKind


async def entry(t, code: str, name: str, item_type: str = "licensing") -> int:
    doc = sample_entry_document(base_code=code, name=name) | {"item_type": item_type}
    if item_type == "public_service":
        doc["legal_basis"] = []
    return (await create_catalog_entry(t.ctx, SYSTEM, doc)).id


async def publish(t, item_id: int, **changes) -> None:
    detail = await get_item(t.ctx, item_id)
    doc = dump_document(detail.draft or detail.published) | SAMPLE_PLACE | changes
    await save_draft(t.ctx, SYSTEM, item_id, doc, detail.item["lock_version"])
    await publish_draft(t.ctx, SYSTEM, item_id)


async def draft(t, item_id: int, **changes) -> None:
    detail = await get_item(t.ctx, item_id)
    doc = dump_document(detail.draft or detail.published) | changes
    await save_draft(t.ctx, SYSTEM, item_id, doc, detail.item["lock_version"])


async def new_item(t, entry_id: int, agency: int = 0, **changes) -> int:
    item = await create_item(t.ctx, SYSTEM, entry_id=entry_id, agency_id=t.agency_ids[agency])
    await publish(t, item.id, **changes)
    return item.id


async def rows(t, kind: K, q: str = "") -> list[dict[str, str]]:
    built = await lists.build_list(t.ctx, lists.spec_for(t.ctx, kind.value), q)
    return [dict(zip(built.headings, r.cells, strict=True)) | {"id": r.item_id} for r in built.rows]


MATERIALS = [
    {"name": "申请书", "type": "form", "necessity": "required"},
    {"name": "营业执照", "type": "copy", "necessity": "deferrable", "deferral_days": 10},
    {"name": "委托书", "type": "original", "necessity": "optional"},
]


@pytest.fixture
async def catalog(make_tenant):
    """A licensing entry and a public-service entry, and items standing on them."""
    t = await make_tenant()
    licensing = await entry(t, "LST001", "餐饮许可")
    service = await entry(t, "LST002", "读者证办理", "public_service")
    items = {
        "plain": await new_item(t, licensing),
        "deferrable": await new_item(t, licensing, agency=1, materials=MATERIALS),
        "commitment": await new_item(
            t,
            licensing,
            agency=2,
            commitment=True,
            commitment_content="本人承诺所填信息真实有效",
            commitment_liability="虚假承诺的,撤销许可并记入信用记录",
        ),
        "service": await new_item(
            t,
            service,
            item_type="public_service",
            legal_basis=[],
            in_hall=False,
            hall_exclusion_reason="涉及国家秘密",
            special_steps=[
                {"name": "现场核查", "time_limit": {"value": 5, "unit": "working_day"}},
                {"name": "专家评审", "counted_in_limit": True},
            ],
            intermediary_services=[
                {"name": "测绘报告编制", "charged": True, "fee_standard": "按面积收费"},
            ],
        ),
    }
    return t, items


async def test_each_list_holds_exactly_the_items_whose_published_elements_qualify(catalog):
    t, items = catalog
    licensing = await rows(t, K.licensing)
    assert sorted(r["id"] for r in licensing) == sorted(
        [items["plain"], items["deferrable"], items["commitment"]]
    )
    assert {r["事项名称"] for r in licensing} == {"餐饮许可"}

    (deferrable,) = await rows(t, K.deferrable)
    assert deferrable["id"] == items["deferrable"]
    assert deferrable["主要申请材料"] == "申请书"  # the optional 委托书 is not a main material
    assert deferrable["可容缺受理的材料"] == "营业执照(补交时限:10个工作日)"

    (commitment,) = await rows(t, K.commitment)
    assert commitment["id"] == items["commitment"]
    assert commitment["承诺内容"] == "本人承诺所填信息真实有效"
    assert commitment["违反承诺的法律责任"] == "虚假承诺的,撤销许可并记入信用记录"
    assert commitment["事项类型"] == "行政许可"

    steps = await rows(t, K.special_steps)
    assert [(r["特殊环节名称"], r["时限"], r["是否计入办理时限"]) for r in steps] == [
        ("现场核查", "5个工作日", "否"),
        ("专家评审", "未填写", "是"),
    ]
    assert {r["所属事项"] for r in steps} == {"读者证办理"}

    (service,) = await rows(t, K.intermediary)
    assert (service["中介服务名称"], service["是否收费"], service["收费标准"]) == (
        "测绘报告编制",
        "是",
        "按面积收费",
    )

    (excluded,) = await rows(t, K.hall_exclusions)
    assert (excluded["id"], excluded["不进驻原因"], excluded["事项类型"]) == (
        items["service"],
        "涉及国家秘密",
        "公共服务",
    )


async def test_a_list_follows_the_published_version_and_ignores_drafts(catalog):
    t, items = catalog
    # A draft that drops 告知承诺 changes nothing until it is published.
    await draft(t, items["commitment"], commitment=False)
    assert [r["id"] for r in await rows(t, K.commitment)] == [items["commitment"]]
    # A draft that adds 告知承诺 to another item is not shown either.
    await draft(t, items["plain"], commitment=True, commitment_content="草稿承诺")
    assert "草稿承诺" not in str(await rows(t, K.commitment))

    await publish(t, items["commitment"])  # the draft without 告知承诺 goes live
    assert await rows(t, K.commitment) == []
    await publish(t, items["plain"])
    (now,) = await rows(t, K.commitment)
    assert now["id"] == items["plain"] and now["承诺内容"] == "草稿承诺"
    assert now["违反承诺的法律责任"] == "未填写"  # said, not left blank

    # Renaming the item renames it on every list it is on: names cannot disagree.
    await publish(t, items["deferrable"], name="餐饮许可(新名称)")
    assert {r["事项名称"] for r in await rows(t, K.deferrable)} == {"餐饮许可(新名称)"}
    assert "餐饮许可(新名称)" in {r["事项名称"] for r in await rows(t, K.licensing)}


async def test_search_narrows_a_list_by_name(catalog):
    t, _ = catalog
    assert len(await rows(t, K.special_steps, "专家")) == 1
    assert await rows(t, K.licensing, "读者证") == []


async def test_lists_are_the_tenants_own(catalog, make_tenant):
    # ``catalog`` filled another tenant's lists; this one's stay empty.
    other = await make_tenant()
    assert await rows(other, K.licensing) == []
    everything = await lists.all_lists(other.ctx)
    assert [c.kind for c in everything] == list(K)
    assert all(not c.rows for c in everything)


async def test_the_hall_exclusion_list_is_not_public_by_default(catalog):
    t, _ = catalog
    public = [s.kind for s in lists.list_specs(t.ctx, public_only=True)]
    assert K.hall_exclusions not in public and K.commitment in public and K.deferrable in public
    with pytest.raises(NotFound):
        lists.spec_for(t.ctx, K.hall_exclusions.value, public_only=True)
    with pytest.raises(NotFound):
        lists.spec_for(t.ctx, "no_such_list")


async def test_the_xlsx_has_chinese_headings_and_every_row(catalog):
    t, _ = catalog
    built = await lists.build_list(t.ctx, lists.spec_for(t.ctx, "deferrable"))
    book = load_workbook(io.BytesIO(lists.workbook_bytes(built, t.ctx.name)))
    sheet = book.worksheets[0]
    assert sheet.title == "容缺受理事项清单"
    table = [[c.value for c in row] for row in sheet.iter_rows()]
    assert table[0] == [
        "序号",
        "事项名称",
        "实施编码",
        "实施机构",
        "事项类型",
        "主要申请材料",
        "可容缺受理的材料",
        "状态",
    ]
    assert len(table) == 2 and table[1][0] == 1 and table[1][-1] == "在用"
    assert table[1][6] == "营业执照(补交时限:10个工作日)"
    notes = {r[0].value: r[1].value for r in book["说明"].iter_rows()}
    assert notes["清单名称"] == "容缺受理事项清单" and notes["事项数"] == 1
