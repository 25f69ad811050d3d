"""The pages of 各类清单, 一件事一次办 and 家门口办, signed in and on the portal:
who may see and change what, tenant isolation, downloads and caching.

Data is set up before the client opens and checked after it closes (the app
rebinds the database engine on startup).
"""

from __future__ import annotations

import io
import re
from contextlib import asynccontextmanager
from html import unescape

import pytest
from litestar.testing import AsyncTestClient
from openpyxl import load_workbook

from qingdan.core.bundles import services as bundles
from qingdan.core.bundles.schemas import BundleInput
from qingdan.core.catalog.services import (
    create_catalog_entry,
    create_item,
    get_item,
    publish_draft,
    save_draft,
)
from qingdan.core.catalog.validation import dump_document
from qingdan.core.doorstep import services as doorstep
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.tables import Division
from qingdan.core.testing import PASSWORD, SAMPLE_PLACE, SYSTEM, sample_entry_document
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(c, slug: str, username: str) -> None:
    page = await c.get(f"/t/{slug}/login")
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


async def post_form(c, page_url: str, target: str, data: dict):
    page = await c.get(page_url)
    assert page.status_code == 200, page.text
    return await c.post(
        target, data={**data, "_csrf_token": csrf_from(page.text)}, follow_redirects=False
    )


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


async def published_item(t, code: str, name: str, agency: int = 0, **changes) -> int:
    entry = await create_catalog_entry(
        t.ctx, SYSTEM, sample_entry_document(base_code=code, name=name)
    )
    item = await create_item(t.ctx, SYSTEM, entry_id=entry.id, agency_id=t.agency_ids[agency])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | SAMPLE_PLACE | changes
    await save_draft(t.ctx, SYSTEM, item.id, doc, detail.item["lock_version"])
    await publish_draft(t.ctx, SYSTEM, item.id)
    return item.id


async def draft_change(t, item_id: int, **changes) -> None:
    detail = await get_item(t.ctx, item_id)
    doc = dump_document(detail.published) | changes
    await save_draft(t.ctx, SYSTEM, item_id, doc, detail.item["lock_version"])


@pytest.fixture
async def city(make_tenant):
    """Two published items (one under 告知承诺, one out of the hall), a draft change
    to the first, and another tenant."""
    t = await make_tenant()
    promise = await published_item(
        t,
        "WEB001",
        "承诺办理事项",
        commitment=True,
        commitment_content="如实承诺",
        commitment_liability="依法撤销",
        materials=[
            {"name": "共同材料", "type": "original"},
            {"name": "可后补材料", "type": "copy", "necessity": "deferrable"},
        ],
    )
    outside = await published_item(
        t,
        "WEB002",
        "不进大厅事项",
        agency=1,
        in_hall=False,
        hall_exclusion_reason="场地限制",
        materials=[{"name": "共同材料", "type": "original"}],
    )
    await draft_change(t, promise, commitment_content="草稿里的承诺", name="草稿名称")
    other = await make_tenant()
    return t, other, {"promise": promise, "outside": outside}


# 各类清单 ----------------------------------------------------------------------------------------


async def test_every_signed_in_role_reads_the_lists_and_downloads_them(city):
    t, other, _ = city
    async with client() as c:
        anonymous = await c.get(f"/t/{t.slug}/lists/", follow_redirects=False)
        assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
        await login(c, t.slug, "clerk")
        index = await c.get(f"/t/{t.slug}/lists/")
        assert index.status_code == 200
        assert "告知承诺制事项清单" in index.text and "政务服务中心进驻事项负面清单" in index.text
        page = await c.get(f"/t/{t.slug}/lists/commitment")
        body = text_of(page.text)
        assert "承诺办理事项" in body and "如实承诺" in body
        assert "草稿里的承诺" not in body and "草稿名称" not in body
        hall = await c.get(f"/t/{t.slug}/lists/hall_exclusions")
        assert "不进大厅事项" in hall.text and "场地限制" in hall.text
        partial = await c.get(
            f"/t/{t.slug}/lists/commitment?q=不存在",
            headers={"HX-Request": "true", "HX-Target": "results"},
        )
        assert "<html" not in partial.text and "没有符合条件的事项" in partial.text
        download = await c.get(f"/t/{t.slug}/lists/deferrable/export.xlsx")
        assert download.status_code == 200 and download.headers["content-type"].startswith(XLSX)
        assert "filename*=UTF-8''" in download.headers["content-disposition"]
        sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        assert rows[0][:2] == ["序号", "事项名称"] and rows[1][1] == "承诺办理事项"
        assert (await c.get(f"/t/{t.slug}/lists/no_such_list")).status_code == 404
        # Another tenant's address is not found, as if it did not exist.
        assert (await c.get(f"/t/{other.slug}/lists/")).status_code == 404


