"""Platform administration: a platform administrator creates a tenant with its
first tenant administrator from the page, sees it listed, and switches it off
and on; nobody else may.
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from html import unescape

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.audit.services import entries_for
from qingdan.core.tenancy.schemas import Role
from qingdan.core.tenancy.services import create_user, grant_role, list_tenants, list_users
from qingdan.core.testing import PASSWORD, SYSTEM
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


def field_error(html: str, error_id: str) -> str | None:
    match = re.search(rf'<p class="form-error" id="{error_id}" role="alert">(.*?)</p>', html)
    return unescape(match.group(1)) if match else None


async def sign_in(c, path: str, username: str, password: str = PASSWORD) -> None:
    page = await c.get(f"{path}/login")
    r = await c.post(
        f"{path}/login",
        data={"username": username, "password": password, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


async def post(c, target: str, data: dict):
    page = await c.get("/admin")
    assert page.status_code == 200, page.text
    return await c.post(
        target, data={**data, "_csrf_token": csrf_from(page.text)}, follow_redirects=False
    )


@pytest.fixture
async def operator(database, unique):
    username = f"ops{unique}"
    user = await create_user(None, SYSTEM, username, "运维人员", PASSWORD)
    await grant_role(None, SYSTEM, user.id, Role.platform_admin)
    return username


def new_tenant(unique: str, **changes: str) -> dict[str, str]:
    return {
        "name": "示例县",
        "slug": f"county{unique}",
        "plugin": "anyang",
        "admin_username": "county-admin",
        "admin_display_name": "县管理员",
        "admin_password": "a-long-password",
    } | changes


async def test_platform_admin_creates_a_tenant_whose_admin_can_sign_in(operator, unique):
    form = new_tenant(unique)
    async with client() as c:
        await sign_in(c, "/admin", operator)
        page = await c.get("/admin")
        # The plugin is chosen from the installed jurisdiction plugins.
        for name in ("jinchang", "anyang", "shuozhou"):
            assert f'<option value="{name}"' in page.text
        r = await post(c, "/admin/tenants", form)
        assert r.status_code == 303, r.text
        listed = await c.get(r.headers["location"])
        assert "已创建租户及其租户管理员" in listed.text
        assert f"<code>{form['slug']}</code>" in listed.text

    tenant = next(t for t in await list_tenants() if t["slug"] == form["slug"])
    assert tenant["plugin"] == "anyang" and tenant["name"] == "示例县" and tenant["active"]
    [admin] = await list_users(tenant["id"])
    assert admin["username"] == "county-admin"
    assert [g["role"] for g in admin["grants"]] == [Role.tenant_admin.value]
    actions = [e["action"] for e in await entries_for(tenant["id"], "tenant", tenant["id"])]
    assert actions == ["tenant.create"]

    # The new tenant's administrator signs in and reaches the administration pages.
    async with client() as c:
        await sign_in(c, f"/t/{form['slug']}", "county-admin", "a-long-password")
        assert (await c.get(f"/t/{form['slug']}/admin/users")).status_code == 200


async def test_refused_form_names_each_field_in_chinese_and_creates_nothing(operator, unique):
    bad = new_tenant(
        unique,
        name=" ",
        slug="Bad Slug",
        plugin="atlantis",
        admin_username="x",
        admin_password="123",
    )
    async with client() as c:
        await sign_in(c, "/admin", operator)
        r = await post(c, "/admin/tenants", bad)
        assert r.status_code == 400
        assert field_error(r.text, "tenant-name-error") == "请填写租户名称"
        assert "小写字母" in field_error(r.text, "tenant-slug-error")
        assert "未安装辖区插件“atlantis”" in field_error(r.text, "tenant-plugin-error")
        assert "用户名" in field_error(r.text, "tenant-admin-username-error")
        assert "密码至少需要8个字符" == field_error(r.text, "tenant-admin-password-error")
        # What was typed stays, except the password.
        assert 'value="Bad Slug"' in r.text
        assert "123" not in re.findall(r'name="admin_password"[^>]*>', r.text)[0]

        # A slug already in use is named on its field; nothing half-made is left.
        taken = new_tenant(unique)
        assert (await post(c, "/admin/tenants", taken)).status_code == 303
        again = await post(c, "/admin/tenants", new_tenant(unique, name="另一个县"))
        assert again.status_code == 400
        assert field_error(again.text, "tenant-slug-error") == f"租户标识“{taken['slug']}”已被使用"
    names = [t["name"] for t in await list_tenants()]
    assert "另一个县" not in names and " " not in names


async def test_deactivated_tenant_is_gone_for_its_users_until_activated(operator, make_tenant):
    t = await make_tenant()
    async with client() as c:
        await sign_in(c, "/admin", operator)
        off = await post(c, f"/admin/tenants/{t.tenant_id}/active", {"active": "0"})
        assert off.status_code == 303
        page = await c.get(off.headers["location"])
        assert "已停用租户" in page.text
        row = page.text.split(f'id="tenant-{t.tenant_id}"')[1].split("</tr>")[0]
        assert "停用" in row and ">启用<" in row  # its button now offers 启用

    async with client() as c:
        assert (await c.get(f"/t/{t.slug}/login")).status_code == 404
        assert (await c.get(f"/p/{t.slug}/")).status_code == 404

    async with client() as c:
        await sign_in(c, "/admin", operator)
        assert (
            await post(c, f"/admin/tenants/{t.tenant_id}/active", {"active": "1"})
        ).status_code == 303
    async with client() as c:
        await sign_in(c, f"/t/{t.slug}", "clerk")
        assert (await c.get(f"/t/{t.slug}/items")).status_code == 200
    actions = [e["action"] for e in await entries_for(t.tenant_id, "tenant", t.tenant_id)]
    assert actions[-2:] == ["tenant.deactivate", "tenant.activate"]


@pytest.mark.parametrize("username", ["tenant_admin", "clerk"])
async def test_only_platform_admins_create_or_switch_tenants(make_tenant, unique, username):
    t = await make_tenant()
    async with client() as c:
        await sign_in(c, f"/t/{t.slug}", username)
        page = await c.get(f"/t/{t.slug}/items")
        token = csrf_from(page.text)
        created = await c.post(
            "/admin/tenants",
            data={**new_tenant(unique), "_csrf_token": token},
            follow_redirects=False,
        )
        assert created.status_code == 403
        switched = await c.post(
            f"/admin/tenants/{t.tenant_id}/active",
            data={"active": "0", "_csrf_token": token},
            follow_redirects=False,
        )
        assert switched.status_code == 403
    assert f"county{unique}" not in [x["slug"] for x in await list_tenants()]
    assert next(x for x in await list_tenants() if x["id"] == t.tenant_id)["active"]


async def test_tenant_forms_need_the_csrf_token(operator, unique):
    async with client() as c:
        await sign_in(c, "/admin", operator)
        r = await c.post("/admin/tenants", data=new_tenant(unique), follow_redirects=False)
        assert r.status_code == 403
    assert f"county{unique}" not in [x["slug"] for x in await list_tenants()]
