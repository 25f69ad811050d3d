"""Bad input: markup in every text element is shown as text, uploads are checked,
and imports are all or nothing.

Every free-text element of the element document (read from ElementDocument
with msgspec's inspection, nested structs and table rows included) gets a
payload of markup and script with a marker of its own. The item is published
through the approval chain with it, joined to a bundle and a service point and
announced in a publication; then every page of the app that takes the objects
involved (enumerated from the app's routes, as each kind of user and the
public) is fetched. No HTML response may carry a payload unescaped, and each
payload is seen escaped somewhere (so the check cannot pass by showing
nothing). In the guide PDF the payload is literal text.

Uploads: an attachment, a campaign sign-off, a release import and a bulk item
import that are too large or of the wrong type are refused with a Chinese
message naming the file; a malformed xlsx or JSON release changes nothing.
"""

from __future__ import annotations

import io
import itertools
import re
import time
from dataclasses import dataclass
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
import security_world as sw
from litestar.testing import AsyncTestClient

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.lists import list_specs
from qingdan.core.catalog.services import get_item
from qingdan.core.catalog.validation import (
    ElementValidationError,
    dump_document,
    validate_document,
)
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.testing import PASSWORD
from qingdan.core.workflow import services as wf
from qingdan.web.app import CSRF_COOKIE, CSRF_HEADER
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

#: What must never reach a page as markup: a script, an element with an event
#: handler, a plain tag, an attribute break-out.
LONG = '"><img src=x onerror=alert({m})><script>alert({m})</script><b>{m}</b>'
SHORT = "<b>{m}</b>"  # for the few fields too short for the long one (a USCC, a phone)
REASON = "XSSREASONQ"  # the change request's reason


@dataclass
class Payload:
    path: tuple[Any, ...]  # ("materials", 0, "notes")
    marker: str
    text: str

    @property
    def raw(self) -> list[str]:
        """The fragments that would be live markup if shown unescaped."""
        m = self.marker
        found = [f"<b>{m}</b>"]
        if self.text != SHORT.format(m=m):
            found += [f"<script>alert({m})</script>", f"<img src=x onerror=alert({m})>"]
        return found

    @property
    def escaped(self) -> str:
        return f"&lt;b&gt;{self.marker}&lt;/b&gt;"

    @property
    def label(self) -> str:
        return ".".join(str(p) for p in self.path)


def _unwrap(t: mi.Type) -> mi.Type:
    """``X | None`` → X (an optional element is text all the same); titles dropped."""
    while isinstance(t, mi.Metadata):
        t = t.type
    if isinstance(t, mi.UnionType):
        rest = [u for u in t.types if not isinstance(u, mi.NoneType)]
        if len(rest) == 1:
            return _unwrap(rest[0])
    return t


def text_paths(struct: type, prefix: tuple = ()) -> list[tuple]:
    """Every free-text place of ``struct``: str fields, rows of tables (index 0) and
    lists of words, recursively. Enumerations and codes are not free text."""
    paths: list[tuple] = []
    info = mi.type_info(struct)
    assert isinstance(info, mi.StructType)
    for f in info.fields:
        t = _unwrap(f.type)
        here = (*prefix, f.name)
        if isinstance(t, mi.StrType):
            paths.append(here)
        elif isinstance(t, mi.StructType):
            paths += text_paths(t.cls, here)
        elif isinstance(t, mi.ListType):
            item = _unwrap(t.item_type)
            if isinstance(item, mi.StrType):
                paths.append((*here, 0))
            elif isinstance(item, mi.StructType):
                paths += text_paths(item.cls, (*here, 0))
    return paths


