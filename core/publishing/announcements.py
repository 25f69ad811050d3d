"""The announcement (公告) of a publication: what changed in the published
catalog since the previous publication, and its page body and PDF.

Pure: two snapshots and the element documents of the versions that differ go
in, the differences come out, already worded the way the public reads them.
What changed inside an entry or item is the element-level diff of
core/catalog/diff.py (a renamed material is one changed row of 申请材料, not a
removal and an addition); a status change (在用 → 暂停) is an element of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import msgspec

from qingdan.core.catalog.diff import diff_documents
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.vocab import ItemStatus, label

Subject = Literal["entry", "item"]
Change = Literal["added", "changed", "cancelled"]

SUBJECT_LABELS: dict[str, str] = {"entry": "基本目录事项", "item": "实施清单事项"}
CHANGE_LABELS: dict[str, str] = {"added": "新增", "changed": "变更", "cancelled": "取消"}
#: The pseudo-element a status change is listed under.
STATUS_ELEMENT = "status"
STATUS_TITLE = "事项状态"
#: Before/after texts are kept to this length in the record (the full
#: documents stay in their versions).
VALUE_LIMIT = 300


@dataclass(frozen=True)
class Snapshot:
    """What the public could see at one moment: each catalog entry in use with
    its version, each visible item with its published version and status."""

    entries: Mapping[int, int] = field(default_factory=dict)  # entry id → version id
    items: Mapping[int, tuple[int, str]] = field(default_factory=dict)  # id → (version, status)

    def to_json(self) -> dict[str, dict[str, object]]:
        return {
            "entries": {str(k): v for k, v in sorted(self.entries.items())},
            "items": {str(k): [v, s] for k, (v, s) in sorted(self.items.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Mapping[str, object]] | None) -> Snapshot:
        data = data or {}
        entries = {int(k): int(v) for k, v in (data.get("entries") or {}).items()}  # type: ignore[call-overload]
        items = {
            int(k): (int(v[0]), str(v[1]))  # type: ignore[index]
            for k, v in (data.get("items") or {}).items()
        }
        return cls(entries=entries, items=items)


class ChangedElement(msgspec.Struct, frozen=True, kw_only=True):
    """One element that changed, as the announcement names it."""

    element: str  # field name: "promised_limit" ("status" for the status)
    title: str  # 承诺办结时限
    kind: str  # added / removed / changed
    before: str = ""  # 10个工作日 (""  when absent; a table says 共3行)
    after: str = ""


class Difference(msgspec.Struct, frozen=True, kw_only=True):
    """One entry or item added, changed or cancelled between two snapshots."""

    subject: Subject
    subject_id: int
    change: Change
    before_version: int | None = None
    after_version: int | None = None
    before_status: str = ""
    after_status: str = ""
    elements: tuple[ChangedElement, ...] = ()
    summary: str = ""


DocumentKey = tuple[str, int]  # (subject, version id)


def _clip(text: str) -> str:
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


def _status(value: str) -> str:
    return label(ItemStatus, value) if value else ""


def documents_needed(before: Snapshot, after: Snapshot) -> set[DocumentKey]:
    """The versions whose documents :func:`differences` must compare: those of
    entries and items present in both snapshots with another version."""
    needed: set[DocumentKey] = set()
    for entry_id, version in after.entries.items():
        old = before.entries.get(entry_id)
        if old is not None and old != version:
            needed |= {("entry", old), ("entry", version)}
    for item_id, (version, _) in after.items.items():
        old_item = before.items.get(item_id)
        if old_item is not None and old_item[0] != version:
            needed |= {("item", old_item[0]), ("item", version)}
    return needed


def _changed(
    subject: Subject,
    subject_id: int,
    before: tuple[int, str],
    after: tuple[int, str],
    documents: Mapping[DocumentKey, ElementDocument],
) -> Difference | None:
    (old_version, old_status), (new_version, new_status) = before, after
    elements: list[ChangedElement] = []
    sentences: list[str] = []
    if old_version != new_version:
        diff = diff_documents(documents[(subject, old_version)], documents[(subject, new_version)])
        elements += [
            ChangedElement(
                element=c.element,
                title=c.title,
                kind=c.kind,
                before=_clip(c.before),
                after=_clip(c.after),
            )
            for c in diff.changes
        ]
        if not diff.is_empty:
            sentences.append(diff.summary)
    if old_status != new_status:
        elements.append(
            ChangedElement(
                element=STATUS_ELEMENT,
                title=STATUS_TITLE,
                kind="changed",
                before=_status(old_status),
                after=_status(new_status),
            )
        )
        sentences.append(f"{STATUS_TITLE}由“{_status(old_status)}”改为“{_status(new_status)}”")
    if not elements:
        # A new version with the very same elements: nothing the public sees changed.
        return None
    return Difference(
        subject=subject,
        subject_id=subject_id,
        change="changed",
        before_version=old_version,
        after_version=new_version,
        before_status=old_status,
        after_status=new_status,
        elements=tuple(elements),
        summary=";".join(sentences),
    )


def differences(
    before: Snapshot, after: Snapshot, documents: Mapping[DocumentKey, ElementDocument]
) -> list[Difference]:
    """Every catalog entry and item added, changed or cancelled from ``before`` to
    ``after`` (entries first, then items, each by id).

    ``documents`` holds at least the versions :func:`documents_needed` names.
    An entry or item that left the snapshot was cancelled (a suspended item
    stays, with its status changed).
    """
    out: list[Difference] = []
    published = ItemStatus.published.value
    sides: list[tuple[Subject, dict[int, tuple[int, str]], dict[int, tuple[int, str]]]] = [
        (
            "entry",
            {k: (v, published) for k, v in before.entries.items()},
            {k: (v, published) for k, v in after.entries.items()},
        ),
        ("item", dict(before.items), dict(after.items)),
    ]
    for subject, old, new in sides:
        for subject_id in sorted(old.keys() | new.keys()):
            was, now = old.get(subject_id), new.get(subject_id)
            if was is None and now is not None:
                out.append(
                    Difference(
                        subject=subject,
                        subject_id=subject_id,
                        change="added",
                        after_version=now[0],
                        after_status=now[1],
                        summary="新增公布",
                    )
                )
            elif now is None and was is not None:
                out.append(
                    Difference(
                        subject=subject,
                        subject_id=subject_id,
                        change="cancelled",
                        before_version=was[0],
                        before_status=was[1],
                        summary="取消,不再公布",
                    )
                )
            elif was is not None and now is not None and was != now:
                changed = _changed(subject, subject_id, was, now, documents)
                if changed is not None:
                    out.append(changed)
    return out


# The page body and the PDF -----------------------------------------------------------------


def render_announcement_html(announcement: object, *, pdf: bool = False) -> str:
    """The announcement as a complete HTML document (publications/announcement.html,
    which includes the body the pages include too)."""
    from qingdan.core.publishing.guides import _environment

    return (
        _environment()
        .get_template("publications/announcement.html")
        .render(announcement=announcement, pdf=pdf)
    )


def render_announcement_pdf(announcement: object) -> bytes:
    """The announcement as an A4 PDF (WeasyPrint) in Noto Sans/Serif CJK SC, with
    the tenant and publication number in the header and the number, date and
    第 X 页 / 共 Y 页 in the footer. Slow: call it from a thread or a job."""
    # One WeasyPrint render at a time per process, shared with the guides.
    from qingdan.core.publishing.guides import _RENDER_LOCK, FontMissing, cjk_font_installed

    if not cjk_font_installed():
        raise FontMissing("未安装中文字体(Debian: fonts-noto-cjk),不能生成公告PDF")
    from weasyprint import HTML

    html = render_announcement_html(announcement, pdf=True)
    with _RENDER_LOCK:
        return HTML(string=html).write_pdf()


__all__ = [
    "CHANGE_LABELS",
    "STATUS_ELEMENT",
    "SUBJECT_LABELS",
    "ChangedElement",
    "Difference",
    "Snapshot",
    "differences",
    "documents_needed",
    "render_announcement_html",
    "render_announcement_pdf",
]
