"""质检 against the database: on save, on submission, across a tenant, from the command line,
and the consistency checks (与基本目录一致, 四级四同, 三级三十二同)."""

from __future__ import annotations

import asyncio

import openpyxl
import pytest
from click.testing import CliRunner

from qingdan.core.catalog.codes import USCC
from qingdan.core.catalog.services import create_catalog_entry, create_item, get_item, save_draft
from qingdan.core.catalog.validation import dump_document
from qingdan.core.checks.services import (
    item_findings,
    open_findings_by_agency,
    run_tenant_check,
    tenant_report,
)
from qingdan.core.checks.tables import QualityFinding
from qingdan.core.errors import DomainError
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.tables import Division
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM, sample_entry_document
from qingdan.core.workflow import services as wf

pytestmark = pytest.mark.db

FAQ = [{"question": "可以网上申请吗?", "answer": "可以。"}]
RESULT = {"name": "许可证", "type": "licence", "sample": "许可证样本.pdf"}


def complete(doc: dict, **changes) -> dict:
    """A claimed draft with the place elements and what the warning rules ask for."""
    return dump_document_dict(doc) | SAMPLE_PLACE | {"faq": FAQ, "result": RESULT} | changes


def dump_document_dict(doc) -> dict:
    return doc if isinstance(doc, dict) else dump_document(doc)


async def claim(t, **changes):
    """The first agency's clerk claims the tenant's entry and saves a completed draft."""
    clerk = await tenancy.load_principal(t.users["clerk"])
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    await edit(t, item.id, **changes)
    return item, clerk


async def edit(t, item_id: int, **changes):
    clerk = await tenancy.load_principal(t.users["clerk"])
    detail = await get_item(t.ctx, item_id)
    doc = complete(detail.current, **changes)
    return await wf.edit_draft(t.ctx, clerk, item_id, doc, detail.item["lock_version"])


async def implement(t, agency_id: int, **changes):
    """Another agency implements the entry (created and saved by the system, no workflow)."""
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=agency_id)
    await system_save(t, item.id, **changes)
    return item


async def system_save(t, item_id: int, **changes):
    detail = await get_item(t.ctx, item_id)
    doc = complete(detail.current, **changes)
    await save_draft(t.ctx, SYSTEM, item_id, doc, detail.item["lock_version"])


async def rows(t, item_id: int, rule_id: str, *, open_only: bool = False):
    query = QualityFinding.select().where(
        (QualityFinding.tenant == t.tenant_id)
        & (QualityFinding.item == item_id)
        & (QualityFinding.rule_id == rule_id)
    )
    if open_only:
        query = query.where(QualityFinding.resolved_at.is_null())
    return await query


# --- submission and save ---------------------------------------------------------------------


async def test_a_blocking_finding_refuses_submission_and_a_fix_lets_it_through(make_tenant):
    t = await make_tenant()
    item, clerk = await claim(t, promised_limit={"value": 30, "unit": "working_day"})
    # Saved, with its finding kept next to the element.
    [finding] = [f for f in await item_findings(t.ctx, item.id) if f["element"] == "promised_limit"]
    assert finding["rule_id"] == "core.promised_within_statutory"
    assert "承诺办结时限(30工作日)超过了法定办结时限(20工作日)" in finding["message"]

    with pytest.raises(DomainError) as refused:
        await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    assert "质检未通过,不能提交" in refused.value.message
    assert "【承诺办结时限】" in refused.value.message
    assert await wf.open_request_for(t.ctx, item.id) is None

    await edit(t, item.id, promised_limit={"value": 10, "unit": "working_day"})
    [row] = await rows(t, item.id, "core.promised_within_statutory")
    assert row["resolved_at"] is not None  # the save fixed it; the history stays
    # Warnings (the materials' basis) do not block.
    assert any(f["severity"] == "warn" for f in await item_findings(t.ctx, item.id))
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    assert cr.status == "in_review"


async def test_an_item_must_keep_the_catalogs_name(make_tenant):
    t = await make_tenant()
    item, clerk = await claim(t, name="样例许可事项(本地版)")
    with pytest.raises(DomainError, match="与基本目录一致:事项名称与基本目录不一致"):
        await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    [row] = await rows(t, item.id, "core.catalog_agreement", open_only=True)
    assert row["element"] == "name" and row["severity"] == "block"


# --- the tenant-wide check ------------------------------------------------------------------