def _put(doc: dict, path: tuple, value: str) -> None:
    """Set ``value`` at ``path``, making the rows and parts on the way."""
    node: Any = doc
    for key, nxt in itertools.pairwise(path):
        if isinstance(key, int):
            while len(node) <= key:
                node.append({} if isinstance(nxt, str) else [])
            child = node[key]
        else:
            child = node.get(key)
            if child is None:
                node[key] = child = [] if isinstance(nxt, int) else {}
        node = child
    last = path[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append("")
    node[last] = value


#: Elements that exist only when a switch is on (收费项目 only when 是否收费).
SWITCHES = {"fees": {"charged": True}}


def _row_of(path: tuple) -> tuple:
    """The table row a path is in (up to its first index), or the path itself."""
    for n, key in enumerate(path):
        if isinstance(key, int):
            return path[: n + 1]
    return path


def _accepts(doc: dict) -> bool:
    try:
        validate_document(doc)
    except ElementValidationError:
        return False
    return True


def payload_document(base: dict) -> tuple[dict, list[Payload], list[str]]:
    """``base`` with a payload in every text element the schema accepts one in.

    A table row gets all its texts at once (a row needs its required cells).
    Returns the document, the payloads, and the elements left out because the
    schema does not take markup there (a pattern, a tiny length), each named.
    """
    doc = msgspec.json.decode(msgspec.json.encode(base))
    payloads: list[Payload] = []
    skipped: list[str] = []
    groups: dict[tuple, list[tuple]] = {}
    for path in text_paths(ElementDocument):
        groups.setdefault(_row_of(path), []).append(path)
    n = 0
    for paths in groups.values():
        candidates = []
        for path in paths:
            n += 1
            candidates.append((path, f"XSS{n:03d}Q"))
        trial = msgspec.json.decode(msgspec.json.encode(doc))
        trial |= SWITCHES.get(paths[0][0], {})
        for path, marker in candidates:
            _put(trial, path, LONG.format(m=marker))
        if len(candidates) > 1 and _accepts(trial):
            doc = trial
            payloads += [Payload(p, m, LONG.format(m=m)) for p, m in candidates]
            continue
        for path, marker in candidates:  # one by one: some take only a short payload
            for template in (LONG, SHORT):
                trial = msgspec.json.decode(msgspec.json.encode(doc))
                _put(trial, path, template.format(m=marker))
                if _accepts(trial):
                    doc = trial
                    payloads.append(Payload(path, marker, template.format(m=marker)))
                    break
            else:
                skipped.append(".".join(map(str, path)))
    return doc, payloads, skipped


async def publish_with_payloads(world: sw.World) -> tuple[int, int, list[Payload], list[str]]:
    """A published item of the world amended to carry every payload, through the chain.

    Returns (item id, the amend request's id, payloads, skipped elements). An
    element a service refuses (a plugin rule, a quality check that blocks) is
    dropped with its reason, and the rest are published.
    """
    from qingdan.web.element_form import TITLE_TO_NAME

    t = world.t
    # The name is the catalog entry's (a quality check keeps them equal): it
    # carries its payload from the entry on.
    name = Payload(("name",), "XSSNAMEQ", LONG.format(m="XSSNAMEQ"))
    item_id = await sw.published_item(t, name.text, f"7{world.marker[-8:]}"[:9])
    clerk = await sw.who(t, "clerk")
    detail = await get_item(t.ctx, item_id)
    base = dump_document(detail.published)
    doc, payloads, skipped = payload_document(base)
    payloads = [p for p in payloads if p.path != ("name",)]
    _put(doc, ("name",), name.text)
    for _ in range(10):
        try:
            detail = await get_item(t.ctx, item_id)
            await wf.edit_draft(t.ctx, clerk, item_id, doc, detail.item["lock_version"])
            cr = await wf.submit(t.ctx, clerk, item_id, ChangeKind.amend, LONG.format(m=REASON))
            for step in await wf.steps_of(t.ctx, cr.id):
                reviewer = await sw.who(t, step["role"])
                await wf.approve(t.ctx, reviewer, cr.id, seen_version=cr.version)
            return item_id, cr.id, [name, *payloads], skipped
        except Exception as exc:  # a rule refused one element: drop it and say which
            field = getattr(exc, "field", None) or ""
            message = str(getattr(exc, "message", exc))
            named = {TITLE_TO_NAME.get(title) for title in re.findall(r"【([^】]+)】", message)}
            dropped = [
                p
                for p in payloads
                if (field and p.label.startswith(field.split("[")[0])) or p.path[0] in named
            ]
            if not dropped:
                raise
            for p in dropped:
                payloads.remove(p)
                _put(doc, p.path, _value_at(base, p.path))
                skipped.append(f"{p.label} ({getattr(exc, 'message', exc)})")
    raise AssertionError("could not publish the payload document")


def _value_at(doc: Any, path: tuple) -> Any:
    for key in path:
        try:
            doc = doc[key]
        except (IndexError, KeyError, TypeError):
            return ""
    return doc if isinstance(doc, str) else ""


# The world with the payloads, and every page that shows them ---------------------------------

#: Payloads of other user input shown with the item (a request's reason, a bundle,
#: a publication's note, an attachment's file name).
OTHER = {
    "bundle": "XSSBUNDLEQ",
    "bundle_description": "XSSBDESCQ",
    "note": "XSSNOTEQ",
}


@dataclass
class Scene:
    world: sw.World
    payloads: list[Payload]
    skipped: list[str]
    client: AsyncTestClient
    pages: dict[str, tuple[int, str, str]]  # "who GET url" -> (status, content type, body)


def markup(m: str) -> str:
    return LONG.format(m=m)


@pytest.fixture(scope="module")
async def scene(database):
    from qingdan.core.bundles import services as bundles
    from qingdan.core.bundles.schemas import BundleInput
    from qingdan.core.doorstep import services as doorstep
    from qingdan.core.publishing import publications

    started = time.monotonic()
    world = await sw.build_world()
    t = world.t
    item_id, cr_id, payloads, skipped = await publish_with_payloads(world)
    payloads.append(Payload(("reason",), REASON, LONG.format(m=REASON)))
    admin = await sw.who(t, "tenant_admin")
    bundle_id = await bundles.create_bundle(
        t.ctx,
        admin,
        data=BundleInput(
            name=markup(OTHER["bundle"])[:200], description=markup(OTHER["bundle_description"])
        ),
    )
    for m in ("bundle", "bundle_description"):
        payloads.append(Payload((m,), OTHER[m], markup(OTHER[m])))
    for member in (item_id, world.params["item_id"]):
        row = await bundles.get_bundle_row(t.ctx, bundle_id)
        await bundles.add_item(t.ctx, admin, bundle_id, member, row["lock_version"])
    await doorstep.delegate(
        t.ctx, await sw.who(t, "service_center"), world.params["division_id"], [item_id]
    )
    issuer = next(r.value for r in publications.issuing_roles(t.ctx) if r.value in t.users)
    publication = await publications.issue_publication(
        t.ctx, await sw.who(t, issuer), note=markup(OTHER["note"])
    )
    payloads.append(Payload(("note",), OTHER["note"], markup(OTHER["note"])))
    world.extra["open_cr"] = world.params["cr_id"]  # the request still waiting at step 1
    world.params |= {
        "item_id": item_id,
        "cr_id": cr_id,
        "bundle_id": bundle_id,
        "number": publication.number,
    }
    print(f"\nscene built in {time.monotonic() - started:.1f}s; {len(payloads)} payloads")
    async with AsyncTestClient(app=shared_app()) as client:
        yield Scene(world, payloads, skipped, client, {})


#: Who looks: the item's agency, the offices, the administrator, the public.
VIEWERS = ["clerk", "agency_reviewer", "reform_office", "data_center", "tenant_admin", ""]


async def sign_in(c: AsyncTestClient, slug: str, role: str) -> None:
    c.cookies.clear()
    if not role:
        return
    await c.get(f"/t/{slug}/login")
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": role, "password": PASSWORD},
        headers={CSRF_HEADER: c.cookies.get(CSRF_COOKIE) or ""},
        follow_redirects=False,
    )
    assert r.status_code == 303


