"""A tenant holding an object of every kind the web app's routes take an id of,
for the security suites (isolation matrix, role matrix, escaping).

:func:`build_world` makes a tenant with the kit (one user per role), then
creates through the core services a published item, an open change request
with an attachment, obligations and notices, a publication, a campaign with
a submission and its sign-off, a bundle, a finished export run, a bulletin, a
doorstep service point with a delegation, a calendar day. Every text the
tenant owns carries :attr:`World.marker` (ASCII, so it survives HTML and JSON
escaping and is found in any response that leaks it).

:attr:`World.params` maps each route path parameter name to the id of the
world's object of that kind. A route with a parameter missing from it makes
the suites fail (see :func:`fill_path`): that is how a route added later is
noticed instead of silently skipped.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from qingdan.core.audit.tables import AuditEntry
from qingdan.core.catalog.services import create_catalog_entry, get_item
from qingdan.core.catalog.validation import dump_document
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM, TenantFixture, build_tenant
from qingdan.core.workflow import services as wf

PDF = b"%PDF-1.4\n%test\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
#: Every tenant role, the users build_tenant makes (username = role value).
TENANT_ROLES = [r.value for r in Role if r != Role.platform_admin]
#: Parameters that name no object of a tenant: a fixed, valid value is used.
#: ``action`` is a change request action; ``kind`` a catalog list; ``day`` and
#: ``year`` a calendar day and year; ``fmt`` a file format (xlsx, json);
#: ``file_path``/``path`` static files and
#: schema documents (those routes are public and hold no tenant data).
NOT_OWNED = {"slug", "action", "kind", "day", "year", "fmt", "file_path", "path"}


@dataclass
class World:
    t: TenantFixture
    marker: str
    params: dict[str, Any] = field(default_factory=dict)
    item_code: str = ""
    entry_code: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.t.slug


async def who(t: TenantFixture, role: str) -> Principal:
    principal = await tenancy.load_principal(t.users[role])
    assert principal is not None
    return principal


async def published_item(t: TenantFixture, name: str, base_code: str) -> int:
    """An item claimed by agency 0's clerk, filled in and approved up the sample chain."""
    from qingdan.core.testing import sample_entry_document

    entry = await create_catalog_entry(
        t.ctx, SYSTEM, sample_entry_document(base_code=base_code, name=name)
    )
    clerk = await who(t, "clerk")
    item = await wf.claim(t.ctx, clerk, entry.id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | SAMPLE_PLACE
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, f"认领 {name}")
    for step in await wf.steps_of(t.ctx, cr.id):
        await wf.approve(t.ctx, await who(t, step["role"]), cr.id, seen_version=cr.version)
    return item.id


async def open_amend(t: TenantFixture, item_id: int, reason: str) -> int:
    """An amend request of a published item, waiting at its first step."""
    clerk = await who(t, "clerk")
    detail = await get_item(t.ctx, item_id)
    doc = dump_document(detail.published) | {"promised_limit": {"value": 5, "unit": "working_day"}}
    await wf.edit_draft(t.ctx, clerk, item_id, doc, detail.item["lock_version"])
    cr = await wf.submit(t.ctx, clerk, item_id, ChangeKind.amend, reason)
    return cr.id