async def test_the_tenant_check_finds_keeps_and_resolves_findings(make_tenant):
    t = await make_tenant()
    catch_all = [{"name": "其他材料", "source": "applicant", "necessity": "optional"}]
    city, _ = await claim(t)
    county = await implement(t, t.agency_ids[2], materials=catch_all)

    first = await run_tenant_check(t.ctx, SYSTEM, "manual")
    assert first.items_checked == 2
    [found] = await rows(t, county.id, "core.no_catch_all_material", open_only=True)
    assert "第1行“其他材料”" in found["message"]
    counts = await open_findings_by_agency(t.ctx.scope)
    county_rows = [r for r in await item_findings(t.ctx, county.id)]
    assert counts[t.agency_ids[2]] == len(county_rows) >= 1
    assert counts.get(t.agency_ids[0], 0) == len(await item_findings(t.ctx, city.id))
    assert first.open_block == sum(
        1 for r in county_rows + await item_findings(t.ctx, city.id) if r["severity"] == "block"
    )

    # Running again changes nothing: open findings persist, first found stays.
    again = await run_tenant_check(t.ctx, SYSTEM, "schedule")
    assert (again.new, again.resolved) == (0, 0)
    [same] = await rows(t, county.id, "core.no_catch_all_material")
    assert same["id"] == found["id"] and same["first_found"] == found["first_found"]

    # Fixed outside the editor: the next check resolves it and keeps its history.
    await system_save(
        t,
        county.id,
        materials=[{"name": "授权委托书", "source": "applicant", "necessity": "optional"}],
    )
    fixed = await run_tenant_check(t.ctx, SYSTEM, "manual")
    assert fixed.resolved >= 1
    [history] = await rows(t, county.id, "core.no_catch_all_material")
    assert history["resolved_at"] is not None
    assert not await rows(t, county.id, "core.no_catch_all_material", open_only=True)
    report = await tenant_report(t.ctx)
    assert report.run["trigger"] == "manual" and report.run["items_checked"] == 2


async def test_a_tenants_check_never_touches_another_tenant(make_tenant):
    a = await make_tenant()
    b = await make_tenant()
    item_a = await implement(a, a.agency_ids[0], visits=1, visits_reason="无", online_depth="III")
    await run_tenant_check(a.ctx, SYSTEM, "manual")
    before = await rows(a, item_a.id, "core.visits_reason", open_only=True)
    assert before
    await run_tenant_check(b.ctx, SYSTEM, "manual")
    assert await rows(a, item_a.id, "core.visits_reason", open_only=True) == before
    assert set(await open_findings_by_agency(b.ctx.scope)) <= set(b.agency_ids)
    assert not any(f["item"] == item_a.id for f in (await tenant_report(b.ctx)).findings)


async def test_check_command_exits_1_while_blocking_findings_are_open(make_tenant, tmp_path):
    from qingdan.cli import main

    t = await make_tenant()
    item = await implement(t, t.agency_ids[0], fees=[], charged=True)
    out = tmp_path / "质检报告.xlsx"
    runner = CliRunner()
    bad = await asyncio.to_thread(
        runner.invoke, main, ["check", "--tenant", t.slug, "--xlsx", str(out)]
    )
    assert bad.exit_code == 1, bad.output
    assert "阻止提交" in bad.output and f"{t.slug}市场监督管理局" in bad.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["汇总", "问题明细", "一致性检查", "规则"]
    details = [[c.value for c in r] for r in book["问题明细"].iter_rows(min_row=2)]
    assert any(r[4] == "收费项目" and r[5] == "阻止提交" for r in details)

    await system_save(t, item.id, charged=False, fees=[])
    ok = await asyncio.to_thread(runner.invoke, main, ["check", "--tenant", t.slug])
    assert ok.exit_code == 0, ok.output
    missing = await asyncio.to_thread(runner.invoke, main, ["check", "--tenant", "no-such-city"])
    assert missing.exit_code == 2 and "不存在" in missing.output


# --- consistency ---------------------------------------------------------------------------


