"""朔城区 四(三): a bulletin names the agencies that drag their feet, and no others.

The seed: 对工作推进不力、拖延不办、上报迟缓、公布不及时等行为将予以通报批评. The
plugin's rule (``plugins/shuozhou/qingdan_shuozhou/data/indicators.json#bulletin``)
turns that into three criteria; this issues a real bulletin from a snapshot of a
朔城区 tenant built so each criterion names exactly one agency.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qingdan.core.catalog.codes import USCC
from qingdan.core.catalog.services import create_catalog_entry, create_item, publish_draft
from qingdan.core.indicators import issue_bulletin, recheck, take_snapshot
from qingdan.core.indicators.snapshots import today
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.tables import Division
from qingdan.core.testing import SYSTEM
from qingdan.core.workflow.tables import ChangeRequest, ChangeStep, Obligation

pytestmark = pytest.mark.db


async def _public_service(t, agency: int, code: str, depth: str) -> int:
    doc = {
        "name": f"公共服务{code}",
        "base_code": code,
        "item_type": "public_service",
        "online_depth": depth,
    }
    entry = await create_catalog_entry(t.ctx, SYSTEM, doc)
    item = await create_item(t.ctx, SYSTEM, entry_id=entry.id, agency_id=agency)
    await publish_draft(t.ctx, SYSTEM, item.id)
    return item.id


async def test_a_shuozhou_bulletin_names_exactly_the_agencies_behind_on_its_criteria(make_tenant):
    """A on target and on time; B 全程网办率 below 90% (推进不力); C a change request past
    its deadline (拖延不办); D a portal publication past its due date (公布不及时);
    E no items at all (nothing to judge, never named)."""
    t = await make_tenant(plugin="shuozhou")
    city = await t.ctx.scope.get(Division, t.city_division_id)
    a, b, c = t.agency_ids
    extra = []
    for i, name in ((7, "丁局"), (8, "戊局")):
        uscc = USCC.compose("1", "1", city.code[:6], f"{t.tenant_id % 1000:03d}{i:05d}").value
        extra.append((await tenancy.add_agency(t.ctx.scope, SYSTEM, name, uscc, city.id)).id)
    d, _e_without_items = extra
    await _public_service(t, a, "886001", "IV")
    await _public_service(t, a, "886002", "IV")
    await _public_service(t, b, "886003", "IV")
    await _public_service(t, b, "886004", "III")
    item_c = await _public_service(t, c, "886005", "IV")
    item_d = await _public_service(t, d, "886006", "IV")

    yesterday = today() - timedelta(days=1)
    long_ago = datetime.now(UTC) - timedelta(days=10)
    cr = await t.ctx.scope.insert(
        ChangeRequest,
        item=item_c,
        agency=c,
        subject_name="公共服务886005",
        kind="amend",
        status="in_review",
        author=t.users["clerk"],
        reason="调整办理流程",
        submitted_at=long_ago,
    )
    await t.ctx.scope.insert(
        ChangeStep,
        change_request=cr.id,
        position=0,
        name="初步审核",
        role="service_center",
        status="active",
        started_at=long_ago,
        due_date=yesterday,
    )
    await t.ctx.scope.insert(
        Obligation,
        item=item_d,
        kind="portal_publication",
        title="在区政府门户网站公布",
        role="data_center",
        due_date=yesterday,
    )

    snapshot, _ = await take_snapshot(t.ctx)
    issuer = await tenancy.load_principal(t.users["data_center"])
    row = await issue_bulletin(t.ctx, issuer, snapshot["id"])

    named = {n["agency"]: [r["reason"] for r in n["reasons"]] for n in row["named"]}
    assert named == {
        b: ["工作推进不力(公共服务事项全程网办率未达到目标)"],
        c: ["拖延不办(调整申请未按时办结)"],
        d: ["公布不及时(调整后的大厅、办事指南未按期更新)"],
    }
    [b_reason] = next(n["reasons"] for n in row["named"] if n["agency"] == b)
    assert b_reason["fraction"] == "1/2" and b_reason["value_text"] == "50.0%"
    assert "目标90.0%" in b_reason["detail"]
    assert await recheck(t.ctx, issuer, row["id"])
