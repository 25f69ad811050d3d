"""Tenants never see or touch each other's data: every route, every role.

Two tenants, A and B, each hold an object of every kind a route takes an id
of (tests/integration/security_world.py). The routes are read from the app
itself (``create_app().routes``), so a route added later is covered without
editing this file, and one whose path parameter names an object the world
does not build fails loudly until the world builds it.

Signed in as each role of A (and as a platform administrator, and as nobody):

- by id: A's URL with B's ids (``/t/{A}/items/{B's item}``) is refused;
- by URL: B's URL (``/t/{B}/...``) with A's session is refused;
- by code: A's lists and searches asked for B's codes and ids show none of B;
- by form: A's own objects posted with B's ids in the form leave B untouched
  and A's pages show nothing of B afterwards.

Refused means 403, 404 or a redirect to sign in: never a 2xx with B's data,
never a 5xx. Every response is also searched for B's marker (a string only B's
data holds), including inside xlsx and PDF downloads. At the end B's audit
trail has not grown and B's users hold the same grants.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import pytest
import security_world as sw
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.lists import list_specs
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.schemas import Role
from qingdan.core.testing import PASSWORD, SYSTEM
from qingdan.web.app import CSRF_COOKIE, CSRF_HEADER
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

#: Routes open to anyone, by path. A route without any guard must be one of
#: these: a page under /t/ or /admin registered without its controller's guards
#: fails the suite.
PUBLIC = re.compile(
    r"^(/|/(t/\{slug:str\}|admin)/(login|logout)|/p/.*|/api/.*|/healthz|/readyz|/metrics)$"
)
#: Sign-in and sign-out: they act on the caller's own session only.
AUTH = re.compile(r"/(login|logout)$")
#: Platform administration: a platform administrator's own pages.
PLATFORM = re.compile(r"^/admin(/|$)")
PLATFORM_ADMIN = "platform_admin"
ANONYMOUS = "anonymous"


def refused(r) -> bool:
    """403, 404, or sent to sign in (a redirect, or htmx's HX-Redirect)."""
    if r.status_code in (401, 403, 404):
        return True
    location = r.headers.get("location", "") or r.headers.get("hx-redirect", "")
    return r.status_code in (200, 302, 303, 307) and "/login" in location


@dataclass
class Finding:
    who: str
    what: str
    method: str
    url: str
    status: int
    why: str

    def __str__(self) -> str:
        return f"{self.who:16} {self.what:8} {self.method} {self.url} -> {self.status}: {self.why}"


class Matrix:
    """One client, a session per principal, the findings of every request."""

    def __init__(self, client: AsyncTestClient, a: sw.World, b: sw.World, kind: str):
        self.c = client
        self.a = a
        self.b = b
        self.kind = kind
        self.findings: list[Finding] = []
        self.requests = 0
        self.tally: Counter[tuple[str, int]] = Counter()

    async def sign_in(self, who: str) -> None:
        self.c.cookies.clear()
        if who == ANONYMOUS:
            await self.c.get(f"/t/{self.a.slug}/login")  # the CSRF cookie only
            return
        if who == PLATFORM_ADMIN:
            url, username = "/admin/login", self.a.extra["platform_admin"]
        else:
            url, username = f"/t/{self.a.slug}/login", who
        await self.c.get(url)
        r = await self.c.post(
            url,
            data={"username": username, "password": PASSWORD},
            headers=self.csrf(),
            follow_redirects=False,
        )
        assert r.status_code == 303, f"{who} cannot sign in: {r.status_code}"

    def csrf(self) -> dict[str, str]:
        token = self.c.cookies.get(CSRF_COOKIE)
        return {CSRF_HEADER: token} if token else {}

    async def call(self, route: sw.Route, url: str, data: dict | None = None):
        self.requests += 1
        if route.writes:
            return await self.c.request(
                route.method, url, data=data or {}, headers=self.csrf(), follow_redirects=False
            )
        return await self.c.request(route.method, url, follow_redirects=False)

    def check(self, who: str, what: str, route: sw.Route, url: str, r, *, must_refuse: bool):
        self.tally[(what, r.status_code)] += 1
        body = r.content
        if r.status_code >= 500:
            self.add(who, what, route, url, r, "server error")
        elif sw.leaks(body, r.headers.get("content-type", ""), self.b.marker):
            self.add(who, what, route, url, r, "shows tenant B's data")
        elif must_refuse and not refused(r):
            self.add(who, what, route, url, r, "not refused")

    def add(self, who, what, route, url, r, why) -> None:
        self.findings.append(Finding(who, what, route.method, url, r.status_code, why))

    def url(self, route: sw.Route, world: sw.World, slug: str | None = None) -> str:
        return sw.fill_path(route, slug or world.slug, world.params, self.kind)


def by_code_query(b: sw.World) -> str:
    """A query asking A's pages for B's objects by code, name and id."""
    p = b.params
    return (
        f"?q={b.item_code}&code={b.entry_code}&agency={p['agency_id']}"
        f"&agency_id={b.extra['marker_agency_id']}&division={p['division_id']}"
        f"&division_id={p['division_id']}&entry={p['entry_id']}&item_id={p['item_id']}"
        f"&campaign={p['campaign_id']}&bundle={p['bundle_id']}"
    )


def body_with_ids(b: sw.World) -> dict[str, str]:
    """A form whose every id field names B's objects (what a forged form would send)."""
    p = b.params
    return {
        "item_id": str(p["item_id"]),
        "item_ids": str(p["item_id"]),
        "entry_id": str(p["entry_id"]),
        "agency_id": str(b.extra["marker_agency_id"]),
        "agency_ids": str(b.extra["marker_agency_id"]),
        "agencies": str(b.extra["marker_agency_id"]),
        "lead_agency_id": str(b.extra["marker_agency_id"]),
        "division_id": str(p["division_id"]),
        "parent_id": str(p["division_id"]),
        "user_id": str(b.t.users["clerk"]),
        "snapshot": str(b.extra["snapshot_id"]),
        "snapshot_id": str(b.extra["snapshot_id"]),
        "bundle_id": str(p["bundle_id"]),
        "campaign_id": str(p["campaign_id"]),
        "role": "clerk",
        "name": "越权测试",
        "reason": "越权测试",
        "kind": "list",
        "mode": "entrusted",
        "seen_version": "1",
        "lock_version": "0",
    }


@pytest.fixture(scope="module")
async def worlds(database):
    """A and B, built once for the module (the PDFs of bulletins are stand-ins)."""
    started = time.monotonic()
    a = await sw.build_world()
    b = await sw.build_world(issues=2)
    username = f"ops{a.marker.lower()}"
    user = await tenancy.create_user(None, SYSTEM, username, "运维人员", PASSWORD)
    await tenancy.grant_role(None, SYSTEM, user.id, Role.platform_admin)
    a.extra["platform_admin"] = username
    print(f"\nworlds built in {time.monotonic() - started:.1f}s")
    return a, b


@pytest.fixture(scope="module")
async def matrix(worlds):
    a, b = worlds
    kinds = [s.kind.value for s in list_specs(a.t.ctx)]
    async with AsyncTestClient(app=shared_app()) as client:
        yield Matrix(client, a, b, kinds[0] if kinds else "none")


@pytest.fixture(scope="module")
def routes(matrix) -> list[sw.Route]:
    return sw.app_routes(matrix.c.app)


async def b_state(b: sw.World) -> tuple[int, dict[str, list]]:
    grants = {}
    for role, user_id in b.t.users.items():
        principal = await tenancy.load_principal(user_id)
        grants[role] = sorted((g.role.value, g.agency_id, g.division_id) for g in principal.grants)
    return await sw.audit_count(b.t.tenant_id), grants


def report(findings: Iterable[Finding]) -> str:
    lines = [str(f) for f in findings]
    return f"{len(lines)} problem(s):\n" + "\n".join(lines[:80])


def test_every_route_without_a_guard_is_public(routes):
    """A page added under /t/ or /admin without its guards would be open to all."""
    open_routes = [r for r in routes if not r.guarded]
    assert open_routes, "the portal and the API are public"
    private = [r.key for r in open_routes if not PUBLIC.match(r.path)]
    assert not private, f"routes without any guard outside the public paths: {private}"


def test_every_path_parameter_names_an_object_of_the_world(routes, matrix):
    """The matrices can fill every route: a new kind of object needs adding to the world."""
    for route in routes:
        sw.fill_path(route, matrix.b.slug, matrix.b.params, matrix.kind)


PRINCIPALS = [*sw.TENANT_ROLES, PLATFORM_ADMIN, ANONYMOUS]


@pytest.mark.parametrize("who", PRINCIPALS)
async def test_tenant_a_cannot_reach_tenant_b(matrix, routes, who):
    a, b = matrix.a, matrix.b
    before = sw.in_app(matrix.c, b_state, b)
    started = time.monotonic()
    await matrix.sign_in(who)
    findings_before = len(matrix.findings)
    query = by_code_query(b)
    form = body_with_ids(b)
    for route in routes:
        if AUTH.search(route.path):
            continue
        public = not route.guarded
        if public:
            # The portal and API are the same for everyone: asked once, anonymously.
            if who != ANONYMOUS:
                continue
            if route.owned_params and "{slug" in route.path:
                url = sw.fill_path(route, a.slug, b.params, matrix.kind)
                r = await matrix.call(route, url)
                matrix.check(who, "by id", route, url, r, must_refuse=True)
            if route.method == "GET" and "{slug" in route.path and not route.owned_params:
                url = matrix.url(route, a) + query
                r = await matrix.call(route, url)
                matrix.check(who, "by code", route, url, r, must_refuse=False)
            continue
        if PLATFORM.match(route.path) and who == PLATFORM_ADMIN:
            continue  # the platform administrator's own pages (they hold no tenant data)
        # By URL: B's own address, with A's session (or none).
        url = matrix.url(route, b)
        r = await matrix.call(route, url, form)
        matrix.check(who, "by url", route, url, r, must_refuse=True)
        if not route.tenant_page:
            continue
        if route.owned_params:
            # By id: A's address, B's objects.
            url = sw.fill_path(route, a.slug, b.params, matrix.kind)
            r = await matrix.call(route, url, form)
            matrix.check(who, "by id", route, url, r, must_refuse=True)
        elif route.method == "GET":
            # By code: A's lists and searches asked for B's codes and ids.
            url = matrix.url(route, a) + query
            r = await matrix.call(route, url)
            matrix.check(
                who, "by code", route, url, r, must_refuse=who in (ANONYMOUS, PLATFORM_ADMIN)
            )
    elapsed = time.monotonic() - started
    print(f"\n{who}: {matrix.requests} requests so far, {elapsed:.1f}s")
    assert not matrix.findings[findings_before:], report(matrix.findings[findings_before:])
    assert sw.in_app(matrix.c, b_state, b) == before, "tenant B's data or grants changed"


#: One role per family of guards: the administrator, the offices, the agency, the hall.
FORGERS = ["tenant_admin", "data_center", "clerk", "service_center"]


@pytest.mark.parametrize("who", FORGERS)
async def test_forms_naming_b_objects_leave_b_untouched(matrix, routes, who):
    """Every state-changing route of A, on A's own objects, with B's ids in the form."""
    a, b = matrix.a, matrix.b
    before = sw.in_app(matrix.c, b_state, b)
    await matrix.sign_in(who)
    start = len(matrix.findings)
    form = body_with_ids(b)
    for route in routes:
        if not route.writes or not route.tenant_page or AUTH.search(route.path):
            continue
        url = matrix.url(route, a)
        r = await matrix.call(route, url, form)
        matrix.check(who, "by form", route, url, r, must_refuse=False)
    assert not matrix.findings[start:], report(matrix.findings[start:])
    assert sw.in_app(matrix.c, b_state, b) == before, "tenant B's data or grants changed"


@pytest.mark.parametrize("who", ["tenant_admin", "clerk"])
async def test_after_the_forged_forms_a_shows_nothing_of_b(matrix, routes, who):
    """Whatever the forged forms left in A (a bundle, a grant, a delegation ...), none of it is B's."""
    a = matrix.a
    await matrix.sign_in(who)
    start = len(matrix.findings)
    for route in routes:
        if route.method != "GET" or not (route.tenant_page or not route.guarded):
            continue
        if "{slug" not in route.path or route.path.endswith(".pdf"):
            continue  # a PDF shows what its page shows, and takes a second to render
        url = matrix.url(route, a)
        r = await matrix.call(route, url)
        matrix.check(who, "after", route, url, r, must_refuse=False)
    print(f"\nstatus tally (kind of request, status): {sorted(matrix.tally.items())}")
    assert not matrix.findings[start:], report(matrix.findings[start:])


def by_token(route: sw.Route) -> bool:
    return any(g.__name__ == "requires_token" for g in route.handler.resolve_guards())


async def test_api_tokens_of_a_cannot_reach_b(matrix, routes):
    """The integration API: every token of A, on B's address and on A's with B's ids."""
    a, b = matrix.a, matrix.b
    api = [r for r in routes if by_token(r)]
    if not api:
        pytest.skip("the app has no token-authenticated API")
    before = sw.in_app(matrix.c, b_state, b)
    start = len(matrix.findings)
    query = by_code_query(b)
    release = sw.release_json("800000001", f"{b.marker}越权发布")
    for role, token in a.extra["tokens"].items():
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        matrix.c.cookies.clear()
        for route in api:
            body = release if route.writes else None
            attempts = [("by url", matrix.url(route, b), True)]
            if route.owned_params:
                attempts.append(("by id", sw.fill_path(route, a.slug, b.params, ""), True))
            elif route.method == "GET":
                attempts.append(("by code", matrix.url(route, a) + query, False))
            for what, url, must_refuse in attempts:
                r = await matrix.c.request(
                    route.method, url, content=body, headers=headers, follow_redirects=False
                )
                matrix.check(f"token:{role}", what, route, url, r, must_refuse=must_refuse)
    # B's own token on A's address is just as unknown there.
    route = next(r for r in api if r.method == "GET" and not r.owned_params)
    token = b.extra["tokens"]["tenant_admin"]
    r = await matrix.c.get(matrix.url(route, a), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert not matrix.findings[start:], report(matrix.findings[start:])
    assert sw.in_app(matrix.c, b_state, b) == before, "tenant B's data or grants changed"
