"""The web foundation: sign-in, tenant walls, the item list and detail, CSRF.

The app runs its own event loop (Litestar's test client uses a portal
thread) and rebinds the database engine on startup, so each test creates its
data first and only then opens the client.
"""

from __future__ import annotations

import re
import time
from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.services import create_catalog_entry, create_item
from qingdan.core.tenancy.schemas import Role
from qingdan.core.tenancy.services import create_user, grant_role
from qingdan.core.testing import PASSWORD, SYSTEM, sample_entry_document
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

HX = {"HX-Request": "true", "HX-Target": "results"}
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(c, slug: str, username: str = "clerk", password: str = PASSWORD):
    page = await c.get(f"/t/{slug}/login")
    assert page.status_code == 200
    return await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": password, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


async def two_items(t):
    """A licensing item and a filing item in tenant ``t``."""
    filing = await create_catalog_entry(
        t.ctx,
        SYSTEM,
        sample_entry_document("000101002", "另一个备案事项") | {"item_type": "filing"},
    )
    licensing = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    other = await create_item(t.ctx, SYSTEM, entry_id=filing.id, agency_id=t.agency_ids[1])
    return licensing, other


async def test_landing_lists_tenants_with_their_login(make_tenant):
    t = await make_tenant()
    async with client() as c:
        r = await c.get("/")
        css = await c.get("/static/app.css")
        missing = await c.get("/static/vendor/not-installed.js")
    assert r.status_code == 200
    assert t.ctx.name in r.text
    assert f'href="/t/{t.slug}/login"' in r.text
    assert '<html lang="zh-CN">' in r.text
    assert '<script src="/static/vendor/htmx.min.js"' in r.text
    assert css.status_code == 200
    # A vendor file not installed yet is a plain 404, and the page above rendered anyway.
    assert missing.status_code == 404 and "<html" not in missing.text


async def test_login_and_wrong_password(make_tenant):
    t = await make_tenant()
    async with client() as c:
        wrong = await login(c, t.slug, password="not-the-password")
        assert wrong.status_code == 400
        assert "用户名或密码错误" in wrong.text
        unknown = await login(c, t.slug, username="nobody")
        assert unknown.status_code == 400
        assert "用户名或密码错误" in unknown.text
        assert "not-the-password" not in wrong.text

        ok = await login(c, t.slug)
        assert ok.status_code == 303
        assert ok.headers["location"] == f"/t/{t.slug}/"
        page = await c.get(f"/t/{t.slug}/items")
        assert page.status_code == 200
        assert "信息员" in page.text  # display name and role label
        assert t.ctx.name in page.text


async def test_user_cannot_sign_in_to_another_tenant(make_tenant):
    a = await make_tenant()
    b = await make_tenant()
    async with client() as c:
        # The same username exists in both; B's login must check B's users only.
        assert (await login(c, b.slug)).status_code == 303
        r = await c.get(f"/t/{a.slug}/items", follow_redirects=False)
        assert r.status_code == 404


