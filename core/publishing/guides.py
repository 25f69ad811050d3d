"""办事指南: an item version as the public reads it, on a phone and on paper.

``guide_for`` turns an element document into a :class:`Guide`: the standard
sections in guide order, every value already rendered as Chinese text (labels
for codes, 是/否 for flags, 《》 and units where they belong), so templates only
lay out text. ``render_guide_html`` and ``render_guide_pdf`` lay it out with
the templates in web/templates/guide/ (one shared body, so the page and the PDF
cannot drift apart); ``flowchart_svg`` draws the process steps.

Empty elements are left out; a section with nothing in it keeps its place in
the standard order and says 无, so a citizen always finds 收费 or 常见问题 where
they expect it.
"""

from __future__ import annotations

import base64
import importlib.util
import io
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from html import escape
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from msgspec import inspect as mi

from qingdan.core.catalog.elements import (
    ElementDocument,
    Fee,
    IntermediaryService,
    LegalBasis,
    Location,
    Material,
    ProcessStep,
    SpecialStep,
    TimeLimit,
)
from qingdan.core.catalog.vocab import ItemType, LimitUnit, Vocab

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: The CJK fonts a PDF is set in, by family name (Debian: fonts-noto-cjk).
SANS_FAMILY = "Noto Sans CJK SC"
SERIF_FAMILY = "Noto Serif CJK SC"
#: What a phone falls back to when it has no Noto CJK (the flowchart's font; the
#: page's stacks are in web/templates/guide/guide.css).
SANS_STACK = (
    f'"{SANS_FAMILY}", "Source Han Sans SC", "Source Han Sans CN", "PingFang SC", '
    '"Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
)

#: Elements a guide leaves out on purpose: classification for search, not for
#: the applicant (theme codes need the tenant's taxonomy to mean anything).
LEFT_OFF = frozenset({"themes", "keywords"})

_CN_NUMBERS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")


# The guide ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    text: str
    long: bool = False  # long text keeps its line breaks


@dataclass(frozen=True)
class Entry:
    """One labelled value (事项类型: 行政许可)."""

    title: str
    text: str
    long: bool = False
    href: str = ""  # an http(s) address the value links to on screen

    @property
    def wide(self) -> bool:
        """Too long to share a line with another entry on paper."""
        return self.long or bool(self.href) or sum(map(_char_em, self.text)) > 12


@dataclass(frozen=True)
class Entries:
    """Labelled values, shown as a definition list."""

    kind: ClassVar[str] = "entries"
    title: str  # a sub-heading, "" for none
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Table:
    """Rows under column titles, numbered 序号 1, 2, ..."""

    kind: ClassVar[str] = "table"
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    widths: tuple[str, ...] = ()  # CSS widths per column (print layout), or none


@dataclass(frozen=True)
class Prose:
    """Running text: 受理条件, 法律救济, 本事项不收费。"""

    kind: ClassVar[str] = "prose"
    title: str
    text: str


@dataclass(frozen=True)
class Flowchart:
    kind: ClassVar[str] = "flowchart"
    title: str
    svg: Markup  # built by flowchart_svg, every text in it escaped
    steps: int


@dataclass(frozen=True)
class Questions:
    kind: ClassVar[str] = "questions"
    title: str
    items: tuple[tuple[str, str], ...]  # (question, answer)


Part = Entries | Table | Prose | Flowchart | Questions


@dataclass(frozen=True)
class Section:
    key: str  # stable anchor: "basic", "materials", ...
    number: str  # 一, 二, ...
    title: str
    parts: tuple[Part, ...]

    @property
    def empty(self) -> bool:
        return not self.parts


