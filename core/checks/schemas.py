"""The values the quality checks produce: findings, disagreements, reports."""

from __future__ import annotations

from datetime import datetime

import msgspec

from qingdan.core.hooktypes import Severity
from qingdan.core.tenancy.schemas import Role

__all__ = [
    "CHECK_ROLES",
    "AgencySummary",
    "Disagreement",
    "Finding",
    "Placement",
    "RunSummary",
    "Severity",
    "ValueGroup",
]

#: Who runs the tenant-wide check and reads its report: 大数据中心 runs 质检 (the
#: seeds' data center), 审改机构 manages the catalog, the tenant admin oversees.
CHECK_ROLES = (Role.data_center, Role.reform_office, Role.tenant_admin)


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One rule failing on one item's document."""

    rule_id: str
    severity: Severity
    element: str  # ElementDocument field the finding is shown next to
    element_title: str  # that element's Chinese title
    message: str  # Chinese, names the element

    @property
    def blocks(self) -> bool:
        return self.severity == Severity.block


class Placement(msgspec.Struct, frozen=True, kw_only=True):
    """Where an item of a cross-division disagreement is implemented."""

    item_id: int
    division: str
    division_level: str
    agency: str


class ValueGroup(msgspec.Struct, frozen=True, kw_only=True):
    """One of the values a disagreeing element has, and who has it."""

    value: str  # as users read it
    places: tuple[Placement, ...]


class Disagreement(msgspec.Struct, frozen=True, kw_only=True):
    """The items of one catalog entry disagree on one element (三级三十二同)."""

    rule_id: str
    rule_name: str
    severity: Severity
    entry_id: int
    entry_name: str
    base_code: str
    handling_item: str
    element: str
    element_title: str
    values: tuple[ValueGroup, ...]

    def text(self) -> str:
        """One line: the entry, the element, and which divisions have which value."""
        parts = [
            f"{'、'.join(f'{p.division}({p.agency})' for p in g.places)}为“{g.value}”"
            for g in self.values
        ]
        return (
            f"{self.rule_name}:{self.entry_name}({self.base_code})的“{self.element_title}”"
            f"不一致:{';'.join(parts)}"
        )


class AgencySummary(msgspec.Struct, frozen=True, kw_only=True):
    """Open findings of one agency."""

    agency_id: int
    agency: str
    division: str
    block: int
    warn: int
    items: int  # items with at least one open finding

    @property
    def total(self) -> int:
        return self.block + self.warn


class RunSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What one tenant-wide check found and changed."""

    run_id: int
    started_at: datetime
    items_checked: int
    new: int  # findings opened by this run
    resolved: int  # findings this run found fixed
    open_block: int
    open_warn: int
    disagreements: tuple[Disagreement, ...] = ()

    @property
    def has_blocking(self) -> bool:
        return self.open_block > 0
