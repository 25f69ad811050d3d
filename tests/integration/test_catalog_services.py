"""Items and catalog entries through the services, on the configured database."""

import pytest

from qingdan.core.audit.services import verify_chain
from qingdan.core.catalog.schemas import ItemQuery
from qingdan.core.catalog.services import (
    create_catalog_entry,
    create_item,
    get_item,
    list_items,
    publish_draft,
    save_draft,
)
from qingdan.core.catalog.validation import dump_document
from qingdan.core.errors import ConflictError, DomainError, NotFound
from qingdan.core.testing import SYSTEM, sample_entry_document

pytestmark = pytest.mark.db


async def test_claim_creates_item_with_composed_impl_code(make_tenant):
    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    assert detail.item["status"] == "draft"
    assert detail.draft.impl_code == item.impl_code
    parsed = t.ctx.code_format().parse_impl_code(item.impl_code)
    assert parsed.base_code == "000101001"
    assert parsed.division_code == "990100000000"
    assert detail.draft.agency_name.endswith("市场监督管理局")


async def test_same_agency_cannot_claim_twice(make_tenant):
    t = await make_tenant()
    await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    with pytest.raises(DomainError, match="不能重复认领"):
        await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])


async def test_stale_save_is_refused_and_nothing_is_written(make_tenant):
    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    doc = dump_document((await get_item(t.ctx, item.id)).draft)
    first = await save_draft(t.ctx, SYSTEM, item.id, doc | {"acceptance_conditions": "甲"}, 0)
    with pytest.raises(ConflictError, match="请刷新"):
        await save_draft(t.ctx, SYSTEM, item.id, doc | {"acceptance_conditions": "乙"}, 0)
    detail = await get_item(t.ctx, item.id)
    assert detail.draft.acceptance_conditions == "甲"
    assert detail.draft_version["id"] == first.id


async def test_publish_supersedes_and_keeps_old_version(make_tenant):
    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    v1 = await publish_draft(t.ctx, SYSTEM, item.id)
    doc = dump_document((await get_item(t.ctx, item.id)).published)
    await save_draft(t.ctx, SYSTEM, item.id, doc | {"acceptance_conditions": "新条件"}, 1)
    v2 = await publish_draft(t.ctx, SYSTEM, item.id)
    detail = await get_item(t.ctx, item.id)
    assert detail.published_version["id"] == v2.id != v1.id
    assert detail.published.acceptance_conditions == "新条件"
    assert detail.draft is None
    assert (await verify_chain(t.tenant_id)).ok


async def test_codes_of_an_item_cannot_be_edited(make_tenant):
    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    doc = dump_document((await get_item(t.ctx, item.id)).draft)
    with pytest.raises(DomainError, match="实施编码不能修改"):
        await save_draft(t.ctx, SYSTEM, item.id, doc | {"impl_code": "X"}, 0)


async def test_duplicate_base_code_refused(make_tenant):
    t = await make_tenant()
    with pytest.raises(DomainError, match="已存在"):
        await create_catalog_entry(t.ctx, SYSTEM, sample_entry_document())


async def test_list_filters_and_search(make_tenant):
    t = await make_tenant()
    other = await create_catalog_entry(
        t.ctx,
        SYSTEM,
        sample_entry_document("000101002", "另一个备案事项") | {"item_type": "filing"},
    )
    await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    await create_item(t.ctx, SYSTEM, entry_id=other.id, agency_id=t.agency_ids[1])
    assert (await list_items(t.ctx, ItemQuery())).total == 2
    page = await list_items(t.ctx, ItemQuery(q="备案"))
    assert [r.name for r in page.rows] == ["另一个备案事项"]
    assert (await list_items(t.ctx, ItemQuery(item_type="licensing"))).total == 1
    assert (await list_items(t.ctx, ItemQuery(agency_id=t.agency_ids[1]))).total == 1
    assert (await list_items(t.ctx, ItemQuery(level="county"))).total == 2


async def test_other_tenants_rows_are_not_found(make_tenant):
    a = await make_tenant()
    b = await make_tenant()
    item_b = await create_item(b.ctx, SYSTEM, entry_id=b.entry_id, agency_id=b.agency_ids[0])
    with pytest.raises(NotFound):
        await get_item(a.ctx, item_b.id)
    with pytest.raises(NotFound):
        await create_item(a.ctx, SYSTEM, entry_id=b.entry_id, agency_id=a.agency_ids[0])
    with pytest.raises(NotFound):
        await create_item(a.ctx, SYSTEM, entry_id=a.entry_id, agency_id=b.agency_ids[0])
    doc = dump_document((await get_item(b.ctx, item_b.id)).draft)
    with pytest.raises(NotFound):
        await save_draft(a.ctx, SYSTEM, item_b.id, doc, 0)
    assert (await list_items(a.ctx, ItemQuery())).total == 0


async def test_every_element_edit_is_audited_with_before_and_after(make_tenant):
    from qingdan.core.audit.services import entries_for

    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    doc = dump_document((await get_item(t.ctx, item.id)).draft)
    doc["promised_limit"] = {"value": 3, "unit": "working_day"}
    doc["materials"] = [*doc["materials"], {"name": "营业执照", "source": "e_licence"}]
    await save_draft(t.ctx, SYSTEM, item.id, doc, 0)
    (entry,) = [
        e
        for e in await entries_for(t.tenant_id, "item", item.id)
        if e["action"] == "item.save_draft"
    ]
    changes = {c["element"]: c for c in entry["data"]["changes"]}
    assert changes["promised_limit"]["before"] == "10个工作日"
    assert changes["promised_limit"]["after"] == "3个工作日"
    assert [r["kind"] for r in changes["materials"]["rows"]] == ["added"]
    assert "承诺办结时限" in entry["summary"]
