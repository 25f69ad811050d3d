"""一件事一次办: a bundle joins items with one form and one set of materials,
deduplicated, each material naming the items that need it; its guide (page and
PDF) reads only its items' published versions; only its managers change it."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from qingdan.core.bundles import services as bundles
from qingdan.core.bundles.demo import seed_bundles
from qingdan.core.bundles.guide import bundle_guide, bundle_pdf
from qingdan.core.bundles.schemas import BundleField, BundleInput
from qingdan.core.catalog.services import (
    create_catalog_entry,
    create_item,
    get_item,
    publish_draft,
    save_draft,
)
from qingdan.core.catalog.validation import dump_document
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.hooktypes import Bundle, DemoDataset, Taxonomies
from qingdan.core.publishing.guides import cjk_font_installed, render_guide_html
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM, sample_entry_document

pytestmark = pytest.mark.db

ID_CARD = {"name": "申请人身份证明", "type": "original", "necessity": "optional", "copies": 1}


async def entry(t, code: str, name: str) -> int:
    return (
        await create_catalog_entry(t.ctx, SYSTEM, sample_entry_document(base_code=code, name=name))
    ).id


async def publish(t, item_id: int, **changes) -> None:
    detail = await get_item(t.ctx, item_id)
    doc = dump_document(detail.draft or detail.published) | SAMPLE_PLACE | changes
    await save_draft(t.ctx, SYSTEM, item_id, doc, detail.item["lock_version"])
    await publish_draft(t.ctx, SYSTEM, item_id)


async def item(t, code: str, name: str, agency: int = 0, **changes) -> int:
    made = await create_item(
        t.ctx, SYSTEM, entry_id=await entry(t, code, name), agency_id=t.agency_ids[agency]
    )
    await publish(t, made.id, **changes)
    return made.id


async def who(t, role: str):
    return await tenancy.load_principal(t.users[role])


async def lock(t, bundle_id: int) -> int:
    return (await bundles.bundle_detail(t.ctx, bundle_id)).lock_version


@pytest.fixture
async def opening(make_tenant):
    """Three published items sharing materials, joined in one bundle by the admin."""
    t = await make_tenant()
    licence = await item(
        t,
        "BDL001",
        "餐饮许可",
        materials=[
            {"name": "申请书", "type": "form", "necessity": "required"},
            ID_CARD | {"necessity": "required"},
            {"name": "营业执照", "type": "copy", "necessity": "deferrable", "notes": "可容缺"},
        ],
    )
    health = await item(
        t,
        "BDL002",
        "卫生许可",
        agency=1,
        materials=[
            ID_CARD | {"copies": 2, "notes": "复印件加盖公章"},
            {"name": "营业执照 ", "type": "copy", "necessity": "required"},  # trailing space
            {"name": "卫生检测报告", "type": "original"},
        ],
    )
    fire = await item(t, "BDL003", "消防检查", agency=2, materials=[ID_CARD])
    admin = await who(t, "tenant_admin")
    bundle_id = await bundles.create_bundle(
        t.ctx,
        admin,
        data=BundleInput(
            name="开餐馆",
            audience="enterprise",
            lead_agency_id=t.agency_ids[0],
            form=[BundleField(name="经营者姓名"), BundleField(name="店名", required=False)],
        ),
    )
    for item_id in (licence, health, fire):
        await bundles.add_item(t.ctx, admin, bundle_id, item_id, await lock(t, bundle_id))
    return t, bundle_id, {"licence": licence, "health": health, "fire": fire}


async def test_materials_are_merged_once_each_naming_the_items_that_need_them(opening):
    t, bundle_id, _ = opening
    guide = await bundle_guide(t.ctx, bundle_id, public=False)
    by_name = {m.name: m for m in guide.materials}
    assert list(by_name) == ["申请书", "申请人身份证明", "营业执照", "卫生检测报告"]
    card = by_name["申请人身份证明"]
    assert card.items == ("餐饮许可", "卫生许可", "消防检查")
    assert card.necessity.value == "required"  # the strictest of the three
    assert card.copies == 2 and card.notes == ("复印件加盖公章",)
    licence = by_name["营业执照"]
    assert licence.items == ("餐饮许可", "卫生许可")
    assert licence.necessity.value == "required"  # required by one beats deferrable
    assert by_name["卫生检测报告"].items == ("卫生许可",)
    assert by_name["申请书"].items == ("餐饮许可",)
    # The guide's materials section shows the one form and the one set of materials.
    html = render_guide_html(guide.guide)
    section = html.split('<section id="materials"')[1].split("</section>")[0]
    assert "一表申请" in section and "经营者姓名" in section and "店名" in section
    assert section.count("申请人身份证明") == 1
    assert "餐饮许可、卫生许可、消防检查" in section


async def test_the_guide_has_the_sections_of_an_item_guide_in_the_same_order(opening):
    from qingdan.core.publishing.services import guide_of

    t, bundle_id, ids = opening
    bundle = (await bundle_guide(t.ctx, bundle_id, public=False)).guide
    single = await guide_of(t.ctx, ids["licence"])
    assert [s.key for s in bundle.sections] == [s.key for s in single.sections]
    assert [s.title for s in bundle.sections][:-1] == [s.title for s in single.sections][:-1]
    flow = bundle.section("process").parts[0]
    assert flow.steps == 5  # 一窗受理, the three items, 统一出件


async def test_a_draft_never_shows_and_a_publication_does(opening):
    t, bundle_id, ids = opening
    detail = await get_item(t.ctx, ids["fire"])
    doc = dump_document(detail.published) | {
        "materials": [{"name": "草稿里的新材料", "type": "original"}],
        "acceptance_conditions": "草稿受理条件",
    }
    await save_draft(t.ctx, SYSTEM, ids["fire"], doc, detail.item["lock_version"])
    # A fourth item that was never published joins the bundle: it adds nothing.
    unpublished = await create_item(
        t.ctx, SYSTEM, entry_id=await entry(t, "BDL004", "未发布事项"), agency_id=t.agency_ids[0]
    )
    admin = await who(t, "tenant_admin")
    await bundles.add_item(t.ctx, admin, bundle_id, unpublished.id, await lock(t, bundle_id))
    guide = await bundle_guide(t.ctx, bundle_id, public=False)
    html = render_guide_html(guide.guide)
    assert "草稿里的新材料" not in html and "草稿受理条件" not in html
    assert "未发布事项" not in html
    assert [m.item_id for m in guide.members] == [ids["licence"], ids["health"], ids["fire"]]
    await publish_draft(t.ctx, SYSTEM, ids["fire"])
    html = render_guide_html((await bundle_guide(t.ctx, bundle_id, public=False)).guide)
    assert "草稿里的新材料" in html and "草稿受理条件" in html


async def test_only_a_bundle_online_is_public_and_it_needs_two_published_items(
    opening, make_tenant
):
    t, bundle_id, ids = opening
    with pytest.raises(NotFound):
        await bundle_guide(t.ctx, bundle_id, public=True)
    admin = await who(t, "data_center")
    await bundles.publish_bundle(t.ctx, admin, bundle_id, await lock(t, bundle_id))
    guide = await bundle_guide(t.ctx, bundle_id, public=True)
    assert guide.guide.version_number == 1 and guide.published
    assert [r.name for r in await bundles.list_bundles(t.ctx, published_only=True)] == ["开餐馆"]
    other = await make_tenant()
    with pytest.raises(NotFound):
        await bundle_guide(other.ctx, bundle_id, public=False)
    # Online it keeps two items at least.
    await bundles.remove_item(t.ctx, admin, bundle_id, ids["licence"], await lock(t, bundle_id))
    with pytest.raises(DomainError, match="至少包含2个事项"):
        await bundles.remove_item(t.ctx, admin, bundle_id, ids["health"], await lock(t, bundle_id))
    detail = await bundles.bundle_detail(t.ctx, bundle_id)
    assert [m.item_id for m in detail.members] == [ids["health"], ids["fire"]]


async def test_publishing_with_fewer_than_two_published_items_is_refused(make_tenant):
    t = await make_tenant()
    one = await item(t, "BDL011", "单独事项")
    admin = await who(t, "tenant_admin")
    bundle_id = await bundles.create_bundle(t.ctx, admin, data=BundleInput(name="只有一项"))
    await bundles.add_item(t.ctx, admin, bundle_id, one, await lock(t, bundle_id))
    with pytest.raises(DomainError, match="至少要有2个已发布的事项"):
        await bundles.publish_bundle(t.ctx, admin, bundle_id, await lock(t, bundle_id))


async def test_the_pdf_embeds_a_cjk_font_and_the_print_copy_has_the_qr_link(opening):
    if not cjk_font_installed():
        pytest.fail("fonts-noto-cjk is part of the setup; the PDF needs a CJK font")
    t, bundle_id, _ = opening
    guide = (await bundle_guide(t.ctx, bundle_id, public=False)).guide
    data, key = await bundle_pdf(guide, print_version=False)
    again, same = await bundle_pdf(guide, print_version=False)
    assert again is data and same == key  # rendered once, then kept
    reader = PdfReader(io.BytesIO(data))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("CJK" in f for f in fonts), fonts
    # Table cells wrap, so compare the text without its line breaks.
    text = "".join("".join(page.extract_text().split()) for page in reader.pages)
    assert "开餐馆" in text and "申请人身份证明" in text and "未发布" in text
    printed, _ = await bundle_pdf(guide, print_version=True)
    assert printed != data
    assert f"/p/{t.slug}/bundles/{bundle_id}" in render_guide_html(guide, print_version=True)


async def test_only_managers_change_bundles_and_racing_edits_are_refused(opening):
    t, bundle_id, _ = opening
    clerk = await who(t, "clerk")
    with pytest.raises(PermissionDenied):
        await bundles.create_bundle(t.ctx, clerk, data=BundleInput(name="越权"))
    with pytest.raises(PermissionDenied):
        await bundles.publish_bundle(t.ctx, clerk, bundle_id, await lock(t, bundle_id))
    admin = await who(t, "tenant_admin")
    stale = await lock(t, bundle_id)
    await bundles.save_bundle(t.ctx, admin, bundle_id, BundleInput(name="开餐馆(新)"), stale)
    with pytest.raises(ConflictError):
        await bundles.save_bundle(t.ctx, admin, bundle_id, BundleInput(name="覆盖"), stale)
    assert (await bundles.bundle_detail(t.ctx, bundle_id)).row.name == "开餐馆(新)"
    with pytest.raises(DomainError, match="申请表字段重复"):
        await bundles.save_bundle(
            t.ctx,
            admin,
            bundle_id,
            BundleInput(name="x", form=[BundleField(name="姓名"), BundleField(name="姓名")]),
            await lock(t, bundle_id),
        )


async def test_the_plugins_bundles_are_offered_and_set_up_from_their_definition(make_tenant):
    t = await make_tenant(plugin="anyang")
    pending = await bundles.pending_definitions(t.ctx)
    assert len(pending) == 13
    assert [p.name for p in pending if p.audience == "enterprise"] == [
        "企业开办",
        "企业准营",
        "员工录用",
        "涉企不动产登记",
        "企业简易注销",
    ]
    admin = await who(t, "tenant_admin")
    bundle_id = await bundles.create_bundle(t.ctx, admin, code="newborn")
    detail = await bundles.bundle_detail(t.ctx, bundle_id)
    assert (detail.row.name, detail.row.audience) == ("新生儿出生", "natural_person")
    assert "newborn" not in {p.code for p in await bundles.pending_definitions(t.ctx)}
    with pytest.raises(DomainError, match="已经设立"):
        await bundles.create_bundle(t.ctx, admin, code="newborn")
    with pytest.raises(DomainError, match="没有编码"):
        await bundles.create_bundle(t.ctx, admin, code="no_such_bundle")


async def test_demo_bundles_join_the_items_that_exist(make_tenant, monkeypatch):
    t = await make_tenant()
    a = await item(t, "BDL021", "甲事项")
    b = await item(t, "BDL022", "乙事项", agency=2)
    taxonomies = Taxonomies(
        bundles=(
            Bundle(code="both", name="甲乙联办"),
            Bundle(code="missing", name="缺项联办"),
        )
    )
    monkeypatch.setattr(type(t.ctx.plugin), "taxonomies", lambda self, settings: taxonomies)
    dataset = DemoDataset(
        divisions=(),
        agencies=(),
        bundle_items={"both": ("BDL021", "BDL022", "NOPE00"), "missing": ("BDL021", "NOPE01")},
    )
    assert await seed_bundles(t.ctx, dataset, SYSTEM) == 1
    (row,) = await bundles.list_bundles(t.ctx)
    assert (row.name, row.status, row.items) == ("甲乙联办", "published", 2)
    detail = await bundles.bundle_detail(t.ctx, row.id)
    assert [m.item_id for m in detail.members] == [a, b]