async def test_four_same_compares_power_items_with_the_standard_list(make_tenant):
    t = await make_tenant("shuozhou")
    changed_basis = [{"law_name": "中华人民共和国行政许可法", "article": "第十三条"}]
    item, clerk = await claim(t, legal_basis=changed_basis, name="样例许可事项(朔城)")
    with pytest.raises(DomainError) as refused:
        await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")
    assert "四级四同:设定依据与基本目录不一致" in refused.value.message
    assert "四级四同:事项名称与基本目录不一致" in refused.value.message
    found = {(r["rule_id"], r["element"]) for r in await item_findings(t.ctx, item.id)}
    assert {("shuozhou.four_same", "legal_basis"), ("shuozhou.four_same", "name")} <= found
    # One finding per element: core's own name check does not repeat 四级四同's.
    assert ("core.catalog_agreement", "name") not in found

    # A public service item is not on the power list; core still checks its name and type.
    service = await create_catalog_entry(
        t.ctx,
        SYSTEM,
        sample_entry_document(base_code="000101002", name="样例公共服务")
        | {"item_type": "public_service", "service_kind": "guide", "themes": ["marriage_adoption"]},
    )
    served = await create_item(t.ctx, SYSTEM, entry_id=service.id, agency_id=t.agency_ids[1])
    detail = await get_item(t.ctx, served.id)
    doc = complete(detail.current, name="样例公共服务(改名)", legal_basis=changed_basis)
    await save_draft(t.ctx, SYSTEM, served.id, doc, detail.item["lock_version"])
    await run_tenant_check(t.ctx, SYSTEM, "manual")
    found = {(r["rule_id"], r["element"]) for r in await item_findings(t.ctx, served.id)}
    assert ("core.catalog_agreement", "name") in found
    assert not any(rule == "shuozhou.four_same" for rule, _ in found)


async def test_three_level_32_lists_exactly_the_disagreements_across_divisions(make_tenant):
    t = await make_tenant("anyang")
    county = await t.ctx.scope.get(Division, t.county_division_id)
    city_name = (await t.ctx.scope.get(Division, t.city_division_id)).name
    township_code = county.code[:6] + "001000"
    township = await tenancy.add_division(t.ctx.scope, SYSTEM, township_code, "样例镇", county.code)
    uscc = USCC.compose("1", "1", township_code[:6], f"{t.tenant_id % 1000:03d}00009")
    town_agency = await tenancy.add_agency(
        t.ctx.scope, SYSTEM, "样例镇便民服务中心", uscc.value, township.id
    )
    city, _ = await claim(t)
    county_item = await implement(t, t.agency_ids[2], promised_limit={"value": 5})
    extra = [
        {"name": "申请书", "type": "form", "source": "applicant", "necessity": "required"},
        {"name": "场地平面图", "source": "applicant", "necessity": "required"},
    ]
    town_item = await implement(t, town_agency.id, materials=extra)
    # Place elements may differ: they are not compared.
    await system_save(t, town_item.id, materials=extra, locations=[{"name": "样例镇便民服务中心"}])

    summary = await run_tenant_check(t.ctx, SYSTEM, "manual")
    got = {
        (d.rule_name, d.entry_id, d.element): {
            g.value: sorted(p.division for p in g.places) for g in d.values
        }
        for d in summary.disagreements
    }
    assert got == {
        ("三级三十二同", t.entry_id, "promised_limit"): {
            "10工作日": sorted([city_name, "样例镇"]),
            "5工作日": ["样例县"],
        },
        ("三级三十二同", t.entry_id, "materials"): {
            "申请书": sorted([city_name, "样例县"]),
            "申请书、场地平面图": ["样例镇"],
        },
    }
    for item_id in (city.id, county_item.id, town_item.id):
        assert await rows(t, item_id, "anyang.three_level_32", open_only=True)
    # Every item of a disagreement has a finding for it, naming the others' values.
    county_rows = await rows(t, county_item.id, "anyang.three_level_32", open_only=True)
    assert {r["element"] for r in county_rows} == {"promised_limit", "materials"}
    [county_row] = [r for r in county_rows if r["element"] == "promised_limit"]
    assert "本事项为“5工作日”" in county_row["message"] and "为“10工作日”" in county_row["message"]

    # A save of one item keeps the cross-division findings: only the tenant check decides them.
    await edit(t, city.id, acceptance_conditions="申请人具备相应条件,并已取得营业执照。")
    assert await rows(t, city.id, "anyang.three_level_32", open_only=True)
    report = await tenant_report(t.ctx)
    assert {d.element for d in report.disagreements} == {"promised_limit", "materials"}
    assert any("三级三十二同" in line for line in _lines(report))


def _lines(report):
    from qingdan.core.checks.report import summary_lines

    return summary_lines(report)
