"""Every kind of change through the real chain of each built-in jurisdiction."""

import pytest

from qingdan.core.calendar.services import load_calendar
from qingdan.core.catalog.services import create_catalog_entry, get_item
from qingdan.core.catalog.validation import dump_document
from qingdan.core.demo.catalog import entry_document, load_national_catalog
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import SYSTEM
from qingdan.core.workflow import services as wf
from qingdan.core.workflow.obligations import open_obligations
from qingdan.core.workflow.schemas import ChangeStatus

pytestmark = pytest.mark.db

PDF = b"%PDF-1.4\n%chain test\n"
PLACE = {
    "locations": [{"name": "政务服务中心市场监管窗口", "address": "人民路1号"}],
    "consultation": [{"kind": "phone", "value": "0000-1234567"}],
    "complaints": [{"kind": "phone", "value": "12345"}],
}


async def who(t, role):
    return await tenancy.load_principal(t.users[role])


async def walk(t, cr_id):
    """Attach what each step requires, then approve it as its role."""
    clerk = await who(t, "clerk")
    while True:
        cr = await wf.get_request(t.ctx, cr_id)
        if cr.status != ChangeStatus.in_review:
            return cr
        step = next(s for s in await wf.steps_of(t.ctx, cr_id) if s["status"] == "active")
        for need in step["required_attachments"] or []:
            await wf.add_attachment(t.ctx, clerk, cr_id, need["kind"], f"{need['label']}.pdf", PDF)
        await wf.approve(t.ctx, await who(t, step["role"]), cr_id, seen_version=cr.version)


async def food_licence_item(t):
    entry = next(e for e in load_national_catalog() if e.elements["name"] == "食品经营许可")
    doc = entry_document(entry, **PLACE)
    created = await create_catalog_entry(t.ctx, SYSTEM, doc)
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, created.id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    filled = dump_document(detail.draft) | PLACE
    await wf.edit_draft(t.ctx, clerk, item.id, filled, detail.item["lock_version"])
    return item, clerk


async def amend(t, item, clerk, **changes):
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.published) | changes
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])


@pytest.mark.parametrize("plugin", ["jinchang", "anyang", "shuozhou"])
async def test_every_change_kind_through_the_plugins_chain(make_tenant, plugin):
    t = await make_tenant(plugin=plugin)
    item, clerk = await food_licence_item(t)
    seen: dict[str, list[str]] = {}

    async def run(kind, **extra):
        cr = await wf.submit(t.ctx, clerk, item.id, kind, f"{kind.label}测试", **extra)
        seen[kind.value] = [s["role"] for s in await wf.steps_of(t.ctx, cr.id)]
        cr = await walk(t, cr.id)
        assert cr.status == ChangeStatus.published, (plugin, kind)
        return cr

    await run(ChangeKind.claim)
    assert (await get_item(t.ctx, item.id)).item["status"] == "published"
    await amend(t, item, clerk, promised_limit={"value": 3, "unit": "working_day"})
    await run(ChangeKind.amend)
    assert (await get_item(t.ctx, item.id)).published.promised_limit.value == 3
    await run(ChangeKind.suspend)
    assert (await get_item(t.ctx, item.id)).item["status"] == "suspended"
    await run(ChangeKind.resume)
    assert (await get_item(t.ctx, item.id)).item["status"] == "published"
    await run(ChangeKind.cancel, cancel_basis="设定依据已修改", document_number="测〔2026〕1号")
    assert (await get_item(t.ctx, item.id)).item["status"] == "cancelled"

    chain = t.ctx.plugin.approval_chain
    for kind, roles in seen.items():
        assert roles, kind
        assert roles[-1] == "data_center", f"{plugin} {kind}: 大数据中心 publishes last"
    assert "legal_reviewer" in seen["cancel"], f"{plugin}: a cancellation needs legality review"
    assert chain is not None


async def test_jinchang_cancellation_needs_consent_legality_review_and_a_formal_document(
    make_tenant,
):
    t = await make_tenant(plugin="jinchang")
    item, clerk = await food_licence_item(t)
    await walk(t, (await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领")).id)
    cr = await wf.submit(
        t.ctx,
        clerk,
        item.id,
        ChangeKind.cancel,
        "依据废止",
        cancel_basis="某条例已废止",
        document_number="金政发〔2026〕9号",
    )
    steps = await wf.steps_of(t.ctx, cr.id)
    assert [s["role"] for s in steps] == [
        "agency_reviewer",
        "legal_reviewer",
        "reform_office",
        "data_center",
    ]
    needs = {s["role"]: [a["kind"] for a in s["required_attachments"] or []] for s in steps}
    assert "provincial_consent" in needs["agency_reviewer"]
    assert "formal_document" in needs["reform_office"]
    with pytest.raises(Exception, match="省级业务部门"):
        await wf.approve(t.ctx, await who(t, "agency_reviewer"), cr.id)
    await walk(t, cr.id)

    # 第十二条: the hall entries are updated within 5 working days of the cancellation.
    hall = [o for o in await open_obligations(t.ctx) if o["kind"] == "hall_update"]
    assert hall and hall[-1]["role"] == "service_center"
    calendar = await load_calendar(t.tenant_id)
    expected = calendar.add_working_days(wf.today(), 5).due
    assert hall[-1]["due_date"] == expected
