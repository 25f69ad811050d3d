"""Consistency checks: an item against its catalog entry, and the items of one
catalog entry against each other across divisions.

Pure functions over documents; :mod:`qingdan.core.checks.services` loads the
documents and stores what these find. Values are compared in a canonical form
(full-width and half-width folded, spaces collapsed, the order of a list
ignored except in the process, an article's pasted text left out of a legal
basis), so only a difference a reader would see counts as a disagreement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from qingdan.core.catalog.elements import ElementDocument, LegalBasis, Result, TimeLimit
from qingdan.core.catalog.validation import element_title
from qingdan.core.catalog.vocab import Vocab
from qingdan.core.checks.declarative import ROW_NAMES, display, normalize_text
from qingdan.core.checks.rules import (
    CATALOG_AGREEMENT_ELEMENTS,
    CATALOG_AGREEMENT_ID,
)
from qingdan.core.checks.schemas import Disagreement, Finding, Placement, ValueGroup
from qingdan.core.hooktypes import ConsistencyKind, ConsistencyRule, QualityRules, Severity

#: Elements whose rows are in a meaningful order.
ORDERED = frozenset({"process"})
#: Parts of a row that are not compared (the pasted article text follows the article).
IGNORED = {LegalBasis: frozenset({"text"})}
CATALOG_AGREEMENT = ConsistencyRule(
    id=CATALOG_AGREEMENT_ID,
    name="与基本目录一致",
    kind=ConsistencyKind.catalog,
    elements=CATALOG_AGREEMENT_ELEMENTS,
    severity=Severity.block,
    basis="实施清单事项的名称和类型由基本目录确定(清单之外无事项)",
)
MAX_SHOWN = 120


def canonical(value: Any, ordered: bool = False) -> Any:
    """A hashable form of an element value in which equal-looking values are equal."""
    if isinstance(value, Vocab):
        return value.value
    if isinstance(value, str):
        return normalize_text(value)
    if isinstance(value, msgspec.Struct):
        ignored = IGNORED.get(type(value), frozenset())
        return tuple(
            (f, canonical(getattr(value, f))) for f in value.__struct_fields__ if f not in ignored
        )
    if isinstance(value, (list, tuple)):
        items = [canonical(v) for v in value]
        return tuple(items) if ordered else tuple(sorted(items, key=repr))
    return value


def _canon(element: str, value: Any) -> Any:
    return canonical(value, ordered=element in ORDERED)


def _is_empty(value: Any) -> bool:
    return value in (None, "", [], ()) or (isinstance(value, str) and not value.strip())


def show(value: Any) -> str:
    """A value as a reader sees it in a report cell."""
    if isinstance(value, list):
        if not value:
            return "未填写"
        if all(isinstance(v, LegalBasis) for v in value):
            text = ";".join(f"《{v.law_name}》{v.article or v.document_number}" for v in value)
        elif all(isinstance(v, msgspec.Struct) for v in value):
            text = "、".join(_row_name(v) for v in value)
        else:
            text = "、".join(display(v) for v in value)
    elif isinstance(value, Result):
        text = value.name or "未填写"
    elif isinstance(value, (TimeLimit, Vocab, bool, str)) or value is None:
        text = display(value)
    else:
        text = str(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _row_name(row: msgspec.Struct) -> str:
    for field in ROW_NAMES:
        text = getattr(row, field, None)
        if isinstance(text, str) and text.strip():
            return text.strip()
    return "(未命名)"


# --- an item and its catalog entry ---------------------------------------------------------------


def catalog_rules(rules: QualityRules | None, doc: ElementDocument) -> list[ConsistencyRule]:
    """The catalog-kind rules that apply to ``doc``: the plugin's, then core's name and type
    check for the elements no plugin rule already compares (one finding per element)."""
    plugin = [
        r
        for r in (rules.consistency if rules else ())
        if r.kind == ConsistencyKind.catalog and (not r.item_types or doc.item_type in r.item_types)
    ]
    covered = {e for r in plugin for e in r.elements}
    rest = tuple(e for e in CATALOG_AGREEMENT.elements if e not in covered)
    core = [msgspec.structs.replace(CATALOG_AGREEMENT, elements=rest)] if rest else []
    return plugin + core


def catalog_findings(
    doc: ElementDocument, entry_doc: ElementDocument | None, rules: QualityRules | None
) -> list[Finding]:
    """Where ``doc`` disagrees with its catalog entry's document ``entry_doc``.

    An element the catalog leaves empty has nothing to agree with and is skipped.
    """
    if entry_doc is None:
        return []
    findings = []
    for rule in catalog_rules(rules, doc):
        for element in rule.elements:
            theirs = getattr(entry_doc, element)
            if _is_empty(theirs):
                continue
            mine = getattr(doc, element)
            if _canon(element, mine) == _canon(element, theirs):
                continue
            title = element_title(element)
            a, b = show(mine), show(theirs)
            values = f"本事项为“{a}”,基本目录为“{b}”" if a != b else "本事项与基本目录的写法有差别"
            findings.append(
                Finding(
                    rule_id=rule.id,
                    severity=rule.severity,
                    element=element,
                    element_title=title,
                    message=f"{rule.name}:{title}与基本目录不一致({values})",
                )
            )
    return findings


# --- the items of one catalog entry across divisions -------------------------------------------


@dataclass(frozen=True)
class Implementation:
    """One item as the cross-division check sees it."""

    item_id: int
    entry_id: int
    handling_item: str
    division_id: int
    division: str
    division_level: str
    agency: str
    doc: ElementDocument


@dataclass(frozen=True)
class EntryRef:
    name: str
    base_code: str


def division_disagreements(
    items: Iterable[Implementation],
    entries: dict[int, EntryRef],
    rules: QualityRules | None,
) -> list[Disagreement]:
    """Every element on which the items of one catalog entry (and handling item),
    implemented in more than one division, do not all agree."""
    divisions_rules = [
        r for r in (rules.consistency if rules else ()) if r.kind == ConsistencyKind.divisions
    ]
    if not divisions_rules:
        return []
    groups: dict[tuple[int, str], list[Implementation]] = defaultdict(list)
    for item in items:
        groups[(item.entry_id, item.handling_item)].append(item)
    found: list[Disagreement] = []
    for (entry_id, handling), group in sorted(groups.items()):
        group.sort(key=lambda i: (i.division_level, i.division, i.agency, i.item_id))
        for rule in divisions_rules:
            members = [
                i for i in group if not rule.item_types or i.doc.item_type in rule.item_types
            ]
            if len({i.division_id for i in members}) < 2:
                continue
            for element in rule.elements:
                values = _groups(element, members)
                if len(values) < 2:
                    continue
                entry = entries.get(entry_id, EntryRef(name=members[0].doc.name, base_code=""))
                found.append(
                    Disagreement(
                        rule_id=rule.id,
                        rule_name=rule.name,
                        severity=rule.severity,
                        entry_id=entry_id,
                        entry_name=entry.name,
                        base_code=entry.base_code,
                        handling_item=handling,
                        element=element,
                        element_title=element_title(element),
                        values=values,
                    )
                )
    return found


def _groups(element: str, members: Sequence[Implementation]) -> tuple[ValueGroup, ...]:
    by_value: dict[Any, list[Implementation]] = {}
    for item in members:
        by_value.setdefault(_canon(element, getattr(item.doc, element)), []).append(item)
    if len(by_value) < 2:
        return ()
    # Most common value first: the others are the ones to look at.
    ordered = sorted(by_value.values(), key=lambda g: -len(g))
    texts = [show(getattr(g[0].doc, element)) for g in ordered]
    if len(set(texts)) < len(texts):
        # Different in a detail the short form does not show: number the variants.
        texts = [f"{t}(第{n}种写法)" for n, t in enumerate(texts, 1)]
    return tuple(
        ValueGroup(
            value=text,
            places=tuple(
                Placement(
                    item_id=i.item_id,
                    division=i.division,
                    division_level=i.division_level,
                    agency=i.agency,
                )
                for i in group
            ),
        )
        for text, group in zip(texts, ordered, strict=True)
    )


def disagreement_findings(disagreements: Iterable[Disagreement]) -> dict[int, list[Finding]]:
    """One finding for every item a disagreement involves, naming the others' values."""
    result: dict[int, list[Finding]] = defaultdict(list)
    for d in disagreements:
        for group in d.values:
            others = ";".join(
                f"{'、'.join(p.division for p in g.places)}为“{g.value}”"
                for g in d.values
                if g is not group
            )
            for place in group.places:
                result[place.item_id].append(
                    Finding(
                        rule_id=d.rule_id,
                        severity=d.severity,
                        element=d.element,
                        element_title=d.element_title,
                        message=(
                            f"{d.rule_name}:{d.element_title}与其他区划实施的同一事项不一致"
                            f"(本事项为“{group.value}”;{others})"
                        ),
                    )
                )
    return result
