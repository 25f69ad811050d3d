"""Guides of published item versions: build them, render their PDFs once, hand them out.

A PDF is rendered per published version and kind ("screen": the download;
"print": the hall's copy with a QR code to the online guide), stored in the
file store and recorded as a :class:`GuideFile`. Versions are immutable, so a
stored PDF never goes stale; every published version's PDFs stay downloadable.
A job (``generate_guide``) renders them after publication; ``guide_pdf``
renders on demand what is missing (items published before this existed, or
while the job is still queued).
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from qingdan.core import files
from qingdan.core.audit.services import Actor, record
from qingdan.core.catalog.tables import Item, ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.db import atomic
from qingdan.core.errors import DomainError, NotFound
from qingdan.core.publishing.guides import Guide, guide_for, render_guide_pdf
from qingdan.core.publishing.tables import GuideFile
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.tables import Agency

#: Where the public portal shows an item's current guide; the printed copy's QR
#: code points here. Short on purpose: a shorter address makes a sparser code.
PUBLIC_GUIDE_PATH = "/p/{slug}/items/{item_id}"

GUIDE_ACTOR = Actor.system("办事指南生成")


class GuideKind(StrEnum):
    screen = "screen"  # the downloadable PDF, same content as the page
    print = "print"  # the hall's printed copy, with a QR code

    @property
    def label(self) -> str:
        return {"screen": "办事指南", "print": "大厅打印版"}[self.value]


class NotPublished(DomainError):
    """The version has no publication (yet): a draft's guide is never handed out."""


class GuidePdf(msgspec.Struct, frozen=True, kw_only=True):
    """What a download needs besides the bytes."""

    filename: str  # 食品经营许可-办事指南-第3版.pdf
    content_type: str
    size: int
    sha256: str
    kind: str
    item_id: int
    version_id: int
    version_number: int
    published_at: datetime | None


class PublishedGuide(msgspec.Struct, frozen=True, kw_only=True):
    """One published version of an item, for a list of guide PDFs to download."""

    version_id: int
    version_number: int
    published_at: datetime
    current: bool  # the item's published version now
    kinds: list[str]  # the PDFs already rendered (the others render on first download)


def guide_url(ctx: TenantContext, item_id: int) -> str:
    """The online guide of ``item_id`` (absolute, from ``QINGDAN_PUBLIC_URL``)."""
    from qingdan.core.config import get_settings

    path = PUBLIC_GUIDE_PATH.format(slug=ctx.slug, item_id=item_id)
    return get_settings().public_url.rstrip("/") + path


def _kind(kind: GuideKind | str) -> GuideKind:
    try:
        return GuideKind(kind)
    except ValueError:
        raise DomainError(f"办事指南类型“{kind}”不存在(应为 screen 或 print)", "kind") from None


async def _published_version(
    ctx: TenantContext, item_id: int, version_id: int | None
) -> tuple[Item, dict[str, Any]]:
    """The item and its published version ``version_id`` (its current one if None)."""
    item = await ctx.scope.get(Item, item_id, "事项")
    if version_id is None:
        if item.published_version is None:
            raise NotFound("已发布的办事指南")
        version_id = item.published_version
    version = await ctx.scope.get_row(ItemVersion, version_id, "版本")
    if version["item"] != item.id:
        raise NotFound("版本")
    if version["published_at"] is None:
        raise NotPublished(f"{item.name}的第{version['number']}版尚未发布,没有办事指南")
    return item, version


async def _guide(ctx: TenantContext, item: Item, version: dict[str, Any]) -> Guide:
    agency = await ctx.scope.get(Agency, item.agency, "实施机构")
    return guide_for(
        validate_document(version["document"]),
        tenant_name=ctx.name,
        agency_name=agency.name,
        version_number=version["number"],
        published_at=version["published_at"],
        url=guide_url(ctx, item.id),
    )


async def guide_of(ctx: TenantContext, item_id: int, version_id: int | None = None) -> Guide:
    """The guide of a published version (the current one when ``version_id`` is None),
    for the portal's page: ``render_guide_html(guide)`` or include guide/_body.html."""
    item, version = await _published_version(ctx, item_id, version_id)
    return await _guide(ctx, item, version)


async def _files(ctx: TenantContext, version_id: int) -> dict[GuideKind, GuideFile]:
    rows = await ctx.scope.objects(GuideFile).where(GuideFile.version == version_id)
    return {GuideKind(r.kind): r for r in rows}


