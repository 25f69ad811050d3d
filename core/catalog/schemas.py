"""Typed values the catalog services take and return."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from qingdan.core.catalog.elements import ElementDocument

PAGE_SIZES = (20, 50, 100)
SORTS = {
    "name": "事项名称",
    "impl_code": "实施编码",
    "updated": "最近更新",
    "agency": "实施机构",
}


class ItemQuery(msgspec.Struct, kw_only=True):
    """Filters, sort and page of an item list (every field optional)."""

    q: str = ""
    agency_id: int | None = None
    division_id: int | None = None
    item_type: str = ""
    status: str = ""
    theme: str = ""
    level: str = ""
    service_kind: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1
    page_size: int = 20


class ItemRow(msgspec.Struct, kw_only=True):
    id: int
    name: str
    impl_code: str
    base_code: str
    item_type: str
    status: str
    levels: list[str]
    themes: list[str]
    agency_id: int
    agency_name: str
    division_id: int
    division_name: str
    updated_at: datetime | None = None


class Page(msgspec.Struct, kw_only=True):
    rows: list[Any]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class ItemDetail(msgspec.Struct, kw_only=True):
    item: dict[str, Any]
    draft: ElementDocument | None
    draft_version: dict[str, Any] | None
    published: ElementDocument | None
    published_version: dict[str, Any] | None

    @property
    def current(self) -> ElementDocument:
        """What an editor shows: the draft if there is one, else the published version."""
        doc = self.draft or self.published
        assert doc is not None
        return doc


def pack_codes(values: list[str] | tuple[str, ...]) -> str:
    """``["a", "b"]`` → ``"|a|b|"``: a column a LIKE '%|a|%' can search."""
    return "|" + "|".join(values) + "|" if values else ""


def unpack_codes(packed: str | None) -> list[str]:
    return [v for v in (packed or "").split("|") if v]
