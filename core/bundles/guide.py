"""The guide of a bundle (一件事一次办): its items' guides merged into one.

一次告知、一表申请、一套材料: the bundle's guide has the sections of an item's
guide, in the same order (core/publishing/guides.py), each merging what its
items' published versions say, with the item each part comes from. It is laid
out by the same templates, so the page, the PDF (CJK font, header, footer)
and the hall's print copy with its QR code look like any other guide.

Only the published version of each item is ever read, and only of items the
public sees (published or suspended); a draft, or an item never published,
adds nothing. Nothing is stored: the guide is built when it is read, so it
follows every publication of its items. Its PDFs are rendered on first
request and kept in memory by the hash of their content.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from qingdan.core.bundles.merge import MemberDoc, MergedMaterial, merge_materials
from qingdan.core.bundles.schemas import AUDIENCES, BundleField
from qingdan.core.bundles.services import VISIBLE_STATUSES, get_bundle_row
from qingdan.core.bundles.tables import BundleItem
from qingdan.core.catalog.elements import ProcessStep, TimeLimit
from qingdan.core.catalog.lists.views import item_title
from qingdan.core.catalog.tables import ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.errors import NotFound
from qingdan.core.publishing.guides import (
    SHANGHAI,
    Cell,
    Entries,
    Entry,
    Flowchart,
    Guide,
    Part,
    Prose,
    Questions,
    Section,
    Table,
    flowchart_svg,
    render_guide_html,
    render_guide_pdf,
    time_limit_text,
)
from qingdan.core.tenancy.context import TenantContext

#: Where the portal shows a bundle's guide; the printed copy's QR code points here.
PUBLIC_BUNDLE_PATH = "/p/{slug}/bundles/{bundle_id}"
KIND_LABEL = "一件事一次办"
#: The sections of every guide, in the standard order (as core/publishing/guides.py).
SECTIONS = (
    ("basic", "基本信息"),
    ("legal_basis", "设定依据"),
    ("conditions", "受理条件"),
    ("materials", "申请材料"),
    ("process", "办理流程"),
    ("time_limits", "办理时限"),
    ("fees", "收费标准"),
    ("locations", "办理地点和时间"),
    ("contacts", "咨询和监督投诉"),
    ("faq", "常见问题"),
    ("result", "办理结果"),
)
_NUMBERS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一")


@dataclass(frozen=True)
class BundleGuide:
    guide: Guide
    members: tuple[MemberDoc, ...]
    materials: tuple[MergedMaterial, ...]
    form: tuple[BundleField, ...]
    published: bool  # the bundle is online
    last_modified: datetime  # the latest of the bundle's and its items' publications


# Text helpers -------------------------------------------------------------------------------


def _limit(limit: TimeLimit) -> str:
    return "" if limit == TimeLimit() else time_limit_text(limit)


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table | None:
    """A guide table; a column nobody filled in is left out (the first always stays)."""
    if not rows:
        return None
    keep = [i for i in range(len(columns)) if i == 0 or any(str(r[i]).strip() for r in rows)]
    return Table(
        title=title,
        columns=tuple(columns[i] for i in keep),
        rows=tuple(
            tuple(
                Cell(str(r[i]).strip(), long=len(str(r[i])) > 40 or "\n" in str(r[i])) for i in keep
            )
            for r in rows
        ),
    )


def _parts(*parts: Part | None) -> tuple[Part, ...]:
    out: list[Part] = []
    for p in parts:
        if p is None:
            continue
        if isinstance(p, Entries) and not p.entries:
            continue
        if isinstance(p, Prose) and not p.text.strip():
            continue
        if isinstance(p, Questions) and not p.items:
            continue
        out.append(p)
    return tuple(out)


def _joined(items: Sequence[str]) -> str:
    return "、".join(items)


# The sections --------------------------------------------------------------------------------


def _basic(
    name: str, audience: str, lead: str, description: str, members: Sequence[MemberDoc]
) -> tuple[Part, ...]:
    entries = [
        Entry("一件事名称", name),
        Entry("服务对象", AUDIENCES.get(audience, AUDIENCES[""])),
    ]
    if lead:
        entries.append(Entry("牵头部门", lead))
    entries.append(Entry("包含事项", f"{len(members)}项"))
    included = _table(
        "包含事项",
        ("事项名称", "实施机构", "事项类型", "承诺办结时限", "网上办理深度"),
        [
            (
                m.title + ("(暂停受理)" if m.suspended else ""),
                m.doc.agency_name or m.agency_name,
                m.doc.item_type.label,
                _limit(m.doc.promised_limit),
                m.doc.online_depth.label if m.doc.online_depth else "",
            )
            for m in members
        ],
    )
    return _parts(
        Entries("", tuple(entries)),
        Prose("说明", description),
        Prose(
            "办理方式",
            "一次告知、一表申请、一套材料、一窗(端)受理、一网办理、一次办好:"
            "在政务服务中心“一件事一次办”综合窗口或网上提交一张申请表和一套材料,"
            "各部门同步办理。",
        ),
        included,
    )


def _legal_basis(members: Sequence[MemberDoc]) -> tuple[Part, ...]:
    merged: OrderedDict[tuple[str, str, str], list[str]] = OrderedDict()
    for m in members:
        for b in m.doc.legal_basis:
            law = b.law_name.strip()
            law = law if law.startswith("《") else f"《{law}》"
            key = (law, b.document_number.strip(), b.article.strip())
            titles = merged.setdefault(key, [])
            if m.title not in titles:
                titles.append(m.title)
    return _parts(
        _table(
            "",
            ("法律法规名称", "文号", "条款号", "所属事项"),
            [(*key, _joined(titles)) for key, titles in merged.items()],
        )
    )


def _conditions(members: Sequence[MemberDoc]) -> tuple[Part, ...]:
    return _parts(*(Prose(m.title, m.doc.acceptance_conditions) for m in members))


def _materials(
    form: Sequence[BundleField], materials: Sequence[MergedMaterial]
) -> tuple[Part, ...]:
    form_table = _table(
        "一表申请(联办申请表)",
        ("字段名称", "是否必填", "填写说明"),
        [(f.name, _yes(f.required), f.note) for f in form],
    )
    merged = _table(
        "一套材料",
        ("材料名称", "材料类型", "材料形式", "必要性", "来源渠道", "份数", "所需事项", "备注"),
        [
            (
                m.name,
                m.type.label,
                m.form.label,
                m.necessity.label,
                m.source.label if m.source else "",
                str(m.copies),
                _joined(m.items),
                "；".join(m.notes),
            )
            for m in materials
        ],
    )
    return _parts(form_table, merged)


def _process(members: Sequence[MemberDoc]) -> tuple[Part, ...]:
    if not members:
        return ()
    steps = [
        ProcessStep(name="综合窗口一窗受理", actor="“一件事一次办”综合窗口", time_limit="即时")
    ]
    steps += [
        ProcessStep(
            name=f"办理“{m.title}”",
            actor=m.doc.agency_name or m.agency_name,
            time_limit=_limit(m.doc.promised_limit),
        )
        for m in members
    ]
    steps.append(ProcessStep(name="统一出件", actor="“一件事一次办”综合窗口"))
    return _parts(
        Flowchart("办理流程图", flowchart_svg(steps), len(steps)),
        _table(
            "各事项办理环节",
            ("所属事项", "环节名称", "办理人员", "审查标准", "环节时限"),
            [
                (m.title, s.name, s.actor, s.standard, s.time_limit)
                for m in members
                for s in m.doc.process
            ],
        ),
        _table(
            "特殊环节",
            ("所属事项", "特殊环节名称", "时限", "设定依据", "是否计入办理时限"),
            [
                (m.title, s.name, _limit(s.time_limit), s.basis, _yes(s.counted_in_limit))
                for m in members
                for s in m.doc.special_steps
            ],
        ),
        _table(
            "中介服务",
            ("所属事项", "中介服务名称", "设定依据", "中介服务机构", "是否收费"),
            [
                (m.title, s.name, s.basis, s.provider, _yes(s.charged))
                for m in members
                for s in m.doc.intermediary_services
            ],
        ),
    )


def _time_limits(members: Sequence[MemberDoc]) -> tuple[Part, ...]:
    return _parts(
        _table(
            "",
            ("事项名称", "法定办结时限", "承诺办结时限", "办件类型"),
            [
                (
                    m.title,
                    _limit(m.doc.statutory_limit),
                    _limit(m.doc.promised_limit),
                    m.doc.case_type.label if m.doc.case_type else "",
                )
                for m in members
            ],
        )
    )


def _fees(members: Sequence[MemberDoc]) -> tuple[Part, ...]:
    charged = [m for m in members if m.doc.charged]
    if not charged:
        return (Prose("", "本“一件事”所含事项均不收费。"),)
    table = _table(
        "",
        ("所属事项", "收费项目", "收费标准", "收费依据", "减免政策"),
        [(m.title, f.item, f.standard, f.basis, f.reductions) for m in charged for f in m.doc.fees],
    )
    free = [m.title for m in members if not m.doc.charged]
    return _parts(
        table,
        Prose(
            "",
            "收费标准请向办理地点咨询。"
            if table is None
            else (f"{_joined(free)}不收费。" if free else ""),
        ),
    )


def _locations(members: Sequence[MemberDoc]) -> tuple[Part, ...]:
    seen: OrderedDict[tuple[str, str], list[Any]] = OrderedDict()
    for m in members:
        for loc in m.doc.locations:
            key = (loc.name.strip(), loc.address.strip())
            if key not in seen:
                seen[key] = [loc, []]
            if m.title not in seen[key][1]:
                seen[key][1].append(m.title)
    return _parts(
        _table(
            "",
            ("办理地点名称", "办理地址", "办理时间", "窗口电话", "所属事项"),
            [
                (loc.name, loc.address, loc.hours, loc.phone, _joined(titles))
                for loc, titles in seen.values()
            ],
        )
    )


def _contacts(members: Sequence[MemberDoc]) -> tuple[Part, ...]:
    def merged(attr: str) -> tuple[Entry, ...]:
        seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        for m in members:
            for c in getattr(m.doc, attr):
                if c.value.strip():
                    seen[(c.kind.label, c.value.strip())] = None
        return tuple(Entry(kind, value) for kind, value in seen)

    return _parts(
        Entries("咨询方式", merged("consultation")), Entries("监督投诉方式", merged("complaints"))
    )


def _faq(members: Sequence[MemberDoc]) -> tuple[Part, ...]:
    seen: OrderedDict[str, str] = OrderedDict()
    for m in members:
        for q in m.doc.faq:
            seen.setdefault(q.question.strip(), q.answer.strip())
    return _parts(Questions("", tuple(seen.items())))


def _result(members: Sequence[MemberDoc]) -> tuple[Part, ...]:
    return _parts(
        _table(
            "",
            ("所属事项", "结果名称", "结果类型"),
            [
                (m.title, m.doc.result.name, m.doc.result.type.label if m.doc.result.type else "")
                for m in members
                if m.doc.result.name or m.doc.result.type
            ],
        )
    )


def compose_guide(
    *,
    name: str,
    audience: str,
    lead: str,
    description: str,
    form: Sequence[BundleField],
    members: Sequence[MemberDoc],
    tenant_name: str,
    revision: int,
    published_on: datetime | None,
    url: str = "",
) -> tuple[Guide, list[MergedMaterial]]:
    """The bundle's guide from its members' published documents (pure: no database)."""
    materials = merge_materials(members)
    bodies = {
        "basic": _basic(name, audience, lead, description, members),
        "legal_basis": _legal_basis(members),
        "conditions": _conditions(members),
        "materials": _materials(form, materials),
        "process": _process(members),
        "time_limits": _time_limits(members),
        "fees": _fees(members),
        "locations": _locations(members),
        "contacts": _contacts(members),
        "faq": _faq(members),
        "result": _result(members),
    }
    published = None
    if published_on is not None:
        when = published_on if published_on.tzinfo else published_on.replace(tzinfo=UTC)
        published = when.astimezone(SHANGHAI).date()
    guide = Guide(
        title=name,
        subtitle=KIND_LABEL,
        tenant_name=tenant_name,
        agency_name=lead,
        item_type_label=AUDIENCES.get(audience, AUDIENCES[""]) + KIND_LABEL,
        version_number=max(revision, 1),
        published_on=published,
        url=url,
        sections=tuple(
            Section(key, _NUMBERS[n], title, bodies[key]) for n, (key, title) in enumerate(SECTIONS)
        ),
    )
    return guide, materials


# Reading a bundle's guide ----------------------------------------------------------------


def bundle_url(ctx: TenantContext, bundle_id: int) -> str:
    from qingdan.core.config import get_settings

    path = PUBLIC_BUNDLE_PATH.format(slug=ctx.slug, bundle_id=bundle_id)
    return get_settings().public_url.rstrip("/") + path


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def members_of(ctx: TenantContext, bundle_id: int) -> list[tuple[MemberDoc, datetime]]:
    """The bundle's items the public sees, in order, each with its published
    version's document and publication time; nothing else is read."""
    rows = await (
        ctx.scope.select(
            BundleItem,
            BundleItem.item,
            BundleItem.item.status.as_alias("status"),
            BundleItem.item.published_version.as_alias("version"),
            BundleItem.item.agency.name.as_alias("agency_name"),
        )
        .where(BundleItem.bundle == bundle_id)
        .order_by(BundleItem.position)
        .order_by(BundleItem.id)
    )
    live = [r for r in rows if r["version"] is not None and r["status"] in VISIBLE_STATUSES]
    if not live:
        return []
    versions = {
        v["id"]: v
        for v in await ctx.scope.select(
            ItemVersion, ItemVersion.id, ItemVersion.item, ItemVersion.document,
            ItemVersion.published_at,
        )
        .where(
            ItemVersion.id.is_in([r["version"] for r in live])
            & ItemVersion.published_at.is_not_null()
        )
        .output(load_json=True)
    }  # fmt: skip
    out = []
    for r in live:
        v = versions.get(r["version"])
        if v is None or v["item"] != r["item"]:
            continue
        doc = validate_document(v["document"])
        out.append(
            (
                MemberDoc(
                    item_id=r["item"],
                    title=item_title(doc),
                    agency_name=r["agency_name"] or "",
                    doc=doc,
                    suspended=r["status"] == ItemStatus.suspended.value,
                ),
                _aware(v["published_at"]),
            )
        )
    return out


