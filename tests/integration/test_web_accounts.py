"""开户: the office the plugin names opens clerk and reviewer accounts, and nothing else.

金昌 第六条: 市大数据中心对实施机构分配信息员、审核员账号 (qingdan_account_allocation).
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.tenancy.services import list_users
from qingdan.core.testing import PASSWORD
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')
NEW_PASSWORD = "Kaihu-2026-strong"


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


async def open_account(c, slug: str, **fields):
    page = await c.get(f"/t/{slug}/accounts/")
    assert page.status_code == 200, page.text
    data = {"password": NEW_PASSWORD, "_csrf_token": csrf_from(page.text), **fields}
    return await c.post(f"/t/{slug}/accounts/", data=data, follow_redirects=False)


async def grants_of(t, username: str) -> list[tuple[str, int | None]]:
    users = {u["username"]: u for u in await list_users(t.tenant_id)}
    if username not in users:
        return []
    return [(g["role"], g["agency"]) for g in users[username]["grants"]]


async def test_jinchang_data_center_opens_a_clerk_account_at_one_agency(make_tenant, unique):
    t = await make_tenant(plugin="jinchang")
    agency = t.agency_ids[1]
    async with client() as c:
        await login(c, t.slug, "data_center")
        home = await c.get(f"/t/{t.slug}/")
        assert f'href="/t/{t.slug}/accounts"' in home.text  # the nav offers it
        page = await c.get(f"/t/{t.slug}/accounts/")
        assert "第六条" in page.text
        assert 'value="clerk"' in page.text and 'value="agency_reviewer"' in page.text
        assert 'value="tenant_admin"' not in page.text
        r = await open_account(
            c,
            t.slug,
            username=f"xx{unique}",
            display_name="新信息员",
            role="clerk",
            agency_id=str(agency),
        )
        assert r.status_code == 303, r.text
        listed = await c.get(r.headers["location"])
        assert f"xx{unique}" in listed.text and "账号已开设" in listed.text
    assert await grants_of(t, f"xx{unique}") == [("clerk", agency)]
    # The new clerk signs in with the initial password.
    async with client() as c:
        page = await c.get(f"/t/{t.slug}/login")
        r = await c.post(
            f"/t/{t.slug}/login",
            data={
                "username": f"xx{unique}",
                "password": NEW_PASSWORD,
                "_csrf_token": csrf_from(page.text),
            },
            follow_redirects=False,
        )
        assert r.status_code == 303


async def test_the_data_center_may_not_grant_other_roles_or_skip_the_agency(make_tenant, unique):
    t = await make_tenant(plugin="jinchang")
    # Made before the client opens: while it is open the app owns the database pool.
    other = await make_tenant(plugin="jinchang")
    async with client() as c:
        await login(c, t.slug, "data_center")
        admin = await open_account(
            c, t.slug, username=f"ad{unique}", role="tenant_admin", agency_id=str(t.agency_ids[0])
        )
        assert admin.status_code == 400 and "只能分配以下角色" in admin.text
        no_agency = await open_account(c, t.slug, username=f"na{unique}", role="agency_reviewer")
        assert no_agency.status_code == 400 and "请选择实施机构" in no_agency.text
        foreign = await open_account(
            c, t.slug, username=f"fo{unique}", role="clerk", agency_id=str(other.agency_ids[0])
        )
        assert foreign.status_code == 400
    # All or nothing: no user was left without its role.
    for name in (f"ad{unique}", f"na{unique}", f"fo{unique}"):
        assert await grants_of(t, name) == []
        assert name not in {u["username"] for u in await list_users(t.tenant_id)}


@pytest.mark.parametrize("plugin,username", [("sample", "data_center"), ("jinchang", "clerk")])
async def test_only_the_office_the_plugin_names_may_open_accounts(make_tenant, plugin, username):
    t = await make_tenant(plugin=plugin)
    async with client() as c:
        await login(c, t.slug, username)
        page = await c.get(f"/t/{t.slug}/accounts/")
        assert page.status_code == 403
        home = await c.get(f"/t/{t.slug}/")
        assert f'href="/t/{t.slug}/accounts"' not in home.text
