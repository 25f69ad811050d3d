"""Publications (公布) of the catalog and their announcements (公告).

A publication is a numbered snapshot of what the public sees; its
announcement lists exactly what was added, changed (element by element) and
cancelled since the one before. Numbers run without gaps even when issued at
once; drafts never appear; only the offices the plugin names may issue; the
page, the PDF (with a CJK font), the Atom feed and the JSON API say the same;
and no tenant sees another's.
"""

from __future__ import annotations

import asyncio
import io
import re
import types
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, date
from xml.etree import ElementTree as ET

import pytest
from litestar.testing import AsyncTestClient

from qingdan import hookimpl
from qingdan.core.audit.tables import AuditEntry
from qingdan.core.catalog.services import (
    create_catalog_entry,
    create_item,
    get_item,
    publish_draft,
    save_draft,
)
from qingdan.core.catalog.validation import dump_document
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.errors import ConflictError, NotFound, PermissionDenied
from qingdan.core.hooktypes import Jurisdiction, PublicationPolicy, PublicationSchedule
from qingdan.core.plugins import PluginError, get_registry, load_plugin, set_registry
from qingdan.core.publishing import publications as pubs
from qingdan.core.publishing.announcements import Snapshot
from qingdan.core.publishing.tables import Publication
from qingdan.core.tenancy import services as tenancy
from qingdan.core.testing import (
    PASSWORD,
    SAMPLE_PLACE,
    SYSTEM,
    ConformanceReport,
    build_tenant,
    conformance,
    sample_entry_document,
)
from qingdan.core.testing.jobs import settle
from qingdan.core.workflow.services import _set_item_status
from qingdan.web.testing import shared_app

pytestmark = pytest.mark.db

ATOM = "{http://www.w3.org/2005/Atom}"
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


# Building the catalog ---------------------------------------------------------------------


async def tenant(plugin: str = "sample"):
    return await build_tenant(plugin=plugin, slug=f"pub{uuid.uuid4().hex[:8]}")


async def publish(t, item_id: int, **changes) -> int:
    """Save a draft with ``changes`` and publish it; the published version's id."""
    detail = await get_item(t.ctx, item_id)
    doc = dump_document(detail.draft or detail.published) | SAMPLE_PLACE | changes
    await save_draft(t.ctx, SYSTEM, item_id, doc, detail.item["lock_version"])
    return (await publish_draft(t.ctx, SYSTEM, item_id)).id


async def published(t, agency: int, **changes):
    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[agency])
    await publish(t, item.id, **changes)
    return item


async def who(t, role: str):
    return await tenancy.load_principal(t.users[role])


async def issue(t, note: str = ""):
    return await pubs.issue_publication(t.ctx, await who(t, "data_center"), note=note)


def names(lines) -> list[str]:
    return [line.name for line in lines]


# The announcement ------------------------------------------------------------------------


