"""The demo's national catalog (基本目录), kept as data in ``data/catalog.json``.

Each entry holds what is the same wherever the item is implemented: name, type,
legal basis, conditions, materials, time limits, process, fees, FAQ ... as a
*partial* element document. What depends on the implementing agency and place
(:data:`PLACE_ELEMENTS`: agency, codes, locations, contacts, online address)
is left out; ``qingdan demo`` adds it per agency with :func:`entry_document`.

Base codes are demo codes in the default :class:`~qingdan.core.catalog.codes.CodeFormat`,
10 characters: item-type prefix (2) + sector number (2) + sequence (3) + ``000``.
The prefixes follow the national order of item types: 01 licensing, 02 penalty,
03 coercion, 04 levy, 05 benefit, 06 inspection, 07 confirmation, 08 reward,
09 adjudication, 10 other_power, 11 filing, 20 public_service. Sector numbers
follow the order of :data:`~qingdan.core.demo.sectors.SECTORS` (01 market ...).

The content was written for the demo from national laws and regulations: article
numbers are real, and article texts are deliberately left empty (they are pasted
from official sources, never written from memory).
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import msgspec

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import Level
from qingdan.core.demo.sectors import SECTORS

#: Elements that belong to an implementation, not to the catalog entry.
PLACE_ELEMENTS: tuple[str, ...] = (
    "agency_name",
    "agency_uscc",
    "agency_nature",
    "impl_code",
    "locations",
    "consultation",
    "complaints",
    "online_url",
)

CATALOG_PACKAGE = "qingdan.core.demo"
CATALOG_RESOURCE = "data/catalog.json"


class DemoEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One entry of the demo's national catalog."""

    sector: str  # a key of SECTORS
    base_code: str
    levels: list[Level]
    elements: dict[str, Any]  # partial ElementDocument, without PLACE_ELEMENTS


class CatalogDataError(ValueError):
    """``catalog.json`` is inconsistent; the message names the entry."""


def load_national_catalog() -> list[DemoEntry]:
    """Read ``data/catalog.json`` from the package and check its framing.

    Decoding is done on every call so that callers may change the returned
    ``elements`` dicts freely. The element documents themselves are checked by
    :func:`entry_document` (and by the tests), not here.
    """
    raw = resources.files(CATALOG_PACKAGE).joinpath(CATALOG_RESOURCE).read_bytes()
    entries = msgspec.json.decode(raw, type=list[DemoEntry])
    seen: set[str] = set()
    for entry in entries:
        where = f"基本目录事项“{entry.base_code}”"
        if entry.sector not in SECTORS:
            raise CatalogDataError(f"{where}的行业“{entry.sector}”不在SECTORS中")
        if entry.base_code in seen:
            raise CatalogDataError(f"{where}的基本编码重复")
        seen.add(entry.base_code)
        if entry.elements.get("base_code") != entry.base_code:
            raise CatalogDataError(f"{where}的要素中基本编码与条目不一致")
        if entry.elements.get("levels") != [lv.value for lv in entry.levels]:
            raise CatalogDataError(f"{where}的要素中行使层级与条目不一致")
        place = sorted(set(PLACE_ELEMENTS) & entry.elements.keys())
        if place:
            raise CatalogDataError(f"{where}含有应由实施机构填写的要素: {', '.join(place)}")
    return entries


def entry_document(entry: DemoEntry, **place: Any) -> ElementDocument:
    """The full element document of ``entry`` as implemented at one place.

    ``place`` holds the place-specific elements (agency_name, agency_uscc,
    impl_code, locations, consultation, complaints ...); they are merged over
    the catalog's partial document, which is then validated.

    Raises :class:`~qingdan.core.catalog.validation.ElementValidationError`.
    """
    data = {**entry.elements, **place}
    return validate_document(data)


def entries_for(sectors: tuple[str, ...] | list[str], level: Level | str) -> list[DemoEntry]:
    """The catalog entries of ``sectors`` that are implemented at ``level``."""
    wanted = Level(level)
    chosen = set(sectors)
    return [e for e in load_national_catalog() if e.sector in chosen and wanted in e.levels]
