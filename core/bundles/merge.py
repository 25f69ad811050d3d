"""One set of materials for a bundle: its items' materials, each asked for once.

一套材料: a material several items of a bundle need (申请人身份证明, 营业执照)
is handed in once. Materials are the same material when their names are the
same after normalising width and spacing (Ｂ超 and B超, "身份证明 " and
"身份证明"); the merged row says which items need it, and asks for it as
strictly as the strictest of them (必要 over 容缺后补 over 非必要) and in as
many copies as the most demanding.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from qingdan.core.catalog.elements import ElementDocument, Material
from qingdan.core.catalog.vocab import MaterialForm, MaterialSource, MaterialType, Necessity

#: The stricter necessity wins when items ask for the same material.
_STRICTNESS = {Necessity.required: 2, Necessity.deferrable: 1, Necessity.optional: 0}


@dataclass(frozen=True)
class MemberDoc:
    """One item of a bundle with the elements of its published version."""

    item_id: int
    title: str  # the item's name as lists show it
    agency_name: str
    doc: ElementDocument
    suspended: bool = False


@dataclass(frozen=True)
class MergedMaterial:
    name: str  # as the first item to ask for it spells it
    type: MaterialType
    form: MaterialForm
    necessity: Necessity
    source: MaterialSource | None
    copies: int
    items: tuple[str, ...]  # titles of the items that need it, in the bundle's order
    item_ids: tuple[int, ...]
    notes: tuple[str, ...]  # every distinct note, in order


def material_key(name: str) -> str:
    """The name materials are matched by: NFKC (full-width to half-width), no spaces."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def merge_materials(members: Sequence[MemberDoc]) -> list[MergedMaterial]:
    """The bundle's materials, each once, in the order they first appear."""
    order: list[str] = []
    seen: dict[str, list[tuple[MemberDoc, Material]]] = {}
    for member in members:
        for m in member.doc.materials:
            key = material_key(m.name)
            if not key:
                continue
            if key not in seen:
                order.append(key)
                seen[key] = []
            seen[key].append((member, m))
    merged = []
    for key in order:
        uses = seen[key]
        first = uses[0][1]
        members_using: list[MemberDoc] = []
        for member, _ in uses:
            if member not in members_using:
                members_using.append(member)
        notes: list[str] = []
        for _, m in uses:
            note = m.notes.strip()
            if note and note not in notes:
                notes.append(note)
        merged.append(
            MergedMaterial(
                name=first.name.strip(),
                type=first.type,
                form=first.form,
                necessity=max((m.necessity for _, m in uses), key=_STRICTNESS.__getitem__),
                source=first.source,
                copies=max(m.copies for _, m in uses),
                items=tuple(member.title for member in members_using),
                item_ids=tuple(member.item_id for member in members_using),
                notes=tuple(notes),
            )
        )
    return merged