async def sweep(scene: Scene) -> None:
    """Every GET route that takes the scene's objects, as each viewer; bodies kept."""
    if scene.pages:
        return
    w, c = scene.world, scene.client
    routes = [
        r
        for r in sw.app_routes(c.app)
        if r.method == "GET" and "{slug" in r.path and not r.path.endswith(".pdf")
    ]
    kinds = [s.kind.value for s in list_specs(w.t.ctx)]
    for role in VIEWERS:
        await sign_in(c, w.slug, role)
        for route in routes:
            if bool(role) != route.tenant_page:
                continue  # the public pages once, anonymously; the staff pages signed in
            for kind in kinds if "{kind" in route.path else [""]:
                url = sw.fill_path(route, w.slug, w.params, kind)
                r = await c.get(url, follow_redirects=False)
                scene.pages[f"{role or 'public'} GET {url}"] = (
                    r.status_code,
                    r.headers.get("content-type", ""),
                    r.text if "html" in r.headers.get("content-type", "") else "",
                )


async def test_every_free_text_element_takes_a_payload(scene):
    """The payload document leaves out only elements whose schema forbids markup."""
    names = {p.path[0] for p in scene.payloads}
    assert {"acceptance_conditions", "materials", "process", "faq", "legal_basis"} <= names
    # Whatever was left out is said, with its reason; a code with a fixed pattern is one.
    assert "handling_item" in " ".join(scene.skipped)
    print(f"\n{len(scene.payloads)} payloads; left out: {scene.skipped}")