async def build_world(plugin: str = "sample", issues: int = 1) -> World:
    """A tenant with one object of every kind, each named with the world's marker.

    Publications are numbered per tenant: a world meant to be tried from another
    one issues more of them, so that its latest number is one the other lacks.
    """
    from qingdan.core.bundles import services as bundles
    from qingdan.core.bundles.schemas import BundleInput
    from qingdan.core.calendar.services import load_calendar, set_day
    from qingdan.core.campaigns import create_campaign, default_dates, submit
    from qingdan.core.campaigns.services import campaign_template, get_submission, signoffs_of
    from qingdan.core.doorstep import services as doorstep
    from qingdan.core.exports.services import run_export, start_export
    from qingdan.core.exports.spec import ExportSpec, spec_to_dict
    from qingdan.core.indicators import issue_bulletin, take_snapshot
    from qingdan.core.publishing import publications
    from qingdan.core.tenancy.tables import Division
    from qingdan.core.workflow.notices import notices_for
    from qingdan.core.workflow.obligations import open_obligations

    hexpart = uuid.uuid4().hex[:8].upper()
    marker = f"XQZ{hexpart}"
    t = await build_tenant(plugin=plugin, slug=f"w{hexpart.lower()}")
    ctx = t.ctx
    w = World(t=t, marker=marker)
    admin = await who(t, "tenant_admin")

    # Items: one published, one published with an open amend request and an attachment.
    base = f"9{int(hexpart, 16) % 10**7:07d}"  # + one digit per entry: 9 in all
    item_id = await published_item(t, f"{marker}事项甲", base + "1")
    amend_item = await published_item(t, f"{marker}事项乙", base + "2")
    cr_id = await open_amend(t, amend_item, f"{marker} 压缩时限")
    attachment = await wf.add_attachment(
        ctx, await who(t, "clerk"), cr_id, "other", f"{marker}.pdf", PDF
    )
    detail = await get_item(ctx, item_id)
    w.item_code = detail.item["impl_code"]
    w.entry_code = base + "1"

    obligations = await open_obligations(ctx)
    assert obligations, "the sample chain leaves obligations after publication"
    notices = await notices_for(ctx, await who(t, "agency_reviewer"))
    assert notices, "the request's first step notifies the agency reviewer"

    # A service point (township) below the county, handling the item on site.
    county = await ctx.scope.get(Division, t.county_division_id)
    township = await tenancy.add_division(
        ctx.scope, SYSTEM, county.code[:6] + "100000", f"{marker}镇", county.code
    )
    await doorstep.delegate(ctx, await who(t, "service_center"), township.id, [item_id])

    # An agency only this tenant has, named with the marker.
    from qingdan.core.catalog.codes import USCC

    uscc = USCC.compose("1", "1", county.code[:6], f"{t.tenant_id % 1000:03d}{9:05d}")
    agency = await tenancy.add_agency(
        ctx.scope, SYSTEM, f"{marker}局", uscc.value, t.county_division_id
    )

    # A publication of the catalog, its note naming the marker.
    issuer = next(r.value for r in publications.issuing_roles(ctx) if r.value in t.users)
    for _ in range(issues):
        publication = await publications.issue_publication(
            ctx, await who(t, issuer), note=f"{marker} 公告"
        )

    # A campaign, agency 0's list with its head's sign-off.
    today = date.today()
    calendar = await load_calendar(t.tenant_id)
    phases = default_dates(campaign_template(ctx), today.year, calendar, start=today)
    campaign = await create_campaign(
        ctx, admin, year=today.year, name=f"{marker}梳理", phases=phases,
        agency_ids=[t.agency_ids[0]],
    )  # fmt: skip
    await submit(
        ctx, await who(t, "clerk"), campaign.id, t.agency_ids[0], kind="list",
        note=marker, signoff=(f"{marker}.pdf", PDF),
    )  # fmt: skip
    submission = await get_submission(ctx, campaign.id, t.agency_ids[0])
    signoff = (await signoffs_of(ctx, submission["id"]))[0]

    bundle_id = await bundles.create_bundle(
        ctx, admin, data=BundleInput(name=f"{marker}一件事", description=marker)
    )

    # A finished export run (its file can be downloaded).
    spec = ExportSpec()
    run_id = await start_export(ctx, t.users["tenant_admin"], spec)
    await run_export(t.tenant_id, run_id, spec_to_dict(spec))

    snapshot, _ = await take_snapshot(ctx)
    from qingdan.core.indicators import bulletins

    real = bulletins.render_bulletin_pdf
    # Rendering the bulletin takes seconds; the suites need the row, not its layout.
    bulletins.render_bulletin_pdf = lambda **_: PDF
    try:
        bulletin = await issue_bulletin(ctx, admin, snapshot["id"])
    finally:
        bulletins.render_bulletin_pdf = real

    await set_day(t.tenant_id, SYSTEM, date(today.year, 12, 24), "放假", f"{marker}节")

    # A catalog release from above (a batch), the claim task it leaves, API tokens.
    from qingdan.core.imports import releases, tokens
    from qingdan.core.imports.tables import ClaimTask

    release = release_json(f"8{int(hexpart, 16) % 10**7:07d}1", f"{marker}下发事项")
    outcome = await releases.import_release(ctx, SYSTEM, release, f"{marker}.json")
    task = await ctx.scope.select(ClaimTask).where(ClaimTask.batch == outcome.batch_id).first()
    assert task is not None, "a new entry for the market agencies leaves a claim task"
    secrets: dict[str, str] = {}
    token_id = 0
    for role in tokens.TOKEN_ROLES:
        row, secret = await tokens.create_token(ctx, admin, f"{marker}{role.value}", role.value)
        secrets[role.value] = secret
        token_id = row["id"]

    notice_id = notices[0]["id"]
    w.params = {
        "item_id": item_id,
        "entry_id": detail.item["catalog_entry"],
        "cr_id": cr_id,
        "attachment_id": attachment["id"] if isinstance(attachment, dict) else attachment.id,
        "obligation_id": obligations[0]["id"],
        "notice_id": notice_id,
        "number": publication.number,
        "campaign_id": campaign.id,
        "agency_id": t.agency_ids[0],
        "signoff_id": signoff["id"],
        "bundle_id": bundle_id,
        "run_id": run_id,
        "bulletin_id": bulletin["id"],
        "division_id": township.id,
        "tenant_id": t.tenant_id,
        "batch_id": outcome.batch_id,
        "task_id": task["id"],
        "token_id": token_id,
    }
    w.extra = {
        "amend_item_id": amend_item,
        "marker_agency_id": agency.id,
        "snapshot_id": snapshot["id"],
        "tokens": secrets,  # role -> the token itself (Authorization: Bearer ...)
    }
    return w