async def test_an_announcement_lists_exactly_the_differences_between_two_publications(database):
    t = await tenant()
    a = await published(t, 0, name="甲事项")
    b = await published(t, 1, name="乙事项", promised_limit={"value": 10, "unit": "working_day"})
    first = await issue(t)
    assert first.number == 1
    one = await pubs.get_announcement(t.ctx, 1)
    # The first publication adds everything then in use: the catalog entry and both items.
    assert names(one.added) == ["样例许可事项", "甲事项", "乙事项"]
    assert [line.subject for line in one.added] == ["entry", "item", "item"]
    assert one.changed == [] and one.cancelled == [] and one.previous_number is None

    # Change B's elements, add C and a catalog entry, cancel A.
    await publish(
        t,
        b.id,
        promised_limit={"value": 5, "unit": "working_day"},
        materials=[{"name": "申请书"}, {"name": "身份证明"}],
    )
    c = await published(t, 2, name="丙事项")
    await create_catalog_entry(t.ctx, SYSTEM, sample_entry_document("000101002", "新目录事项"))
    await _set_item_status(t.ctx, a.id, ItemStatus.cancelled)
    second = await issue(t, note="第二批调整")

    two = await pubs.get_announcement(t.ctx, second.number)
    assert two.publication.number == 2 and two.previous_number == 1
    assert two.publication.note == "第二批调整"
    assert [(line.subject, line.name) for line in two.added] == [
        ("entry", "新目录事项"),
        ("item", "丙事项"),
    ]
    assert [line.subject_id for line in two.added if line.subject == "item"] == [c.id]
    assert [(line.subject_id, line.name) for line in two.changed] == [(b.id, "乙事项")]
    assert [(line.subject_id, line.name) for line in two.cancelled] == [(a.id, "甲事项")]
    (changed,) = two.changed
    assert [e.element for e in changed.elements] == ["materials", "promised_limit"]
    limit = next(e for e in changed.elements if e.element == "promised_limit")
    assert (limit.title, limit.before, limit.after) == ("承诺办结时限", "10个工作日", "5个工作日")
    assert changed.agency_name == SAMPLE_PLACE["agency_name"]  # the element 实施主体
    summary = two.publication
    assert (summary.added, summary.changed, summary.cancelled) == (2, 1, 1)
    assert (summary.entries, summary.items) == (2, 2)

    # A suspension is a change of the status element, not a cancellation.
    await _set_item_status(t.ctx, c.id, ItemStatus.suspended)
    three = await pubs.get_announcement(t.ctx, (await issue(t)).number)
    assert three.added == [] and three.cancelled == []
    ((status,),) = [line.elements for line in three.changed]
    assert (status.element, status.before, status.after) == ("status", "在用", "暂停")

    # Issuing is audited, with the counts.
    audit = (
        await AuditEntry.select()
        .where((AuditEntry.tenant == t.tenant_id) & (AuditEntry.action == "publication.issue"))
        .output(load_json=True)
    )
    assert [row["data"]["number"] for row in audit] == [1, 2, 3]
    assert audit[1]["data"]["added"] == 2 and audit[1]["data"]["cancelled"] == 1


async def test_a_draft_never_appears_in_a_publication(database):
    t = await tenant()
    item = await published(t, 0, name="已公布的名称")
    published_version = (await get_item(t.ctx, item.id)).item["published_version"]
    detail = await get_item(t.ctx, item.id)
    draft = dump_document(detail.published) | {"name": "草稿中的名称"}
    draft_version = await save_draft(t.ctx, SYSTEM, item.id, draft, detail.item["lock_version"])
    never = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[1])

    publication = await issue(t)
    snapshot = Snapshot.from_json(
        (await t.ctx.scope.get_row(Publication, publication.id))["snapshot"]
    )
    assert snapshot.items == {item.id: (published_version, "published")}
    assert draft_version.id != published_version and never.id not in snapshot.items
    announcement = await pubs.get_announcement(t.ctx, publication.number)
    assert "草稿中的名称" not in str(announcement)
    assert names(announcement.added) == ["样例许可事项", "已公布的名称"]
    # A draft is not a change: the scheduled job finds nothing to publish.
    assert await pubs.issue_if_changed(t.ctx) is None
    assert await pubs.latest_number(t.ctx) == 1


# Numbers ---------------------------------------------------------------------------------


async def test_numbers_run_without_gaps_even_when_issued_at_once(database):
    t = await tenant()
    await published(t, 0)
    principal = await who(t, "data_center")
    assert [(await issue(t)).number for _ in range(2)] == [1, 2]

    issued = await asyncio.gather(*(pubs.issue_publication(t.ctx, principal) for _ in range(4)))
    assert sorted(p.number for p in issued) == [3, 4, 5, 6]
    rows = await t.ctx.scope.select(
        Publication, Publication.id, Publication.number, Publication.previous
    ).order_by(Publication.number)
    assert [r["number"] for r in rows] == [1, 2, 3, 4, 5, 6]
    # Each announcement is against the one just before it.
    assert [r["previous"] for r in rows[1:]] == [r["id"] for r in rows[:-1]]

    # Two people seeing publication 6 and both issuing: one publication, one refusal.
    results = await asyncio.gather(
        *(pubs.issue_publication(t.ctx, principal, expected_latest=6) for _ in range(2)),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "Publication"]
    assert await pubs.latest_number(t.ctx) == 7
    with pytest.raises(ConflictError, match="第7期已由"):
        await pubs.issue_publication(t.ctx, principal, expected_latest=6)


async def _run(worker, _message) -> None:
    await settle(worker)


