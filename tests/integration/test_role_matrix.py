"""Every state-changing route, every role: only the allowed ones succeed.

The routes are read from the app (``create_app().routes``). Who is allowed:

- a route behind ``requires_role(...)`` declares it (``guard.roles``): the
  roles it names are let through, every other role is refused with 403 (a
  platform administrator, who belongs to no tenant, gets 404 under /t/);
- a route that checks inside (the item's agency, the active approval step,
  the plugin's policy ...) has a line in :data:`EXPECTED` below, written out
  by hand from the policy, with a form the allowed roles succeed with. A new
  state-changing route that has neither makes :func:`test_every_state_changing_route_has_an_expectation`
  fail, naming it.

A refused role's attempt leaves the tenant's audit trail as it was. An
allowed role's attempt, with the form of :data:`EXPECTED`, succeeds (2xx or a
redirect that is not to sign in); with a guard only and no form of its own,
it at least gets past the guard (anything but 403, sign-in or a 5xx).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import security_world as sw
from litestar.testing import AsyncTestClient

from qingdan.core.calendar.services import load_calendar
from qingdan.core.campaigns import create_campaign, default_dates, submit
from qingdan.core.campaigns.services import campaign_template, get_submission, phases_of
from qingdan.core.catalog.services import create_catalog_entry, get_item
from qingdan.core.imports import tokens
from qingdan.core.publishing.publications import latest_number
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.schemas import Role
from qingdan.core.testing import PASSWORD, SYSTEM, sample_entry_document
from qingdan.core.workflow import services as wf
from qingdan.web.app import CSRF_COOKIE, CSRF_HEADER, create_app
from qingdan.web.controllers.changes import ACTION_FIELDS
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

PLATFORM_ADMIN = Role.platform_admin.value
ROLES = [*sw.TENANT_ROLES, PLATFORM_ADMIN]
#: The roles an API token may act in.
TOKEN_ROLE_ENUMS = tokens.TOKEN_ROLES
TOKEN_ROLES = [r.value for r in TOKEN_ROLE_ENUMS]
#: Sign-in and sign-out act on the caller's own session, whoever they are.
AUTH_ROUTES = {"tenant:login_submit", "tenant:logout", "admin:login_submit", "admin:logout"}


@dataclass
class Attempt:
    url: str
    data: list[tuple[str, str]] = field(default_factory=list)
    files: dict[str, tuple[str, bytes, str]] | None = None
    json: bytes | None = None  # a JSON body (the integration API)


class Env:
    """The tenant under test, the client, and a signed-in session per role."""

    def __init__(self, client: AsyncTestClient, world: sw.World, throwaway_tenant: int):
        self.c = client
        self.w = world
        self.throwaway_tenant = throwaway_tenant
        self.sessions: dict[str, dict[str, str]] = {}
        self.counter = 0

    def db(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """``fn(*args)`` where the app runs (see security_world.in_app)."""
        return sw.in_app(self.c, fn, *args)

    def next(self) -> int:
        self.counter += 1
        return self.counter

    @property
    def slug(self) -> str:
        return self.w.slug

    @property
    def base(self) -> str:
        return f"/t/{self.w.slug}"

    async def sign_in_all(self, platform_admin: str) -> None:
        for role in ROLES:
            self.c.cookies.clear()
            url = "/admin/login" if role == PLATFORM_ADMIN else f"{self.base}/login"
            username = platform_admin if role == PLATFORM_ADMIN else role
            await self.c.get(url)
            r = await self.c.post(
                url,
                data={"username": username, "password": PASSWORD},
                headers=self.csrf(),
                follow_redirects=False,
            )
            assert r.status_code == 303, f"{role} cannot sign in"
            self.sessions[role] = dict(self.c.cookies)

    def use(self, role: str) -> None:
        self.c.cookies.clear()
        for name, value in self.sessions[role].items():
            self.c.cookies.set(name, value)

    def csrf(self) -> dict[str, str]:
        token = self.c.cookies.get(CSRF_COOKIE)
        return {CSRF_HEADER: token} if token else {}

    async def send(self, method: str, attempt: Attempt, token: str | None = None):
        if token is not None:
            # The integration API: a tenant's API token, no session, no CSRF.
            self.c.cookies.clear()
            return await self.c.request(
                method,
                attempt.url,
                content=attempt.json or b"{}",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                follow_redirects=False,
            )
        if attempt.files:
            return await self.c.request(
                method,
                attempt.url,
                data=dict(attempt.data),
                files=attempt.files,
                headers=self.csrf(),
                follow_redirects=False,
            )
        return await self.c.request(
            method,
            attempt.url,
            content=urlencode(attempt.data),
            headers={"Content-Type": "application/x-www-form-urlencoded", **self.csrf()},
            follow_redirects=False,
        )

    async def page_form(self, role: str, page: str, target: str) -> list[tuple[str, str]]:
        """The form on ``page`` as ``role`` sees it."""
        self.use(role)
        r = await self.c.get(page)
        assert r.status_code == 200, f"{page} as {role}: {r.status_code}"
        return sw.form_fields(r.text, target)

    async def read_forms(self) -> None:
        """The forms the attempts post back as a browser would (read once, over HTTP)."""
        item_id = self.w.params["item_id"]
        edit = f"{self.base}/items/{item_id}/edit"
        self.w.extra["editor"] = await self.page_form("clerk", edit, f"/items/{item_id}/edit")
        settings = f"{self.base}/admin/settings"
        self.w.extra["settings"] = await self.page_form("tenant_admin", settings, "/admin/settings")


# Fresh objects, for the attempts that use one up -------------------------------------------


async def fresh_item(env: Env) -> int:
    n = env.next()
    return await sw.published_item(env.w.t, f"角色矩阵事项{n}", f"8{n:04d}{env.w.marker[-4:]}"[:9])


async def fresh_request(env: Env) -> Any:
    item_id = await fresh_item(env)
    cr_id = await sw.open_amend(env.w.t, item_id, "角色矩阵变更")
    return await wf.get_request(env.w.t.ctx, cr_id)


async def returned_request(env: Env) -> int:
    cr = await fresh_request(env)
    reviewer = await sw.who(env.w.t, "agency_reviewer")
    await wf.return_request(env.w.t.ctx, reviewer, cr.id, "请补充")
    return cr.id


async def fresh_campaign(env: Env, submitted: bool) -> int:
    ctx = env.w.t.ctx
    today = date.today()
    phases = default_dates(
        campaign_template(ctx), today.year, await load_calendar(ctx.tenant_id), start=today
    )
    campaign = await create_campaign(
        ctx, await sw.who(env.w.t, "tenant_admin"), year=today.year,
        name=f"角色矩阵梳理{env.next()}", phases=phases, agency_ids=[env.w.t.agency_ids[0]],
    )  # fmt: skip
    if submitted:
        await submit(ctx, await sw.who(env.w.t, "clerk"), campaign.id, env.w.t.agency_ids[0],
                     kind="list")  # fmt: skip
    return campaign.id


def pdf_file(name: str = "材料.pdf") -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name, sw.PDF, "application/pdf")}


# What each route that checks inside expects ------------------------------------------------

Prepare = Callable[[Env, str, bool], Awaitable[Attempt]]


@dataclass(frozen=True)
class Expect:
    """Who may, and the attempt (``prepare(env, role, allowed)``) they succeed with.

    ``succeeds`` False: the world cannot offer a state in which the attempt
    succeeds (it is checked that the allowed roles get past the role check);
    ``refusal``: the statuses a refused role may get.
    """

    allowed: frozenset[str]
    prepare: Prepare
    why: str
    succeeds: bool = True
    refusal: frozenset[int] = frozenset({403, 404})


def expect(
    roles: str, why: str, *, succeeds: bool = True, refusal: tuple[int, ...] = (403, 404)
) -> Callable[[Prepare], Expect]:
    def wrap(prepare: Prepare) -> Expect:
        return Expect(frozenset(roles.split()), prepare, why, succeeds, frozenset(refusal))

    return wrap


AUTHORS = "clerk agency_reviewer"  # the item's agency (the world's items are agency 0's)
LEADERS = "tenant_admin data_center reform_office"


@expect(
    "agency_reviewer",
    "the notice is addressed to the agency's reviewers (the request's first step)",
)
async def _notice(env: Env, role: str, allowed: bool) -> Attempt:
    return Attempt(f"{env.base}/notices/{env.w.params['notice_id']}/read")


@expect("service_center", "the sample plugin leaves the hall update to the service center")
async def _obligation(env: Env, role: str, allowed: bool) -> Attempt:
    url = f"{env.base}/obligations/{env.w.params['obligation_id']}/done"
    return Attempt(url, [("note", "已更新大厅")])


@expect(AUTHORS, "only the item's agency submits its changes")
async def _submit_change(env: Env, role: str, allowed: bool) -> Attempt:
    item_id = await fresh_item(env) if allowed else env.w.params["item_id"]
    return Attempt(
        f"{env.base}/items/{item_id}/changes", [("kind", "suspend"), ("reason", "系统升级")]
    )


async def _editor_form(env: Env, target: str) -> tuple[int, list[tuple[str, str]]]:
    item_id = env.w.params["item_id"]
    lock = (await get_item(env.w.t.ctx, item_id)).item["lock_version"]
    return item_id, sw.replaced(env.w.extra["editor"], lock_version=lock)


@expect(AUTHORS, "only the item's agency edits its draft")
async def _save(env: Env, role: str, allowed: bool) -> Attempt:
    item_id, pairs = await _editor_form(env, "edit")
    return Attempt(f"{env.base}/items/{item_id}/edit", pairs)


@expect(AUTHORS, "the row buttons belong to the editor")
async def _rows(env: Env, role: str, allowed: bool) -> Attempt:
    item_id, pairs = await _editor_form(env, "edit")
    return Attempt(
        f"{env.base}/items/{item_id}/edit/rows", [*pairs, ("row_action", "add:materials")]
    )


@expect(" ".join(sw.TENANT_ROLES), "every role of the tenant may export what it can read")
async def _export(env: Env, role: str, allowed: bool) -> Attempt:
    return Attempt(f"{env.base}/exports", [("list", "items"), ("format", "xlsx")])


@expect("reform_office tenant_admin", "审改机构 and the administrator propose catalog changes")
async def _catalog_change(env: Env, role: str, allowed: bool) -> Attempt:
    entry_id = env.w.params["entry_id"]
    if allowed:
        n = env.next()
        doc = sample_entry_document(base_code=f"7{n:04d}{env.w.marker[-4:]}"[:9], name=f"目录{n}")
        entry_id = (await create_catalog_entry(env.w.t.ctx, SYSTEM, doc)).id
    return Attempt(
        f"{env.base}/catalog/{entry_id}/changes",
        [("kind", "cancel"), ("reason", "上级取消"), ("cancel_basis", "国务院决定"),
         ("document_number", "国发〔2026〕1号"),
         ("effective_date", (date.today() + timedelta(days=7)).isoformat())],
    )  # fmt: skip


@expect(AUTHORS, "the request's authors and its active step attach files")
async def _upload(env: Env, role: str, allowed: bool) -> Attempt:
    url = f"{env.base}/changes/{env.w.params['cr_id']}/attachments"
    return Attempt(url, [("kind", "other")], pdf_file())


def _decision(action: str, fields: list[tuple[str, str]]) -> Prepare:
    async def prepare(env: Env, role: str, allowed: bool) -> Attempt:
        cr = (
            await fresh_request(env)
            if allowed
            else await wf.get_request(env.w.t.ctx, env.w.params["cr_id"])
        )
        data = [*fields, ("seen_version", str(cr.version))]
        return Attempt(f"{env.base}/changes/{cr.id}/{action}", data)

    return prepare


STEP1 = "agency_reviewer"  # the sample chain's first step (the request waits there)
_approve = expect(STEP1, "only the active step's role decides")(
    _decision("approve", [("comment", "同意")])
)
_return = expect(STEP1, "only the active step's role decides")(
    _decision("return", [("reason", "请补充材料")])
)
_reject = expect(STEP1, "only the active step's role decides")(
    _decision("reject", [("reason", "不符合条件")])
)
_skip = expect(
    "",
    "the sample chain has no step that may be skipped: refused with the reason (400)",
    refusal=(400, 403, 404),
)(_decision("skip", [("reason", "无需审核")]))
_withdraw = expect("clerk", "only the request's author withdraws it, before any decision")(
    _decision("withdraw", [("reason", "撤回重填")])
)


@expect(AUTHORS, "the item's agency resubmits a returned request")
async def _resubmit(env: Env, role: str, allowed: bool) -> Attempt:
    if allowed or "returned" not in env.w.extra:
        cr_id = await returned_request(env)
        if not allowed:
            env.w.extra["returned"] = cr_id
    else:
        cr_id = env.w.extra["returned"]
    return Attempt(f"{env.base}/changes/{cr_id}/resubmit", [("reason", "已补充")])


def _campaign_dates(phases: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for p in phases:
        out += [(f"{p['code']}_start", p["start_date"].isoformat()),
                (f"{p['code']}_end", p["end_date"].isoformat())]  # fmt: skip
        if p.get("due_date"):
            out.append((f"{p['code']}_due", p["due_date"].isoformat()))
    return out


@expect("tenant_admin data_center", "the administrator and 大数据中心 run campaigns")
async def _campaign_create(env: Env, role: str, allowed: bool) -> Attempt:
    ctx = env.w.t.ctx
    today = date.today()
    dates = default_dates(
        campaign_template(ctx), today.year, await load_calendar(ctx.tenant_id), start=today
    )
    data = [("name", f"{role}发起的梳理{env.next()}"), ("year", str(today.year)),
            ("agencies", str(env.w.t.agency_ids[1]))]  # fmt: skip
    for d in dates:
        data += [(f"{d.code}_start", d.start.isoformat()), (f"{d.code}_end", d.end.isoformat())]
        if d.due:
            data.append((f"{d.code}_due", d.due.isoformat()))
    return Attempt(f"{env.base}/campaigns", data)


async def _campaign_lock(env: Env, campaign_id: int) -> str:
    from qingdan.core.campaigns import get_campaign

    return str((await get_campaign(env.w.t.ctx, campaign_id))["lock_version"])


@expect("tenant_admin data_center", "the administrator and 大数据中心 run campaigns")
async def _campaign_dates_route(env: Env, role: str, allowed: bool) -> Attempt:
    campaign_id = env.w.params["campaign_id"]
    data = _campaign_dates(await phases_of(env.w.t.ctx, campaign_id))
    data.append(("lock_version", await _campaign_lock(env, campaign_id)))
    return Attempt(f"{env.base}/campaigns/{campaign_id}/dates", data)


@expect("tenant_admin data_center", "the administrator and 大数据中心 run campaigns")
async def _campaign_agencies(env: Env, role: str, allowed: bool) -> Attempt:
    campaign_id = await fresh_campaign(env, submitted=False)
    data = [("agencies", str(env.w.t.agency_ids[1])),
            ("lock_version", await _campaign_lock(env, campaign_id))]  # fmt: skip
    return Attempt(f"{env.base}/campaigns/{campaign_id}/agencies", data)


async def _submission_lock(env: Env, campaign_id: int) -> str:
    row = await get_submission(env.w.t.ctx, campaign_id, env.w.t.agency_ids[0])
    return str(row["lock_version"])


@expect("reform_office", "the default template's first review is 审改机构's")
async def _campaign_review(env: Env, role: str, allowed: bool) -> Attempt:
    campaign_id = await fresh_campaign(env, submitted=True)
    agency = env.w.t.agency_ids[0]
    data = [("position", "0"), ("outcome", "pass"), ("reason", ""),
            ("lock_version", await _submission_lock(env, campaign_id))]  # fmt: skip
    return Attempt(f"{env.base}/campaigns/{campaign_id}/agencies/{agency}/review", data)


@expect(AUTHORS, "the agency's own people submit its list")
async def _campaign_submit(env: Env, role: str, allowed: bool) -> Attempt:
    campaign_id = await fresh_campaign(env, submitted=False)
    agency = env.w.t.agency_ids[0]
    data = [("kind", "list"), ("lock_version", await _submission_lock(env, campaign_id))]
    return Attempt(f"{env.base}/campaigns/{campaign_id}/agencies/{agency}/submit", data)


@expect(
    AUTHORS,
    "the agency's own people attach the head's sign-off (the default template does not ask"
    " for one, so a submission is never waiting for it: allowed roles get past the check)",
    succeeds=False,
)
async def _campaign_signoff(env: Env, role: str, allowed: bool) -> Attempt:
    campaign_id = await fresh_campaign(env, submitted=True)
    agency = env.w.t.agency_ids[0]
    data = [("lock_version", await _submission_lock(env, campaign_id))]
    files = {"signoff": ("审签.pdf", sw.PDF, "application/pdf")}
    return Attempt(f"{env.base}/campaigns/{campaign_id}/agencies/{agency}/signoff", data, files)


@expect(LEADERS, "tenant-wide leaders issue bulletins")
async def _bulletin(env: Env, role: str, allowed: bool) -> Attempt:
    return Attempt(
        f"{env.base}/indicators/bulletins", [("snapshot", str(env.w.extra["snapshot_id"]))]
    )


@expect(LEADERS, "tenant-wide leaders take the day's snapshot")
async def _snapshot(env: Env, role: str, allowed: bool) -> Attempt:
    return Attempt(f"{env.base}/indicators/snapshots")


@expect("data_center", "the sample plugin's publication policy: 大数据中心 issues")
async def _publication(env: Env, role: str, allowed: bool) -> Attempt:
    latest = await latest_number(env.w.t.ctx)
    return Attempt(
        f"{env.base}/publications", [("note", "定期公布"), ("expected_latest", str(latest))]
    )


# Routes behind a guard, with a form their allowed roles succeed with ----------------------


@expect("clerk", "guard")
async def _claim(env: Env, role: str, allowed: bool) -> Attempt:
    n = env.next()
    doc = sample_entry_document(base_code=f"6{n:04d}{env.w.marker[-4:]}"[:9], name=f"认领{n}")
    entry = await create_catalog_entry(env.w.t.ctx, SYSTEM, doc)
    return Attempt(f"{env.base}/claims/{entry.id}", [("agency_id", str(env.w.t.agency_ids[0]))])


@expect("tenant_admin", "guard")
async def _settings(env: Env, role: str, allowed: bool) -> Attempt:
    return Attempt(f"{env.base}/admin/settings", env.w.extra["settings"])


@expect("tenant_admin data_center", "guard")
async def _bundle_create(env: Env, role: str, allowed: bool) -> Attempt:
    return Attempt(f"{env.base}/bundles", [("name", f"一件事{env.next()}")])


@expect(PLATFORM_ADMIN, "guard")
async def _tenant_active(env: Env, role: str, allowed: bool) -> Attempt:
    # A tenant of its own: switching off the tenant under test would end the run.
    return Attempt(f"/admin/tenants/{env.throwaway_tenant}/active", [("active", "0")])


@expect("data_center tenant_admin", "declared (opt roles): the offices that import releases")
async def _release(env: Env, role: str, allowed: bool) -> Attempt:
    n = env.next()
    body = sw.release_json(f"5{n:04d}{env.w.marker[-4:]}"[:9], f"接口下发{n}")
    return Attempt(f"/api/v1/integration/{env.slug}/releases", json=body)


@expect(
    "",
    "the plugin names who opens agency accounts (qingdan_account_allocation); the sample"
    " plugin keeps core's default, nobody (the administrator uses its user pages)",
)
async def _open_account(env: Env, role: str, allowed: bool) -> Attempt:
    n = env.next()
    form = [("username", f"kaihu{n}"), ("display_name", f"开户{n}"), ("email", ""),
            ("password", "Kaihu-2026-strong!"), ("role", "clerk"),
            ("agency_id", str(env.w.t.agency_ids[0]))]  # fmt: skip
    return Attempt(f"{env.base}/accounts", form)


#: The routes (by name; change request actions as ``changes:act[action]``) whose
#: allowed roles the code does not declare, and the guarded ones given a form.
EXPECTED: dict[str, Expect] = {
    "notices:read": _notice,
    "obligations:done": _obligation,
    "items:submit_change": _submit_change,
    "items:save": _save,
    "items:edit_rows": _rows,
    "exports:start": _export,
    "catalog:submit_change": _catalog_change,
    "changes:upload": _upload,
    "changes:act[approve]": _approve,
    "changes:act[return]": _return,
    "changes:act[reject]": _reject,
    "changes:act[skip]": _skip,
    "changes:act[withdraw]": _withdraw,
    "changes:act[resubmit]": _resubmit,
    "campaigns:create": _campaign_create,
    "campaigns:dates": _campaign_dates_route,
    "campaigns:agencies": _campaign_agencies,
    "campaigns:review": _campaign_review,
    "campaigns:submit": _campaign_submit,
    "campaigns:signoff": _campaign_signoff,
    "indicators:issue": _bulletin,
    "indicators:snapshot": _snapshot,
    "publications:issue": _publication,
    "claims:claim": _claim,
    "tenant_admin:save_settings": _settings,
    "bundles:create": _bundle_create,
    "admin:tenant_active": _tenant_active,
    "integration-release-submit": _release,
    "accounts:open": _open_account,
}


# The routes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    route: sw.Route
    key: str  # the route's name, or name[action]
    action: str = ""

    @property
    def by_token(self) -> bool:
        """A route of the integration API: the caller is an API token acting in a role."""
        return any(g.__name__ == "requires_token" for g in self.route.handler.resolve_guards())

    @property
    def roles(self) -> list[str]:
        return TOKEN_ROLES if self.by_token else ROLES

    @property
    def guard_roles(self) -> frozenset[str] | None:
        """The roles the route's guards let through: ``requires_role`` (all of them),
        or for the integration API the roles its handler declares (``opt["roles"]``)."""
        if self.by_token:
            declared_roles = self.route.handler.opt.get("roles")
            return frozenset(r.value for r in declared_roles or TOKEN_ROLE_ENUMS)
        declared = [g.roles for g in self.route.handler.resolve_guards() if hasattr(g, "roles")]
        if not declared:
            return None
        allowed = set.intersection(*({r.value for r in roles} for roles in declared))
        return frozenset(allowed)

    def __str__(self) -> str:
        return self.key


def _cases() -> list[Case]:
    cases = []
    for route in sw.app_routes(create_app()):
        if not route.writes or route.name in AUTH_ROUTES:
            continue
        if "action" in route.params:
            # One case per action the change request page posts (ACTION_FIELDS).
            cases += [
                Case(route, f"{route.name}[{a}]", a) for a in ACTION_FIELDS if a != "attachment"
            ]
        else:
            cases.append(Case(route, route.name))
    return cases


CASES = _cases()


def test_every_state_changing_route_has_an_expectation():
    """A route that checks roles inside must say here who may; a stale line fails too."""
    missing = [c.key for c in CASES if c.guard_roles is None and c.key not in EXPECTED]
    assert not missing, (
        f"state-changing routes without a role guard and without a line in EXPECTED: {missing}"
    )
    keys = {c.key for c in CASES}
    stale = sorted(set(EXPECTED) - keys)
    assert not stale, f"EXPECTED names routes the app no longer has: {stale}"
    for case in CASES:
        guard, table = case.guard_roles, EXPECTED.get(case.key)
        if guard is not None and table is not None:
            assert table.allowed <= guard, f"{case}: EXPECTED allows more than its guard"


@pytest.fixture(scope="module")
async def env(database):
    from qingdan.core.indicators import bulletins

    started = time.monotonic()
    world = await sw.build_world()
    username = f"ops{world.marker.lower()}"
    user = await tenancy.create_user(None, SYSTEM, username, "运维人员", PASSWORD)
    await tenancy.grant_role(None, SYSTEM, user.id, Role.platform_admin)
    other = await tenancy.create_tenant(SYSTEM, f"x{world.marker.lower()}", "停用测试", "sample")
    real = bulletins.render_bulletin_pdf
    # A bulletin's layout is the indicators suite's business; here only who may issue one.
    bulletins.render_bulletin_pdf = lambda **_: sw.PDF
    try:
        async with AsyncTestClient(app=shared_app()) as client:
            e = Env(client, world, other.id)
            await e.sign_in_all(username)
            await e.read_forms()
            print(f"\nrole matrix set up in {time.monotonic() - started:.1f}s")
            yield e
    finally:
        bulletins.render_bulletin_pdf = real


def succeeded(r) -> bool:
    location = r.headers.get("location", "") or r.headers.get("hx-redirect", "")
    return r.status_code < 400 and "/login" not in location


def got_through(r) -> bool:
    """Past the role check: not refused (403), not sent to sign in, no server error."""
    return (
        r.status_code not in (401, 403)
        and r.status_code < 500
        and ("/login" not in (r.headers.get("location", "") or r.headers.get("hx-redirect", "")))
    )


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_only_the_allowed_roles_succeed(env, case):
    table = EXPECTED.get(case.key)
    guard = case.guard_roles
    if table is None and guard is None:
        pytest.fail(f"{case} has no expectation (see the test above)")
    allowed = table.allowed if table is not None else guard
    if case.route.tenant_page:
        assert PLATFORM_ADMIN not in allowed
    tenant_id = env.w.t.tenant_id
    problems = []
    # The refused roles first: their attempts must change nothing.
    for role in sorted(case.roles, key=lambda r: r in allowed):
        is_allowed = role in allowed
        if table is not None:
            attempt = env.db(table.prepare, env, role, is_allowed)
        else:
            url = sw.fill_path(case.route, env.slug, env.w.params, "")
            attempt = Attempt(url.replace("/approve", f"/{case.action}") if case.action else url)
        before = env.db(sw.audit_count, tenant_id)
        token = env.w.extra["tokens"][role] if case.by_token else None
        if token is None:
            env.use(role)
        r = await env.send(case.route.method, attempt, token)
        if r.status_code >= 500:
            problems.append(f"{role}: server error {r.status_code} on {attempt.url}")
        elif is_allowed and table is not None and table.succeeds and not succeeded(r):
            problems.append(f"{role} is allowed but got {r.status_code}: {_message(r)}")
        elif is_allowed and not got_through(r):
            problems.append(f"{role} is let through by the guard but got {r.status_code}")
        elif not is_allowed:
            refusal = table.refusal if table is not None else {403, 404}
            if table is None:
                # A guard refuses with 403; a platform administrator has no tenant pages (404).
                tenantless = role == PLATFORM_ADMIN and case.route.tenant_page
                refusal = {404 if tenantless else 403}
            if r.status_code not in refusal:
                problems.append(f"{role} is not allowed but got {r.status_code}: {_message(r)}")
            if env.db(sw.audit_count, tenant_id) != before:
                problems.append(f"{role} is not allowed but changed the tenant's data")
    assert not problems, f"{case} ({case.route.key}):\n" + "\n".join(problems)


def _message(r) -> str:
    """The page's error messages (or its last words), for the failure message."""
    found = re.findall(r'class="(?:form-error|error)[^"]*"[^>]*>(.*?)</', r.text, re.S)
    text = " | ".join(found) or " ".join(re.sub(r"<[^>]+>", " ", r.text).split())[-200:]
    return " ".join(text.split())[:300]
