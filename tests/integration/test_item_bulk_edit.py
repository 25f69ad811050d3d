"""Bulk editing an agency's items in Excel: download, edit, upload; every row checked,
racing edits refused, all or nothing, audited."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from qingdan.core.audit.tables import AuditEntry
from qingdan.core.catalog.services import create_catalog_entry, get_item
from qingdan.core.catalog.tables import Item
from qingdan.core.catalog.validation import dump_document
from qingdan.core.errors import PermissionDenied
from qingdan.core.imports.item_sheet import export_items, import_items
from qingdan.core.imports.report import ImportRefused
from qingdan.core.imports.tables import ImportBatch
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import SYSTEM, sample_entry_document
from qingdan.core.workflow import services as wf

pytestmark = pytest.mark.db


async def setup(make_tenant):
    t = await make_tenant()
    clerk = await tenancy.load_principal(t.users["clerk"])
    other = await create_catalog_entry(t.ctx, SYSTEM, sample_entry_document("000601001", "乙事项"))
    first = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    second = await wf.claim(t.ctx, clerk, other.id, t.agency_ids[0])
    return t, clerk, first, second


def headings(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1]}


def row_of(sheet, item_id: int) -> int:
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == item_id)


def save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def locks(t) -> dict[int, int]:
    rows = await t.ctx.scope.select(Item, Item.id, Item.lock_version)
    return {r["id"]: r["lock_version"] for r in rows}


async def test_an_edited_workbook_saves_drafts_of_the_changed_items_only(make_tenant):
    t, clerk, first, second = await setup(make_tenant)
    data, name = await export_items(t.ctx, clerk, t.agency_ids[0])
    assert name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(data))
    items, materials = book["事项"], book["申请材料"]
    h = headings(items)
    r = row_of(items, first.id)
    assert items.cell(r, h["办件类型"]).value == "承诺件"
    assert items.cell(r, h["办理形式"]).value == "窗口办理、网上办理(电脑端)"
    assert items.cell(r, h["版本号"]).value == (await locks(t))[first.id]
    items.cell(r, h["受理条件"]).value = "申请人具备相应条件;材料齐全。"
    items.cell(r, h["到办事现场次数"]).value = 1
    items.cell(r, h["必须现场办理原因"]).value = "须现场核验原件"
    items.cell(r, h["是否支持预约办理"]).value = "是"
    mh = headings(materials)
    materials.append(
        {
            mh["事项ID"]: first.id,
            mh["序号"]: 2,
            mh["材料名称"]: "营业执照",
            mh["材料类型"]: "复印件",
            mh["来源渠道"]: "电子证照",
            mh["份数"]: 1,
        }
    )
    upload = save(book)
    before = await locks(t)
    outcome = await import_items(t.ctx, clerk, upload, "编辑后.xlsx")
    assert outcome.applied and outcome.changed == [first.id] and outcome.batch_number == 1
    detail = await get_item(t.ctx, first.id)
    doc = dump_document(detail.draft)
    assert doc["acceptance_conditions"] == "申请人具备相应条件;材料齐全。"
    assert (doc["visits"], doc["visits_reason"], doc["appointment"]) == (1, "须现场核验原件", True)
    assert [m["name"] for m in doc["materials"]] == ["申请书", "营业执照"]
    assert doc["materials"][1]["type"] == "copy" and doc["materials"][1]["source"] == "e_licence"
    after = await locks(t)
    assert after[first.id] == before[first.id] + 1 and after[second.id] == before[second.id]
    audit = await AuditEntry.select(AuditEntry.action, AuditEntry.object_id).where(
        (AuditEntry.tenant == t.tenant_id) & (AuditEntry.action == "item.save_draft")
    )
    assert [a["object_id"] for a in audit] == [first.id]
    batch = await t.ctx.scope.get_row(ImportBatch, outcome.batch_id)
    assert batch["kind"] == "items" and batch["agency"] == t.agency_ids[0]

    again = await import_items(t.ctx, clerk, upload, "编辑后.xlsx")
    assert not again.applied and "未作任何更改" in again.message
    assert await locks(t) == after


async def test_every_bad_row_is_reported_and_nothing_is_saved(make_tenant):
    t, clerk, first, second = await setup(make_tenant)
    book = load_workbook(io.BytesIO((await export_items(t.ctx, clerk, t.agency_ids[0]))[0]))
    items, materials = book["事项"], book["申请材料"]
    h = headings(items)
    r1, r2 = row_of(items, first.id), row_of(items, second.id)
    items.cell(r1, h["受理条件"]).value = "这一行本身是对的,但别的行有错"
    items.cell(r1, h["办件类型"]).value = "急件"
    items.cell(r2, h["到办事现场次数"]).value = 2  # without a reason
    items.cell(r2, h["承诺办结时限"]).value = "十天"
    mh = headings(materials)
    materials.cell(2, mh["材料类型"]).value = "扫描件"
    before = await locks(t)
    with pytest.raises(ImportRefused) as info:
        await import_items(t.ctx, clerk, save(book), "有错.xlsx")
    found = {(e.row, e.column): e.message for e in info.value.errors}
    assert "“急件”无法识别" in found[(r1, "办件类型")]
    assert "应为整数" in found[(r2, "承诺办结时限")]
    assert "“扫描件”无法识别" in found[(2, "申请材料·材料类型")]
    assert await locks(t) == before
    assert await t.ctx.scope.count(ImportBatch) == 0

    # The reason is a rule joining two elements: reported once the cells read.
    items.cell(r1, h["办件类型"]).value = "承诺件"
    items.cell(r2, h["承诺办结时限"]).value = 10
    materials.cell(2, mh["材料类型"]).value = "原件"
    with pytest.raises(ImportRefused) as info:
        await import_items(t.ctx, clerk, save(book), "仍有错.xlsx")
    assert [(e.row, e.message) for e in info.value.errors] == [
        (r2, "到办事现场次数大于0时,必须填写“必须现场办理原因”")
    ]
    assert await locks(t) == before


async def test_an_item_changed_since_the_download_refuses_the_whole_upload(make_tenant):
    t, clerk, first, second = await setup(make_tenant)
    book = load_workbook(io.BytesIO((await export_items(t.ctx, clerk, t.agency_ids[0]))[0]))
    items = book["事项"]
    h = headings(items)
    for item in (first, second):
        items.cell(row_of(items, item.id), h["法律救济"]).value = "可依法申请行政复议或提起行政诉讼"
    # A colleague saves the first item in the editor meanwhile.
    detail = await get_item(t.ctx, first.id)
    await wf.edit_draft(
        t.ctx,
        clerk,
        first.id,
        dump_document(detail.draft) | {"keywords": ["开店"]},
        detail.item["lock_version"],
    )
    before = await locks(t)
    with pytest.raises(ImportRefused) as info:
        await import_items(t.ctx, clerk, save(book), "过期.xlsx")
    (error,) = info.value.errors
    assert error.row == row_of(items, first.id) and error.column == "版本号"
    assert "在下载后已被修改" in error.message and "重新下载" in error.message
    assert await locks(t) == before  # the second item, though fine, was not saved either


async def test_only_the_agencys_own_clerks_edit_its_items(make_tenant):
    t, clerk, first, _ = await setup(make_tenant)
    with pytest.raises(PermissionDenied):
        await export_items(t.ctx, clerk, t.agency_ids[1])
    data, _ = await export_items(t.ctx, clerk, t.agency_ids[0])
    center = await tenancy.load_principal(t.users["data_center"])
    book = load_workbook(io.BytesIO(data))
    items = book["事项"]
    items.cell(row_of(items, first.id), headings(items)["关键词"]).value = "开店"
    with pytest.raises(ImportRefused) as info:
        await import_items(t.ctx, center, save(book), "x.xlsx")
    assert all("不属于您可编辑的实施机构" in e.message for e in info.value.errors)