async def generate_guides(
    ctx: TenantContext,
    item_id: int,
    version_id: int,
    kinds: tuple[GuideKind, ...] = tuple(GuideKind),
) -> list[GuideFile]:
    """Render and store the PDFs (screen and print, or ``kinds``) of a published version.

    Idempotent: kinds already stored are not rendered again, so a second call
    writes nothing. Raises :class:`NotPublished` for an unpublished version
    (a job sent inside the publishing transaction retries until it commits).
    """
    kinds = tuple(_kind(k) for k in kinds)
    item, version = await _published_version(ctx, item_id, version_id)
    stored = await _files(ctx, version["id"])
    missing = [kind for kind in kinds if kind not in stored]
    if missing:
        guide = await _guide(ctx, item, version)
        for kind in missing:
            # WeasyPrint takes about a second: off the event loop.
            data = await asyncio.to_thread(
                render_guide_pdf, guide, print_version=kind == GuideKind.print
            )
            saved = await asyncio.to_thread(files.store, f"guide-{kind.value}.pdf", data)
            async with atomic():
                # Another worker may have stored it meanwhile: keep the first.
                again = await _files(ctx, version["id"])
                if kind in again:
                    stored[kind] = again[kind]
                    continue
                row = await ctx.scope.insert(
                    GuideFile,
                    item=item.id,
                    version=version["id"],
                    kind=kind.value,
                    storage_key=saved.storage_key,
                    sha256=saved.sha256,
                    size=saved.size,
                )
                await record(
                    ctx.tenant_id,
                    GUIDE_ACTOR,
                    "guide.generate",
                    "item",
                    item.id,
                    f"生成{kind.label}PDF {item.name}(第{version['number']}版)",
                    {"version": version["id"], "kind": kind.value, "sha256": saved.sha256},
                )
                stored[kind] = row
    return [stored[kind] for kind in kinds]


def _filename(name: str, kind: GuideKind, number: int) -> str:
    safe = "".join(c for c in name if c not in '\\/:*?"<>|\r\n\t').strip()[:80] or "事项"
    return f"{safe}-{kind.label}-第{number}版.pdf"


async def guide_pdf(
    ctx: TenantContext, item_id: int, version_id: int | None, kind: GuideKind | str
) -> tuple[bytes, GuidePdf]:
    """The stored PDF of a published version (the current one if ``version_id`` is
    None), rendered now if it is missing. Drafts are never found."""
    kind = _kind(kind)
    item, version = await _published_version(ctx, item_id, version_id)
    row = (await _files(ctx, version["id"])).get(kind)
    if row is None:
        await generate_guides(ctx, item.id, version["id"], (kind,))
        row = (await _files(ctx, version["id"]))[kind]
    data = await asyncio.to_thread(files.read, row.storage_key)
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise DomainError("办事指南文件已损坏,请联系管理员重新生成")
    doc_name = validate_document(version["document"]).name
    return data, GuidePdf(
        filename=_filename(doc_name, kind, version["number"]),
        content_type="application/pdf",
        size=len(data),
        sha256=row.sha256,
        kind=kind.value,
        item_id=item.id,
        version_id=version["id"],
        version_number=version["number"],
        published_at=version["published_at"],
    )


async def published_guides(
    ctx: TenantContext, item_id: int, *, current: int | None = None
) -> list[PublishedGuide]:
    """Every published version of an item, newest first, with its rendered PDFs.

    ``current``: the item's published version, when the caller has just read it
    (the item is then not read again)."""
    if current is None:
        current = (await ctx.scope.get(Item, item_id, "事项")).published_version
    versions = await (
        ctx.scope.select(ItemVersion, ItemVersion.id, ItemVersion.number, ItemVersion.published_at)
        .where((ItemVersion.item == item_id) & ItemVersion.published_at.is_not_null())
        .order_by(ItemVersion.number, ascending=False)
    )
    rendered = await ctx.scope.select(GuideFile, GuideFile.version, GuideFile.kind).where(
        GuideFile.item == item_id
    )
    kinds: dict[int, list[str]] = {}
    for r in rendered:
        kinds.setdefault(r["version"], []).append(r["kind"])
    return [
        PublishedGuide(
            version_id=v["id"],
            version_number=v["number"],
            published_at=v["published_at"],
            current=v["id"] == current,
            kinds=sorted(kinds.get(v["id"], [])),
        )
        for v in versions
    ]