async def test_the_portal_publishes_the_public_lists_only(city):
    t, other, _ = city
    async with client() as c:
        index = await c.get(f"/p/{t.slug}/lists/")
        assert index.status_code == 200 and "set-cookie" not in index.headers
        assert "告知承诺制事项清单" in index.text and "容缺受理事项清单" in index.text
        assert "负面清单" not in index.text
        assert (await c.get(f"/p/{t.slug}/lists/hall_exclusions")).status_code == 404
        page = await c.get(f"/p/{t.slug}/lists/deferrable")
        assert "可后补材料" in text_of(page.text) and page.headers["etag"]
        again = await c.get(
            f"/p/{t.slug}/lists/deferrable", headers={"If-None-Match": page.headers["etag"]}
        )
        assert again.status_code == 304
        sheet = await c.get(f"/p/{t.slug}/lists/commitment/export.xlsx")
        assert sheet.status_code == 200 and sheet.headers["content-type"].startswith(XLSX)
        cached = await c.get(
            f"/p/{t.slug}/lists/commitment/export.xlsx",
            headers={"If-None-Match": sheet.headers["etag"]},
        )
        assert cached.status_code == 304
        # The other tenant's portal shows none of it.
        assert "承诺办理事项" not in (await c.get(f"/p/{other.slug}/lists/commitment")).text


# 一件事一次办 ---------------------------------------------------------------------------------------


