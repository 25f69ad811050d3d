"""What an export is asked for: which list, which format, which filters.

The same :class:`ExportSpec` comes from the export page, from the item list's
"导出当前筛选" link (its query string), from the command line, and travels to
the job as a plain dict. Filters are those of the item list, so the current
filter of the list selects exactly the same items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from qingdan.core.catalog.schemas import SORTS, ItemQuery
from qingdan.core.catalog.vocab import ItemStatus, ItemType, Level, ServiceKind
from qingdan.core.errors import DomainError

#: The lists one can export: 实施清单 (items) and 目录清单 (catalog entries).
LISTS: dict[str, str] = {"items": "实施清单", "catalog": "目录清单"}
#: Formats, with what the export page calls them.
FORMATS: dict[str, str] = {
    "xlsx": "Excel 表格(.xlsx)",
    "csv": "CSV(UTF-8,Excel 可直接打开)",
    "json": "JSON",
    "cpsv-ap": "CPSV-AP 3.2 JSON-LD(仅目录清单)",
}
EXTENSIONS = {"xlsx": "xlsx", "csv": "csv", "json": "json", "cpsv-ap": "jsonld"}


class ExportSpec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One export. Filter fields are empty for "all"; ids are the tenant's rows."""

    list: str = "items"
    format: str = "xlsx"
    agency_id: int | None = None
    division_id: int | None = None
    item_type: str = ""
    # The item list's other filters, carried by "导出当前筛选" (items only).
    q: str = ""
    status: str = ""
    level: str = ""
    theme: str = ""
    service_kind: str = ""
    sort: str = "name"
    descending: bool = False

    def item_query(self) -> ItemQuery:
        """The item list query selecting the same items."""
        return ItemQuery(
            q=self.q,
            agency_id=self.agency_id,
            division_id=self.division_id,
            item_type=self.item_type,
            status=self.status,
            theme=self.theme,
            level=self.level,
            service_kind=self.service_kind,
            sort=self.sort,
            descending=self.descending,
        )

    @property
    def list_label(self) -> str:
        return LISTS.get(self.list, self.list)

    def file_name(self, tenant_name: str, when: datetime) -> str:
        """``某某市实施清单_20261122-1030.xlsx``."""
        stamp = when.strftime("%Y%m%d-%H%M")
        return f"{tenant_name}{self.list_label}_{stamp}.{EXTENSIONS[self.format]}"


def check_spec(spec: ExportSpec) -> ExportSpec:
    """``spec`` if it makes sense, else a DomainError in Chinese naming the field."""
    if spec.list not in LISTS:
        raise DomainError(
            f"清单“{spec.list}”不存在(可选:{'、'.join(f'{k}({v})' for k, v in LISTS.items())})",
            "list",
        )
    if spec.format not in FORMATS:
        raise DomainError(f"导出格式“{spec.format}”不支持(可选:{'、'.join(FORMATS)})", "format")
    if spec.format == "cpsv-ap" and spec.list != "catalog":
        raise DomainError("CPSV-AP 格式只能导出目录清单", "format")
    if spec.item_type and spec.item_type not in ItemType._value2member_map_:
        raise DomainError(f"事项类型“{spec.item_type}”不存在", "item_type")
    for field, allowed, what in (
        ("status", ItemStatus._value2member_map_, "状态"),
        ("level", Level._value2member_map_, "行使层级"),
        ("service_kind", ServiceKind._value2member_map_, "服务类型"),
        ("sort", SORTS, "排序"),
    ):
        value = getattr(spec, field)
        if value and value not in allowed:
            raise DomainError(f"{what}“{value}”不存在", field)
    return spec


def spec_from_params(params: Any, **fixed: Any) -> ExportSpec:
    """An ExportSpec from a form or query string (the item list's parameter names).

    Unknown or empty values are left out rather than refused: a stale link
    exports with the filters that still make sense, as the list would show.
    """

    def text(name: str) -> str:
        return " ".join(str(params.get(name) or "").split())[:100]

    def number(name: str) -> int | None:
        raw = text(name)
        return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None

    def choice(name: str, allowed: Any) -> str:
        value = text(name)
        return value if value in allowed else ""

    values: dict[str, Any] = {
        "list": choice("list", LISTS) or "items",
        "format": choice("format", FORMATS) or "xlsx",
        "agency_id": number("agency_id"),
        "division_id": number("division_id"),
        "item_type": choice("item_type", ItemType._value2member_map_),
        "q": text("q"),
        "status": choice("status", ItemStatus._value2member_map_),
        "level": choice("level", Level._value2member_map_),
        "theme": text("theme"),
        "service_kind": choice("service_kind", ServiceKind._value2member_map_),
        "sort": choice("sort", SORTS) or "name",
        "descending": text("desc") in {"1", "true", "on"},
    }
    return ExportSpec(**(values | fixed))


def spec_to_dict(spec: ExportSpec) -> dict[str, Any]:
    """A plain dict for a job message."""
    return msgspec.to_builtins(spec)


def spec_from_dict(data: dict[str, Any]) -> ExportSpec:
    return check_spec(msgspec.convert(data, ExportSpec))
