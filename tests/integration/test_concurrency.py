"""Many people editing, submitting and approving the same items at once.

Every client below is its own asyncio task with its own database connection
and transaction (a pooled connection on PostgreSQL, a fresh one on SQLite), so
the database sees them interleave exactly as it would see several web
processes. The invariants a user relies on:

- no lost update: of saves made on the same lock version one wins, the rest are
  refused with the conflict message, and the draft is the winner's;
- never two open change requests on one item;
- every step of a chain decided once, however many reviewers press at once;
- publication numbers without gaps;
- nothing fails with a server error (a deadlock or a raw database error is a
  failure here), and the audit chain verifies afterwards.

The full load runs on PostgreSQL (QINGDAN_TEST_DB=postgres), where transactions
really run side by side; on SQLite, which queues writers, a smaller load checks
the same invariants.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter, defaultdict
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from web_processes import browsers, csrf_of, web_processes

from qingdan.core.audit.services import entries_for, verify_chain
from qingdan.core.catalog.services import create_catalog_entry, get_item
from qingdan.core.catalog.tables import Item, ItemVersion
from qingdan.core.catalog.validation import dump_document
from qingdan.core.db import get_engine, is_sqlite
from qingdan.core.errors import ConflictError, DomainError
from qingdan.core.hooktypes import ChangeKind
from qingdan.core.publishing import publications as pubs
from qingdan.core.publishing.tables import Publication
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.schemas import Role
from qingdan.core.testing import PASSWORD, SAMPLE_PLACE, SYSTEM, sample_entry_document
from qingdan.core.workflow import services as wf
from qingdan.core.workflow.schemas import OPEN_STATUSES, ChangeStatus
from qingdan.core.workflow.tables import ChangeRequest

pytestmark = pytest.mark.db

CHAIN = ("agency_reviewer", "reform_office", "data_center")  # the sample plugin's claim chain


def load() -> tuple[int, int, int]:
    """(items, clients per role, rounds): the full load on PostgreSQL, less on SQLite."""
    return (3, 3, 2) if is_sqlite() else (6, 6, 4)


@pytest.fixture
async def pooled(database):
    """A connection pool on PostgreSQL (as the web app runs), none on SQLite."""
    from piccolo.engine.postgres import PostgresEngine

    engine = get_engine()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=2, max_size=24)
    yield
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


# A tenant with several people of each role -----------------------------------------------


class World:
    def __init__(self, t, people: dict[str, list[Any]], items: list[int]):
        self.t = t
        self.ctx = t.ctx
        self.people = people  # role -> principals
        self.items = items


async def world(make_tenant, items: int, per_role: int) -> World:
    t = await make_tenant()
    people: dict[str, list[Any]] = defaultdict(list)
    for role in ("clerk", *CHAIN):
        people[role].append(await tenancy.load_principal(t.users[role]))
        for n in range(2, per_role + 1):
            user = await tenancy.create_user(
                t.tenant_id, SYSTEM, f"{role}{n}", f"{role}{n}", PASSWORD
            )
            agency = t.agency_ids[0] if role in ("clerk", "agency_reviewer") else None
            await tenancy.grant_role(t.tenant_id, SYSTEM, user.id, Role(role), agency_id=agency)
            people[role].append(await tenancy.load_principal(user.id))
    clerk = people["clerk"][0]
    item_ids = []
    for k in range(items):
        entry_id = t.entry_id
        if k:
            doc = sample_entry_document(base_code=f"0001010{k + 10:02d}", name=f"并发事项{k}")
            entry_id = (await create_catalog_entry(t.ctx, SYSTEM, doc)).id
        item = await wf.claim(t.ctx, clerk, entry_id, t.agency_ids[0])
        detail = await get_item(t.ctx, item.id)
        doc = dump_document(detail.draft) | SAMPLE_PLACE
        await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
        item_ids.append(item.id)
    return World(t, dict(people), item_ids)


async def at_once(*calls) -> list[Any]:
    """Run the calls side by side; each result is a value or the exception it raised."""
    return await asyncio.gather(*calls, return_exceptions=True)


def refused_cleanly(result: Any) -> bool:
    """A refusal a user can read (not a server error, a deadlock or a database error)."""
    return isinstance(result, DomainError) and bool(result.message)


def assert_no_server_error(results: list[Any]) -> None:
    unexpected = [r for r in results if isinstance(r, BaseException) and not refused_cleanly(r)]
    assert not unexpected, f"a racing action failed with a server error: {unexpected[:3]!r}"


async def open_requests_per_item(w: World) -> Counter:
    rows = await w.ctx.scope.select(ChangeRequest, ChangeRequest.item).where(
        ChangeRequest.status.is_in([s.value for s in OPEN_STATUSES])
    )
    return Counter(r["item"] for r in rows)


async def assert_audit_chain(w: World) -> None:
    report = await verify_chain(w.t.tenant_id)
    assert report.ok, f"audit chain broken at {report.first_bad_seq}: {report.reason}"


# Saves --------------------------------------------------------------------------------------


async def test_racing_saves_lose_no_update(make_tenant, pooled):
    n_items, per_role, rounds = load()
    w = await world(make_tenant, n_items, per_role)
    clerks = w.people["clerk"]
    winners: dict[int, list[str]] = defaultdict(list)
    for rnd in range(rounds):
        # Everybody opened the same page (the same lock version) and saves their own text.
        seen = {i: await get_item(w.ctx, i) for i in w.items}
        calls, who = [], []
        for i in w.items:
            base = dump_document(seen[i].draft)
            for n, clerk in enumerate(clerks):
                text = f"第{rnd}轮{n}号信息员的受理条件"
                calls.append(
                    wf.edit_draft(
                        w.ctx,
                        clerk,
                        i,
                        base | {"acceptance_conditions": text},
                        seen[i].item["lock_version"],
                    )
                )
                who.append((i, text))
        results = await at_once(*calls)
        assert_no_server_error(results)
        by_item: dict[int, list[tuple[str, Any]]] = defaultdict(list)
        for (i, text), r in zip(who, results, strict=True):
            by_item[i].append((text, r))
        for i, outcomes in by_item.items():
            saved = [(text, r) for text, r in outcomes if not isinstance(r, BaseException)]
            assert len(saved) == 1, f"round {rnd}: {len(saved)} saves of one version succeeded"
            refused = [r for _, r in outcomes if isinstance(r, BaseException)]
            assert all(
                isinstance(r, ConflictError) and "已被他人修改" in r.message for r in refused
            )
            winners[i].append(saved[0][0])
            draft = (await get_item(w.ctx, i)).draft
            assert draft.acceptance_conditions == saved[0][0]
    for i in w.items:
        # One version per successful save, numbered without gaps, each made on the one before.
        versions = (
            await w.ctx.scope.select(ItemVersion, ItemVersion.id, ItemVersion.number)
            .where(ItemVersion.item == i)
            .order_by(ItemVersion.number)
        )
        assert [v["number"] for v in versions] == list(range(1, rounds + 3))
        saves = [
            e
            for e in await entries_for(w.t.tenant_id, "item", i)
            if e["action"] == "item.save_draft"
        ]
        assert [e["data"]["previous_version"] for e in saves] == [v["id"] for v in versions[:-1]]
        assert [e["data"]["version"] for e in saves] == [v["id"] for v in versions[1:]]
        detail = await get_item(w.ctx, i)
        assert detail.draft.acceptance_conditions == winners[i][-1]
        assert detail.item["lock_version"] == rounds + 1  # the claim, then a save each
    await assert_audit_chain(w)


async def test_users_retrying_after_a_conflict_all_get_their_save_in(make_tenant, pooled):
    """Free-running: each clerk saves, and on a conflict reloads and saves again, as
    the conflict page asks. Every save lands once, none overwrites another unseen."""
    n_items, per_role, _ = load()
    w = await world(make_tenant, n_items, per_role)
    saves_each = 2

    async def clerk_works(n: int, clerk) -> list[tuple[int, int, str]]:
        done = []
        for i in w.items:
            for s in range(saves_each):
                text = f"{n}号信息员第{s}次"
                for _attempt in range(60):
                    detail = await get_item(w.ctx, i)
                    doc = dump_document(detail.draft) | {"acceptance_conditions": text}
                    try:
                        v = await wf.edit_draft(w.ctx, clerk, i, doc, detail.item["lock_version"])
                    except ConflictError:
                        await asyncio.sleep(0)
                        continue
                    done.append((i, v.number, text))
                    break
                else:
                    raise AssertionError(f"{n}号信息员的保存一直冲突")
        return done

    results = await at_once(*(clerk_works(n, c) for n, c in enumerate(w.people["clerk"])))
    assert_no_server_error(results)
    saved = [s for r in results for s in r]
    assert len(saved) == len(w.items) * len(w.people["clerk"]) * saves_each
    for i in w.items:
        mine = sorted((number, text) for item, number, text in saved if item == i)
        numbers = [number for number, _ in mine]
        # Each save made its own version; two saves never claimed the same one.
        assert numbers == list(range(2 + 1, 2 + 1 + len(mine)))
        versions = {
            v["number"]: v["document"]["acceptance_conditions"]
            for v in await w.ctx.scope.select(ItemVersion)
            .where(ItemVersion.item == i)
            .output(load_json=True)
        }
        assert all(versions[number] == text for number, text in mine)
        assert (await get_item(w.ctx, i)).draft.acceptance_conditions == mine[-1][1]
    await assert_audit_chain(w)


# Claims and submissions -------------------------------------------------------------------------


async def test_racing_claims_of_one_entry_make_one_item(make_tenant, pooled):
    _, per_role, _ = load()
    w = await world(make_tenant, 0, per_role)
    results = await at_once(
        *(wf.claim(w.ctx, c, w.t.entry_id, w.t.agency_ids[0]) for c in w.people["clerk"] * 2)
    )
    assert_no_server_error(results)
    made = [r for r in results if not isinstance(r, BaseException)]
    assert len(made) == 1
    assert all("不能重复认领" in r.message for r in results if isinstance(r, BaseException))
    assert await w.ctx.scope.count(Item) == 1
    await assert_audit_chain(w)


async def test_racing_submissions_open_one_request_per_item(make_tenant, pooled):
    n_items, per_role, _ = load()
    w = await world(make_tenant, n_items, per_role)
    calls, which = [], []
    for i in w.items:
        for clerk in w.people["clerk"]:
            calls.append(wf.submit(w.ctx, clerk, i, ChangeKind.claim, "认领上级下发事项"))
            which.append(i)
    results = await at_once(*calls)
    assert_no_server_error(results)
    per_item = Counter(
        i for i, r in zip(which, results, strict=True) if not isinstance(r, BaseException)
    )
    assert per_item == Counter({i: 1 for i in w.items})
    assert await open_requests_per_item(w) == Counter({i: 1 for i in w.items})
    # Each item's one request has one chain (no steps stored twice).
    for cr in await w.ctx.scope.select(ChangeRequest, ChangeRequest.id):
        assert len(await wf.steps_of(w.ctx, cr["id"])) == len(CHAIN)
    await assert_audit_chain(w)


async def test_racing_catalog_proposals_open_one_request_each(make_tenant, pooled):
    """Reform offices propose the same new local entry, and changes to the same entry,
    at once: one proposal of each stands, the others are refused in Chinese."""
    from qingdan.core.catalog.services import catalog_entry_document
    from qingdan.core.workflow.catalog_changes import submit_catalog_change

    _, per_role, _ = load()
    w = await world(make_tenant, 0, per_role)
    offices = w.people["reform_office"]
    new_doc = sample_entry_document(base_code="000101099", name="本地新增事项")
    amended = dump_document(await catalog_entry_document(w.ctx, w.t.entry_id)) | {
        "acceptance_conditions": "修订后的受理条件"
    }
    results = await at_once(
        *(submit_catalog_change(w.ctx, p, "create", "本地新增", document=new_doc) for p in offices),
        *(
            submit_catalog_change(
                w.ctx, p, "amend", "修订", entry_id=w.t.entry_id, document=amended
            )
            for p in offices
        ),
    )
    assert_no_server_error(results)
    creates, amends = results[: len(offices)], results[len(offices) :]
    for outcomes in (creates, amends):
        assert sum(not isinstance(r, BaseException) for r in outcomes) == 1
    rows = await w.ctx.scope.select(ChangeRequest, ChangeRequest.catalog_entry).where(
        ChangeRequest.status.is_in([s.value for s in OPEN_STATUSES])
    )
    assert sorted(Counter(r["catalog_entry"] for r in rows).values()) == [1, 1]
    await assert_audit_chain(w)


async def test_racing_imports_of_one_release_apply_it_once(make_tenant, pooled):
    """The same release uploaded twice at once (a double click, two tabs): one import
    applies it, the other is refused without writing anything; importing it again
    afterwards changes nothing."""
    from qingdan.core.catalog.tables import CatalogEntry
    from qingdan.core.imports import releases
    from qingdan.core.imports.sample import sample_release
    from qingdan.core.imports.tables import ImportBatch

    t = await make_tenant(plugin="jinchang")
    files = [sample_release("json")] * 2
    results = await at_once(
        *(releases.import_release(t.ctx, SYSTEM, data, name) for data, name in files)
    )
    assert_no_server_error(results)
    applied = [r for r in results if not isinstance(r, BaseException) and r.applied]
    assert len(applied) == 1 and applied[0].batch_number == 1
    refused = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(r, ConflictError) and "重新导入" in r.message for r in refused)
    new = applied[0].counts["new"]
    assert await t.ctx.scope.count(CatalogEntry) == 1 + new
    assert await t.ctx.scope.count(ImportBatch) == 1
    for data, name in files:
        again = await releases.import_release(t.ctx, SYSTEM, data, name)
        assert not again.applied
    assert (await verify_chain(t.tenant_id)).ok


# Approvals ------------------------------------------------------------------------------------------


async def test_racing_reviewers_decide_each_step_once(make_tenant, pooled):
    n_items, per_role, _ = load()
    w = await world(make_tenant, n_items, per_role)
    clerk = w.people["clerk"][0]
    crs = [await wf.submit(w.ctx, clerk, i, ChangeKind.claim, "认领") for i in w.items]
    issuer = w.people["data_center"][0]
    for role in CHAIN:
        # Every reviewer of the step's role presses 通过 on every request at once,
        # while the data center issues publications.
        calls = [
            wf.approve(w.ctx, p, cr.id, f"{p.username}同意", seen_version=cr.version)
            for cr in crs
            for p in w.people[role]
        ]
        calls += [pubs.issue_publication(w.ctx, issuer) for _ in range(2)]
        results = await at_once(*calls)
        assert_no_server_error(results)
        approvals = results[:-2]
        assert sum(not isinstance(r, BaseException) for r in approvals) == len(crs)
        for cr in crs:
            step = next(s for s in await wf.steps_of(w.ctx, cr.id) if s["role"] == role)
            assert step["status"] == "approved" and step["decided_by"] is not None
    for cr in crs:
        after = await wf.get_request(w.ctx, cr.id)
        assert after.status == ChangeStatus.published.value
        decisions = await wf.decisions_of(w.ctx, cr.id)
        assert [d["action"] for d in decisions] == [
            "submit",
            "approve",
            "approve",
            "approve",
            "publish",
        ]
        steps = await wf.steps_of(w.ctx, cr.id)
        assert Counter(d["step"] for d in decisions if d["action"] == "approve") == Counter(
            s["id"] for s in steps
        )
        # The one who decided each step is the one whose approval was recorded.
        assert {d["step"]: d["actor"] for d in decisions if d["step"]} == {
            s["id"]: s["decided_by"] for s in steps
        }
        assert (await get_item(w.ctx, cr.item)).item["published_version"] == cr.version
    await assert_gapless_publications(w)
    await assert_audit_chain(w)


async def assert_gapless_publications(w: World) -> None:
    rows = await w.ctx.scope.select(
        Publication, Publication.id, Publication.number, Publication.previous
    ).order_by(Publication.number)
    assert [r["number"] for r in rows] == list(range(1, len(rows) + 1))
    assert [r["previous"] for r in rows[1:]] == [r["id"] for r in rows[:-1]]


async def test_an_edit_racing_the_last_approval_one_of_them_wins(make_tenant, pooled):
    """The clerk saves while the last reviewer approves: either the approval publishes
    what the reviewers saw and the save is refused, or the save wins and the request
    goes back to its first step, the approval refused. Never both, never a deadlock."""
    n_items, per_role, _ = load()
    w = await world(make_tenant, n_items * 2, per_role)
    clerk = w.people["clerk"][0]
    crs = [await wf.submit(w.ctx, clerk, i, ChangeKind.claim, "认领") for i in w.items]
    for role in CHAIN[:-1]:
        for cr in crs:
            await wf.approve(w.ctx, w.people[role][0], cr.id)
    last = w.people[CHAIN[-1]]
    calls, kinds = [], []
    for n, cr in enumerate(crs):
        detail = await get_item(w.ctx, cr.item)
        doc = dump_document(detail.draft) | {"acceptance_conditions": f"最后一刻修改{n}"}
        edit = wf.edit_draft(w.ctx, clerk, cr.item, doc, detail.item["lock_version"])
        approve = wf.approve(w.ctx, last[n % len(last)], cr.id, seen_version=cr.version)
        # Alternate who is sent first, so both orders are tried.
        pair = [("edit", edit), ("approve", approve)]
        for kind, call in pair if n % 2 else pair[::-1]:
            calls.append(call)
            kinds.append((cr, kind))
    results = await at_once(*calls)
    assert_no_server_error(results)
    outcome: dict[int, dict[str, Any]] = defaultdict(dict)
    for (cr, kind), r in zip(kinds, results, strict=True):
        outcome[cr.id][kind] = r
    wins = Counter()
    for cr in crs:
        edit, approve = outcome[cr.id]["edit"], outcome[cr.id]["approve"]
        after = await wf.get_request(w.ctx, cr.id)
        detail = await get_item(w.ctx, cr.item)
        if isinstance(approve, BaseException):
            assert not isinstance(edit, BaseException), "both the edit and the approval refused"
            assert isinstance(approve, ConflictError)
            wins["edit"] += 1
            assert after.status == ChangeStatus.in_review.value and after.current_step == 0
            assert detail.item["published_version"] is None
            assert after.version == edit.id
            actions = [d["action"] for d in await wf.decisions_of(w.ctx, cr.id)]
            assert actions[-1] == "invalidate" and actions.count("approve") == len(CHAIN) - 1
        else:
            assert isinstance(edit, ConflictError), "the approval published, yet the save passed"
            wins["approve"] += 1
            assert after.status == ChangeStatus.published.value
            assert detail.item["published_version"] == cr.version
            assert detail.item["draft_version"] is None
            assert "最后一刻" not in detail.published.acceptance_conditions
    assert sum(wins.values()) == len(crs)
    # A request the save won is open again (at its first step); a published one is closed.
    still_open = [cr.item for cr in crs if isinstance(outcome[cr.id]["approve"], BaseException)]
    assert await open_requests_per_item(w) == Counter(still_open)
    await assert_audit_chain(w)


# The same through the web app, several browsers at once --------------------------------------------

SEEN_FIELD = re.compile(r'name="seen_version" value="(\d*)"')
SEEN_STEP = re.compile(r'name="seen_step" value="(\d+)"')


class EditorForm(HTMLParser):
    """What a browser submits for ``#editor-form``: inputs, checked boxes, the selected
    option of each select, textareas (buttons left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.pairs: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._option: list[Any] | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == "editor-form"
        elif not self.inside:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button"):
            if a.get("type") != "checkbox" or "checked" in a:
                self.pairs.append(
                    (a["name"], a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
                )
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
            self._options.append((value if value is not None else text, selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, s in self._options if s] or [v for v, _ in self._options[:1]]
            self.pairs += [(self._select, v) for v in chosen[:1]]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.pairs.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def editor_pairs(html: str, **changes: str) -> list[tuple[str, str]]:
    reader = EditorForm()
    reader.feed(html)
    assert reader.pairs, "the editor page has no form"
    return [(k, changes.get(k, v)) for k, v in reader.pairs]


async def test_browsers_saving_and_approving_at_once_get_a_page_each(make_tenant):
    """Clerks save the same items in the editor while reviewers approve them: every
    response is a success or the 409 conflict page in Chinese, never a server error."""
    # Fewer than the other tests: each browser loads every page before the burst.
    n_items, per_role = 3, 3
    w = await world(make_tenant, n_items, per_role)
    clerk = w.people["clerk"][0]
    crs = [await wf.submit(w.ctx, clerk, i, ChangeKind.claim, "认领") for i in w.items]
    names = [p.username for p in w.people["clerk"]] + [
        p.username for p in w.people["agency_reviewer"]
    ]
    async with web_processes(2) as urls, browsers(w.t.slug, urls, names) as clients:
        editors, reviewers = clients[:per_role], clients[per_role:]
        # Each browser opens its page first (the forms carry the lock and the version seen).
        edit_forms = []
        for n, c in enumerate(editors):
            for cr in crs:
                page = await c.get(f"/t/{w.t.slug}/items/{cr.item}/edit")
                assert page.status_code == 200, page.text
                text = f"网页{n}号保存"
                edit_forms.append((c, cr.item, editor_pairs(page.text, acceptance_conditions=text)))
        approve_forms = []
        for c in reviewers:
            for cr in crs:
                page = await c.get(f"/t/{w.t.slug}/changes/{cr.id}")
                assert page.status_code == 200, page.text
                approve_forms.append(
                    (
                        c,
                        cr.id,
                        {
                            "_csrf_token": csrf_of(page.text),
                            "seen_version": SEEN_FIELD.search(page.text).group(1),
                            "seen_step": SEEN_STEP.search(page.text).group(1),
                            "comment": "同意",
                        },
                    )
                )

        async def save(c, item_id, pairs):
            return await c.post(
                f"/t/{w.t.slug}/items/{item_id}/edit",
                content=urlencode(pairs),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                follow_redirects=False,
            )

        async def approve(c, cr_id, data):
            return await c.post(
                f"/t/{w.t.slug}/changes/{cr_id}/approve", data=data, follow_redirects=False
            )

        responses = await asyncio.gather(
            *(save(*f) for f in edit_forms), *(approve(*f) for f in approve_forms)
        )
    saves, approvals = responses[: len(edit_forms)], responses[len(edit_forms) :]
    for r in responses:
        # An approval that lost the race (to another approval, or to a save that
        # sent the request back) is a conflict: the page says refresh.
        assert r.status_code in (303, 409), f"{r.status_code}: {r.text[:300]}"
        assert "Traceback" not in r.text
        if r.status_code == 409:
            assert "刷新页面" in r.text and "Traceback" not in r.text
    # Per item: at most one editor's save of the page they saw, at most one approval.
    ok_saves = Counter(f[1] for f, r in zip(edit_forms, saves, strict=True) if r.status_code == 303)
    ok_approvals = Counter(
        f[1] for f, r in zip(approve_forms, approvals, strict=True) if r.status_code == 303
    )
    assert all(n == 1 for n in ok_saves.values()) and all(n == 1 for n in ok_approvals.values())
    for cr in crs:
        steps = await wf.steps_of(w.ctx, cr.id)
        approved = [s for s in steps if s["status"] == "approved"]
        decisions = await wf.decisions_of(w.ctx, cr.id)
        assert len([d for d in decisions if d["action"] == "approve"]) == ok_approvals[cr.id]
        # A save after the approval sent the request back to the first step.
        reset = "invalidate" in [d["action"] for d in decisions]
        assert len(approved) == (0 if reset else ok_approvals[cr.id])
        detail = await get_item(w.ctx, cr.item)
        if ok_saves[cr.item]:
            assert detail.draft.acceptance_conditions.startswith("网页")
    assert await open_requests_per_item(w) == Counter({i: 1 for i in w.items})
    await assert_audit_chain(w)


async def test_decisions_and_steps_agree_after_the_storm(make_tenant, pooled):
    """A mixed storm: clerks edit and resubmit, reviewers approve and return, at once,
    for a few rounds. Afterwards each request's decisions replay into its steps."""
    n_items, per_role, rounds = load()
    w = await world(make_tenant, n_items, per_role)
    clerk = w.people["clerk"][0]
    for i in w.items:
        await wf.submit(w.ctx, clerk, i, ChangeKind.claim, "认领")
    everything: list[Any] = []
    for rnd in range(rounds):
        calls = []
        for i in w.items:
            cr = await wf.open_request_for(w.ctx, i)
            if cr is None:
                continue
            detail = await get_item(w.ctx, i)
            for n, c in enumerate(w.people["clerk"]):
                if cr.status == ChangeStatus.returned.value:
                    calls.append(wf.resubmit(w.ctx, c, cr.id, "已按意见修改"))
                elif detail.draft is not None and (n + rnd) % 3 == 0:
                    doc = dump_document(detail.draft) | {"acceptance_conditions": f"{rnd}-{n}"}
                    calls.append(wf.edit_draft(w.ctx, c, i, doc, detail.item["lock_version"]))
            if cr.status == ChangeStatus.in_review.value:
                step = next(s for s in await wf.steps_of(w.ctx, cr.id) if s["status"] == "active")
                for n, p in enumerate(w.people[step["role"]]):
                    if (n + rnd) % 4 == 3:
                        calls.append(wf.return_request(w.ctx, p, cr.id, "请补正"))
                    else:
                        calls.append(wf.approve(w.ctx, p, cr.id, seen_version=cr.version))
        everything += await at_once(*calls)
    assert_no_server_error(everything)
    # The storm did race: actions went through and others were refused as stale.
    assert any(not isinstance(r, BaseException) for r in everything)
    assert any(isinstance(r, ConflictError) for r in everything)
    assert all(n == 1 for n in (await open_requests_per_item(w)).values())
    for cr_row in await w.ctx.scope.select(ChangeRequest, ChangeRequest.id, ChangeRequest.status):
        steps = await wf.steps_of(w.ctx, cr_row["id"])
        replay_matches_steps(await wf.decisions_of(w.ctx, cr_row["id"]), steps, cr_row["status"])
    await assert_audit_chain(w)


def replay_matches_steps(decisions: list[dict], steps: list[dict], status: str) -> None:
    """Replay the decision log: each approval is for the step then active, every step
    is approved once between restarts, and the final state is the stored one."""
    by_id = {s["id"]: s for s in steps}
    position, state, approved = 0, None, set()
    for d in decisions:
        action = d["action"]
        if action in ("submit", "resubmit", "invalidate"):
            position, state, approved = 0, "in_review", set()
        elif action == "approve":
            assert state == "in_review", f"approval while {state}"
            step = by_id[d["step"]]
            assert step["position"] == position, "an approval counted for a step not active"
            assert d["step"] not in approved, "one step approved twice"
            approved.add(d["step"])
            position += 1
            if position == len(steps):
                state = "approved"
        elif action == "return":
            assert state == "in_review" and by_id[d["step"]]["position"] == position
            state = "returned"
        elif action == "publish":
            assert state == "approved" and len(approved) == len(steps)
            state = "published"
    assert state == status, f"replayed {state}, stored {status}"
    if status in ("in_review", "published", "approved"):
        assert {s["id"] for s in steps if s["status"] == "approved"} == approved