@dataclass(frozen=True)
class Guide:
    """One item version's 办事指南, ready to lay out."""

    title: str  # the item's name
    subtitle: str  # 业务办理项 name, or ""
    tenant_name: str
    agency_name: str
    item_type_label: str
    version_number: int
    published_on: date | None
    url: str  # the online guide, for the QR code of the printed version
    sections: tuple[Section, ...]

    @property
    def published_text(self) -> str:
        if self.published_on is None:
            return "未发布"
        d = self.published_on
        return f"{d.year}年{d.month}月{d.day}日发布"

    @property
    def edition(self) -> str:
        """第3版 · 2025年3月4日发布: what the footer of every page says."""
        return f"第{self.version_number}版 · {self.published_text}"

    def section(self, key: str) -> Section:
        for s in self.sections:
            if s.key == key:
                return s
        raise KeyError(key)


# Element titles and values as text ----------------------------------------------------


@cache
def _titles(cls: type) -> dict[str, str]:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    titles = {}
    for f in info.fields:
        t, title = f.type, f.name
        while isinstance(t, mi.Metadata):
            if t.extra_json_schema and "title" in t.extra_json_schema:
                title = t.extra_json_schema["title"]
                break
            t = t.type
        titles[f.name] = title
    return titles


def _t(name: str, cls: type = ElementDocument) -> str:
    return _titles(cls)[name]


def time_limit_text(limit: TimeLimit) -> str:
    """20个工作日, 无法定时限, 5个工作日(自受理之日起)."""
    if limit.unit == LimitUnit.none:
        text = "无法定时限"
    else:
        text = f"{limit.value}个{limit.unit.label}"
    return f"{text}({limit.note})" if limit.note else text


def _is_empty_limit(limit: TimeLimit) -> bool:
    return limit == TimeLimit()