async def bundle_guide(ctx: TenantContext, bundle_id: int, *, public: bool) -> BundleGuide:
    """The bundle's guide. ``public``: only a bundle that is online, else NotFound
    (as for another tenant's); signed-in staff may preview one not yet online."""
    bundle = await get_bundle_row(ctx, bundle_id)
    if public and bundle["status"] != "published":
        raise NotFound("一件事")
    members = await members_of(ctx, bundle_id)
    if public and not members:
        raise NotFound("一件事")
    stamps = [_aware(bundle["published_at"])] if bundle["published_at"] else []
    stamps += [at for _, at in members]
    last_modified = max(stamps, default=_aware(bundle["updated_at"]))
    form = msgspec.convert(bundle["form"] or [], list[BundleField])
    guide, materials = compose_guide(
        name=bundle["name"],
        audience=bundle["audience"],
        lead=bundle.get("lead_agency_name") or "",
        description=bundle["description"],
        form=form,
        members=[m for m, _ in members],
        tenant_name=ctx.name,
        revision=bundle["revision"],
        published_on=last_modified if bundle["status"] == "published" else None,
        url=bundle_url(ctx, bundle_id),
    )
    return BundleGuide(
        guide=guide,
        members=tuple(m for m, _ in members),
        materials=tuple(materials),
        form=tuple(form),
        published=bundle["status"] == "published",
        last_modified=last_modified,
    )