async def test_no_page_shows_markup_from_user_input(scene):
    await sweep(scene)
    html = {k: v for k, v in scene.pages.items() if v[2]}
    assert len(html) > 50, "the sweep saw the pages"
    errors = [f"{k}: {v[0]}" for k, v in scene.pages.items() if v[0] >= 500]
    assert not errors, f"server errors: {errors}"
    live = []
    for key, (_status, _type, body) in html.items():
        for p in scene.payloads:
            for fragment in p.raw:
                if fragment in body:
                    live.append(f"{key}: {p.label} shows {fragment!r} unescaped")
    assert not live, "\n".join(live[:40])


async def test_every_payload_is_seen_escaped(scene):
    """Each payload reaches some page, as text: the sweep would notice it otherwise."""
    await sweep(scene)
    bodies = "\n".join(v[2] for v in scene.pages.values())
    unseen = [p.label for p in scene.payloads if p.escaped not in bodies]
    assert not unseen, f"payloads no page shows (escaped): {unseen}"


async def test_the_guide_pdf_prints_the_payload_as_text(scene):
    from pypdf import PdfReader

    w, c = scene.world, scene.client
    c.cookies.clear()
    page = await c.get(f"/p/{w.slug}/items/{w.params['item_id']}")
    assert page.status_code == 200
    r = await c.get(f"/p/{w.slug}/items/{w.params['item_id']}/guide.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF-")
    text = "".join(
        "".join(pg.extract_text() or "" for pg in PdfReader(io.BytesIO(r.content)).pages).split()
    )
    on_page = [p for p in scene.payloads if p.escaped in page.text]
    assert len(on_page) > 10
    missing = [p.label for p in on_page if f"<b>{p.marker}</b>" not in text]
    assert not missing, f"payloads on the guide page but not literal in its PDF: {missing}"


# Uploads ----------------------------------------------------------------------------------------


def text_of(html: str) -> str:
    from html import unescape

    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def upload(c, url: str, name: str, data: bytes, field: str = "file", **fields: str):
    return await c.post(
        url,
        data=fields,
        files={field: (name, data, "application/octet-stream")},
        headers={CSRF_HEADER: c.cookies.get(CSRF_COOKIE) or ""},
        follow_redirects=False,
    )


async def test_attachments_of_the_wrong_type_or_size_are_refused_with_a_message(scene):
    from qingdan.core import files
    from qingdan.web.controllers.changes import MAX_UPLOAD_BODY

    w, c = scene.world, scene.client
    cr_id = w.extra["open_cr"]
    before = len(sw.in_app(c, wf.attachments_of, w.t.ctx, cr_id))
    await sign_in(c, w.slug, "clerk")
    url = f"/t/{w.slug}/changes/{cr_id}/attachments"
    limit_mb = files.MAX_BYTES // 1024 // 1024
    cases = [
        ("病毒.exe", b"MZ\x90\x00", "文件类型不允许"),
        ("伪装.pdf", b"MZ\x90\x00 not a pdf", "内容与扩展名"),
        ("空白.pdf", b"", "空文件"),
        ("超大.pdf", b"%PDF-1.4\n" + b"0" * files.MAX_BYTES, f"超过{limit_mb}MB"),
    ]
    for name, data, words in cases:
        r = await upload(c, url, name, data, kind="other")
        assert r.status_code == 400, (name, r.status_code)
        message = text_of(r.text)
        assert words in message and name in message, (name, message[:300])
    # Past the request's own limit the body is not even read: 413, in Chinese.
    r = await upload(c, url, "巨大.pdf", b"%PDF-1.4\n" + b"0" * MAX_UPLOAD_BODY, kind="other")
    assert r.status_code == 413 and "提交的内容过大" in text_of(r.text)
    assert len(sw.in_app(c, wf.attachments_of, w.t.ctx, cr_id)) == before


async def _catalog_counts(world: sw.World) -> tuple[int, int]:
    from qingdan.core.catalog.tables import CatalogEntry
    from qingdan.core.imports.tables import ImportBatch

    scope = world.t.ctx.scope
    return await scope.count(CatalogEntry), await scope.count(ImportBatch)


def _release_with_a_bad_entry() -> bytes:
    import json

    good = {"base_code": "000909001", "name": "好的事项", "item_type": "licensing",
            "levels": ["municipal"], "department": "市场监督管理局"}  # fmt: skip
    bad = {"base_code": "000909002", "name": "坏的事项", "item_type": "不存在的类型",
           "levels": ["municipal"]}  # fmt: skip
    body = {"format": "qingdan.catalog-release", "source": "provincial", "mode": "increment",
            "entries": [good, bad]}  # fmt: skip
    return json.dumps(body, ensure_ascii=False).encode()


