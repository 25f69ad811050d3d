"""Publications (公布) of the catalog and their announcements (公告).

A publication is a numbered, dated snapshot of what the public can see: the
catalog entries in use with their versions, and every visible item with its
published version and status (a draft is never in one: only published
versions are read). Issuing one compares the snapshot with the previous
publication's and records the announcement: what was added, changed (element
by element) and cancelled, with names and codes as they were then.

Issuing is one transaction, audited. Numbers run 1, 2, 3 ... per tenant: the
unique index on (tenant, number) refuses a second row of the same number
when two are issued at once, and the loser starts again from the new latest
publication, so there is never a gap or a duplicate. Who may issue is the
plugin's answer (``qingdan_publication_policy``); the scheduled job issues
one only when something changed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from qingdan.core import files
from qingdan.core.audit.services import Actor, record
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item, ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import ItemStatus, ItemType, label
from qingdan.core.db import atomic
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.hooktypes import PublicationPolicy, PublicationSchedule
from qingdan.core.ops.pause import pause_at
from qingdan.core.publishing.announcements import (
    CHANGE_LABELS,
    SUBJECT_LABELS,
    ChangedElement,
    Difference,
    DocumentKey,
    Snapshot,
    differences,
    documents_needed,
    render_announcement_pdf,
)
from qingdan.core.publishing.search import VISIBLE_STATUSES
from qingdan.core.publishing.tables import Publication, PublicationChange
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import ROLE_LABELS, Principal, Role

logger = logging.getLogger("qingdan.publishing")
SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE_ACTOR = Actor.system("定时公布")
#: Attempts at a number before giving up (each loser of a race takes the next).
ISSUE_ATTEMPTS = 8
CHUNK = 500

PUBLIC_PATH = "/p/{slug}/publications/{number}"
PUBLIC_PDF_PATH = PUBLIC_PATH + "/announcement.pdf"
FEED_PATH = "/p/{slug}/publications.atom"


# Typed values -----------------------------------------------------------------------------


class PublicationSummary(msgspec.Struct, kw_only=True):
    """A publication as lists show it."""

    number: int  # 第N期, per tenant, from 1 without gaps
    issued_at: datetime
    issued_by: str  # who issued it (a job: 定时公布)
    kind: str  # manual, or scheduled (issued by the job)
    note: str
    entries: int  # catalog entries in use at that moment
    items: int  # items the public could see
    added: int
    changed: int
    cancelled: int
    url: str  # the announcement on the public portal
    pdf_url: str  # its PDF

    @property
    def issued_on(self) -> str:
        """2026年11月22日 (Asia/Shanghai)."""
        return local_date_text(self.issued_at)

    @property
    def title(self) -> str:
        return f"第{self.number}期"


class AnnouncementLine(msgspec.Struct, kw_only=True):
    """One entry or item of an announcement, as it was at that publication."""

    subject: str  # entry / item
    subject_label: str  # 基本目录事项 / 实施清单事项
    subject_id: int
    change: str  # added / changed / cancelled
    change_label: str  # 新增 / 变更 / 取消
    name: str
    code: str  # base code of an entry, implementation code of an item
    item_type: str
    item_type_label: str
    agency_name: str  # "" for a catalog entry
    before_version: int | None
    after_version: int | None
    before_status: str
    after_status: str
    elements: list[ChangedElement]  # what changed (a change only)
    summary: str
    url: str | None  # where the public sees it now; None once it is gone


class Announcement(msgspec.Struct, kw_only=True):
    """公告: what a publication changed since the one before it.

    ``publication`` is None for a preview of what the next one would list.
    """

    tenant_name: str
    publication: PublicationSummary | None
    previous_number: int | None
    added: list[AnnouncementLine]
    changed: list[AnnouncementLine]
    cancelled: list[AnnouncementLine]

    @property
    def title(self) -> str:
        where = f"{self.tenant_name}政务服务事项目录清单"
        if self.publication is None:
            return f"{where}待公布的调整"
        return f"{where}公告({self.publication.title})"

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.changed or self.cancelled)

    @property
    def sections(self) -> list[tuple[str, str, list[AnnouncementLine]]]:
        """(change, heading, lines) in the order an announcement reads."""
        return [
            ("added", "一、新增事项", self.added),
            ("changed", "二、变更事项", self.changed),
            ("cancelled", "三、取消事项", self.cancelled),
        ]


def local_date_text(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    day = value.astimezone(SHANGHAI)
    return f"{day.year}年{day.month}月{day.day}日"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# Who issues, and when --------------------------------------------------------------------


def publication_policy(ctx: TenantContext) -> PublicationPolicy:
    return ctx.plugin.publication_policy(ctx.settings)


def issuing_roles(ctx: TenantContext) -> list[Role]:
    return [Role(r) for r in publication_policy(ctx).roles]


def may_issue(ctx: TenantContext, principal: Principal) -> bool:
    """True when the principal holds a role the tenant's plugin lets issue."""
    return principal.tenant_id == ctx.tenant_id and principal.has_role(*issuing_roles(ctx))