# PDFs ------------------------------------------------------------------------------------------

_PDF_CACHE: OrderedDict[str, bytes] = OrderedDict()
_PDF_CACHE_SIZE = 64
_PDF_LOCKS: dict[str, asyncio.Lock] = {}


def pdf_filename(guide: Guide, print_version: bool) -> str:
    safe = "".join(c for c in guide.title if c not in '\\/:*?"<>|\r\n\t').strip()[:80] or "一件事"
    kind = "大厅打印版" if print_version else "办事指南"
    return f"{safe}-一件事一次办{kind}-第{guide.version_number}版.pdf"


def pdf_key(guide: Guide, *, print_version: bool) -> str:
    """The SHA-256 of the HTML the PDF is rendered from: same key, same PDF."""
    html = render_guide_html(guide, print_version=print_version, pdf=True)
    return hashlib.sha256(html.encode()).hexdigest()


async def bundle_pdf(guide: Guide, *, print_version: bool) -> tuple[bytes, str]:
    """(PDF bytes, SHA-256 of the guide's HTML) of a bundle guide.

    The guide changes whenever an item is published, so a PDF is not stored
    with a version as an item's is: it is kept in memory by the hash of what
    it shows, and rendered (off the event loop) only when that changes.
    """
    key = pdf_key(guide, print_version=print_version)
    cached = _PDF_CACHE.get(key)
    if cached is not None:
        _PDF_CACHE.move_to_end(key)
        return cached, key
    lock = _PDF_LOCKS.setdefault(key, asyncio.Lock())
    async with lock:
        cached = _PDF_CACHE.get(key)
        if cached is None:
            cached = await asyncio.to_thread(render_guide_pdf, guide, print_version=print_version)
            _PDF_CACHE[key] = cached
            while len(_PDF_CACHE) > _PDF_CACHE_SIZE:
                _PDF_CACHE.popitem(last=False)
    _PDF_LOCKS.pop(key, None)
    return cached, key