@pytest.mark.jobs
async def test_the_scheduled_job_issues_only_when_something_changed(job_worker):
    from qingdan.core.jobs.actors import issue_publication

    t = await tenant()
    item = await published(t, 0)
    friday = date(2026, 11, 27)
    assert pubs.publication_due(PublicationSchedule.weekly, friday)
    assert not pubs.publication_due(PublicationSchedule.weekly, date(2026, 11, 26))
    assert pubs.publication_due(PublicationSchedule.monthly, date(2026, 12, 1))
    assert not pubs.publication_due(PublicationSchedule.none, friday)

    # Core's default schedule is daily: the job issues one, then, run again, nothing.
    await _run(job_worker, issue_publication.send(t.tenant_id, friday.isoformat()))
    assert await pubs.latest_number(t.ctx) == 1
    await _run(job_worker, issue_publication.send(t.tenant_id, friday.isoformat()))
    assert await pubs.latest_number(t.ctx) == 1
    await publish(t, item.id, acceptance_conditions="新的受理条件。")
    await _run(job_worker, issue_publication.send(t.tenant_id, "2026-11-28"))
    assert await pubs.latest_number(t.ctx) == 2
    latest = (await pubs.list_publications(t.ctx))[0]
    assert latest.kind == "scheduled" and latest.issued_by == "定时公布"
    (line,) = (await pubs.get_announcement(t.ctx, 2)).changed
    assert [e.element for e in line.elements] == ["acceptance_conditions"]


# Who may issue ----------------------------------------------------------------------------


