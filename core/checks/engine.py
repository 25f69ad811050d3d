"""The rule engine: core's rules and the jurisdiction's, run on one document."""

from __future__ import annotations

from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.validation import element_title
from qingdan.core.checks.declarative import evaluate
from qingdan.core.checks.rules import CORE_RULES
from qingdan.core.checks.schemas import Finding
from qingdan.core.hooktypes import QualityRules, Severity

_ORDER = {name: i for i, name in enumerate(ElementDocument.__struct_fields__)}


def check_document(doc: ElementDocument, plugin_rules: QualityRules | None = None) -> list[Finding]:
    """Every finding of core's rules and ``plugin_rules`` on ``doc``, in element order.

    Blocking findings come before warnings of the same element.
    """
    findings: list[Finding] = []
    for rule in CORE_RULES:
        for element, message in rule.test(doc):
            findings.append(
                Finding(
                    rule_id=rule.id,
                    severity=rule.severity,
                    element=element,
                    element_title=element_title(element),
                    message=message,
                )
            )
    for qrule in plugin_rules.rules if plugin_rules else ():
        finding = evaluate(qrule, doc)
        if finding is not None:
            findings.append(finding)
    findings.sort(key=lambda f: (_ORDER.get(f.element, 999), f.severity != Severity.block))
    return findings


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == Severity.block]
