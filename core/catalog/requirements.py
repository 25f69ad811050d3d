"""Which required elements a document leaves empty."""

from __future__ import annotations

from typing import Any

from qingdan.core.catalog.elements import ElementDocument, Result, TimeLimit
from qingdan.core.catalog.validation import element_title
from qingdan.core.catalog.vocab import CaseType, LimitUnit
from qingdan.core.hooktypes import ElementRequirements


def _is_empty(doc: ElementDocument, name: str, value: Any) -> bool:
    if name == "fees" and not doc.charged:
        # "是否收费: 否" answers the fee elements; a free item has no fee rows.
        return False
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    if isinstance(value, Result):
        return not value.name.strip()
    if isinstance(value, TimeLimit):
        if value.unit == LimitUnit.none or value.value > 0:
            return False
        # An instant case (即办件) is promised on the spot: zero is its answer.
        return not (name == "promised_limit" and doc.case_type == CaseType.instant)
    return False


def missing_elements(doc: ElementDocument, requirements: ElementRequirements) -> list[str]:
    """Chinese titles of the required elements that are empty, in schema order."""
    required = set(requirements.required)
    return [
        element_title(name)
        for name in ElementDocument.__struct_fields__
        if name in required and _is_empty(doc, name, getattr(doc, name))
    ]
