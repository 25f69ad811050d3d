"""Changes to the catalog itself (基本目录) through qingdan_catalog_chain."""

import pytest

from qingdan.core.catalog.diff import diff_documents
from qingdan.core.catalog.tables import CatalogEntry
from qingdan.core.errors import DomainError, PermissionDenied
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import sample_entry_document, submitted_claim
from qingdan.core.workflow import services as wf
from qingdan.core.workflow.catalog_changes import submit_catalog_change
from qingdan.core.workflow.obligations import open_obligations
from qingdan.core.workflow.schemas import ChangeStatus

pytestmark = pytest.mark.db


async def who(t, role):
    return await tenancy.load_principal(t.users[role])


async def walk(t, cr_id):
    while (await wf.get_request(t.ctx, cr_id)).status == ChangeStatus.in_review:
        step = next(s for s in await wf.steps_of(t.ctx, cr_id) if s["status"] == "active")
        await wf.approve(t.ctx, await who(t, step["role"]), cr_id)
    return await wf.get_request(t.ctx, cr_id)


async def test_a_local_entry_is_reviewed_for_legality_before_it_can_be_claimed(make_tenant):
    t = await make_tenant()
    doc = sample_entry_document("000199001", "地方性法规设定的备案事项") | {"item_type": "filing"}
    cr = await submit_catalog_change(
        t.ctx, await who(t, "tenant_admin"), ChangeKind.create, "依据地方性法规新增", document=doc
    )
    steps = await wf.steps_of(t.ctx, cr.id)
    assert [s["role"] for s in steps] == ["legal_reviewer", "reform_office", "data_center"]
    entry = await t.ctx.scope.get(CatalogEntry, cr.catalog_entry)
    assert entry.status == "in_review"
    with pytest.raises(DomainError, match="不在用"):
        await wf.claim(t.ctx, await who(t, "clerk"), entry.id, t.agency_ids[0])
    cr = await walk(t, cr.id)
    assert cr.status == ChangeStatus.published
    entry = await t.ctx.scope.get(CatalogEntry, cr.catalog_entry)
    assert entry.status == "published" and entry.current_version == cr.entry_version
    item = await wf.claim(t.ctx, await who(t, "clerk"), entry.id, t.agency_ids[0])
    assert item.base_code == "000199001"


async def test_only_the_reform_office_or_admin_proposes_and_never_approves_its_own(make_tenant):
    t = await make_tenant()
    doc = sample_entry_document("000199002", "新事项")
    with pytest.raises(PermissionDenied, match="审改机构"):
        await submit_catalog_change(
            t.ctx, await who(t, "clerk"), ChangeKind.create, "x", document=doc
        )
    reform = await who(t, "reform_office")
    cr = await submit_catalog_change(t.ctx, reform, ChangeKind.create, "新增", document=doc)
    await wf.approve(t.ctx, await who(t, "legal_reviewer"), cr.id)
    with pytest.raises(PermissionDenied, match="不能审核自己"):
        await wf.approve(t.ctx, reform, cr.id)


async def test_a_refused_creation_never_comes_into_use(make_tenant):
    t = await make_tenant()
    doc = sample_entry_document("000199003", "无依据的事项")
    cr = await submit_catalog_change(
        t.ctx, await who(t, "tenant_admin"), ChangeKind.create, "新增", document=doc
    )
    await wf.reject(t.ctx, await who(t, "legal_reviewer"), cr.id, "无法律法规依据,属于私设事项")
    entry = await t.ctx.scope.get(CatalogEntry, cr.catalog_entry)
    assert entry.status == "cancelled"


async def test_an_amended_entry_asks_every_implementing_agency_to_follow(make_tenant):
    t = await make_tenant()
    item, claim = await submitted_claim(t)
    for role in ("agency_reviewer", "reform_office", "data_center"):
        await wf.approve(t.ctx, await who(t, role), claim.id)
    doc = sample_entry_document() | {"statutory_limit": {"value": 15, "unit": "working_day"}}
    with pytest.raises(DomainError, match="基本编码不能修改"):
        await submit_catalog_change(
            t.ctx,
            await who(t, "tenant_admin"),
            ChangeKind.amend,
            "x",
            entry_id=t.entry_id,
            document=doc | {"base_code": "000101999"},
        )
    cr = await submit_catalog_change(
        t.ctx,
        await who(t, "tenant_admin"),
        ChangeKind.amend,
        "上位法修改,法定时限缩短",
        entry_id=t.entry_id,
        document=doc,
    )
    before, after = await wf.request_documents(t.ctx, cr)
    assert diff_documents(before, after).changed_elements == ["statutory_limit"]
    await walk(t, cr.id)
    follow = [o for o in await open_obligations(t.ctx) if o["kind"] == "follow_catalog"]
    assert [(o["item"], o["role"], o["agency"]) for o in follow] == [
        (item.id, "clerk", t.agency_ids[0])
    ]
    assert "变更" in follow[0]["title"]


async def test_a_cancelled_entry_cannot_be_claimed_and_its_items_must_follow(make_tenant):
    t = await make_tenant()
    item, _ = await submitted_claim(t)
    admin = await who(t, "tenant_admin")
    with pytest.raises(DomainError, match="取消依据"):
        await submit_catalog_change(t.ctx, admin, ChangeKind.cancel, "废止", entry_id=t.entry_id)
    cr = await submit_catalog_change(
        t.ctx,
        admin,
        ChangeKind.cancel,
        "设定依据废止",
        entry_id=t.entry_id,
        cancel_basis="某条例已废止",
        document_number="样政发〔2026〕2号",
    )
    with pytest.raises(DomainError, match="未办结"):
        await submit_catalog_change(
            t.ctx,
            admin,
            ChangeKind.cancel,
            "再来一次",
            entry_id=t.entry_id,
            cancel_basis="x",
            document_number="y",
        )
    await walk(t, cr.id)
    entry = await t.ctx.scope.get(CatalogEntry, t.entry_id)
    assert entry.status == "cancelled"
    with pytest.raises(DomainError, match="不在用"):
        await wf.claim(t.ctx, await who(t, "clerk"), t.entry_id, t.agency_ids[0])
    follow = [o for o in await open_obligations(t.ctx) if o["kind"] == "follow_catalog"]
    assert [o["item"] for o in follow] == [item.id] and "取消" in follow[0]["title"]


async def test_a_plugins_catalog_chain_may_not_name_agency_roles():
    import types

    from qingdan import hookimpl
    from qingdan.core.hooktypes import ApprovalChain, ChainStep, Jurisdiction
    from qingdan.core.plugins import PluginError, load_plugin

    module = types.ModuleType("agencycatalog")

    @hookimpl
    def qingdan_jurisdiction():
        return Jurisdiction(slug="x", name="某市", division_code="990100000000")

    @hookimpl
    def qingdan_catalog_chain():
        return ApprovalChain(steps=(ChainStep(name="部门审核", role="agency_reviewer"),))

    module.qingdan_jurisdiction = qingdan_jurisdiction
    module.qingdan_catalog_chain = qingdan_catalog_chain
    with pytest.raises(PluginError, match="不能由实施机构角色办理"):
        load_plugin("agencycatalog", module, "1")