def _sample_xlsx_with_a_bad_row() -> bytes:
    """The sample release (dozens of good rows) with one row's 事项类型 made up."""
    from openpyxl import load_workbook

    from qingdan.core.imports.sample import sample_release

    book = load_workbook(io.BytesIO(sample_release("xlsx")[0]))
    sheet = book.worksheets[0]
    headings = [str(cell.value).rstrip("*") for cell in sheet[1]]  # * marks required
    sheet.cell(row=5, column=headings.index("事项类型") + 1, value="不存在的类型")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_malformed_or_partly_wrong_release_is_refused_whole(scene, monkeypatch):
    from qingdan.core.imports import release_format
    from qingdan.web.controllers import imports

    w, c = scene.world, scene.client
    before = sw.in_app(c, _catalog_counts, w)
    await sign_in(c, w.slug, "data_center")
    url = f"/t/{w.slug}/imports"
    cases = [
        ("目录.pdf", sw.PDF, "既不是 Excel"),
        ("目录.docx", b"PK\x03\x04 a word file", "无法读取"),
        ("目录.xlsx", b"PK\x03\x04 broken zip", "已损坏"),
        ("目录.json", b'{"format": "qingdan.catalog-release", "entries": [', "不是有效的 JSON"),
        ("目录.json", _release_with_a_bad_entry(), "第2条"),
        ("目录.xlsx", _sample_xlsx_with_a_bad_row(), "第5行"),
    ]
    for name, data, words in cases:
        r = await upload(c, url, name, data)
        assert r.status_code == 422, (name, r.status_code, text_of(r.text)[-300:])
        assert "文件未导入" in r.text and words in text_of(r.text), (name, text_of(r.text)[-400:])
        assert sw.in_app(c, _catalog_counts, w) == before, f"{name}: a refused file was applied"
    # Too large: the limit is lowered here (the real one is 200MB) to keep the test small.
    monkeypatch.setattr(release_format, "MAX_BYTES", 2 * 1024 * 1024)
    monkeypatch.setattr(imports, "JOB_BYTES", 4 * 1024 * 1024)
    r = await upload(c, url, "超大.json", b"{" + b" " * (3 * 1024 * 1024) + b"}")
    assert r.status_code == 422 and "文件超过2MB" in text_of(r.text)
    assert sw.in_app(c, _catalog_counts, w) == before


async def test_a_bulk_item_edit_with_one_bad_row_changes_no_item(scene):
    from openpyxl import load_workbook

    w, c = scene.world, scene.client
    agency = w.t.agency_ids[0]
    await sign_in(c, w.slug, "clerk")
    r = await c.get(f"/t/{w.slug}/imports/items/download?agency_id={agency}")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    sheet = book["事项"]
    headings = [cell.value for cell in sheet[1]]
    assert sheet.max_row >= 3, "the agency has at least two items"
    sheet.cell(row=2, column=headings.index("受理条件") + 1, value="修改后的受理条件")
    sheet.cell(row=3, column=headings.index("到办事现场次数") + 1, value="很多次")
    out = io.BytesIO()
    book.save(out)
    ids = [sheet.cell(row=n, column=1).value for n in range(2, sheet.max_row + 1)]

    async def locks_now() -> dict:
        return {i: (await get_item(w.t.ctx, int(i))).item["lock_version"] for i in ids}

    locks = sw.in_app(c, locks_now)
    url = f"/t/{w.slug}/imports/items"
    r = await upload(c, url, "批量编辑.xlsx", out.getvalue())
    assert r.status_code == 422 and "文件未导入" in r.text
    assert "到办事现场次数" in text_of(r.text) and "第3行" in text_of(r.text)
    r = await upload(c, url, "批量编辑.xlsx", b"not a workbook")
    assert r.status_code == 422 and "不是有效的 Excel" in text_of(r.text)
    assert sw.in_app(c, locks_now) == locks


def pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    assert data.startswith(b"%PDF-")
    return "".join(
        "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages).split()
    )


@pytest.mark.parametrize(
    ("who", "path", "marker"),
    [
        ("", "/p/{slug}/publications/{number}/announcement.pdf", "XSSNAMEQ"),
        ("tenant_admin", "/t/{slug}/bundles/{bundle_id}/guide.pdf", "XSSBUNDLEQ"),
    ],
    ids=["announcement", "bundle guide"],
)
async def test_other_pdfs_print_markup_as_text(scene, who, path, marker):
    w, c = scene.world, scene.client
    await sign_in(c, w.slug, who)
    r = await c.get(path.format(slug=w.slug, **w.params))
    assert r.status_code == 200, r.status_code
    assert f"<b>{marker}</b>" in pdf_text(r.content)