def _text(value: Any) -> str:
    """A value as the public reads it; "" when there is nothing to say."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Vocab):
        return value.label
    if isinstance(value, TimeLimit):
        return "" if _is_empty_limit(value) else time_limit_text(value)
    if isinstance(value, list | tuple):
        return "、".join(t for t in (_text(v) for v in value) if t)
    return str(value).strip()


def _link(value: str) -> str:
    """``value`` if it is an http(s) address safe to link to, else ""."""
    parsed = urlparse(value.strip())
    return value.strip() if parsed.scheme in ("http", "https") and parsed.netloc else ""


def _entries(title: str, pairs: Iterable[tuple[str, Any]], long: Iterable[str] = ()) -> Entries:
    longs = set(long)
    entries = []
    for name, value in pairs:
        text = _text(value)
        if text:
            entries.append(Entry(name, text, long=name in longs))
    return Entries(title, tuple(entries))


def _table(
    title: str,
    columns: Sequence[tuple[str, int | str, bool]],
    rows: Sequence[Sequence[Any]],
) -> Table | None:
    """A table of ``rows``; a column nobody filled in is left out unless required.

    ``columns``: (title, CSS width, required) per column; a width of 0 means auto.
    """
    if not rows:
        return None
    texts = [[_text(v) for v in row] for row in rows]
    keep = [i for i, (_, _, required) in enumerate(columns) if required or any(r[i] for r in texts)]
    widths = [str(columns[i][1]) if columns[i][1] else "" for i in keep]
    if all(widths):
        widths[0] = ""  # one column takes the room the others leave
    return Table(
        title=title,
        columns=tuple(columns[i][0] for i in keep),
        rows=tuple(
            tuple(Cell(r[i], long=len(r[i]) > 40 or "\n" in r[i]) for i in keep) for r in texts
        ),
        widths=tuple(widths),
    )


def _nonempty(*parts: Part | None) -> tuple[Part, ...]:
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


# The sections, in the standard order ---------------------------------------------------

#: Which elements each section shows (a test checks every element is placed once).
SECTION_ELEMENTS: dict[str, tuple[str, ...]] = {
    "basic": (
        "name",
        "handling_item",
        "handling_item_name",
        "item_type",
        "base_code",
        "impl_code",
        "levels",
        "agency_name",
        "agency_uscc",
        "agency_nature",
        "power_source",
        "co_agencies",
        "entrusting_agency",
        "audience",
        "service_kind",
        "channels",
        "visits",
        "visits_reason",
        "online_depth",
        "online_url",
        "mobile_url",
        "in_hall",
        "hall_exclusion_reason",
        "appointment",
        "courier",
        "online_payment",
        "kiosk",
        "cross_area",
        "commitment",
        "commitment_content",
        "commitment_liability",
    ),
    "legal_basis": ("legal_basis",),
    "conditions": ("acceptance_conditions", "prohibitions"),
    "materials": ("materials",),
    "process": ("process", "special_steps", "intermediary_services"),
    "time_limits": ("statutory_limit", "promised_limit", "case_type"),
    "fees": ("charged", "fees"),
    "locations": ("locations",),
    "contacts": ("consultation", "complaints", "legal_remedy"),
    "faq": ("faq",),
    "result": ("result",),
}


def _basic(doc: ElementDocument, agency_name: str) -> tuple[Part, ...]:
    who = _entries(
        "",
        [
            (_t("name"), doc.name),
            ("业务办理项", doc.handling_item_name),
            (_t("handling_item"), doc.handling_item if doc.handling_item != "00" else ""),
            (_t("item_type"), doc.item_type),
            (_t("base_code"), doc.base_code),
            (_t("impl_code"), doc.impl_code),
            (_t("levels"), doc.levels),
            (_t("agency_name"), doc.agency_name or agency_name),
            (_t("agency_uscc"), doc.agency_uscc),
            (_t("agency_nature"), doc.agency_nature),
            (_t("power_source"), doc.power_source),
            (_t("co_agencies"), doc.co_agencies),
            (_t("entrusting_agency"), doc.entrusting_agency),
            (_t("audience"), doc.audience),
            (_t("service_kind"), doc.service_kind),
        ],
    )
    visits = f"{doc.visits}次"
    how_entries = [
        (_t("channels"), doc.channels),
        (_t("visits"), visits),
        (_t("visits_reason"), doc.visits_reason if doc.visits > 0 else ""),
        (_t("online_depth"), doc.online_depth),
    ]
    how = list(_entries("办理方式", how_entries).entries)
    for name in ("online_url", "mobile_url"):
        value = getattr(doc, name).strip()
        if value:
            how.append(Entry(_t(name), value, href=_link(value)))
    how += _entries(
        "",
        [
            (_t(name), getattr(doc, name))
            for name in (
                "in_hall",
                "appointment",
                "courier",
                "online_payment",
                "kiosk",
                "cross_area",
                "commitment",
            )
        ],
    ).entries
    # Said only where they apply: why the item is not in the hall, and what
    # an applicant under 告知承诺制 promises and answers for.
    how += _entries(
        "",
        [
            (_t("hall_exclusion_reason"), "" if doc.in_hall else doc.hall_exclusion_reason),
            (_t("commitment_content"), doc.commitment_content if doc.commitment else ""),
            (_t("commitment_liability"), doc.commitment_liability if doc.commitment else ""),
        ],
        long=(_t("commitment_content"), _t("commitment_liability")),
    ).entries
    return _nonempty(who, Entries("办理方式", tuple(how)))


def _legal_basis(doc: ElementDocument) -> tuple[Part, ...]:
    def law(name: str) -> str:
        name = name.strip()
        return name if name.startswith("《") else f"《{name}》"

    t = _titles(LegalBasis)
    table = _table(
        "",
        [
            (t["law_name"], "30%", True),
            (t["document_number"], "16%", False),
            (t["article"], "14%", False),
            (t["text"], 0, False),
        ],
        [(law(b.law_name), b.document_number, b.article, b.text) for b in doc.legal_basis],
    )
    return _nonempty(table)


def _conditions(doc: ElementDocument) -> tuple[Part, ...]:
    return _nonempty(
        Prose("", doc.acceptance_conditions),
        Prose(_t("prohibitions"), doc.prohibitions),
    )


def _materials(doc: ElementDocument) -> tuple[Part, ...]:
    t = _titles(Material)

    def remarks(m: Material) -> str:
        parts = [
            (t["paper_size"], m.paper_size),
            (t["basis"], m.basis),
            (t["notes"], m.notes),
            (t["blank_form"], m.blank_form),
            (t["sample"], m.sample),
            (t["deferral_days"], f"{m.deferral_days}个工作日" if m.deferral_days else ""),
        ]
        return "；".join(f"{title}：{v.strip()}" for title, v in parts if v.strip())

    table = _table(
        "",
        [
            (t["name"], "22%", True),
            (t["type"], "10%", True),
            (t["form"], "12%", True),
            (t["necessity"], "9%", True),
            (t["source"], "11%", False),
            (t["copies"], "6%", True),
            ("备注", 0, False),
        ],
        [
            (m.name, m.type, m.form, m.necessity, m.source, f"{m.copies}", remarks(m))
            for m in doc.materials
        ],
    )
    return _nonempty(table)


def _process(doc: ElementDocument) -> tuple[Part, ...]:
    steps = _titles(ProcessStep)
    special = _titles(SpecialStep)
    inter = _titles(IntermediaryService)
    chart = (
        Flowchart("办理流程图", flowchart_svg(doc.process), len(doc.process))
        if doc.process
        else None
    )
    return _nonempty(
        chart,
        _table(
            "办理环节",
            [
                (steps["name"], "16%", True),
                (steps["actor"], "15%", False),
                (steps["standard"], 0, False),
                ("办理时限", "15%", False),
                (steps["result"], "16%", False),
            ],
            [(s.name, s.actor, s.standard, s.time_limit, s.result) for s in doc.process],
        ),
        _table(
            _t("special_steps"),
            [
                (special["name"], "20%", True),
                ("时限", "16%", True),
                (special["basis"], 0, False),
                (special["counted_in_limit"], "18%", True),
            ],
            [(s.name, s.time_limit, s.basis, s.counted_in_limit) for s in doc.special_steps],
        ),
        _table(
            _t("intermediary_services"),
            [
                (inter["name"], "22%", True),
                (inter["basis"], 0, False),
                (inter["provider"], "22%", False),
                ("是否收费", "12%", True),
                ("收费标准", "14%", False),
                ("时限", "12%", False),
            ],
            [
                (s.name, s.basis, s.provider, s.charged, s.fee_standard, s.time_limit)
                for s in doc.intermediary_services
            ],
        ),
    )


def _time_limits(doc: ElementDocument) -> tuple[Part, ...]:
    return _nonempty(
        _entries(
            "",
            [
                (_t("statutory_limit"), doc.statutory_limit),
                (_t("promised_limit"), doc.promised_limit),
                (_t("case_type"), doc.case_type),
            ],
        )
    )


def _fees(doc: ElementDocument) -> tuple[Part, ...]:
    if not doc.charged:
        return (Prose("", "本事项不收费。"),)
    t = _titles(Fee)
    table = _table(
        "",
        [
            (t["item"], "22%", True),
            (t["standard"], "26%", False),
            (t["basis"], 0, False),
            (t["reductions"], "22%", False),
        ],
        [(f.item, f.standard, f.basis, f.reductions) for f in doc.fees],
    )
    if table is None:
        return (Prose("", "本事项收费，收费标准请向办理地点咨询。"),)
    return (table,)


def _locations(doc: ElementDocument) -> tuple[Part, ...]:
    t = _titles(Location)
    return _nonempty(
        _table(
            "",
            [
                (t["name"], "22%", True),
                (t["address"], "24%", False),
                (t["hours"], "20%", False),
                (t["phone"], "14%", False),
                (t["traffic"], 0, False),
            ],
            [(loc.name, loc.address, loc.hours, loc.phone, loc.traffic) for loc in doc.locations],
        )
    )


def _contacts(doc: ElementDocument) -> tuple[Part, ...]:
    return _nonempty(
        Entries(
            _t("consultation"),
            tuple(
                Entry(c.kind.label, c.value.strip()) for c in doc.consultation if c.value.strip()
            ),
        ),
        Entries(
            _t("complaints"),
            tuple(Entry(c.kind.label, c.value.strip()) for c in doc.complaints if c.value.strip()),
        ),
        Prose(_t("legal_remedy"), doc.legal_remedy),
    )


def _faq(doc: ElementDocument) -> tuple[Part, ...]:
    return _nonempty(Questions("", tuple((q.question.strip(), q.answer.strip()) for q in doc.faq)))


def _result(doc: ElementDocument) -> tuple[Part, ...]:
    r = doc.result
    return _nonempty(
        _entries("", [("结果名称", r.name), ("结果类型", r.type), ("结果样本", r.sample)])
    )


def _result_title(doc: ElementDocument) -> str:
    return "审批结果" if doc.item_type == ItemType.licensing else "办理结果"


def _published_on(value: datetime | date | None) -> date | None:
    """The publication day in Shanghai; naive datetimes are UTC, as stored."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI).date()
    return value


