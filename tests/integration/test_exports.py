"""Exports of the published lists: xlsx read back with openpyxl, CSV as Excel opens it,
JSON; filters; drafts never exported; the command line."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import openpyxl
import pytest

from qingdan.core.catalog.services import (
    create_catalog_entry,
    create_item,
    get_item,
    publish_draft,
    save_draft,
)
from qingdan.core.catalog.tables import CatalogEntry
from qingdan.core.catalog.validation import dump_document
from qingdan.core.errors import DomainError, NotFound
from qingdan.core.exports import ExportSpec, export_to
from qingdan.core.testing import SYSTEM, TenantFixture, sample_entry_document

pytestmark = pytest.mark.db

#: The standard columns a 实施清单 export must carry (the national element titles).
STANDARD_ITEM_HEADINGS = [
    "序号",
    "事项名称",
    "基本编码",
    "实施编码",
    "事项类型",
    "实施主体",
    "行使层级",
    "设定依据",
    "法定办结时限",
    "承诺办结时限",
    "办件类型",
    "是否收费",
    "网上办理深度",
    "到办事现场次数",
]
DRAFT_NAME = "草稿中的新名称不应导出"


@dataclass
class Lists:
    t: TenantFixture
    licensing: object  # published, with a newer draft renaming it
    county: object  # published, by the county agency
    draft_only: object  # never published
    service: object  # published, of another entry, of type 公共服务
    service_entry_id: int


async def _published_lists(t: TenantFixture) -> Lists:
    ctx = t.ctx
    licensing = await create_item(ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    await publish_draft(ctx, SYSTEM, licensing.id)
    detail = await get_item(ctx, licensing.id)
    renamed = dump_document(detail.published) | {"name": DRAFT_NAME}
    await save_draft(ctx, SYSTEM, licensing.id, renamed, detail.item["lock_version"])

    county = await create_item(ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[2])
    await publish_draft(ctx, SYSTEM, county.id)
    draft_only = await create_item(ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[1])

    service_doc = sample_entry_document("000101002", "样例公共服务事项") | {
        "item_type": "public_service"
    }
    service_entry = await create_catalog_entry(ctx, SYSTEM, service_doc)
    service = await create_item(ctx, SYSTEM, entry_id=service_entry.id, agency_id=t.agency_ids[1])
    await publish_draft(ctx, SYSTEM, service.id)

    # A local entry still in review is not in the catalog yet.
    local = await create_catalog_entry(
        ctx, SYSTEM, sample_entry_document("000101003", "审核中的本地目录事项"), source="local"
    )
    await ctx.scope.update(CatalogEntry, {CatalogEntry.status: "in_review"}).where(
        CatalogEntry.id == local.id
    )
    return Lists(t, licensing, county, draft_only, service, service_entry.id)


async def _export(t: TenantFixture, **spec) -> bytes:
    out = io.BytesIO()
    await export_to(t.ctx, ExportSpec(**spec), out)
    return out.getvalue()


def _sheet(data: bytes, title: str) -> list[dict]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    rows = list(book[title].values)
    header = list(rows[0])
    return header, [dict(zip(header, row, strict=True)) for row in rows[1:]]


async def _agency_name(t: TenantFixture, index: int) -> str:
    from qingdan.core.tenancy.tables import Agency

    return (await t.ctx.scope.get(Agency, t.agency_ids[index])).name


async def test_xlsx_round_trips_its_chinese_headings_and_the_published_values(make_tenant):
    lists = await _published_lists(await make_tenant())
    t = lists.t
    data = await _export(t, list="items", format="xlsx", sort="impl_code")
    header, rows = _sheet(data, "实施清单")

    for heading in STANDARD_ITEM_HEADINGS:
        assert heading in header, heading
    assert header[0] == "序号" and len(set(header)) == len(header)
    by_code = {r["实施编码"]: r for r in rows}
    assert set(by_code) == {
        lists.licensing.impl_code,
        lists.county.impl_code,
        lists.service.impl_code,
    }
    assert sorted(r["序号"] for r in rows) == [1, 2, 3]

    first = by_code[lists.licensing.impl_code]
    assert first["事项名称"] == "样例许可事项", "the published name, not the draft's"
    assert first["基本编码"] == "000101001"
    assert first["事项类型"] == "行政许可"
    assert first["实施主体"] == await _agency_name(t, 0)
    assert first["行使层级"] == "市级;县级"
    assert first["设定依据"] == "《中华人民共和国行政许可法》第十二条"
    assert first["法定办结时限"] == "20个工作日"
    assert first["承诺办结时限"] == "10个工作日"
    assert first["办件类型"] == "承诺件"
    assert first["是否收费"] == "否"
    assert first["网上办理深度"] == "三级(在线申办)"
    assert first["到办事现场次数"] == 0
    assert first["办理形式"] == "窗口办理;网上办理(电脑端)"
    assert first["申请材料"] == "申请书"
    assert first["事项状态"] == "在用"
    assert first["版本号"] == 1
    assert by_code[lists.county.impl_code]["实施主体"] == await _agency_name(t, 2)
    assert by_code[lists.county.impl_code]["行政区划"] == "样例县"
    assert by_code[lists.service.impl_code]["事项类型"] == "公共服务"

    # The 说明 sheet says what was exported.
    about = dict(openpyxl.load_workbook(io.BytesIO(data), read_only=True)["说明"].values)
    assert about["清单"] == "实施清单" and about["行数"] == "3"


async def test_a_draft_never_leaves_in_any_format(make_tenant):
    lists = await _published_lists(await make_tenant())
    for fmt in ("xlsx", "csv", "json"):
        data = await _export(lists.t, list="items", format=fmt)
        text = data.decode("utf-8-sig") if fmt != "xlsx" else str(_sheet(data, "实施清单")[1])
        assert DRAFT_NAME not in text, fmt
        assert lists.draft_only.impl_code not in text, fmt
        assert lists.licensing.impl_code in text, fmt


async def test_csv_opens_in_excel_with_its_bom_and_the_same_rows(make_tenant):
    lists = await _published_lists(await make_tenant())
    t = lists.t
    data = await _export(t, list="items", format="csv", sort="impl_code")
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    xlsx_header, xlsx_rows = _sheet(
        await _export(t, list="items", format="xlsx", sort="impl_code"), "实施清单"
    )
    assert rows[0] == xlsx_header
    assert len(rows) == 4
    assert [dict(zip(rows[0], r, strict=True))["实施编码"] for r in rows[1:]] == [
        r["实施编码"] for r in xlsx_rows
    ]
    licensing = next(r for r in rows if lists.licensing.impl_code in r)
    record = dict(zip(rows[0], licensing, strict=True))
    assert record["事项名称"] == "样例许可事项" and record["法定办结时限"] == "20个工作日"
    assert record["到办事现场次数"] == "0"


async def test_json_carries_the_whole_published_document(make_tenant):
    lists = await _published_lists(await make_tenant())
    t = lists.t
    data = json.loads(await _export(t, list="items", format="json"))
    assert data["tenant"] == t.slug and data["list"] == "items"
    assert data["count"] == len(data["rows"]) == 3
    row = next(r for r in data["rows"] if r["impl_code"] == lists.licensing.impl_code)
    assert row["document"]["name"] == "样例许可事项"
    assert row["document"]["statutory_limit"] == {"value": 20, "unit": "working_day", "note": ""}
    assert row["version"] == 1 and row["status"] == "published"
    assert row["agency"]["name"] == await _agency_name(t, 0)

    catalog = json.loads(await _export(t, list="catalog", format="json"))
    assert sorted(r["base_code"] for r in catalog["rows"]) == ["000101001", "000101002"]
    sample = next(r for r in catalog["rows"] if r["base_code"] == "000101001")
    assert (sample["agencies"], sample["items"]) == (2, 2)


async def test_filters_by_agency_type_and_division(make_tenant):
    lists = await _published_lists(await make_tenant())
    t = lists.t

    async def codes(**spec) -> set[str]:
        data = json.loads(await _export(t, list="items", format="json", **spec))
        return {r["impl_code"] for r in data["rows"]}

    assert await codes(agency_id=t.agency_ids[1]) == {lists.service.impl_code}
    assert await codes(division_id=t.county_division_id) == {lists.county.impl_code}
    assert await codes(item_type="licensing") == {
        lists.licensing.impl_code,
        lists.county.impl_code,
    }
    assert await codes(item_type="public_service", division_id=t.county_division_id) == set()

    async def entries(**spec) -> list[str]:
        _, rows = _sheet(await _export(t, list="catalog", format="xlsx", **spec), "目录清单")
        return [r["基本编码"] for r in rows]

    assert await entries() == ["000101001", "000101002"], "in use only, by base code"
    assert await entries(item_type="public_service") == ["000101002"]
    assert await entries(agency_id=t.agency_ids[2]) == ["000101001"]
    assert await entries(division_id=t.county_division_id) == ["000101001"]


async def test_another_tenants_agency_or_an_unknown_format_is_refused(make_tenant):
    a, b = await make_tenant(), await make_tenant()
    with pytest.raises(NotFound):
        await _export(a, agency_id=b.agency_ids[0])
    with pytest.raises(DomainError, match="导出格式“pdf”不支持"):
        await _export(a, format="pdf")
    with pytest.raises(DomainError, match="只能导出目录清单"):
        await _export(a, list="items", format="cpsv-ap")


async def test_another_tenants_items_are_not_exported(make_tenant):
    a, b = await make_tenant(), await make_tenant()
    theirs = await create_item(b.ctx, SYSTEM, entry_id=b.entry_id, agency_id=b.agency_ids[0])
    await publish_draft(b.ctx, SYSTEM, theirs.id)
    data = json.loads(await _export(a, list="items", format="json"))
    assert data["rows"] == [] and data["count"] == 0


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith(field + ":"))
    return int(line.split()[1])


async def test_ten_thousand_items_export_quickly_in_bounded_memory(make_tenant):
    """Rows are written a batch at a time: memory does not grow with the list.

    (Speed is bench/export_xlsx.py's business; this checks memory, once: on
    SQLite, since the batching is the same code on both engines.)"""
    import os

    if os.environ.get("QINGDAN_TEST_DB", "sqlite") != "sqlite":
        pytest.skip("内存上限只在 SQLite 上检查一次(两种数据库走同一段分批代码)")
    t = await make_tenant()
    await _bulk_published_items(t, 10_000)
    out = io.BytesIO()
    before = _rss_kb("VmRSS")
    try:  # reset the process's peak RSS (Linux), so the peak is this export's
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pytest.skip("the peak RSS cannot be reset here")
    started = time.perf_counter()
    count = await export_to(t.ctx, ExportSpec(list="items", format="xlsx"), out)
    elapsed = time.perf_counter() - started
    growth_mb = (_rss_kb("VmHWM") - before) / 1024 - len(out.getvalue()) / 1024 / 1024
    assert count == 10_000
    print(f"exported 10,000 items in {elapsed:.1f} s")
    # A few MB; all 10,000 documents read at once would take over 100 MB.
    assert growth_mb < 50, f"memory grew by {growth_mb:.0f} MB"
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    assert sum(1 for _ in book["实施清单"].values) == 10_001


async def _bulk_published_items(t: TenantFixture, n: int) -> None:
    """``n`` published items inserted in bulk (the services would take minutes)."""
    from qingdan.core.catalog.tables import Item, ItemVersion
    from qingdan.core.tenancy.tables import Agency

    agency = await t.ctx.scope.get(Agency, t.agency_ids[0])
    doc = sample_entry_document()
    for start in range(0, n, 1000):
        items = [
            Item(
                tenant=t.tenant_id,
                catalog_entry=t.entry_id,
                agency=agency.id,
                division=agency.division,
                impl_code=f"BULK{i:08d}",
                base_code="000101001",
                name=f"批量事项{i}",
                item_type="licensing",
                levels="|municipal|",
                status="published",
            )
            for i in range(start, min(start + 1000, n))
        ]
        ids = [r["id"] for r in await Item.insert(*items).returning(Item.id)]
        versions = [
            ItemVersion(
                tenant=t.tenant_id,
                item=item_id,
                number=1,
                document=dump_document_dict(doc, f"批量事项{item_id}", f"BULK{item_id}"),
            )
            for item_id in ids
        ]
        await ItemVersion.insert(*versions)
    await Item.raw(
        "UPDATE item SET published_version = "
        "(SELECT MAX(v.id) FROM item_version v WHERE v.item = item.id) "
        "WHERE tenant = {} AND published_version IS NULL",
        t.tenant_id,
    )


def dump_document_dict(doc: dict, name: str, impl_code: str) -> dict:
    from qingdan.core.catalog.validation import validate_document

    return dump_document(validate_document(doc | {"name": name, "impl_code": impl_code}))


# The command line ------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qingdan.cli", "export", *args],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=120,
    )


async def test_cli_writes_the_file_and_exits_zero(make_tenant, tmp_path):
    # A tenant of an installed plugin: the command runs in a process of its own.
    lists = await _published_lists(await make_tenant("jinchang"))
    t = lists.t
    target = tmp_path / "清单.xlsx"
    done = _cli("--tenant", t.slug, "--format", "xlsx", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert "已导出 3 项" in done.stdout
    _, rows = _sheet(target.read_bytes(), "实施清单")
    assert {r["实施编码"] for r in rows} == {
        lists.licensing.impl_code,
        lists.county.impl_code,
        lists.service.impl_code,
    }

    agency = await _agency_name(t, 2)
    target = tmp_path / "catalog.csv"
    done = _cli(
        "--tenant", t.slug, "--format", "csv", "--list", "catalog",
        "--agency", agency, "--type", "行政许可", "--output", str(target),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == ["000101001"]


async def test_cli_refuses_an_unknown_tenant_format_or_agency_in_chinese(make_tenant, tmp_path):
    t = await make_tenant("jinchang")
    target = tmp_path / "x.xlsx"
    done = _cli("--tenant", "no-such-tenant", "--format", "xlsx", "--output", str(target))
    assert done.returncode != 0 and "租户“no-such-tenant”不存在" in done.stderr
    done = _cli("--tenant", t.slug, "--format", "pdf", "--output", str(target))
    assert done.returncode != 0 and "导出格式“pdf”不支持" in done.stderr
    done = _cli(
        "--tenant", t.slug, "--format", "csv", "--agency", "无此机构", "--output", str(target)
    )
    assert done.returncode != 0 and "实施机构“无此机构”不存在" in done.stderr
    assert not target.exists(), "a refused export leaves no file behind"


async def test_cpsv_ap_export_is_the_published_catalog_as_json_ld(make_tenant, tmp_path):
    from qingdan.core.publishing.cpsv import export_catalog_jsonld

    lists = await _published_lists(await make_tenant("jinchang"))
    t = lists.t
    data = json.loads(await _export(t, list="catalog", format="cpsv-ap"))
    assert data == json.loads(json.dumps(await export_catalog_jsonld(t.ctx.scope)))
    assert DRAFT_NAME not in json.dumps(data, ensure_ascii=False)

    target = tmp_path / "catalog.jsonld"
    done = _cli("--tenant", t.slug, "--format", "cpsv-ap", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert "CPSV-AP" in done.stdout
    assert json.loads(target.read_text(encoding="utf-8")) == data
