"""Reading query strings into the typed values the services take, and back.

Filters come from links people bookmark and share, so a value that no longer
means anything (an unknown type, a page past the end, ``agency_id=abc``) is
dropped rather than answered with an error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

import msgspec

from qingdan.core.catalog.queries import SOURCES, EntryQuery
from qingdan.core.catalog.schemas import PAGE_SIZES, SORTS, ItemQuery
from qingdan.core.catalog.vocab import ItemStatus, ItemType, Level
from qingdan.core.errors import DomainError

MAX_QUERY_LENGTH = 100
#: No row id (32-bit in PostgreSQL) or page number is larger: a bigger number
#: is dropped like any other meaningless value, not sent to the database.
MAX_INT = 2**31 - 1


def _int(value: Any, minimum: int = 1) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if minimum <= number <= MAX_INT else None


def _choice(value: Any, allowed: Any) -> str:
    text = str(value or "").strip()
    return text if text in allowed else ""


def item_query(params: Mapping[str, Any]) -> ItemQuery:
    """An :class:`ItemQuery` from the list page's query string."""
    page_size = _int(params.get("page_size"))
    return ItemQuery(
        q=" ".join(str(params.get("q") or "").split())[:MAX_QUERY_LENGTH],
        agency_id=_int(params.get("agency_id")),
        division_id=_int(params.get("division_id")),
        item_type=_choice(params.get("item_type"), ItemType._value2member_map_),
        status=_choice(params.get("status"), ItemStatus._value2member_map_),
        level=_choice(params.get("level"), Level._value2member_map_),
        sort=_choice(params.get("sort"), SORTS) or "name",
        descending=str(params.get("desc") or "") in {"1", "true", "on"},
        page=_int(params.get("page")) or 1,
        page_size=page_size if page_size in PAGE_SIZES else PAGE_SIZES[0],
    )


def entry_query(params: Mapping[str, Any]) -> EntryQuery:
    """An :class:`EntryQuery` from the catalog page's query string."""
    page_size = _int(params.get("page_size"))
    return EntryQuery(
        q=" ".join(str(params.get("q") or "").split())[:MAX_QUERY_LENGTH],
        item_type=_choice(params.get("item_type"), ItemType._value2member_map_),
        status=_choice(params.get("status"), ItemStatus._value2member_map_),
        source=_choice(params.get("source"), SOURCES),
        page=_int(params.get("page")) or 1,
        page_size=page_size if page_size in PAGE_SIZES else PAGE_SIZES[0],
    )


# Query-string names that differ from the field they fill.
_PARAM_NAMES = {"descending": "desc"}


def query_string(query: ItemQuery | EntryQuery, **changes: Any) -> str:
    """``?…`` for ``query`` with ``changes``; defaults left out, so links stay short."""
    values = msgspec.structs.replace(query, **changes) if changes else query
    defaults = type(query)()
    pairs = []
    for field in query.__struct_fields__:
        value = getattr(values, field)
        if value == getattr(defaults, field) or value in (None, ""):
            continue
        if isinstance(value, bool):
            value = "1"
        pairs.append((_PARAM_NAMES.get(field, field), value))
    return "?" + urlencode(pairs) if pairs else "?"


def page_window(page: int, pages: int, radius: int = 2) -> list[int | None]:
    """Page numbers to show around ``page``; ``None`` marks a gap (…)."""
    shown = {1, pages, *range(page - radius, page + radius + 1)}
    numbers = sorted(n for n in shown if 1 <= n <= pages)
    window: list[int | None] = []
    for n in numbers:
        if window and n - (window[-1] or 0) > 1:
            window.append(None)
        window.append(n)
    return window


# Posted forms -------------------------------------------------------------------------

MAX_TEXT = 2000


def form_text(form: Mapping[str, Any], name: str, max_length: int = MAX_TEXT) -> str:
    """A text field of a posted form, trimmed and cut to ``max_length``."""
    value = form.get(name)
    # NUL is no character anyone types, and PostgreSQL cannot store it.
    return value.replace("\x00", "").strip()[:max_length] if isinstance(value, str) else ""


def form_int(form: Mapping[str, Any], name: str) -> int | None:
    return _int(form.get(name), minimum=0)


def form_date(form: Mapping[str, Any], name: str, what: str) -> date | None:
    """An ``<input type=date>`` value, ``None`` when empty, else a DomainError on ``name``."""
    text = form_text(form, name, 20)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(f"{what}格式不正确,请按“年-月-日”填写", name) from None