def guide_for(
    doc: ElementDocument,
    *,
    tenant_name: str,
    agency_name: str,
    version_number: int,
    published_at: datetime | date | None,
    url: str = "",
) -> Guide:
    """The 办事指南 of one item version, in the standard section order.

    ``agency_name`` is the implementing agency as the tenant knows it (used
    where the document does not name one); ``url`` is the online guide the
    printed version's QR code points to.
    """
    layout = [
        ("basic", "基本信息", _basic(doc, agency_name)),
        ("legal_basis", "设定依据", _legal_basis(doc)),
        ("conditions", "受理条件", _conditions(doc)),
        ("materials", "申请材料", _materials(doc)),
        ("process", "办理流程", _process(doc)),
        ("time_limits", "办理时限", _time_limits(doc)),
        ("fees", "收费标准", _fees(doc)),
        ("locations", "办理地点和时间", _locations(doc)),
        ("contacts", "咨询和监督投诉", _contacts(doc)),
        ("faq", "常见问题", _faq(doc)),
        ("result", _result_title(doc), _result(doc)),
    ]
    return Guide(
        title=doc.name,
        subtitle=doc.handling_item_name if doc.handling_item_name != doc.name else "",
        tenant_name=tenant_name,
        agency_name=doc.agency_name or agency_name,
        item_type_label=doc.item_type.label,
        version_number=version_number,
        published_on=_published_on(published_at),
        url=url.strip(),
        sections=tuple(
            Section(key, _CN_NUMBERS[i], title, parts)
            for i, (key, title, parts) in enumerate(layout)
        ),
    )


