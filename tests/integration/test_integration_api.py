"""The integration API with a tenant's token: what each role may read and submit,
and that a token of another tenant, a revoked one or none gets nothing."""

from __future__ import annotations

import json
from contextlib import asynccontextmanager

import pytest
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.tables import CatalogEntry
from qingdan.core.imports.tables import ApiToken, ImportBatch
from qingdan.core.imports.tokens import create_token, revoke_token
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import submitted_claim
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


async def token_for(t, role: str) -> str:
    admin = await tenancy.load_principal(t.users["tenant_admin"])
    _row, token = await create_token(t.ctx, admin, f"{role}令牌", role)
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def release(entries: list, **meta) -> bytes:
    body = {"format": "qingdan.catalog-release", "source": "provincial", "entries": entries}
    return json.dumps(body | meta, ensure_ascii=False).encode()


async def test_a_data_center_token_reads_the_tenant_and_submits_a_release(make_tenant):
    t = await make_tenant()
    item, cr = await submitted_claim(t)
    token = await token_for(t, "data_center")
    api = f"/api/v1/integration/{t.slug}"
    async with client() as c:
        catalog = (await c.get(f"{api}/catalog", headers=bearer(token))).json()
        assert [e["base_code"] for e in catalog["entries"]] == ["000101001"]
        items = (await c.get(f"{api}/items", headers=bearer(token))).json()
        assert [i["id"] for i in items["items"]] == [item.id]  # in review: not public, but here
        one = (await c.get(f"{api}/items/{item.id}", headers=bearer(token))).json()
        assert one["current"]["name"] == "样例许可事项" and one["published"] is None
        changes = (await c.get(f"{api}/changes", headers=bearer(token))).json()
        assert [(x["id"], x["kind"], x["status"]) for x in changes] == [
            (cr.id, "claim", "in_review")
        ]
        body = release(
            [
                {
                    "base_code": "000801001",
                    "name": "接口下发的事项",
                    "item_type": "licensing",
                    "levels": ["municipal"],
                    "department": "市场监督管理局",
                }
            ],
            title="接口第一批",
        )
        r = await c.post(f"{api}/releases", content=body, headers=bearer(token))
        assert r.status_code == 201, r.text
        result = r.json()
        assert result["applied"] and result["batch_number"] == 1 and result["counts"]["new"] == 1
        again = await c.post(f"{api}/releases", content=body, headers=bearer(token))
        assert again.status_code == 200 and not again.json()["applied"]
        batches = (await c.get(f"{api}/releases", headers=bearer(token))).json()
        assert [(b["number"], b["via"]) for b in batches] == [(1, "api")]
    assert await t.ctx.scope.count(CatalogEntry) == 2


async def test_a_bad_release_gets_422_with_every_entry_and_changes_nothing(make_tenant):
    t = await make_tenant()
    token = await token_for(t, "tenant_admin")
    api = f"/api/v1/integration/{t.slug}"
    bad = release(
        [
            {
                "base_code": "000802001",
                "name": "",
                "item_type": "licensing",
                "levels": ["municipal"],
            },
            {
                "base_code": "000802002",
                "name": "乙",
                "item_type": "licensing",
                "levels": ["火星级"],
            },
        ]
    )
    # levels as a text instead of a list does not fit the documented shape either:
    # the answer is the same row report.
    misshapen = release(
        [{"base_code": "000802003", "name": "丙", "item_type": "licensing", "levels": "county"}]
    )
    async with client() as c:
        r = await c.post(f"{api}/releases", content=bad, headers=bearer(token))
        r2 = await c.post(f"{api}/releases", content=misshapen, headers=bearer(token))
    assert r.status_code == 422
    body = r.json()
    assert body["status_code"] == 422 and "未导入任何内容" in body["detail"]
    assert {(e["row"], e["column"]) for e in body["errors"]} == {(1, "name"), (2, "levels")}
    assert body["errors"][0]["where"] == "第1条"
    assert r2.status_code == 422
    assert [(e["row"], e["column"]) for e in r2.json()["errors"]] == [(1, "levels")]
    assert await t.ctx.scope.count(ImportBatch) == 0
    assert await t.ctx.scope.count(CatalogEntry) == 1


async def test_wrong_tenant_role_revoked_or_missing_tokens_are_refused(make_tenant):
    t = await make_tenant()
    other = await make_tenant()
    reader = await token_for(t, "service_center")
    foreign = await token_for(other, "data_center")
    revoked = await token_for(t, "data_center")
    admin = await tenancy.load_principal(t.users["tenant_admin"])
    token_row = (await t.ctx.scope.select(ApiToken).where(ApiToken.name == "data_center令牌"))[0]
    await revoke_token(t.ctx, admin, token_row["id"])
    api = f"/api/v1/integration/{t.slug}"
    body = release(
        [{"base_code": "000803001", "name": "甲", "item_type": "filing", "levels": ["municipal"]}]
    )
    async with client() as c:
        assert (await c.get(f"{api}/catalog", headers=bearer(reader))).status_code == 200
        refused = await c.post(f"{api}/releases", content=body, headers=bearer(reader))
        assert refused.status_code == 403 and "政务服务中心" in refused.json()["detail"]
        for headers in (bearer(foreign), bearer(revoked), {}, {"Authorization": "Basic eDp5"}):
            r = await c.get(f"{api}/catalog", headers=headers)
            assert r.status_code == 401, headers
            assert r.headers["www-authenticate"].startswith("Bearer")
        r = await c.post(f"{api}/releases", content=body, headers=bearer(foreign))
        assert r.status_code == 401
        # The other tenant's own data is not reachable with this tenant's token either.
        r = await c.get(f"/api/v1/integration/{other.slug}/catalog", headers=bearer(reader))
        assert r.status_code == 401
    assert await t.ctx.scope.count(ImportBatch) == 0


async def test_the_openapi_schema_documents_the_integration_api_beside_the_open_one():
    async with client() as c:
        schema = (await c.get("/api/schema/openapi.json")).json()
    paths = schema["paths"]
    assert "/api/v1/tenants/{slug}/items" in paths  # the open API is still there
    post = paths["/api/v1/integration/{slug}/releases"]["post"]
    assert post["security"] == [{"BearerToken": []}]
    assert {"201", "401", "403", "422"} <= set(post["responses"])
    assert "requestBody" in post
    assert "/api/v1/integration/{slug}/changes" in paths
    scheme = schema["components"]["securitySchemes"]["BearerToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert not [p for p in paths if not p.startswith("/api/")]