def release_json(base_code: str, name: str) -> bytes:
    """A catalog release (docs/catalog-import.md) of one new entry for the market agencies."""
    entry = {
        "base_code": base_code,
        "name": name,
        "item_type": "licensing",
        "levels": ["municipal", "county"],
        "department": "市场监督管理局",
    }
    body = {"format": "qingdan.catalog-release", "source": "provincial", "mode": "increment",
            "title": f"{name}发布", "entries": [entry]}  # fmt: skip
    return json.dumps(body, ensure_ascii=False).encode()


def in_app(client: Any, fn: Any, *args: Any) -> Any:
    """Run the coroutine function ``fn`` in the loop the app under test runs in.

    The test client runs the app in a thread of its own, whose startup binds
    the tables to a new engine (on PostgreSQL, with its connection pool in
    that thread's loop): while a client is open, the test reads and writes the
    database through here, not from its own loop.
    """
    return client.blocking_portal.call(fn, *args)


async def audit_count(tenant_id: int) -> int:
    """How many audit entries the tenant has: any write to its data adds one."""
    return await AuditEntry.count().where(AuditEntry.tenant == tenant_id)


# Routes -----------------------------------------------------------------------------------

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # the template, e.g. /t/{slug:str}/items/{item_id:int}
    name: str  # the handler's route name, or its function name
    params: tuple[str, ...]
    handler: HTTPRouteHandler = field(compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def writes(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def guarded(self) -> bool:
        """Any guard at all: a route without one is open to the world."""
        return bool(self.handler.resolve_guards())

    @property
    def tenant_page(self) -> bool:
        return self.path.startswith("/t/{slug")

    @property
    def owned_params(self) -> tuple[str, ...]:
        return tuple(p for p in self.params if p not in NOT_OWNED)


def app_routes(app: Litestar) -> list[Route]:
    """Every HTTP route of the app, one per method (OPTIONS and HEAD left out:
    Litestar answers them itself), static files and the schema pages aside."""
    found: list[Route] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            for method in sorted(handler.http_methods):
                if method in {"OPTIONS", "HEAD"}:
                    continue
                if route.path.startswith(("/static", "/api/schema")):
                    continue
                name = handler.name or handler.handler_name
                found.append(
                    Route(method, route.path, name, tuple(PARAM.findall(route.path)), handler)
                )
    return sorted(found, key=lambda r: (r.path, r.method))


#: Fixed values of the parameters that name no tenant object.
FIXED = {
    "action": "approve",
    "fmt": "xlsx",
    "day": "2030-01-02",
    "year": 2030,
}


def fill_path(route: Route, slug: str, params: dict[str, Any], kind: str) -> str:
    """The route's URL with ``slug`` and the objects of ``params``.

    Fails naming the route when it takes a parameter the suites do not know:
    add the kind of object to :func:`build_world` (and ``World.params``).
    """
    values: dict[str, Any] = {"slug": slug, "kind": kind, **FIXED}
    path = route.path
    for name in route.params:
        if name in values:
            value = values[name]
        elif name in params:
            value = params[name]
        else:
            raise AssertionError(
                f"路由 {route.key}({route.name})的路径参数 {name!r} 不在安全测试的对象表中:"
                "请在 tests/integration/security_world.py 的 build_world 中创建该类对象,"
                "并加入 World.params,使隔离矩阵和角色矩阵能覆盖这个路由"
            )
        path = re.sub(r"\{" + name + r"(?::\w+)?\}", str(value), path)
    return path


def leaks(body: bytes, content_type: str, marker: str) -> bool:
    """Whether a response body shows ``marker``: in its bytes, or inside an xlsx/zip
    (PDF text streams are compressed: PDFs are read with pypdf)."""
    needle = marker.encode()
    if needle in body:
        return True
    if body[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                return any(needle in z.read(n) for n in z.namelist())
        except zipfile.BadZipFile:
            return False
    if body[:5] == b"%PDF-" or "pdf" in content_type:
        try:
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(body))
            return any(marker in (page.extract_text() or "") for page in reader.pages)
        except Exception:
            return False
    return False


# Forms --------------------------------------------------------------------------------------


class _FormReader(HTMLParser):
    """The fields a browser would send from the form whose ``action`` ends with ``target``."""

    def __init__(self, target: str):
        super().__init__(convert_charrefs=True)
        self.target = target
        self.inside = False
        self.found = False
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: list | None = None  # [value, selected, text]
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.inside = not self.found and a.get("action", "").split("?")[0].endswith(self.target)
            self.found = self.found or self.inside
        elif not self.inside:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.pairs.append((a["name"], a.get("value", "on")))
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)
        elif self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "option" and self._option is not None:
            value, selected, text = self._option
            self._options.append((value if value is not None else text.strip(), selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, on in self._options if on] or [v for v, _ in self._options[:1]]
            self.pairs += [(self._select, v) for v in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.pairs.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_fields(html: str, target: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of the page's form posting to ``target`` (its path's end)."""
    reader = _FormReader(target)
    reader.feed(html)
    assert reader.found, f"the page has no form posting to …{target}"
    return reader.pairs


def replaced(pairs: list[tuple[str, str]], **values: Any) -> list[tuple[str, str]]:
    """``pairs`` with the named fields set to ``values`` (added when absent)."""
    out = [(k, str(values[k]) if k in values else v) for k, v in pairs]
    out += [(k, str(v)) for k, v in values.items() if k not in {k for k, _ in pairs}]
    return out