# The flowchart -----------------------------------------------------------------------------

FLOW_WIDTH = 360
BOX_X = 30
BOX_W = 300
PAD = 10
BADGE_R = 11
NAME_SIZE = 15
NAME_LH = 20
META_SIZE = 12.5
META_LH = 17
TEXT_X = BOX_X + PAD + 2 * BADGE_R + 8
TEXT_W = BOX_X + BOX_W - PAD - TEXT_X
ARROW = 30
TERMINAL_W = 120
TERMINAL_H = 32
MARGIN = 4
INK = "#1f3b5c"
FILL = "#eef3f9"

#: Characters that must not begin a line (标点避头).
_NO_LINE_START = set(",。、;:?!)」』》〉】”’,.;:?!)]%")


def _char_em(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.56


def wrap_text(text: str, width_em: float, max_lines: int = 4) -> list[str]:
    """``text`` in lines of at most ``width_em`` (a CJK character is 1em), for SVG.

    Chinese breaks between any two characters, except before closing
    punctuation; the last line ends in … when the text does not fit.
    """
    text = " ".join(text.split())
    lines: list[str] = []
    current, width = "", 0.0
    for ch in text:
        w = _char_em(ch)
        if current and width + w > width_em and ch not in _NO_LINE_START:
            lines.append(current.rstrip())
            current, width = "", 0.0
            if ch == " ":
                continue
        current += ch
        width += w
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and sum(_char_em(c) for c in last) + 1 > width_em:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _svg_text(x: float, y: float, text: str, size: float, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:g}" y="{y:g}" font-size="{size:g}"{extra}>{escape(text)}</text>'


def _arrow(y1: float, y2: float) -> str:
    cx = FLOW_WIDTH / 2
    return (
        f'<g class="arrow"><line x1="{cx:g}" y1="{y1:g}" x2="{cx:g}" y2="{y2 - 7:g}" '
        f'stroke="{INK}" stroke-width="1.6"/>'
        f'<polygon points="{cx - 5:g},{y2 - 8:g} {cx + 5:g},{y2 - 8:g} {cx:g},{y2:g}" '
        f'fill="{INK}"/></g>'
    )


def _terminal(y: float, label: str) -> str:
    x = (FLOW_WIDTH - TERMINAL_W) / 2
    return (
        f'<g class="terminal"><rect x="{x:g}" y="{y:g}" width="{TERMINAL_W}" '
        f'height="{TERMINAL_H}" rx="{TERMINAL_H / 2:g}" fill="{INK}"/>'
        + _svg_text(
            FLOW_WIDTH / 2,
            y + TERMINAL_H / 2 + 5,
            label,
            14,
            fill="#ffffff",
            text_anchor="middle",
            font_weight="bold",
        )
        + "</g>"
    )


def flowchart_svg(steps: Sequence[ProcessStep]) -> Markup:
    """The process as an inline SVG: 开始, one box per step (number, name, actor,
    time limit), 结束, with arrows between them. No script; the steps are also
    the accessible <title>/<desc>. Each step box is a ``<g class="step">``."""
    name_em = TEXT_W / NAME_SIZE
    meta_em = TEXT_W / META_SIZE
    body: list[str] = []
    y = float(MARGIN)
    body.append(_terminal(y, "开始"))
    y += TERMINAL_H
    for number, step in enumerate(steps, start=1):
        body.append(_arrow(y, y + ARROW))
        y += ARROW
        name_lines = wrap_text(step.name, name_em, 3)
        meta_lines: list[str] = []
        if step.actor.strip():
            meta_lines += wrap_text(f"办理人员：{step.actor}", meta_em, 2)
        if step.time_limit.strip():
            meta_lines += wrap_text(f"办理时限：{step.time_limit}", meta_em, 2)
        gap = 4 if meta_lines else 0
        height = PAD * 2 + NAME_LH * len(name_lines) + gap + META_LH * len(meta_lines)
        label = f"第{number}步 {step.name}"
        if step.actor.strip():
            label += f"，办理人员：{step.actor.strip()}"
        if step.time_limit.strip():
            label += f"，办理时限：{step.time_limit.strip()}"
        parts = [
            f'<g class="step" data-step="{number}"><title>{escape(label)}</title>',
            f'<rect x="{BOX_X}" y="{y:g}" width="{BOX_W}" height="{height:g}" rx="6" '
            f'fill="{FILL}" stroke="{INK}" stroke-width="1.4"/>',
            f'<circle cx="{BOX_X + PAD + BADGE_R}" cy="{y + PAD + NAME_LH / 2:g}" '
            f'r="{BADGE_R}" fill="{INK}"/>',
            _svg_text(
                BOX_X + PAD + BADGE_R,
                y + PAD + NAME_LH / 2 + 4.5,
                str(number),
                12.5,
                fill="#ffffff",
                text_anchor="middle",
                font_weight="bold",
            ),
        ]
        baseline = y + PAD + NAME_SIZE - 1
        for line in name_lines:
            parts.append(_svg_text(TEXT_X, baseline, line, NAME_SIZE, font_weight="bold"))
            baseline += NAME_LH
        baseline += gap - NAME_LH
        for line in meta_lines:
            baseline += META_LH
            parts.append(_svg_text(TEXT_X, baseline, line, META_SIZE, fill="#333333"))
        parts.append("</g>")
        body.append("".join(parts))
        y += height
    body.append(_arrow(y, y + ARROW))
    y += ARROW
    body.append(_terminal(y, "结束"))
    y += TERMINAL_H + MARGIN
    desc = "开始 → " + " → ".join(s.name for s in steps) + (" → " if steps else "") + "结束"
    font = SANS_STACK.replace('"', "'")
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" role="img" '
        f'viewBox="0 0 {FLOW_WIDTH} {y:g}" width="{FLOW_WIDTH}" height="{y:g}" '
        f'font-family="{font}">'
        f"<title>办理流程图(共{len(steps)}个环节)</title><desc>{escape(desc)}</desc>"
        + "".join(body)
        + "</svg>"
    )


