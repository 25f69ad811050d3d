"""Quality checks (质检): the rule engine over element documents, and consistency checks.

Public names: the values (``Finding``, ``Disagreement`` ...), the engine
(``check_document``), core's rules (``CORE_RULES``) and the services
(``run_tenant_check``, ``open_findings_by_agency`` ...). The services are
imported on first use: this package's tables are read by the table registry,
which must not pull the whole domain in with them.
"""

from __future__ import annotations

from typing import Any

from qingdan.core.checks.schemas import (
    AgencySummary,
    Disagreement,
    Finding,
    Placement,
    RunSummary,
    Severity,
    ValueGroup,
)

_SERVICES = frozenset(
    {
        "TenantReport",
        "document_findings",
        "item_findings",
        "latest_run",
        "open_findings",
        "open_findings_by_agency",
        "record_item_findings",
        "refuse_blocked",
        "run_tenant_check",
        "tenant_report",
    }
)

__all__ = [
    "CORE_RULES",
    "AgencySummary",
    "Disagreement",
    "Finding",
    "Placement",
    "RunSummary",
    "Severity",
    "ValueGroup",
    "check_document",
    *sorted(_SERVICES),
]


def __getattr__(name: str) -> Any:
    if name in _SERVICES:
        from qingdan.core.checks import services

        return getattr(services, name)
    if name == "check_document":
        from qingdan.core.checks.engine import check_document

        return check_document
    if name == "CORE_RULES":
        from qingdan.core.checks.rules import CORE_RULES

        return CORE_RULES
    raise AttributeError(name)
