"""The tenant administrator's pages: divisions, agencies, users and roles, the
plugin's settings form, and who may see them.

Data is set up before the client opens and checked after it closes (the app
rebinds the database engine on startup).
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from html import unescape

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.codes import USCC
from qingdan.core.tenancy.context import load_context
from qingdan.core.tenancy.services import list_agencies, list_divisions, list_users
from qingdan.core.testing import PASSWORD
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
PAGES = ["/", "/divisions", "/agencies", "/users", "/settings"]


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(c, slug: str, username: str = "tenant_admin", password: str = PASSWORD):
    page = await c.get(f"/t/{slug}/login")
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": password, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r


def url(t, rest: str = "") -> str:
    return f"/t/{t.slug}/admin{rest}"


async def post_form(c, page_url: str, target: str, data: dict | None = None):
    """POST ``data`` with the CSRF token of ``page_url``, as the page's form would."""
    page = await c.get(page_url)
    assert page.status_code == 200, page.text
    return await c.post(
        target,
        data={**(data or {}), "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )


def field_error(html: str, error_id: str) -> str:
    match = re.search(rf'<p class="form-error" id="{error_id}" role="alert">(.*?)</p>', html)
    assert match, f"no error {error_id}"
    return unescape(match.group(1))


def nav_of(html: str) -> str:
    return html.split('class="main-nav"')[1].split("</ul>")[0]


async def test_overview_links_every_page_and_the_nav_shows_it(make_tenant):
    t = await make_tenant()
    async with client() as c:
        await login(c, t.slug)
        r = await c.get(url(t, "/"))
    assert r.status_code == 200
    for rest in ("/divisions", "/agencies", "/users", "/settings", "/calendar"):
        assert f'href="{url(t, rest)}"' in r.text
    nav = nav_of(r.text)
    assert "管理</a>" in nav and f'href="{url(t, "/")}"' in nav


async def test_add_a_division_and_an_agency(make_tenant):
    t = await make_tenant()
    divisions = await list_divisions(t.ctx.scope)
    county = next(d for d in divisions if d["id"] == t.county_division_id)
    town_code = county["code"][:6] + "101000"
    uscc = USCC.compose("1", "1", county["code"][:6], f"{t.tenant_id % 1000:03d}99999").value
    bad_uscc = uscc[:-1] + ("0" if uscc[-1] != "0" else "1")
    async with client() as c:
        await login(c, t.slug)
        page = url(t, "/divisions")
        r = await post_form(
            c, page, page, {"code": town_code, "name": "样例镇", "parent_code": county["code"]}
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == url(t, "/divisions?done=division")
        shown = (await c.get(r.headers["location"])).text
        assert "已新增行政区划" in shown
        tree = shown.split('id="division-tree"')[1].split("</table>")[0]
        assert "样例镇" in tree and f"<code>{town_code}</code>" in tree
        assert "padding-left: 3.75rem" in tree  # city, county, town: two levels in
        # A code outside the parent, and a bad code: 400, the message at the field.
        outside = await post_form(
            c, page, page, {"code": "110101000000", "name": "外地", "parent_code": county["code"]}
        )
        assert outside.status_code == 400
        assert "不在上级“样例县”范围内" in field_error(outside.text, "code-error")
        assert 'value="110101000000"' in outside.text
        empty = await post_form(
            c,
            page,
            page,
            {"code": town_code[:6] + "102000", "name": "", "parent_code": county["code"]},
        )
        assert empty.status_code == 400
        assert field_error(empty.text, "name-error") == "行政区划名称不能为空"

        page = url(t, "/agencies")
        form = await c.get(page)
        assert '<option value="authorized">授权组织</option>' in form.text
        agency = {
            "name": "样例镇人民政府",
            "uscc": uscc,
            "nature": "authorized",
            "division_id": str(t.county_division_id),
            "parent_id": str(t.agency_ids[2]),
        }
        r = await post_form(c, page, page, agency)
        assert r.status_code == 303, r.text
        listed = (await c.get(r.headers["location"])).text
        assert "已新增实施机构" in listed
        row = listed.split("样例镇人民政府")[1].split("</tr>")[0]
        assert f"<code>{uscc}</code>" in row and "授权组织" in row and "样例县" in row

        bad = await post_form(c, page, page, agency | {"name": "另一机构", "uscc": bad_uscc})
        assert bad.status_code == 400
        assert "校验位错误" in field_error(bad.text, "uscc-error")
        assert f'value="{bad_uscc}"' in bad.text
        taken = await post_form(c, page, page, agency | {"name": "重复机构"})
        assert taken.status_code == 400 and "已被其他机构使用" in field_error(
            taken.text, "uscc-error"
        )

    codes = {d["code"] for d in await list_divisions(t.ctx.scope)}
    assert town_code in codes and "110101000000" not in codes
    agencies = {a["name"]: a for a in await list_agencies(t.ctx.scope)}
    new = agencies["样例镇人民政府"]
    assert new["nature"] == "authorized" and new["parent"] == t.agency_ids[2]
    assert "另一机构" not in agencies and "重复机构" not in agencies


async def test_create_a_user_grant_a_clerk_role_and_sign_in(make_tenant):
    t = await make_tenant()
    async with client() as c:
        await login(c, t.slug)
        page = url(t, "/users")
        listed = (await c.get(page)).text
        assert "信息员(" in listed  # the fixture's clerk, with its agency
        r = await post_form(
            c,
            page,
            page,
            {
                "username": "zhang.san",
                "display_name": "张三",
                "email": "zhangsan@example.cn",
                "password": "new-password-9",
            },
        )
        assert r.status_code == 303, r.text
        assert "已新增用户" in (await c.get(r.headers["location"])).text
        weak = await post_form(
            c, page, page, {"username": "li.si", "display_name": "李四", "password": "x"}
        )
        assert weak.status_code == 400 and "密码至少需要" in field_error(
            weak.text, "password-error"
        )
        taken = await post_form(
            c, page, page, {"username": "zhang.san", "password": "new-password-9"}
        )
        assert taken.status_code == 400
        assert "已存在" in field_error(taken.text, "username-error")
    users = {u["username"]: u for u in await list_users(t.tenant_id)}
    assert "li.si" not in users
    zhang = users["zhang.san"]
    assert zhang["grants"] == [] and zhang["email"] == "zhangsan@example.cn"

    async with client() as c:
        await login(c, t.slug)
        page = url(t, "/users")
        # A clerk needs an agency.
        refused = await post_form(
            c, page, url(t, "/grants"), {"user_id": str(zhang["id"]), "role": "clerk"}
        )
        assert refused.status_code == 400
        assert field_error(refused.text, "grant-agency-error") == "信息员必须指定所属实施机构"
        r = await post_form(
            c,
            page,
            url(t, "/grants"),
            {"user_id": str(zhang["id"]), "role": "clerk", "agency_id": str(t.agency_ids[1])},
        )
        assert r.status_code == 303, r.text
        listed = (await c.get(r.headers["location"])).text
        assert "已授予角色" in listed
        row = listed.split("<code>zhang.san</code>")[1].split("</tr>")[0]
        assert f"信息员({t.slug}卫生健康局)" in row

    async with client() as c:
        await login(c, t.slug, "zhang.san", "new-password-9")
        home = await c.get(f"/t/{t.slug}/")
        assert home.status_code == 200
        nav = nav_of(home.text)
        assert "认领" in nav and "管理</a>" not in nav
    grants = {u["username"]: u["grants"] for u in await list_users(t.tenant_id)}["zhang.san"]
    assert [(g["role"], g["agency"]) for g in grants] == [("clerk", t.agency_ids[1])]


async def test_settings_form_of_the_sample_plugin(make_tenant):
    t = await make_tenant()
    page = url(t, "/settings")
    async with client() as c:
        await login(c, t.slug)
        form = (await c.get(page)).text
        assert "大厅更新时限(工作日)" in form and "本地特色主题" in form
        assert re.search(
            r'<input id="setting-hall_update_days" type="number" name="hall_update_days" '
            r'value="5" min="1" max="60" required>',
            form,
        )
        assert '<textarea id="setting-local_themes" name="local_themes"' in form

        r = await post_form(
            c, page, page, {"hall_update_days": "7", "local_themes": "  丝路文化\n\n镍都特色\n"}
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"] == url(t, "/settings?done=settings")
        saved = (await c.get(r.headers["location"])).text
        assert "已保存辖区插件设置" in saved
        assert 'name="hall_update_days" value="7"' in saved
        assert ">丝路文化\n镍都特色</textarea>" in saved

        refused = await post_form(c, page, page, {"hall_update_days": "0", "local_themes": ""})
        assert refused.status_code == 400
        message = field_error(refused.text, "setting-hall_update_days-error")
        assert "大厅更新时限(工作日)" in message and "不能小于1" in message
        assert 'name="hall_update_days" value="0"' in refused.text
        empty = await post_form(c, page, page, {"hall_update_days": ""})
        assert empty.status_code == 400
        assert "大厅更新时限(工作日)" in field_error(empty.text, "setting-hall_update_days-error")
    ctx = await load_context(tenant_id=t.tenant_id)
    assert ctx.settings.hall_update_days == 7
    assert ctx.settings.local_themes == ["丝路文化", "镍都特色"]


async def test_settings_form_of_jinchang(make_tenant):
    t = await make_tenant(plugin="jinchang")
    page = url(t, "/settings")
    async with client() as c:
        await login(c, t.slug)
        form = (await c.get(page)).text
        assert "网办率目标(%)" in form and "认领后完善要素时限(工作日,0为当日)" in form
        assert 'name="online_rate_target" value="100" min="0" max="100"' in form
        values = {
            "hall_update_days": "3",
            "guide_update_days": "10",
            "claim_completion_days": "0",
            "online_rate_target": "90",
            "full_online_rate_target": "80",
        }
        r = await post_form(c, page, page, values)
        assert r.status_code == 303, r.text
        too_high = await post_form(c, page, page, values | {"online_rate_target": "101"})
        assert too_high.status_code == 400
        assert "网办率目标(%)" in field_error(too_high.text, "setting-online_rate_target-error")
    ctx = await load_context(tenant_id=t.tenant_id)
    assert ctx.settings.hall_update_days == 3 and ctx.settings.online_rate_target == 90


async def test_only_the_tenant_admin_of_this_tenant(make_tenant):
    t = await make_tenant()
    other = await make_tenant()
    async with client() as c:
        await login(c, t.slug, "clerk")
        nav = nav_of((await c.get(f"/t/{t.slug}/")).text)
        assert "管理</a>" not in nav
        for rest in PAGES:
            assert (await c.get(url(t, rest))).status_code == 403, rest
        r = await post_form(c, f"/t/{t.slug}/", url(t, "/settings"), {"hall_update_days": "9"})
        assert r.status_code == 403
    async with client() as c:
        await login(c, other.slug)
        for rest in PAGES:
            assert (await c.get(url(other, rest))).status_code == 200, rest
            assert (await c.get(url(t, rest))).status_code == 404, rest
        r = await post_form(
            c, f"/t/{other.slug}/", url(t, "/divisions"), {"code": "990199000000", "name": "x"}
        )
        assert r.status_code == 404
        r = await post_form(c, f"/t/{other.slug}/", url(t, "/settings"), {"hall_update_days": "9"})
        assert r.status_code == 404
    ctx = await load_context(tenant_id=t.tenant_id)
    assert ctx.settings.hall_update_days == 5