async def test_a_clerk_cannot_issue_but_the_data_center_can(database):
    t = await tenant()
    await published(t, 0)
    for role in ("clerk", "reform_office", "tenant_admin"):
        with pytest.raises(PermissionDenied, match="大数据中心"):
            await pubs.issue_publication(t.ctx, await who(t, role))
    assert await pubs.latest_number(t.ctx) == 0

    async with client() as c:
        await login(c, t.slug, "clerk")
        page = await c.get(f"/t/{t.slug}/publications")
        assert page.status_code == 200 and "发布第1期公告" not in page.text
        r = await c.post(
            f"/t/{t.slug}/publications",
            data={"expected_latest": "0", "_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 403
    assert await pubs.latest_number(t.ctx) == 0

    async with client() as c:
        await login(c, t.slug, "data_center")
        page = await c.get(f"/t/{t.slug}/publications")
        assert "发布第1期公告" in page.text and "新增 2 项" in page.text
        r = await c.post(
            f"/t/{t.slug}/publications",
            data={"expected_latest": "0", "note": "首次公布", "_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert r.headers["location"] == f"/t/{t.slug}/publications/1?done=issue"
        detail = await c.get(r.headers["location"])
        assert "第1期公告已发布" in detail.text and "样例许可事项" in detail.text
        # The same form sent again (a double click) is refused, not a second publication.
        again = await c.post(
            f"/t/{t.slug}/publications",
            data={"expected_latest": "0", "_csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert again.status_code == 409 and "第1期已由" in again.text
    assert await pubs.latest_number(t.ctx) == 1


def _plugin_module(name: str, roles: tuple[str, ...]):
    @hookimpl
    def qingdan_jurisdiction():
        return Jurisdiction(slug=name, name=f"{name}市", division_code="990100000000")

    @hookimpl
    def qingdan_publication_policy(settings):
        return PublicationPolicy(roles=roles, schedule=PublicationSchedule.none, basis="测试")

    module = types.ModuleType(name)
    module.qingdan_jurisdiction = qingdan_jurisdiction
    module.qingdan_publication_policy = qingdan_publication_policy
    return module


async def test_the_plugin_names_who_issues_through_qingdan_publication_policy(database):
    plugin = load_plugin("pubpolicy", _plugin_module("pubpolicy", ("reform_office",)), "1.0")
    assert plugin.implemented_hooks() == ["qingdan_jurisdiction", "qingdan_publication_policy"]
    saved = get_registry()
    set_registry(saved.with_plugin(plugin))
    try:
        t = await tenant("pubpolicy")
        assert pubs.issuing_roles(t.ctx) == ["reform_office"]
        with pytest.raises(PermissionDenied, match="审改机构"):
            await pubs.issue_publication(t.ctx, await who(t, "data_center"))
        done = await pubs.issue_publication(t.ctx, await who(t, "reform_office"))
        assert done.number == 1
        # This plugin wants no scheduled publication.
        assert await pubs.issue_scheduled(t.ctx, date(2026, 11, 27)) is None
    finally:
        set_registry(saved)


def test_a_policy_naming_an_unknown_role_fails_loading_and_the_conformance_check():
    bad = _plugin_module("badpolicy", ("mayor",))
    with pytest.raises(PluginError, match="qingdan_publication_policy 的角色 mayor"):
        load_plugin("badpolicy", bad, "2.0")
    report = ConformanceReport(plugin="badpolicy")
    plugin = conformance._unvalidated("badpolicy", bad, "2.0", "", report)
    conformance._check_hooks(plugin, report)
    item = report.item("公布 qingdan_publication_policy")
    assert not item.ok and "mayor" in item.detail
    good = conformance._unvalidated(
        "goodpolicy", _plugin_module("goodpolicy", ("data_center",)), "1", "", report
    )
    report = ConformanceReport(plugin="goodpolicy")
    conformance._check_hooks(good, report)
    assert report.item("公布 qingdan_publication_policy").ok


# The PDF, the feed, the pages, the API ---------------------------------------------------


async def test_the_announcement_pdf_is_a4_and_embeds_a_cjk_font(database):
    from pypdf import PdfReader

    t = await tenant()
    item = await published(t, 0, name="食品经营许可")
    await issue(t)
    await publish(t, item.id, promised_limit={"value": 3, "unit": "working_day"})
    await issue(t)
    data, summary = await pubs.announcement_pdf(t.ctx, 2)
    reader = PdfReader(io.BytesIO(data))
    fonts = set()
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    # Subset names such as /TSPJMR+Noto-Sans-CJK-SC: the Chinese is set in a real CJK font.
    plain = {f.split("+")[-1].replace("-", "") for f in fonts}
    assert {"NotoSansCJKSC", "NotoSerifCJKSCBold"} <= plain, fonts
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "第2期" in text and "食品经营许可" in text and "承诺办结时限" in text
    assert f"{summary.issued_on}公布" in text  # header/footer: number and date
    assert "第 1 页 / 共" in text
    # Rendered once: the second download is the stored file.
    again, _ = await pubs.announcement_pdf(t.ctx, 2)
    assert again == data


async def _feed(slug: str):
    """The feed as a client reads it (the app runs its own event loop: no database
    work of the test while it is open)."""
    async with client() as c:
        r = await c.get(f"/p/{slug}/publications.atom")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    assert "set-cookie" not in r.headers and r.headers["etag"]
    return ET.fromstring(r.content)


async def test_the_atom_feed_has_one_entry_per_publication_with_stable_ids(database):
    t = await tenant()
    item = await published(t, 0)
    await issue(t)
    await publish(t, item.id, acceptance_conditions="改过的受理条件。")
    await issue(t)
    listed = await pubs.list_publications(t.ctx)
    feed = await _feed(t.slug)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.find(f"{ATOM}{required}").text
    assert feed.find(f"{ATOM}author/{ATOM}name").text == t.ctx.name
    self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link.endswith(f"/p/{t.slug}/publications.atom")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text[-4:] for e in entries] == ["第2期)", "第1期)"]
    for entry, p in zip(entries, listed, strict=True):
        assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", entry.find(f"{ATOM}id").text)
        issued = p.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert entry.find(f"{ATOM}updated").text == issued
        assert entry.find(f"{ATOM}published").text == issued
        link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert link.endswith(f"/p/{t.slug}/publications/{p.number}")
        assert f"新增{p.added}项" in entry.find(f"{ATOM}summary").text
    assert feed.find(f"{ATOM}updated").text == entries[0].find(f"{ATOM}updated").text
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == 2

    # A new publication adds an entry; the others keep their ids, the feed its own.
    await publish(t, item.id, acceptance_conditions="又改了。")
    await issue(t)
    later = await _feed(t.slug)
    later_entries = later.findall(f"{ATOM}entry")
    assert len(later_entries) == 3
    assert [e.find(f"{ATOM}id").text for e in later_entries[1:]] == ids
    assert later.find(f"{ATOM}id").text == feed.find(f"{ATOM}id").text


async def test_portal_pages_and_api_show_the_announcements(database):
    t = await tenant()
    item = await published(t, 0, name="公开事项")
    await issue(t)
    await publish(t, item.id, promised_limit={"value": 4, "unit": "working_day"})
    await issue(t)
    async with client() as c:
        page = await c.get(f"/p/{t.slug}/publications")
        assert (
            page.status_code == 200
            and "第2期公告" in page.text
            and "set-cookie" not in page.headers
        )
        detail = await c.get(f"/p/{t.slug}/publications/2")
        assert "公开事项" in detail.text and "承诺办结时限" in detail.text
        assert f'href="/p/{t.slug}/items/{item.id}"' in detail.text
        cached = await c.get(
            f"/p/{t.slug}/publications/2", headers={"If-None-Match": detail.headers["etag"]}
        )
        assert cached.status_code == 304
        pdf = await c.get(f"/p/{t.slug}/publications/2/announcement.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert "immutable" in pdf.headers["cache-control"]

        listing = (await c.get(f"/api/v1/tenants/{t.slug}/publications")).json()
        assert [p["number"] for p in listing["publications"]] == [2, 1]
        assert listing["feed_url"] == f"/p/{t.slug}/publications.atom"
        two = (await c.get(f"/api/v1/tenants/{t.slug}/publications/2")).json()
        assert two["publication"]["number"] == 2 and two["previous_number"] == 1
        (line,) = two["changed"]
        assert line["name"] == "公开事项"
        assert [e["element"] for e in line["elements"]] == ["promised_limit"]
        assert line["elements"][0]["after"] == "4个工作日"
        assert (await c.get(f"/api/v1/tenants/{t.slug}/publications/9")).status_code == 404

        schema = (await c.get("/api/schema/openapi.json")).json()
        assert "/api/v1/tenants/{slug}/publications/{number}" in schema["paths"]
        assert "Announcement" in schema["components"]["schemas"]

        jsonld = await c.get(f"/p/{t.slug}/catalog.jsonld")
        assert jsonld.headers["content-type"].startswith("application/ld+json")
        graph = jsonld.json()["@graph"]
        assert any(n.get("@type") == "PublicService" for n in graph)
        assert (await c.get(f"/api/v1/tenants/{t.slug}/cpsv-ap")).json()["@graph"] == graph


# Tenant isolation ------------------------------------------------------------------------


async def test_tenants_never_see_each_others_publications(database):
    t1 = await tenant()
    await published(t1, 0, name="一号租户的事项")
    await issue(t1)
    await issue(t1)
    t2 = await tenant()
    await published(t2, 0, name="二号租户的事项")
    await issue(t2)

    with pytest.raises(NotFound):
        await pubs.get_announcement(t2.ctx, 2)  # t1 has a 2nd; t2 does not
    one = await pubs.get_announcement(t2.ctx, 1)
    assert "一号租户的事项" not in names(one.added)
    # Numbers are per tenant: each starts at 1.
    assert [p.number for p in await pubs.list_publications(t2.ctx)] == [1]

    async with client() as c:
        await login(c, t2.slug, "data_center")
        assert (await c.get(f"/t/{t1.slug}/publications")).status_code == 404
        assert (await c.get(f"/t/{t1.slug}/publications/1")).status_code == 404
        assert (await c.get(f"/t/{t1.slug}/publications/1/announcement.pdf")).status_code == 404
        own = await c.get(f"/t/{t2.slug}/publications/1")
        assert "二号租户的事项" in own.text and "一号租户的事项" not in own.text
        assert (await c.get(f"/p/{t2.slug}/publications/2")).status_code == 404
        feed = (await c.get(f"/p/{t2.slug}/publications.atom")).text
        assert "第2期" not in feed and t1.ctx.name not in feed
        api = (await c.get(f"/api/v1/tenants/{t2.slug}/publications")).json()
        assert [p["number"] for p in api["publications"]] == [1]
        jsonld = (await c.get(f"/p/{t2.slug}/catalog.jsonld")).text
        assert "二号租户的事项" in jsonld and "一号租户的事项" not in jsonld


# Web helpers -----------------------------------------------------------------------------


@asynccontextmanager
async def client():
    async with AsyncTestClient(app=shared_app()) as c:
        yield c


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


async def login(c, slug: str, username: str):
    page = await c.get(f"/t/{slug}/login")
    r = await c.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
