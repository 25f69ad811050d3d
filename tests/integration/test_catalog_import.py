"""Catalog releases from above: the sample file, a re-import, a file with errors,
and a release that adds, changes and cancels entries with the work it leaves."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook

from qingdan.core.calendar.services import load_calendar
from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item
from qingdan.core.demo.catalog import load_national_catalog
from qingdan.core.imports import releases
from qingdan.core.imports.report import ImportRefused
from qingdan.core.imports.sample import export_catalog, sample_release
from qingdan.core.imports.tables import ClaimTask, ImportBatch, ReleaseChange
from qingdan.core.imports.tasks import department_core
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import SYSTEM
from qingdan.core.workflow import services as wf
from qingdan.core.workflow.obligations import FOLLOW_CATALOG
from qingdan.core.workflow.tables import Obligation

pytestmark = pytest.mark.db

HEADER = [
    "基本编码",
    "事项名称",
    "事项类型",
    "行使层级",
    "主管部门",
    "设定依据",
    "法定办结时限",
    "时限单位",
    "受理条件",
    "状态",
]


def xlsx(rows: list[list], header: list[str] = HEADER, meta: dict | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "基本目录"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    info = book.create_sheet("发布信息")
    for key, value in (meta or {"发布来源": "省级", "发布方式": "增量"}).items():
        info.append([key, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def release_json(entries: list[dict], mode: str = "increment", **meta) -> bytes:
    body = {"format": "qingdan.catalog-release", "source": "provincial", "mode": mode}
    return json.dumps(body | meta | {"entries": entries}, ensure_ascii=False).encode()


async def counts(t) -> dict[str, int]:
    scope = t.ctx.scope
    return {
        "entries": await scope.count(CatalogEntry),
        "versions": await scope.count(CatalogEntryVersion),
        "batches": await scope.count(ImportBatch),
        "changes": await scope.count(ReleaseChange),
        "tasks": await scope.count(ClaimTask),
        "obligations": await scope.count(Obligation),
    }


def expected_sample_entries(levels) -> int:
    wanted = {lv.value for lv in levels}
    return sum(1 for e in load_national_catalog() if wanted & {lv.value for lv in e.levels})


@pytest.mark.parametrize("plugin", ["jinchang", "anyang", "shuozhou"])
async def test_the_sample_file_imports_cleanly_into_every_built_in_jurisdiction(
    make_tenant, plugin
):
    t = await make_tenant(plugin=plugin)
    outcome = await releases.import_release(t.ctx, SYSTEM, sample_release("json")[0], "s.json")
    assert outcome.applied and outcome.counts["new"] > 50
    assert outcome.counts["new"] + outcome.counts["skipped"] + outcome.counts["unchanged"] == len(
        load_national_catalog()
    )


@pytest.mark.parametrize("fmt", ["xlsx", "json"])
async def test_the_sample_file_imports_cleanly_and_a_second_time_changes_nothing(make_tenant, fmt):
    t = await make_tenant()
    data, name = sample_release(fmt)
    assert name.endswith(f".{fmt}")
    outcome = await releases.import_release(t.ctx, SYSTEM, data, name, via="cli")
    expected = expected_sample_entries(t.ctx.plugin.jurisdiction.levels)
    assert outcome.applied and outcome.batch_number == 1
    assert outcome.counts["new"] == expected > 50
    assert outcome.counts["changed"] == outcome.counts["cancelled"] == 0
    before = await counts(t)
    assert before["entries"] == expected + 1  # and the tenant's own sample entry
    batch = await t.ctx.scope.get_row(ImportBatch, outcome.batch_id)
    assert batch["source"] == "provincial" and batch["file_format"] == fmt
    assert batch["sha256"] == releases.file_hash(data) and batch["via"] == "cli"
    # New entries concern the agencies named like their department: the sample's
    # 市场监督管理局 entries go to the tenant's market agencies.
    market = await t.ctx.scope.select(ClaimTask, ClaimTask.agency).where(
        ClaimTask.department == "市场监督管理局"
    )
    assert {r["agency"] for r in market} <= {t.agency_ids[0], t.agency_ids[2]}
    assert {r["agency"] for r in market} & {t.agency_ids[0], t.agency_ids[2]}

    again = await releases.import_release(t.ctx, SYSTEM, data, name)
    assert not again.applied and again.batch_number == 1
    assert "已于" in again.message and "未作任何更改" in again.message
    assert await counts(t) == before

    if fmt == "json":
        # The sheet carries a part of the elements the JSON does, all the same: it is
        # another file, but nothing in it differs from the catalog.
        same = await releases.import_release(t.ctx, SYSTEM, sample_release("xlsx")[0], "x.xlsx")
        assert not same.applied and "没有需要更新的事项" in same.message
        assert await counts(t) == before


async def test_a_file_with_errors_in_several_rows_changes_nothing_and_reports_every_one(
    make_tenant,
):
    t = await make_tenant()
    before = await counts(t)
    data = xlsx(
        [
            ["000201001", "正确的事项", "行政许可", "市级、县级", "", "", 20, "工作日", "", ""],
            ["000201002", "", "行政许可", "市级", "", "", "", "", "", ""],  # row 3: no name
            ["000201003", "类型错误", "行政审批", "市级", "", "", "", "", "", ""],  # 4
            ["000201004", "层级错误", "公共服务", "省里", "", "", "", "", "", ""],  # 5
            ["000201001", "重复编码", "行政确认", "县级", "", "", "", "", "", ""],  # 6
            ["0002", "编码太短", "行政确认", "县级", "", "", "abc", "", "", "暂停"],  # 7
            [
                "000201007",
                "依据缺名称",
                "行政许可",
                "镇(乡、街道)级",
                "",
                " | 国务院令第1号 | 第三条",
                "",
                "",
                "",
                "",
            ],  # 8
            [201008, "编码成了数字", "行政许可", "市级", "", "", "", "", "", ""],  # 9
        ]
    )
    with pytest.raises(ImportRefused) as info:
        await releases.import_release(t.ctx, SYSTEM, data, "错误.xlsx")
    found = {(e.row, e.column) for e in info.value.errors}
    assert {
        (3, "事项名称"),
        (4, "事项类型"),
        (5, "行使层级"),
        (6, "基本编码"),
        (7, "基本编码"),
        (7, "法定办结时限"),
        (7, "状态"),
        (8, "设定依据"),
        (9, "基本编码"),
    } == found
    text = info.value.text()
    assert "未导入任何内容" in text
    assert "第4行【事项类型】: “行政审批”无法识别" in text
    assert "第6行【基本编码】: 基本编码与第2行重复" in text
    assert "开头的0可能已丢失" in text
    assert await counts(t) == before


async def test_a_json_file_with_errors_names_entry_and_element(make_tenant):
    t = await make_tenant()
    data = release_json(
        [
            {
                "base_code": "000301001",
                "name": "甲",
                "item_type": "licensing",
                "levels": ["municipal"],
                "elements": {"statutory_limit": {"value": -1}},
            },
            {
                "base_code": "000301002",
                "name": "乙",
                "item_type": "licensing",
                "levels": ["county"],
                "elements": {"agency_name": "某局", "visits": 2},
            },
            {"base_code": "000301003", "item_type": "licensing", "levels": "county"},
        ]
    )
    with pytest.raises(ImportRefused) as info:
        await releases.import_release(t.ctx, SYSTEM, data, "errors.json")
    messages = {(e.row, e.column): e.message for e in info.value.errors}
    assert "不能小于0" in messages[(1, "法定办结时限 › 时限")]
    assert "属于实施清单的要素" in messages[(2, "elements.agency_name")]
    assert "必须现场办理原因" in messages[(2, "")]
    assert (3, "name") in messages and (3, "levels") in messages
    assert {e.unit for e in info.value.errors} == {"条"}
    assert await t.ctx.scope.count(ImportBatch) == 0


async def _claim(t, entry_id, agency_index=0):
    clerk = await tenancy.load_principal(t.users["clerk"])
    return await wf.claim(t.ctx, clerk, entry_id, t.agency_ids[agency_index])


async def test_a_release_adds_changes_and_cancels_entries_with_the_right_tasks(make_tenant):
    t = await make_tenant()
    scope = t.ctx.scope
    first = release_json(
        [
            {
                "base_code": "000401001",
                "name": "将被变更的事项",
                "item_type": "licensing",
                "levels": ["municipal", "county"],
                "department": "市场监督管理局",
                "elements": {
                    "legal_basis": [
                        {"law_name": "某某条例", "article": "第五条", "text": "条文原文"}
                    ],
                    "statutory_limit": {"value": 20, "note": "自受理之日起"},
                },
            },
            {
                "base_code": "000401002",
                "name": "将因全量发布缺席而取消",
                "item_type": "confirmation",
                "levels": ["municipal"],
                "department": "市场监督管理局",
            },
            {
                "base_code": "000401003",
                "name": "将被明确取消",
                "item_type": "filing",
                "levels": ["county"],
                "department": "市场监督管理局",
            },
        ]
    )
    outcome = await releases.import_release(t.ctx, SYSTEM, first, "first.json")
    assert outcome.counts["new"] == 3
    # Every new entry went to the market agencies at its levels: the city one, and
    # the county one for the county-level entries.
    tasks = await scope.select(
        ClaimTask, ClaimTask.catalog_entry.base_code.as_alias("code"), ClaimTask.agency
    )
    assert sorted((r["code"], r["agency"]) for r in tasks) == sorted(
        [
            ("000401001", t.agency_ids[0]),
            ("000401001", t.agency_ids[2]),
            ("000401002", t.agency_ids[0]),
            ("000401003", t.agency_ids[2]),
        ]
    )
    entries = {
        r["base_code"]: r["id"]
        for r in await scope.select(CatalogEntry, CatalogEntry.id, CatalogEntry.base_code)
    }
    changed_item = await _claim(t, entries["000401001"])
    absent_item = await _claim(t, entries["000401002"])
    county_clerk = await tenancy.create_user(t.tenant_id, SYSTEM, "clerk2", "县信息员", "x" * 12)
    await tenancy.grant_role(
        t.tenant_id, SYSTEM, county_clerk.id, "clerk", agency_id=t.agency_ids[2]
    )
    cancelled_item = await wf.claim(
        t.ctx,
        await tenancy.load_principal(county_clerk.id),
        entries["000401003"],
        t.agency_ids[2],
    )

    second = release_json(
        [
            {
                "base_code": "000401001",
                "name": "将被变更的事项",
                "item_type": "licensing",
                "levels": ["municipal", "county"],
                "elements": {
                    "legal_basis": [{"law_name": "某某条例", "article": "第五条"}],
                    "statutory_limit": {"value": 15},
                },
            },
            {"base_code": "000401003", "status": "cancelled"},
            {
                "base_code": "000401004",
                "name": "新下发的事项",
                "item_type": "public_service",
                "levels": ["county"],
                "department": "卫生健康委员会",
            },
            {
                "base_code": "000401005",
                "name": "只在省级行使的事项",
                "item_type": "licensing",
                "levels": ["provincial"],
            },
            {
                "base_code": "000101001",
                "name": "样例许可事项",
                "item_type": "licensing",
                "levels": ["municipal", "county"],
            },
        ],
        mode="full",
        title="第二批",
    )
    outcome = await releases.import_release(t.ctx, SYSTEM, second, "second.json")
    assert outcome.applied and outcome.batch_number == 2
    assert {k: outcome.counts[k] for k in ("new", "changed", "cancelled", "skipped")} == {
        "new": 1,
        "changed": 1,
        "cancelled": 2,
        "skipped": 1,
    }
    assert outcome.counts["unchanged"] == 1  # the tenant's own sample entry, same identity
    assert "只在省级行使的事项" in outcome.skipped[0]

    changes = {
        r["base_code"]: r
        for r in await scope.select(ReleaseChange)
        .where(ReleaseChange.batch == outcome.batch_id)
        .output(load_json=True)
    }
    assert changes["000401001"]["kind"] == "changed"
    # The law is listed again without its text: the text is kept, so only the
    # time limit changed (and it keeps its note).
    assert changes["000401001"]["changed_elements"] == ["statutory_limit"]
    assert changes["000401002"]["kind"] == "cancelled"  # absent from a full release
    assert changes["000401003"]["kind"] == "cancelled"  # marked 取消
    assert changes["000401004"]["kind"] == "new"
    entry = await scope.get(CatalogEntry, entries["000401001"])
    version = await scope.get_row(CatalogEntryVersion, entry.current_version)
    doc = version["document"]
    assert doc["statutory_limit"] == {"value": 15, "unit": "working_day", "note": "自受理之日起"}
    assert doc["legal_basis"][0]["text"] == "条文原文" and version["number"] == 2
    for code in ("000401002", "000401003"):
        assert (await scope.get(CatalogEntry, entries[code])).status == "cancelled"

    # The new county-level 卫生健康 entry: no county health agency, so 审改机构 assigns it.
    new_task = await scope.select(ClaimTask).where(
        ClaimTask.catalog_entry == changes["000401004"]["catalog_entry"]
    )
    assert len(new_task) == 1 and new_task[0]["agency"] is None
    calendar = await load_calendar(t.tenant_id)
    due = calendar.add_working_days(datetime.now(UTC), 5).due
    assert new_task[0]["due_date"] == due and new_task[0]["status"] == "open"

    # Items on changed and cancelled entries must follow, by the plugin's deadline.
    obligations = {
        r["item"]: r
        for r in await scope.select(Obligation).where(Obligation.kind == FOLLOW_CATALOG)
    }
    assert set(obligations) == {changed_item.id, absent_item.id, cancelled_item.id}
    assert obligations[changed_item.id]["title"] == "基本目录已变更,请相应变更实施清单"
    assert "法定办结时限" in obligations[changed_item.id]["basis"]
    assert obligations[cancelled_item.id]["title"] == "基本目录已取消,请相应取消实施清单"
    assert obligations[cancelled_item.id]["agency"] == t.agency_ids[2]
    assert all(o["due_date"] == due and o["status"] == "open" for o in obligations.values())

    # Claiming closes the claim task; a cancelled entry's open task is withdrawn.
    from qingdan.core.imports.tasks import sync_claim_tasks

    await sync_claim_tasks(t.ctx)
    statuses = {
        (r["code"], r["agency"]): r["status"]
        for r in await scope.select(
            ClaimTask,
            ClaimTask.catalog_entry.base_code.as_alias("code"),
            ClaimTask.agency,
            ClaimTask.status,
        )
    }
    assert statuses[("000401001", t.agency_ids[0])] == "done"
    assert statuses[("000401001", t.agency_ids[2])] == "open"
    assert statuses[("000401003", t.agency_ids[2])] == "done"  # claimed before it was cancelled
    assert statuses[("000401002", t.agency_ids[0])] == "done"
    item_count = await scope.count(Item)
    assert item_count == 3

    # Issued again, a cancelled entry is in use again, with a new version; its
    # agency still has its item, so nobody has to claim it.
    third = release_json(
        [
            {
                "base_code": "000401002",
                "name": "重新下发的事项",
                "item_type": "confirmation",
                "levels": ["municipal"],
                "department": "市场监督管理局",
            }
        ]
    )
    outcome = await releases.import_release(t.ctx, SYSTEM, third, "third.json")
    assert outcome.counts["new"] == 1 and outcome.counts["claim_tasks"] == 0
    entry = await scope.get(CatalogEntry, entries["000401002"])
    assert (entry.status, entry.name) == ("published", "重新下发的事项")
    assert (await scope.get_row(CatalogEntryVersion, entry.current_version))["number"] == 2


async def test_an_exported_catalog_edited_in_excel_comes_back_as_changes(make_tenant):
    t = await make_tenant()
    data, name = await export_catalog(t.ctx, "xlsx")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    sheet = book["基本目录"]
    assert sheet["A2"].value == "000101001" and sheet["A2"].number_format == "@"
    assert sheet["G2"].value == 20
    sheet["G2"] = 30
    out = io.BytesIO()
    book.save(out)
    outcome = await releases.import_release(t.ctx, SYSTEM, out.getvalue(), name)
    assert outcome.counts["changed"] == 1 and outcome.counts["cancelled"] == 0
    entry = await t.ctx.scope.get(CatalogEntry, t.entry_id)
    doc = (await t.ctx.scope.get_row(CatalogEntryVersion, entry.current_version))["document"]
    assert doc["statutory_limit"]["value"] == 30
    assert doc["materials"][0]["name"] == "申请书"  # what the sheet does not carry stays


def test_department_names_reduce_to_the_words_agency_names_share():
    assert department_core("甘肃省市场监督管理局") == "市场监督"
    assert department_core("卫生健康委员会") == "卫生健康"
    assert department_core("广西壮族自治区交通运输厅") == "交通运输"
    assert department_core("公安厅") == "公安"


async def test_the_command_imports_refuses_with_the_row_report_and_exit_codes(
    make_tenant, tmp_path
):
    import asyncio

    from click.testing import CliRunner

    from qingdan.cli import main

    t = await make_tenant()
    runner = CliRunner()

    async def cli(*args: str):
        return await asyncio.to_thread(runner.invoke, main, ["catalog", *args])

    sample = tmp_path / "样例.xlsx"
    made = await cli("sample", "--format", "xlsx", "-o", str(sample))
    assert made.exit_code == 0 and sample.exists()
    good = await cli("import", "--tenant", t.slug, str(sample))
    assert good.exit_code == 0, good.output
    assert "已导入省级基本目录第1批" in good.output
    again = await cli("import", "--tenant", t.slug, str(sample))
    assert again.exit_code == 0 and "未作任何更改" in again.output

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(
        xlsx(
            [
                ["000501001", "", "行政许可", "市级", "", "", "", "", "", ""],
                ["000501002", "乙", "行政许可", "星级", "", "", "", "", "", ""],
            ]
        )
    )
    before = await counts(t)
    refused = await cli("import", "--tenant", t.slug, str(bad))
    assert refused.exit_code == 1
    lines = refused.stdout.splitlines()
    assert "未导入任何内容" in lines[0]
    assert "第2行【事项名称】: 必须填写" in lines
    assert any(line.startswith("第3行【行使层级】: “星级”无法识别") for line in lines)
    assert await counts(t) == before

    missing = await cli("import", "--tenant", "no-such-city", str(sample))
    assert missing.exit_code == 2 and "不存在" in missing.output


async def test_submitting_a_claimed_draft_does_not_meet_the_follow_up_of_a_release(make_tenant):
    from qingdan.core.catalog.services import get_item
    from qingdan.core.catalog.validation import dump_document
    from qingdan.core.hooktypes import ChangeKind
    from qingdan.core.testing import SAMPLE_PLACE

    t = await make_tenant()
    clerk = await tenancy.load_principal(t.users["clerk"])
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    changed = release_json(
        [
            {
                "base_code": "000101001",
                "name": "样例许可事项",
                "item_type": "licensing",
                "levels": ["municipal", "county"],
                "elements": {"statutory_limit": {"value": 15}},
            }
        ]
    )
    await releases.import_release(t.ctx, SYSTEM, changed, "changed.json")
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | SAMPLE_PLACE
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    follow = await t.ctx.scope.select(Obligation).where(
        (Obligation.item == item.id) & (Obligation.kind == FOLLOW_CATALOG)
    )
    assert [o["status"] for o in follow] == ["open"]


async def test_claim_tasks_are_reminded_then_flagged_overdue_and_escalated_once(make_tenant):
    from qingdan.core.workflow.inbox import inbox_for
    from qingdan.core.workflow.notices import notices_for
    from qingdan.core.workflow.scan import scan_tenant

    t = await make_tenant()
    release = release_json(
        [
            {
                "base_code": f"00050100{n}",
                "name": f"待认领事项{n}",
                "item_type": "confirmation",
                "levels": ["municipal"],
                "department": "市场监督管理局",
            }
            for n in (1, 2)
        ]
        + [
            {
                "base_code": "000501003",
                "name": "无人对应的事项",
                "item_type": "confirmation",
                "levels": ["municipal"],
                "department": "某某不存在的委员会",
            }
        ]
    )
    outcome = await releases.import_release(t.ctx, SYSTEM, release, "r.json")
    assert outcome.counts["claim_tasks"] == 3
    tasks = await t.ctx.scope.select(ClaimTask).where(ClaimTask.agency == t.agency_ids[0])
    assert len(tasks) == 2
    due = tasks[0]["due_date"]
    clerk = await tenancy.load_principal(t.users["clerk"])
    reform = await tenancy.load_principal(t.users["reform_office"])

    # The clerk's inbox lists the batch with its deadline; 审改机构's lists what to assign.
    (claims,) = (await inbox_for(t.ctx, clerk, on=due)).claims
    assert claims.count == 2 and "待认领" in claims.title and claims.due_soon
    assert [c.item_name for c in (await inbox_for(t.ctx, reform, on=due)).claims] == ["待分派"]

    # On the due day: one reminder for the batch, whoever runs the scan again.
    first = await scan_tenant(t.ctx, on=due)
    again = await scan_tenant(t.ctx, on=due)
    assert first.reminded == 2 and again.reminded == 0  # the agency's batch and the unassigned one
    reminders = [n for n in await notices_for(t.ctx, clerk) if n["kind"] == "due_soon"]
    assert len(reminders) == 1 and "2个新事项待认领" in reminders[0]["title"]

    # One entry is claimed in time; the other is late, and 审改机构 hears of it once.
    entry_ids = {
        r["base_code"]: r["id"]
        for r in await t.ctx.scope.select(CatalogEntry, CatalogEntry.id, CatalogEntry.base_code)
    }
    await _claim(t, entry_ids["000501001"])
    later = due + timedelta(days=3)
    late = await scan_tenant(t.ctx, on=later)
    late_again = await scan_tenant(t.ctx, on=later)
    # (The claimed item's own same-day obligation is late too: count the tasks.)
    assert late.overdue >= 2 and late_again.escalated == 0
    escalated = await t.ctx.scope.select(
        ClaimTask, ClaimTask.catalog_entry.base_code.as_alias("code"), ClaimTask.status
    ).where(ClaimTask.escalated_at.is_not_null())
    assert escalated == [{"code": "000501002", "status": "open"}]
    def about_tasks(notices, kind):
        return [n for n in notices if n["kind"] == kind and "/imports/tasks" in n["link"]]

    overdue = about_tasks(await notices_for(t.ctx, clerk), "overdue")
    assert len(overdue) == 1 and "1个新事项未认领" in overdue[0]["title"]
    escalations = about_tasks(await notices_for(t.ctx, reform), "escalation")
    assert len(escalations) == 1 and "逾期未认领" in escalations[0]["title"]
    assert any(
        n["kind"] == "overdue" and "未分派" in n["title"] for n in await notices_for(t.ctx, reform)
    )
    (claims,) = (await inbox_for(t.ctx, clerk, on=later)).claims
    assert claims.count == 1 and claims.overdue
    assert claims in (await inbox_for(t.ctx, clerk, on=later)).overdue