async def test_managers_set_up_a_bundle_by_form_and_the_portal_shows_its_guide(city):
    t, other, ids = city
    async with client() as c:
        await login(c, t.slug, "clerk")
        assert (await c.get(f"/t/{t.slug}/bundles/")).status_code == 200
        page = await c.get(f"/t/{t.slug}/bundles/")
        refused = await c.post(
            f"/t/{t.slug}/bundles/",
            data={"name": "越权设立", "_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert refused.status_code == 403
    async with client() as c:
        await login(c, t.slug, "data_center")
        created = await post_form(
            c, f"/t/{t.slug}/bundles/", f"/t/{t.slug}/bundles/", {"name": "联办一件事"}
        )
        assert created.status_code == 303
        bundle_url = created.headers["location"].split("?")[0]
        bundle_id = int(bundle_url.rsplit("/", 1)[1])
        for item_id, lock in ((ids["promise"], 0), (ids["outside"], 1)):
            added = await post_form(
                c, bundle_url, f"{bundle_url}/items", {"item_id": item_id, "lock_version": lock}
            )
            assert added.status_code == 303, added.text
        stale = await post_form(
            c, bundle_url, f"{bundle_url}/publish", {"lock_version": 0}
        )  # an old lock: someone else changed it since
        assert stale.status_code == 409
        saved = await post_form(
            c,
            bundle_url,
            bundle_url,
            {
                "lock_version": 2,
                "name": "联办一件事",
                "audience": "enterprise",
                "field-0-name": "申请人名称",
                "field-0-required": "1",
                "field-1-name": "联系电话",
            },
        )
        assert saved.status_code == 303
        published = await post_form(c, bundle_url, f"{bundle_url}/publish", {"lock_version": 3})
        assert published.status_code == 303
        detail = await c.get(bundle_url)
        assert "已上线" in detail.text and "共同材料" in detail.text
    async with client() as c:
        listing = await c.get(f"/p/{t.slug}/bundles/")
        assert "联办一件事" in listing.text and "涉企" in listing.text
        guide = await c.get(f"/p/{t.slug}/bundles/{bundle_id}")
        assert guide.status_code == 200
        body = text_of(guide.text)
        assert "申请人名称" in body and "承诺办理事项、不进大厅事项" in body
        assert body.count("共同材料") == 1  # one set of materials
        assert "草稿里的承诺" not in body and "草稿名称" not in body
        pdf = await c.get(f"/p/{t.slug}/bundles/{bundle_id}/guide.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        again = await c.get(
            f"/p/{t.slug}/bundles/{bundle_id}/guide.pdf",
            headers={"If-None-Match": pdf.headers["etag"]},
        )
        assert again.status_code == 304
        assert (await c.get(f"/p/{other.slug}/bundles/{bundle_id}")).status_code == 404
    detail = await bundles.bundle_detail(t.ctx, bundle_id)
    assert [f.name for f in detail.form] == ["申请人名称", "联系电话"]
    assert [f.required for f in detail.form] == [True, False]


async def test_a_bundle_not_online_is_not_public_and_staff_preview_it(city):
    t, _, ids = city
    admin = await tenancy.load_principal(t.users["tenant_admin"])
    bundle_id = await bundles.create_bundle(t.ctx, admin, data=BundleInput(name="未上线一件事"))
    await bundles.add_item(t.ctx, admin, bundle_id, ids["promise"], 0)
    async with client() as c:
        assert (await c.get(f"/p/{t.slug}/bundles/{bundle_id}")).status_code == 404
        assert "未上线一件事" not in (await c.get(f"/p/{t.slug}/bundles/")).text
        await login(c, t.slug, "legal_reviewer")
        preview = await c.get(f"/t/{t.slug}/bundles/{bundle_id}/guide")
        assert preview.status_code == 200 and "尚未上线" in preview.text
        assert "草稿里的承诺" not in preview.text


# 家门口办 -------------------------------------------------------------------------------------------


async def test_the_service_centre_delegates_and_the_overview_counts_it(city):
    t, other, ids = city
    scope = t.ctx.scope
    county = await scope.get(Division, t.county_division_id)
    town = await tenancy.add_division(
        scope, SYSTEM, county.code[:6] + "101000", "网页镇", county.code
    )
    async with client() as c:
        await login(c, t.slug, "clerk")
        overview = await c.get(f"/t/{t.slug}/doorstep/")
        assert overview.status_code == 200 and "网页镇" in overview.text
        point = await c.get(f"/t/{t.slug}/doorstep/{town.id}")
        refused = await c.post(
            f"/t/{t.slug}/doorstep/{town.id}/delegations",
            data={"item_id": ids["promise"], "_csrf_token": csrf_from(point.text)},
            follow_redirects=False,
        )
        assert refused.status_code == 403
    async with client() as c:
        await login(c, t.slug, "service_center")
        # Found by code (the staff list names an item by its latest draft).
        search = await c.get(f"/t/{t.slug}/doorstep/{town.id}?q=WEB00")
        assert "草稿名称" in search.text and "不进大厅事项" in search.text
        done = await c.post(
            f"/t/{t.slug}/doorstep/{town.id}/delegations",
            data={
                "item_id": [str(ids["promise"]), str(ids["outside"])],
                "mode": "assisted",
                "_csrf_token": csrf_from(search.text),
            },
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        page = await c.get(f"/t/{t.slug}/doorstep/{town.id}")
        assert "帮办代办" in page.text and "可现场办理 <strong>2</strong>" in page.text
        # Another tenant's service point is not found.
        assert (await c.get(f"/t/{t.slug}/doorstep/999999")).status_code == 404
    view = await doorstep.overview(t.ctx)
    (row,) = [p for p in view.points if p.division_id == town.id]
    assert row.delegated == 2
    assert (await doorstep.overview(other.ctx)).points == []