def publication_due(schedule: PublicationSchedule | str, day: date) -> bool:
    """Whether the scheduled job issues on ``day`` (a Shanghai date)."""
    schedule = PublicationSchedule(schedule)
    if schedule == PublicationSchedule.daily:
        return True
    if schedule == PublicationSchedule.weekly:
        return day.isoweekday() == 5
    if schedule == PublicationSchedule.monthly:
        return day.day == 1
    return False


# The snapshot -----------------------------------------------------------------------------


async def current_snapshot(ctx: TenantContext) -> Snapshot:
    """The catalog entries in use and the items the public sees, right now."""
    entries = await ctx.scope.select(
        CatalogEntry, CatalogEntry.id, CatalogEntry.current_version
    ).where(
        (CatalogEntry.status == ItemStatus.published.value)
        & CatalogEntry.current_version.is_not_null()
    )
    items = await ctx.scope.select(Item, Item.id, Item.published_version, Item.status).where(
        Item.published_version.is_not_null() & Item.status.is_in(list(VISIBLE_STATUSES))
    )
    return Snapshot(
        entries={r["id"]: r["current_version"] for r in entries},
        items={r["id"]: (r["published_version"], r["status"]) for r in items},
    )


def _chunks(values: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


async def _documents(
    ctx: TenantContext, keys: Iterable[DocumentKey]
) -> dict[DocumentKey, ElementDocument]:
    wanted: dict[str, set[int]] = {"entry": set(), "item": set()}
    for subject, version in keys:
        wanted[subject].add(version)
    out: dict[DocumentKey, ElementDocument] = {}
    for subject, table in (("entry", CatalogEntryVersion), ("item", ItemVersion)):
        for chunk in _chunks(wanted[subject]):
            rows = await (
                ctx.scope.select(table, table.id, table.document)
                .where(table.id.is_in(chunk))
                .output(load_json=True)
            )
            for r in rows:
                out[(subject, r["id"])] = validate_document(r["document"])
    return out


def _display_keys(diffs: list[Difference]) -> set[DocumentKey]:
    """The version each line is named after: the new one, or the last one for a cancellation."""
    keys: set[DocumentKey] = set()
    for d in diffs:
        version = d.after_version if d.after_version is not None else d.before_version
        if version is not None:
            keys.add((d.subject, version))
    return keys


async def _agency_names(ctx: TenantContext, item_ids: Iterable[int]) -> dict[int, str]:
    names: dict[int, str] = {}
    for chunk in _chunks(item_ids):
        rows = await ctx.scope.select(
            Item, Item.id, Item.agency.name.as_alias("agency_name")
        ).where(Item.id.is_in(chunk))
        names |= {r["id"]: r["agency_name"] for r in rows}
    return names


def _line_values(
    d: Difference, documents: Mapping[DocumentKey, ElementDocument], agencies: Mapping[int, str]
) -> dict[str, Any]:
    version = d.after_version if d.after_version is not None else d.before_version
    doc = documents[(d.subject, version)]  # type: ignore[index]
    is_item = d.subject == "item"
    return {
        "subject": d.subject,
        "subject_id": d.subject_id,
        "change": d.change,
        "name": doc.name,
        "code": (doc.impl_code if is_item else doc.base_code) or doc.base_code,
        "item_type": doc.item_type.value,
        "agency_name": (doc.agency_name or agencies.get(d.subject_id, "")) if is_item else "",
        "before_version": d.before_version,
        "after_version": d.after_version,
        "before_status": d.before_status,
        "after_status": d.after_status,
        "elements": msgspec.to_builtins(list(d.elements)),
        "summary": d.summary[:1000],
    }


async def _compare(ctx: TenantContext, before: Snapshot, after: Snapshot) -> list[dict[str, Any]]:
    """The announcement lines from ``before`` to ``after``, ready to store or show,
    entries before items, each by code."""
    documents = await _documents(ctx, documents_needed(before, after))
    diffs = differences(before, after, documents)
    documents |= await _documents(ctx, _display_keys(diffs) - documents.keys())
    agencies = await _agency_names(ctx, [d.subject_id for d in diffs if d.subject == "item"])
    lines = [_line_values(d, documents, agencies) for d in diffs]
    lines.sort(key=lambda v: (v["subject"] != "entry", v["code"], v["name"], v["subject_id"]))
    return lines


# Issuing -----------------------------------------------------------------------------------


async def _latest(ctx: TenantContext) -> dict[str, Any] | None:
    return (
        await ctx.scope.select(Publication)
        .order_by(Publication.number, ascending=False)
        .first()
        .output(load_json=True)
    )


def _is_unique_violation(exc: BaseException) -> bool:
    """Another issuer took the number first (asyncpg or sqlite3 says so by name)."""
    names = {type(e).__name__ for e in (exc, exc.__cause__, exc.__context__) if e is not None}
    if "UniqueViolationError" in names:
        return True
    return "IntegrityError" in names and "UNIQUE" in str(exc).upper()


async def _issue_once(
    ctx: TenantContext,
    actor: Actor,
    *,
    kind: str,
    note: str,
    expected_latest: int | None,
    only_if_changed: bool,
) -> Publication | None:
    scope = ctx.scope
    async with atomic():
        latest = await _latest(ctx)
        latest_number = latest["number"] if latest else 0
        if expected_latest is not None and latest_number != expected_latest:
            assert latest is not None
            raise ConflictError(
                f"第{latest_number}期已由{latest['issued_by_name'] or '他人'}"
                f"于{local_date_text(_aware(latest['issued_at']))}发布,"
                "请刷新页面查看最新情况后再决定是否发布"
            )
        before = Snapshot.from_json(latest["snapshot"]) if latest else Snapshot()
        after = await current_snapshot(ctx)
        lines = await _compare(ctx, before, after)
        if only_if_changed and not lines:
            return None
        counts = {c: sum(1 for v in lines if v["change"] == c) for c in CHANGE_LABELS}
        number = latest_number + 1
        publication = await scope.insert(
            Publication,
            number=number,
            uid=str(uuid.uuid4()),
            issued_at=_now(),
            issued_by=actor.user_id,
            issued_by_name=actor.name[:100],
            kind=kind,
            note=note,
            previous=latest["id"] if latest else None,
            snapshot=after.to_json(),
            entries=len(after.entries),
            items=len(after.items),
            **counts,
        )
        for values in lines:
            await scope.insert(PublicationChange, publication=publication.id, **values)
        await pause_at("publication.issue")  # the fault suite kills a worker here
        summary = "、".join(f"{CHANGE_LABELS[c]}{n}项" for c, n in counts.items())
        await record(
            ctx.tenant_id,
            actor,
            "publication.issue",
            "publication",
            publication.id,
            f"发布第{number}期目录清单公告:{summary}",
            {
                "number": number,
                "kind": kind,
                "previous": latest_number or None,
                "entries": len(after.entries),
                "items": len(after.items),
                **counts,
            },
        )
    return publication


async def _issue(ctx: TenantContext, actor: Actor, **options: Any) -> Publication | None:
    for attempt in range(ISSUE_ATTEMPTS):
        try:
            return await _issue_once(ctx, actor, **options)
        except Exception as exc:
            if not _is_unique_violation(exc) or attempt == ISSUE_ATTEMPTS - 1:
                raise
            # Someone issued the number we took: compare against theirs and take the next.
            logger.info("租户 %s 的公布编号被并发占用,第 %s 次重试", ctx.tenant_id, attempt + 1)
            await asyncio.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


async def issue_publication(
    ctx: TenantContext,
    principal: Principal,
    *,
    note: str = "",
    expected_latest: int | None = None,
) -> Publication:
    """Issue the next publication, as ``principal`` (who must hold an issuing role).

    ``expected_latest`` is the number of the latest publication the user saw
    (0 for none): if another was issued meanwhile the request is refused
    rather than issuing a second one by a double click. A publication may be
    issued with nothing changed (a periodic full publication of the catalog);
    its announcement then says so.
    """
    if not may_issue(ctx, principal):
        names = "、".join(ROLE_LABELS[r] for r in issuing_roles(ctx))
        raise PermissionDenied(f"只有{names}可以发布目录清单公告")
    note = " ".join(note.split())
    if len(note) > 500:
        raise DomainError("公告说明不能超过500字", "note")
    actor = Actor(principal.user_id, principal.display_name)
    publication = await _issue(
        ctx,
        actor,
        kind="manual",
        note=note,
        expected_latest=expected_latest,
        only_if_changed=False,
    )
    assert publication is not None
    return publication


async def issue_if_changed(ctx: TenantContext, actor: Actor = SCHEDULE_ACTOR) -> Publication | None:
    """Issue a publication if the published catalog changed since the last one
    (the scheduled job); None, and nothing written, when it did not."""
    return await _issue(
        ctx, actor, kind="scheduled", note="", expected_latest=None, only_if_changed=True
    )


async def issue_scheduled(ctx: TenantContext, day: date) -> Publication | None:
    """What the scheduled job does for a tenant on ``day`` (a Shanghai date):
    issue a publication if the plugin's schedule falls on that day and the
    catalog changed since the last one; otherwise nothing."""
    if not publication_due(publication_policy(ctx).schedule, day):
        return None
    return await issue_if_changed(ctx)


# Reading -----------------------------------------------------------------------------------


def _summary(ctx: TenantContext, row: Mapping[str, Any]) -> PublicationSummary:
    number = row["number"]
    return PublicationSummary(
        number=number,
        issued_at=_aware(row["issued_at"]),
        issued_by=row["issued_by_name"],
        kind=row["kind"],
        note=row["note"],
        entries=row["entries"],
        items=row["items"],
        added=row["added"],
        changed=row["changed"],
        cancelled=row["cancelled"],
        url=PUBLIC_PATH.format(slug=ctx.slug, number=number),
        pdf_url=PUBLIC_PDF_PATH.format(slug=ctx.slug, number=number),
    )


_SUMMARY_COLUMNS = (
    Publication.id,
    Publication.number,
    Publication.uid,
    Publication.issued_at,
    Publication.issued_by_name,
    Publication.kind,
    Publication.note,
    Publication.entries,
    Publication.items,
    Publication.added,
    Publication.changed,
    Publication.cancelled,
)


async def list_publications(
    ctx: TenantContext, limit: int | None = None
) -> list[PublicationSummary]:
    """The tenant's publications, newest first (``limit``: the newest only)."""
    query = ctx.scope.select(Publication, *_SUMMARY_COLUMNS).order_by(
        Publication.number, ascending=False
    )
    if limit is not None:
        query = query.limit(limit)
    return [_summary(ctx, row) for row in await query]


async def latest_number(ctx: TenantContext) -> int:
    """The number of the latest publication (0 before the first)."""
    row = (
        await ctx.scope.select(Publication, Publication.number)
        .order_by(Publication.number, ascending=False)
        .first()
    )
    return row["number"] if row else 0


async def _row(ctx: TenantContext, number: int) -> dict[str, Any]:
    if not isinstance(number, int) or isinstance(number, bool):
        raise NotFound("公告")
    row = (
        await ctx.scope.select(Publication)
        .where(Publication.number == number)
        .first()
        .output(load_json=True)
    )
    if row is None:
        raise NotFound("公告")
    return row


async def publication_uids(ctx: TenantContext, numbers: Iterable[int]) -> dict[int, str]:
    """``{number: uid}``: the stable ids of the feed's entries."""
    wanted = list(numbers)
    if not wanted:
        return {}
    rows = await ctx.scope.select(Publication, Publication.number, Publication.uid).where(
        Publication.number.is_in(wanted)
    )
    return {r["number"]: r["uid"] for r in rows}


async def _public_urls(ctx: TenantContext) -> tuple[set[int], set[int]]:
    """(entry ids in use, item ids the public sees) now, for the lines' links."""
    now = await current_snapshot(ctx)
    return set(now.entries), set(now.items)


def _line(
    ctx: TenantContext, v: Mapping[str, Any], live_entries: set[int], live_items: set[int]
) -> AnnouncementLine:
    from qingdan.core.publishing.services import PUBLIC_GUIDE_PATH

    url = None
    if v["subject"] == "item" and v["subject_id"] in live_items:
        url = PUBLIC_GUIDE_PATH.format(slug=ctx.slug, item_id=v["subject_id"])
    elif v["subject"] == "entry" and v["subject_id"] in live_entries:
        url = f"/p/{ctx.slug}/?entry={v['subject_id']}"
    return AnnouncementLine(
        subject=v["subject"],
        subject_label=SUBJECT_LABELS.get(v["subject"], v["subject"]),
        subject_id=v["subject_id"],
        change=v["change"],
        change_label=CHANGE_LABELS.get(v["change"], v["change"]),
        name=v["name"],
        code=v["code"],
        item_type=v["item_type"],
        item_type_label=label(ItemType, v["item_type"]) if v["item_type"] else "",
        agency_name=v["agency_name"],
        before_version=v["before_version"],
        after_version=v["after_version"],
        before_status=v["before_status"],
        after_status=v["after_status"],
        elements=msgspec.convert(v["elements"] or [], list[ChangedElement]),
        summary=v["summary"],
        url=url,
    )


async def _announcement(
    ctx: TenantContext,
    publication: PublicationSummary | None,
    previous_number: int | None,
    lines: list[Mapping[str, Any]],
) -> Announcement:
    live_entries, live_items = await _public_urls(ctx)
    made = [_line(ctx, v, live_entries, live_items) for v in lines]
    return Announcement(
        tenant_name=ctx.name,
        publication=publication,
        previous_number=previous_number,
        added=[line for line in made if line.change == "added"],
        changed=[line for line in made if line.change == "changed"],
        cancelled=[line for line in made if line.change == "cancelled"],
    )


async def get_announcement(ctx: TenantContext, number: int) -> Announcement:
    """The announcement of publication ``number``, as recorded when it was issued."""
    row = await _row(ctx, number)
    lines = (
        await ctx.scope.select(PublicationChange)
        .where(PublicationChange.publication == row["id"])
        .order_by(PublicationChange.id)
        .output(load_json=True)
    )
    return await _announcement(ctx, _summary(ctx, row), (number - 1) if number > 1 else None, lines)


async def pending_announcement(ctx: TenantContext) -> Announcement:
    """What the next publication would list if it were issued now (nothing is written)."""
    latest = await _latest(ctx)
    before = Snapshot.from_json(latest["snapshot"]) if latest else Snapshot()
    lines = await _compare(ctx, before, await current_snapshot(ctx))
    return await _announcement(ctx, None, latest["number"] if latest else None, lines)


def announcement_filename(tenant_name: str, number: int) -> str:
    safe = "".join(c for c in tenant_name if c not in '\\/:*?"<>|\r\n\t').strip()[:60]
    return f"{safe}政务服务事项目录清单公告-第{number}期.pdf"


async def announcement_pdf(ctx: TenantContext, number: int) -> tuple[bytes, PublicationSummary]:
    """The announcement PDF of publication ``number``: rendered on first request,
    then kept in the file store (a publication never changes, nor its PDF)."""
    row = await _row(ctx, number)
    summary = _summary(ctx, row)
    if row["pdf_key"]:
        data = await asyncio.to_thread(files.read, row["pdf_key"])
        if hashlib.sha256(data).hexdigest() == row["pdf_sha256"]:
            return data, summary
    announcement = await get_announcement(ctx, number)
    data = await asyncio.to_thread(render_announcement_pdf, announcement)
    saved = await asyncio.to_thread(files.store, f"announcement-{number}.pdf", data)
    await ctx.scope.update(
        Publication, {Publication.pdf_key: saved.storage_key, Publication.pdf_sha256: saved.sha256}
    ).where(Publication.id == row["id"])
    return data, summary


__all__ = [
    "FEED_PATH",
    "PUBLIC_PATH",
    "PUBLIC_PDF_PATH",
    "Announcement",
    "AnnouncementLine",
    "PublicationSummary",
    "announcement_filename",
    "announcement_pdf",
    "current_snapshot",
    "get_announcement",
    "issue_if_changed",
    "issue_publication",
    "issue_scheduled",
    "issuing_roles",
    "latest_number",
    "list_publications",
    "may_issue",
    "pending_announcement",
    "publication_due",
    "publication_policy",
    "publication_uids",
]
