"""The published catalog as CPSV-AP 3.2 JSON-LD (Core Public Service Vocabulary
Application Profile, the European vocabulary of public services).

Only what the public sees goes in (the published version of every visible
item, the catalog entries in use), so the export and the portal always agree.
The mapping:

- an item (实施清单事项) → ``PublicService``, its id the portal's guide page;
  its type, audience, themes, status and catalog entry as ``skos:Concept`` s;
  processing time (承诺办结时限, else 法定办结时限) as ``xsd:duration``;
- its agency (实施机构) → ``PublicOrganisation`` in its division (``dct:Location``);
- 受理条件 → ``Requirement``, each 申请材料 → ``Evidence`` supporting it;
- 审批结果 → ``Output``; each fee → ``Cost`` (no fee: one Cost of 0 CNY);
- each 办理形式 → ``Channel``; 咨询/监督投诉 → ``ContactPoint`` (office hours
  of its locations as ``time:TemporalEntity``);
- each 设定依据 → a ``Rule`` implementing a ``LegalResource`` (the law);
- the catalog (基本目录) → a ``skos:Collection`` of concepts the services
  are classified by; the whole export → a ``dcat:Dataset`` published by the
  tenant (``foaf:Agent``).

Every node states its class, code-list concepts and locations included: the
official SHACL shapes check classes without inference, which is why the
release's own example fails them (see ../shared/data/cpsv-ap/README.md).
The document names the official JSON-LD context by its URL, plus the prefixes
its properties use; :func:`offline_document` swaps in a local copy of that
context so it can be parsed with no network, and :func:`validate_export`
checks it against the shapes with pyshacl.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qingdan.core.catalog.elements import Contact, ElementDocument, TimeLimit
from qingdan.core.catalog.tables import CatalogEntry, Item, ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import (
    Audience,
    CaseType,
    Channel,
    ContactKind,
    ItemStatus,
    ItemType,
    LimitUnit,
    MaterialType,
    Necessity,
    ResultType,
    Vocab,
    label,
)
from qingdan.core.publishing.search import VISIBLE_STATUSES
from qingdan.core.tenancy.context import TenantContext, load_context
from qingdan.core.tenancy.scope import TenantScope
from qingdan.core.tenancy.tables import Agency, Division

#: The official context of the release (the file is in ../shared/data/cpsv-ap/).
CONTEXT_URL = (
    "https://semiceu.github.io/uri.semic.eu-generated/CPSV-AP/releases/3.2.0/context/cpsv-ap.jsonld"
)
#: The prefixes of the properties written as compact IRIs.
PREFIXES: dict[str, str] = {
    "adms": "http://www.w3.org/ns/adms#",
    "cpsv": "http://purl.org/vocab/cpsv#",
    "cv": "http://data.europa.eu/m8g/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "locn": "http://www.w3.org/ns/locn#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "time": "http://www.w3.org/2006/time#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
LANG = "zh-CN"
#: The EU authority tables for Chinese and the yuan.
CHINESE = "http://publications.europa.eu/resource/authority/language/ZHO"
YUAN = "http://publications.europa.eu/resource/authority/currency/CNY"
MEDIA_TYPE = "application/ld+json"

_DURATION = {
    LimitUnit.working_day: "P{}D",  # working days: the exact words are in the description
    LimitUnit.natural_day: "P{}D",
    LimitUnit.month: "P{}M",
    LimitUnit.year: "P{}Y",
    LimitUnit.hour: "PT{}H",
}


# Values -----------------------------------------------------------------------------------


def _text(value: str) -> dict[str, str]:
    return {"@value": value, "@language": LANG}


def _ref(iri: str) -> dict[str, str]:
    return {"@id": iri}


def _refs(iris: list[str]) -> list[dict[str, str]]:
    return [_ref(i) for i in iris]


def duration(limit: TimeLimit) -> str | None:
    """A time limit as xsd:duration: 20 working days → ``P20D`` (a working day
    counts as a day: xsd has no working days), 3 months → ``P3M``; None for 无."""
    pattern = _DURATION.get(LimitUnit(limit.unit))
    return pattern.format(limit.value) if pattern else None


def processing_time(doc: ElementDocument) -> str | None:
    """The promised limit (承诺办结时限) if set, else the statutory one; P0D for 即办件."""
    if doc.case_type == CaseType.instant:
        return "P0D"
    for limit in (doc.promised_limit, doc.statutory_limit):
        if limit.value > 0 and limit.unit != LimitUnit.none:
            return duration(limit)
    return None


def _limit_words(limit: TimeLimit) -> str:
    from qingdan.core.publishing.guides import time_limit_text

    return "" if limit == TimeLimit() else time_limit_text(limit)


# The graph --------------------------------------------------------------------------------


@dataclass
class _Graph:
    """The nodes by id, so a concept or an organisation shared by many services is written once."""

    public_url: str
    base: str  # {public_url}/p/{slug}
    nodes: dict[str, dict[str, Any]]

    def add(self, node: dict[str, Any]) -> str:
        self.nodes.setdefault(node["@id"], node)
        return node["@id"]

    def concept(self, scheme: str, code: str, name: str, *, local: bool = False) -> str:
        """A code-list value as a typed skos:Concept (the shapes check its class)."""
        root = self.base if local else f"{self.public_url}/vocab"
        return self.add(
            {
                "@id": f"{root}/{scheme}/{code}",
                "@type": "Concept",
                "skos:prefLabel": _text(name),
                "skos:notation": code,
            }
        )

    def vocab(self, scheme: str, value: Vocab | str, vocab: type[Vocab]) -> str:
        code = value.value if isinstance(value, Vocab) else str(value)
        return self.concept(scheme, code, label(vocab, code))


def _node_id(base: str, *parts: object) -> str:
    return base + "/" + "/".join(str(p) for p in parts)


def _law_id(graph: _Graph, law_name: str, document_number: str) -> str:
    digest = hashlib.sha1(f"{law_name}|{document_number}".encode()).hexdigest()[:16]
    return f"{graph.base}/laws/{digest}"


def _contact_point(
    graph: _Graph, iri: str, title: str, contacts: list[Contact], hours: list[str]
) -> str | None:
    node: dict[str, Any] = {"@id": iri, "@type": "ContactPoint", "dct:description": _text(title)}
    phones, emails, pages, others = [], [], [], []
    for contact in contacts:
        kind, value = str(contact.kind), contact.value.strip()
        if kind == ContactKind.phone.value:
            phones.append(value)
        elif kind == ContactKind.email.value:
            emails.append(value)
        elif kind == ContactKind.website.value and value.startswith(("http://", "https://")):
            pages.append(value)
        else:  # an address or a mailbox has no property of its own: said in words
            others.append(f"{label(ContactKind, kind)}:{value}")
    if phones:
        node["cv:telephone"] = phones
    if emails:
        node["cv:email"] = emails
    if pages:
        node["cv:contactPage"] = _refs([graph.add({"@id": p, "@type": "Document"}) for p in pages])
    if others:
        node["dct:description"] = [_text(title), *(_text(o) for o in others)]
    if hours:
        node["cv:openingHours"] = _refs(
            [
                graph.add(
                    {
                        "@id": f"{iri}-hours-{n}",
                        "@type": "TemporalEntity",
                        "dct:description": _text(text),
                    }
                )
                for n, text in enumerate(hours, 1)
            ]
        )
    if not (phones or emails or pages or others or hours):
        return None
    return graph.add(node)


def _description(doc: ElementDocument, agency_name: str) -> str:
    parts = [f"{agency_name}实施的{label(ItemType, doc.item_type)}事项“{doc.name}”。"]
    limits = [
        (title, _limit_words(limit))
        for title, limit in (
            ("法定办结时限", doc.statutory_limit),
            ("承诺办结时限", doc.promised_limit),
        )
    ]
    facts = [f"{title}:{words}" for title, words in limits if words]
    if doc.case_type is not None:
        facts.append(f"办件类型:{label(CaseType, doc.case_type)}")
    facts.append(f"到办事现场次数:{doc.visits}次")
    parts.append(";".join(facts) + "。")
    if doc.acceptance_conditions.strip():
        parts.append("受理条件:" + doc.acceptance_conditions.strip())
    return "".join(parts)


def _service(
    graph: _Graph,
    *,
    item_id: int,
    status: str,
    doc: ElementDocument,
    agency_iri: str,
    agency_name: str,
    location_iri: str,
    entry_iri: str | None,
    dataset_iri: str,
    theme_names: Mapping[str, str],
) -> str:
    iri = f"{graph.base}/items/{item_id}"
    code = doc.impl_code or f"item-{item_id}"
    node: dict[str, Any] = {
        "@id": iri,
        "@type": "PublicService",
        "dct:identifier": code,
        "dct:title": _text(doc.name),
        "dct:description": _text(_description(doc, agency_name)),
        "cv:hasCompetentAuthority": _ref(agency_iri),
        "dct:type": _ref(graph.vocab("item-type", doc.item_type, ItemType)),
        "adms:status": _ref(graph.vocab("item-status", status, ItemStatus)),
        "dct:language": _ref(CHINESE),
        "dct:spatial": _ref(location_iri),
        "dct:isPartOf": _ref(dataset_iri),
    }
    if entry_iri:
        node["cv:isClassifiedBy"] = _ref(entry_iri)
    if doc.audience:
        node["dct:audience"] = _refs([graph.vocab("audience", a, Audience) for a in doc.audience])
    if doc.themes:
        node["cv:thematicArea"] = _refs(
            [graph.concept("themes", t, theme_names.get(t, t), local=True) for t in doc.themes]
        )
    if doc.keywords:
        node["dcat:keyword"] = [_text(k) for k in doc.keywords]
    if (time := processing_time(doc)) is not None:
        node["cv:processingTime"] = {"@value": time, "@type": "xsd:duration"}

    # 申请材料 → Evidence, supporting the 受理条件 → Requirement.
    requirement = f"{iri}#requirement"
    evidences = []
    for n, material in enumerate(doc.materials, 1):
        facts = [
            f"材料类型:{label(MaterialType, material.type)}",
            f"必要性:{label(Necessity, material.necessity)}",
            f"份数:{material.copies}",
        ]
        if material.notes.strip():
            facts.append(f"填报须知:{material.notes.strip()}")
        evidences.append(
            graph.add(
                {
                    "@id": f"{iri}#evidence-{n}",
                    "@type": "Evidence",
                    "dct:identifier": f"{code}-material-{n}",
                    "dct:title": _text(material.name),
                    "dct:description": _text(";".join(facts)),
                    "dct:type": _ref(graph.vocab("material-type", material.type, MaterialType)),
                    "dct:language": _ref(CHINESE),
                    "cv:supportsRequirement": _ref(requirement),
                }
            )
        )
    if evidences or doc.acceptance_conditions.strip():
        req: dict[str, Any] = {
            "@id": requirement,
            "@type": "Requirement",
            "dct:identifier": f"{code}-requirement",
            "dct:title": _text("受理条件" if doc.acceptance_conditions.strip() else "申请材料"),
        }
        if doc.acceptance_conditions.strip():
            req["dct:description"] = _text(doc.acceptance_conditions.strip())
        if evidences:
            req["cv:hasSupportingEvidence"] = _refs(evidences)
            node["cpsv:hasInput"] = _refs(evidences)
        node["cv:holdsRequirement"] = _ref(graph.add(req))

    # 审批结果 → Output.
    if doc.result.name.strip():
        output: dict[str, Any] = {
            "@id": f"{iri}#output",
            "@type": "Output",
            "dct:identifier": f"{code}-result",
            "dct:title": _text(doc.result.name.strip()),
            "dct:language": _ref(CHINESE),
        }
        if doc.result.type is not None:
            output["dct:type"] = _ref(graph.vocab("result-type", doc.result.type, ResultType))
        node["cpsv:produces"] = _ref(graph.add(output))

    # 收费 → Cost; no fee is one Cost of 0 yuan, which says so unambiguously.
    costs = []
    for n, fee in enumerate(doc.fees, 1):
        text = fee.item + (f":{fee.standard}" if fee.standard.strip() else "")
        if fee.reductions.strip():
            text += f"(减免:{fee.reductions.strip()})"
        costs.append(
            graph.add(
                {
                    "@id": f"{iri}#cost-{n}",
                    "@type": "Cost",
                    "dct:identifier": f"{code}-fee-{n}",
                    "dct:description": _text(text),
                    "cv:currency": _ref(_currency(graph)),
                }
            )
        )
    if not doc.charged and not doc.fees:
        costs.append(
            graph.add(
                {
                    "@id": f"{iri}#cost-free",
                    "@type": "Cost",
                    "dct:identifier": f"{code}-free",
                    "dct:description": _text("不收费"),
                    "cv:hasValue": {"@value": "0.0", "@type": "xsd:double"},
                    "cv:currency": _ref(_currency(graph)),
                }
            )
        )
    if costs:
        node["cv:hasCost"] = _refs(costs)

    # 办理形式 → Channel.
    channels = []
    for channel in doc.channels:
        value = channel.value if isinstance(channel, Vocab) else str(channel)
        ch: dict[str, Any] = {
            "@id": f"{iri}#channel-{value}",
            "@type": "Channel",
            "dct:identifier": f"{code}-{value}",
            "dct:type": _ref(graph.vocab("channel", value, Channel)),
        }
        if value in (Channel.online_pc.value, Channel.online_mobile.value):
            url = doc.online_url if value == Channel.online_pc.value else doc.mobile_url
            if url.strip():
                ch["dct:description"] = _text(f"网上办理地址:{url.strip()}")
        channels.append(graph.add(ch))
    if channels:
        node["cv:hasChannel"] = _refs(channels)

    # 咨询方式, 监督投诉方式 → ContactPoint; 办理时间 of its locations → opening hours.
    hours = [
        f"{loc.name}:{loc.hours}" if loc.name else loc.hours
        for loc in doc.locations
        if loc.hours.strip()
    ]
    points = [
        _contact_point(graph, f"{iri}#consultation", "咨询方式", list(doc.consultation), hours),
        _contact_point(graph, f"{iri}#complaints", "监督投诉方式", list(doc.complaints), []),
    ]
    if refs := [p for p in points if p]:
        node["cv:contactPoint"] = _refs(refs)

    # 设定依据 → Rule implementing the LegalResource (the law itself, shared by services).
    rules, laws = [], []
    for n, basis in enumerate(doc.legal_basis, 1):
        law = graph.add(
            {
                "@id": _law_id(graph, basis.law_name, basis.document_number),
                "@type": "LegalResource",
                "dct:title": _text(basis.law_name),
                **({"dct:identifier": basis.document_number} if basis.document_number else {}),
            }
        )
        laws.append(law)
        words = basis.text.strip() or f"《{basis.law_name}》{basis.article}".strip()
        rules.append(
            graph.add(
                {
                    "@id": f"{iri}#rule-{n}",
                    "@type": "Rule",
                    "dct:identifier": f"{code}-basis-{n}",
                    "dct:title": _text(f"{basis.law_name}{basis.article}"),
                    "dct:description": _text(words),
                    "dct:language": _ref(CHINESE),
                    "cpsv:implements": _ref(law),
                }
            )
        )
    if rules:
        node["cpsv:follows"] = _refs(rules)
        node["cv:hasLegalResource"] = _refs(list(dict.fromkeys(laws)))
    return graph.add(node)


def _currency(graph: _Graph) -> str:
    return graph.add(
        {"@id": YUAN, "@type": "Concept", "skos:prefLabel": _text("人民币"), "skos:notation": "CNY"}
    )


# Reading the published catalog ------------------------------------------------------------


async def _context(scope: TenantScope | TenantContext) -> TenantContext:
    if isinstance(scope, TenantContext):
        return scope
    return await load_context(tenant_id=scope.tenant_id)


async def export_catalog_jsonld(scope: TenantScope | TenantContext) -> dict[str, Any]:
    """The tenant's published catalog as a CPSV-AP 3.2 JSON-LD document.

    ``scope``: the tenant (its ``TenantScope`` or ``TenantContext``). Only
    published versions of visible items and the catalog entries in use are
    read; a draft never appears. Node order is stable (by id), so two exports
    of the same catalog are equal.
    """
    from qingdan.core.config import get_settings

    ctx = await _context(scope)
    public_url = get_settings().public_url.rstrip("/")
    base = f"{public_url}/p/{ctx.slug}"
    graph = _Graph(public_url=public_url, base=base, nodes={})
    dataset = f"{base}/catalog.jsonld"
    publisher = f"{base}#publisher"
    catalog = f"{base}/catalog"

    graph.add(
        {
            "@id": CHINESE,
            "@type": "LinguisticSystem",
            "skos:prefLabel": _text("中文"),
        }
    )
    divisions = {
        r["id"]: r
        for r in await ctx.scope.select(Division, Division.id, Division.code, Division.name)
    }

    def location(division_id: int) -> str:
        d = divisions[division_id]
        return graph.add(
            {
                "@id": _node_id(base, "divisions", d["code"]),
                "@type": "Location",
                "dct:identifier": d["code"],
                "locn:geographicName": _text(d["name"]),
            }
        )

    agencies = {
        r["id"]: r
        for r in await ctx.scope.select(
            Agency, Agency.id, Agency.name, Agency.uscc, Agency.division
        )
    }

    def organisation(agency_id: int) -> str:
        a = agencies[agency_id]
        return graph.add(
            {
                "@id": _node_id(base, "agencies", agency_id),
                "@type": "PublicOrganization",
                "skos:prefLabel": _text(a["name"]),
                "dct:identifier": a["uscc"],
                "dct:spatial": _ref(location(a["division"])),
            }
        )

    # The catalog entries in use, as the concepts their items are classified by.
    entry_rows = await (
        ctx.scope.select(CatalogEntry, CatalogEntry.id, CatalogEntry.base_code, CatalogEntry.name)
        .where(
            (CatalogEntry.status == ItemStatus.published.value)
            & CatalogEntry.current_version.is_not_null()
        )
        .order_by(CatalogEntry.base_code)
    )
    entry_iris: dict[int, str] = {}
    for e in entry_rows:
        entry_iris[e["id"]] = graph.add(
            {
                "@id": _node_id(base, "catalog", e["id"]),
                "@type": "Concept",
                "skos:prefLabel": _text(e["name"]),
                "skos:notation": e["base_code"],
            }
        )
    graph.add(
        {
            "@id": catalog,
            "@type": "Collection",
            "skos:prefLabel": _text(f"{ctx.name}政务服务事项基本目录"),
            "skos:member": _refs(list(entry_iris.values())),
        }
    )

    items = await (
        ctx.scope.select(
            Item,
            Item.id,
            Item.status,
            Item.agency,
            Item.division,
            Item.catalog_entry,
            Item.published_version,
        )
        .where(Item.published_version.is_not_null() & Item.status.is_in(list(VISIBLE_STATUSES)))
        .order_by(Item.id)
    )
    documents: dict[int, ElementDocument] = {}
    version_ids = [r["published_version"] for r in items]
    for start in range(0, len(version_ids), 500):
        rows = await (
            ctx.scope.select(ItemVersion, ItemVersion.id, ItemVersion.document)
            .where(
                ItemVersion.id.is_in(version_ids[start : start + 500])
                & ItemVersion.published_at.is_not_null()
            )
            .output(load_json=True)
        )
        documents |= {r["id"]: validate_document(r["document"]) for r in rows}
    theme_names = ctx.taxonomies().theme_names()
    services = []
    for r in items:
        doc = documents.get(r["published_version"])
        if doc is None:
            continue
        services.append(
            _service(
                graph,
                item_id=r["id"],
                status=r["status"],
                doc=doc,
                agency_iri=organisation(r["agency"]),
                agency_name=doc.agency_name or agencies[r["agency"]]["name"],
                location_iri=location(r["division"]),
                entry_iri=entry_iris.get(r["catalog_entry"]),
                dataset_iri=dataset,
                theme_names=theme_names,
            )
        )
    graph.add(
        {
            "@id": publisher,
            "@type": "Agent",
            "dct:identifier": ctx.tenant.get("division_code") or ctx.slug,
            "dct:title": _text(ctx.name),
        }
    )
    graph.add(
        {
            "@id": dataset,
            "@type": "Dataset",
            "dct:title": _text(f"{ctx.name}政务服务事项目录清单"),
            "dct:description": _text(
                f"{ctx.name}公布的政务服务事项实施清单(CPSV-AP 3.2),"
                f"共{len(services)}项,基本目录事项{len(entry_iris)}项。"
            ),
            "dct:publisher": _ref(publisher),
            "dct:identifier": f"{ctx.slug}-catalog",
            "dct:hasPart": _refs(services),
            "dcat:landingPage": _ref(graph.add({"@id": f"{base}/", "@type": "Document"})),
        }
    )
    return {
        "@context": [CONTEXT_URL, PREFIXES],
        "@graph": [graph.nodes[k] for k in sorted(graph.nodes)],
    }


# Reading it back, offline ------------------------------------------------------------------


def offline_document(document: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """``document`` with the official context's URL replaced by ``context`` (the
    parsed cpsv-ap.context.jsonld, or its ``@context``), so a JSON-LD parser
    needs no network. Refuses a document still naming any other remote context."""
    local = context.get("@context", context)
    contexts = document.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    swapped = [local if c == CONTEXT_URL else c for c in contexts]
    remote = [c for c in swapped if isinstance(c, str)]
    if remote:
        raise ValueError(f"文档引用了无法离线读取的上下文: {remote}")
    return {**document, "@context": swapped}


def to_graph(document: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    """The export as an rdflib Graph, parsed with the local context (no network)."""
    from rdflib import Graph

    return Graph().parse(
        data=json.dumps(offline_document(document, context), ensure_ascii=False),
        format="json-ld",
    )


@dataclass(frozen=True)
class ValidationResult:
    conforms: bool
    violations: int
    text: str  # pyshacl's report


def validate_export(
    document: Mapping[str, Any], *, shapes: Path | str, context: Path | str | Mapping[str, Any]
) -> ValidationResult:
    """Validate ``document`` against the CPSV-AP SHACL shapes (a Turtle file) with
    pyshacl, the context read from a local copy; no inference, no network."""
    from pyshacl import validate
    from rdflib import Graph
    from rdflib.namespace import RDF, SH

    if not isinstance(context, Mapping):
        context = json.loads(Path(context).read_text(encoding="utf-8"))
    data = to_graph(document, context)
    shapes_graph = Graph().parse(str(shapes), format="turtle")
    conforms, report, text = validate(
        data, shacl_graph=shapes_graph, inference="none", advanced=False, allow_warnings=True
    )
    violations = sum(
        1
        for result in report.subjects(RDF.type, SH.ValidationResult)
        if (result, SH.resultSeverity, SH.Violation) in report
    )
    return ValidationResult(conforms=bool(conforms), violations=violations, text=str(text))


__all__ = [
    "CONTEXT_URL",
    "MEDIA_TYPE",
    "PREFIXES",
    "ValidationResult",
    "duration",
    "export_catalog_jsonld",
    "offline_document",
    "processing_time",
    "to_graph",
    "validate_export",
]