# HTML and PDF ------------------------------------------------------------------------------


def template_dir() -> Path:
    """web/templates, found without importing the web package (core never does)."""
    spec = importlib.util.find_spec("qingdan.web")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("qingdan.web 的模板目录不存在")
    return Path(next(iter(spec.submodule_search_locations))) / "templates"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(template_dir()),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def qr_data_uri(url: str) -> str:
    """A PNG QR code of ``url`` as a data: URI (error correction M, 4-module quiet zone)."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_guide_html(guide: Guide, *, print_version: bool = False, pdf: bool = False) -> str:
    """The guide as a complete HTML document: guide.html for the screen (and the
    downloadable PDF), print.html for the hall's paper copy with its QR code.
    Both include guide/_body.html; a portal page can include that body itself.
    ``pdf`` leaves out the screen-only stylesheet (phone layout) for WeasyPrint."""
    template = "guide/print.html" if print_version else "guide/guide.html"
    qr = qr_data_uri(guide.url) if print_version and guide.url else ""
    return (
        _environment()
        .get_template(template)
        .render(guide=guide, print_version=print_version, qr=qr, pdf=pdf)
    )


class FontMissing(RuntimeError):
    """No CJK font is installed: a PDF would show empty boxes instead of Chinese."""


_FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")


@cache
def cjk_font_installed() -> bool:
    for folder in _FONT_DIRS:
        root = Path(folder).expanduser()
        if root.is_dir() and any(
            p.name.startswith(("NotoSansCJK", "NotoSerifCJK", "NotoSansSC", "NotoSerifSC"))
            for p in root.rglob("Noto*")
        ):
            return True
    return False


# WeasyPrint shares Pango and fontconfig state; one render at a time per process.
_RENDER_LOCK = threading.Lock()


def render_guide_pdf(guide: Guide, *, print_version: bool) -> bytes:
    """The guide as an A4 PDF (WeasyPrint), set in Noto Sans/Serif CJK SC.

    Every page has the tenant and the item in its header and 第 X 页 / 共 Y 页
    with the version and publication date in its footer. Slow (about a second):
    call it from a job or a thread, not on an event loop.
    """
    if not cjk_font_installed():
        raise FontMissing("未安装中文字体(Debian: fonts-noto-cjk),不能生成办事指南PDF")
    from weasyprint import HTML

    html = render_guide_html(guide, print_version=print_version, pdf=True)
    with _RENDER_LOCK:
        return HTML(string=html).write_pdf()


__all__ = [
    "Cell",
    "Entries",
    "Entry",
    "Flowchart",
    "FontMissing",
    "Guide",
    "Part",
    "Prose",
    "Questions",
    "Section",
    "Table",
    "flowchart_svg",
    "guide_for",
    "qr_data_uri",
    "render_guide_html",
    "render_guide_pdf",
    "time_limit_text",
    "wrap_text",
]
