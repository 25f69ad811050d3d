"""The Atom 1.0 feed (RFC 4287) of a tenant's publications: one entry per
publication, newest first, so a newsroom, a citizen's reader or another
government system learns of each announcement (公告).

Ids are stable: the feed's is derived from the tenant, an entry's is the UUID
its publication was given when issued, so neither changes if the site moves
to another address. ``updated`` is the moment of issue (a publication never
changes afterwards); the feed's own ``updated`` is that of the newest one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from qingdan.core.publishing.publications import (
    FEED_PATH,
    PublicationSummary,
    list_publications,
    publication_uids,
)
from qingdan.core.tenancy.context import TenantContext

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
#: Namespace of the feed ids (uuid5), fixed so an id never changes.
FEED_NAMESPACE = uuid.UUID("6f1d8a52-5c1e-4b8e-9a7c-2f3b9d0e4a61")


def feed_id(tenant_id: int) -> str:
    return f"urn:uuid:{uuid.uuid5(FEED_NAMESPACE, f'qingdan:publications:{tenant_id}')}"


def _time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def entry_summary(p: PublicationSummary) -> str:
    text = (
        f"{p.issued_on}公布第{p.number}期:新增{p.added}项、变更{p.changed}项、取消{p.cancelled}项;"
        f"在用基本目录事项{p.entries}项,公开实施清单事项{p.items}项。"
    )
    return text + (f"说明:{p.note}" if p.note else "")


def publications_feed(
    *,
    tenant_id: int,
    tenant_name: str,
    public_url: str,
    feed_path: str,
    portal_path: str,
    publications: Sequence[PublicationSummary],
    uids: Mapping[int, str],
    created_at: datetime,
) -> bytes:
    """The feed document (UTF-8 XML). ``publications`` newest first; ``uids`` gives
    each publication's stable UUID; ``created_at`` is the ``updated`` of a feed
    with no publication yet."""
    ET.register_namespace("", ATOM)
    root = public_url.rstrip("/")
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})
    _add(feed, "id", feed_id(tenant_id))
    _add(feed, "title", f"{tenant_name}政务服务事项目录清单公告")
    _add(feed, "subtitle", "每期公布的新增、变更和取消事项")
    _add(feed, "updated", _time(publications[0].issued_at if publications else created_at))
    author = _add(feed, "author")
    _add(author, "name", tenant_name)
    _add(feed, "link", rel="self", type=MEDIA_TYPE, href=root + feed_path)
    _add(feed, "link", rel="alternate", type="text/html", href=root + portal_path)
    _add(feed, "generator", "清单 qingdan")
    for p in publications:
        entry = _add(feed, "entry")
        _add(entry, "id", f"urn:uuid:{uids[p.number]}")
        _add(entry, "title", f"{tenant_name}政务服务事项目录清单公告(第{p.number}期)")
        _add(entry, "published", _time(p.issued_at))
        _add(entry, "updated", _time(p.issued_at))
        _add(entry, "link", rel="alternate", type="text/html", href=root + p.url)
        _add(
            entry,
            "link",
            rel="enclosure",
            type="application/pdf",
            href=root + p.pdf_url,
            title=f"公告第{p.number}期PDF",
        )
        _add(entry, "summary", entry_summary(p), type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


#: How many publications the feed carries (the newest); older ones stay on the portal.
FEED_LENGTH = 50


async def tenant_feed(ctx: TenantContext) -> bytes:
    """The tenant's feed, its newest :data:`FEED_LENGTH` publications."""
    from qingdan.core.config import get_settings

    publications = await list_publications(ctx, limit=FEED_LENGTH)
    created = ctx.tenant.get("created_at") or datetime(2000, 1, 1, tzinfo=UTC)
    return publications_feed(
        tenant_id=ctx.tenant_id,
        tenant_name=ctx.name,
        public_url=get_settings().public_url,
        feed_path=FEED_PATH.format(slug=ctx.slug),
        portal_path=f"/p/{ctx.slug}/publications",
        publications=publications,
        uids=await publication_uids(ctx, [p.number for p in publications]),
        created_at=created,
    )


__all__ = [
    "FEED_LENGTH",
    "MEDIA_TYPE",
    "entry_summary",
    "feed_id",
    "publications_feed",
    "tenant_feed",
]