async def test_item_list_requires_login(make_tenant):
    t = await make_tenant()
    async with client() as c:
        r = await c.get(f"/t/{t.slug}/items?q=abc", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith(f"/t/{t.slug}/login?next=/t/{t.slug}/items")
        partial = await c.get(f"/t/{t.slug}/items", headers=HX, follow_redirects=False)
        assert partial.headers["hx-redirect"].startswith(f"/t/{t.slug}/login")
        root = await c.get(f"/t/{t.slug}", follow_redirects=False)
        assert root.headers["location"] == f"/t/{t.slug}/login?next=/t/{t.slug}"
        # After signing in, the browser returns to the page it asked for.
        page = await c.get(r.headers["location"])
        back = await c.post(
            f"/t/{t.slug}/login",
            data={
                "username": "clerk",
                "password": PASSWORD,
                "next": f"/t/{t.slug}/items?q=abc",
                "_csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        assert back.headers["location"] == f"/t/{t.slug}/items?q=abc"


async def test_next_cannot_leave_the_tenant(make_tenant):
    t = await make_tenant()
    async with client() as c:
        page = await c.get(f"/t/{t.slug}/login")
        for evil in ("https://evil.example/", "//evil.example/", "/t/other/items", "/\\evil"):
            r = await c.post(
                f"/t/{t.slug}/login",
                data={
                    "username": "clerk",
                    "password": PASSWORD,
                    "next": evil,
                    "_csrf_token": csrf_from(page.text),
                },
                follow_redirects=False,
            )
            assert r.headers["location"] == f"/t/{t.slug}/", evil


async def test_other_tenant_is_not_found(make_tenant):
    a = await make_tenant()
    b = await make_tenant()
    item_b = await create_item(b.ctx, SYSTEM, entry_id=b.entry_id, agency_id=b.agency_ids[0])
    async with client() as c:
        assert (await login(c, a.slug)).status_code == 303
        for path in (
            f"/t/{b.slug}/items",
            f"/t/{b.slug}/items/{item_b.id}",
            f"/t/{a.slug}/items/{item_b.id}",
            "/t/no-such-tenant/items",
        ):
            r = await c.get(path, follow_redirects=False)
            assert r.status_code == 404, path
            assert "页面不存在" in r.text
            assert item_b.impl_code not in r.text
        # From htmx, the message goes into the page's message area.
        r = await c.get(f"/t/{b.slug}/items", headers=HX)
        assert r.status_code == 404
        assert r.headers["hx-retarget"] == "#flash"
        assert "<html" not in r.text and "页面不存在" in r.text


async def test_list_filters_by_type_and_search(make_tenant):
    t = await make_tenant()
    licensing, filing = await two_items(t)
    async with client() as c:
        await login(c, t.slug)
        everything = await c.get(f"/t/{t.slug}/items")
        assert "共 2 项" in everything.text
        assert "行政许可" in everything.text and "行政备案" in everything.text

        by_type = await c.get(f"/t/{t.slug}/items", params={"item_type": "filing"})
        assert "共 1 项" in by_type.text
        assert "另一个备案事项" in by_type.text
        assert f'/items/{licensing.id}"' not in by_type.text
        assert '<option value="filing" selected' in by_type.text

        search = await c.get(f"/t/{t.slug}/items", params={"q": "备案"})
        assert "共 1 项" in search.text
        assert f'/items/{filing.id}"' in search.text

        # Values that mean nothing are ignored, not an error page.
        junk = await c.get(
            f"/t/{t.slug}/items",
            params={"item_type": "nonsense", "agency_id": "abc", "page": "-3", "page_size": "7"},
        )
        assert junk.status_code == 200
        assert "共 2 项" in junk.text


async def test_htmx_request_gets_only_the_results_block(make_tenant):
    t = await make_tenant()
    licensing, _ = await two_items(t)
    async with client() as c:
        await login(c, t.slug)
        r = await c.get(f"/t/{t.slug}/items", params={"item_type": "licensing"}, headers=HX)
        assert r.status_code == 200
        assert "<html" not in r.text and "<form" not in r.text
        assert "共 1 项" in r.text
        assert f'/items/{licensing.id}"' in r.text
        assert "HX-Request" in r.headers["vary"]
        # A history restore needs the whole page again.
        restore = await c.get(
            f"/t/{t.slug}/items", headers=HX | {"HX-History-Restore-Request": "true"}
        )
        assert "<html" in restore.text


async def test_list_paginates_with_links_that_keep_filters(make_tenant):
    t = await make_tenant()
    for i in range(3):
        entry = await create_catalog_entry(
            t.ctx, SYSTEM, sample_entry_document(f"00010200{i}", f"分页事项{i}")
        )
        await create_item(t.ctx, SYSTEM, entry_id=entry.id, agency_id=t.agency_ids[0])
    async with client() as c:
        await login(c, t.slug)
        r = await c.get(f"/t/{t.slug}/items", params={"q": "分页", "page_size": "20"})
        assert "共 3 项" in r.text
        assert "下一页" not in r.text


async def test_post_without_csrf_token_is_refused(make_tenant):
    t = await make_tenant()
    async with client() as c:
        refused = await c.post(
            f"/t/{t.slug}/login", data={"username": "clerk", "password": PASSWORD}
        )
        assert refused.status_code == 403
        assert "请刷新页面" in refused.text

        await login(c, t.slug)
        logout = await c.post(f"/t/{t.slug}/logout", follow_redirects=False)
        assert logout.status_code == 403
        assert (await c.get(f"/t/{t.slug}/items")).status_code == 200  # still signed in

        # htmx sends the token in a header (hx-headers on <body>).
        page = await c.get(f"/t/{t.slug}/items")
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
        out = await c.post(
            f"/t/{t.slug}/logout", headers={"X-CSRFToken": token}, follow_redirects=False
        )
        assert out.status_code == 303
        after = await c.get(f"/t/{t.slug}/items", follow_redirects=False)
        assert after.status_code == 303


async def test_detail_shows_every_element_group(make_tenant):
    t = await make_tenant()
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    async with client() as c:
        await login(c, t.slug)
        r = await c.get(f"/t/{t.slug}/items/{item.id}")
    assert r.status_code == 200
    text = r.text
    assert "样例许可事项" in text
    for title in ("基本信息", "设定依据", "申请材料", "办理流程", "办理时限", "收费", "常见问题"):
        assert f"<h2>{title}</h2>" in text, title
    assert "中华人民共和国行政许可法" in text  # legal basis table
    assert "申请书" in text  # materials table
    assert "申请表格" in text  # material type label, not "form"
    assert "20个工作日" in text  # statutory limit
    assert "承诺件" in text  # case type label
    assert "草稿" in text and "版本记录" in text
    assert item.impl_code in text


async def test_role_guard_and_platform_admin(make_tenant, unique):
    t = await make_tenant()
    admin = await create_user(None, SYSTEM, f"ops{unique}", "运维人员", PASSWORD)
    await grant_role(None, SYSTEM, admin.id, Role.platform_admin)
    async with client() as c:
        await login(c, t.slug)
        assert (await c.get("/admin", follow_redirects=False)).status_code == 403

    async with client() as c:
        assert (await c.get("/admin", follow_redirects=False)).status_code == 303
        page = await c.get("/admin/login")
        wrong = await c.post(
            "/admin/login",
            data={"username": "clerk", "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        )
        assert "用户名或密码错误" in wrong.text  # tenant users cannot sign in here
        ok = await c.post(
            "/admin/login",
            data={
                "username": f"ops{unique}",
                "password": PASSWORD,
                "_csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        assert ok.headers["location"] == "/admin"
        home = await c.get("/admin")
        assert home.status_code == 200
        assert t.slug in home.text and "平台管理员" in home.text
        # A platform admin is no member of any tenant.
        assert (await c.get(f"/t/{t.slug}/items")).status_code == 404


async def test_forged_session_cookie_is_ignored(make_tenant):
    t = await make_tenant()
    async with client() as c:
        await login(c, t.slug)
        value = c.cookies.get("qingdan_session")
        payload, _, signature = value.partition(".")
        c.cookies.set("qingdan_session", payload + "x." + signature)
        r = await c.get(f"/t/{t.slug}/items", follow_redirects=False)
        assert r.status_code == 303


async def test_session_ends_after_max_age_however_busy(make_tenant, monkeypatch):
    import qingdan.web.guards as guards

    t = await make_tenant()
    async with client() as c:
        await login(c, t.slug)
        assert (await c.get(f"/t/{t.slug}/items")).status_code == 200
        later = time.time() + c.app.state.settings.session_max_age + 60
        # Only the sign-in time check sees the future; the cookie itself is still valid.
        monkeypatch.setattr(guards, "time", SimpleNamespace(time=lambda: later))
        r = await c.get(f"/t/{t.slug}/items", follow_redirects=False)
        assert r.status_code == 303
        assert "/login" in r.headers["location"]


def test_install_assets_copies_vendor_files(tmp_path):
    from qingdan.web.assets import VENDOR_FILES, install_assets

    (tmp_path / "package.json").write_text("{}")
    for source in VENDOR_FILES.values():
        path = tmp_path / "node_modules" / source
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {source} */")
    vendor = tmp_path / "vendor"
    copied = install_assets(tmp_path, run_npm=False, vendor_dir=vendor)
    assert sorted(p.name for p in copied) == sorted(VENDOR_FILES)
    assert (vendor / "htmx.min.js").read_text() == "/* htmx.org/dist/htmx.min.js */"
