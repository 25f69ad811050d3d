"""The published catalog as CPSV-AP 3.2 JSON-LD: it validates against the
official SHACL shapes with no violation, holds the nodes a reader expects, and
never holds a draft.

The shapes and the JSON-LD context are read from ../shared/data/cpsv-ap
beside the checkout (as CI has it); parsing uses the local context, with the
network cut off, so nothing is fetched.
"""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path

import pytest
from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

from qingdan.core.catalog.services import create_item, get_item, publish_draft, save_draft
from qingdan.core.catalog.validation import dump_document
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.publishing.cpsv import (
    CONTEXT_URL,
    export_catalog_jsonld,
    offline_document,
    to_graph,
    validate_export,
)
from qingdan.core.testing import SAMPLE_PLACE, SYSTEM, build_tenant
from qingdan.core.workflow.services import _set_item_status

pytestmark = pytest.mark.db

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data" / "cpsv-ap"
SHAPES = DATA / "cpsv-ap-SHACL.ttl"
CONTEXT = DATA / "cpsv-ap.context.jsonld"

CPSV = Namespace("http://purl.org/vocab/cpsv#")
CV = Namespace("http://data.europa.eu/m8g/")
DCT = Namespace("http://purl.org/dc/terms/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
XSD_DURATION = URIRef("http://www.w3.org/2001/XMLSchema#duration")

FULL = {
    "acceptance_conditions": "申请人具有与经营项目相适应的场所和设备。",
    "materials": [
        {"name": "申请书", "type": "form", "source": "applicant", "necessity": "required"},
        {"name": "营业执照", "type": "copy", "necessity": "deferrable", "notes": "加盖公章"},
    ],
    "charged": True,
    "fees": [{"item": "工本费", "standard": "每证10元", "basis": "价格主管部门文件"}],
    "legal_basis": [
        {
            "law_name": "中华人民共和国食品安全法",
            "document_number": "主席令第二十一号",
            "article": "第三十五条",
            "text": "国家对食品生产经营实行许可制度。",
        },
        {"law_name": "食品经营许可管理办法", "article": "第二条"},
    ],
    "consultation": [
        {"kind": "phone", "value": "0935-8888888"},
        {"kind": "email", "value": "zixun@example.gov.cn"},
        {"kind": "website", "value": "https://zwfw.example.gov.cn/zixun"},
    ],
    "locations": [
        {"name": "市政务服务中心", "address": "新华路1号", "hours": "周一至周五 9:00-17:00"}
    ],
    "audience": ["enterprise"],
    "keywords": ["餐饮", "开饭店"],
    "promised_limit": {"value": 10, "unit": "working_day"},
    "statutory_limit": {"value": 20, "unit": "working_day"},
}


async def publish(t, item_id: int, **changes) -> int:
    detail = await get_item(t.ctx, item_id)
    doc = dump_document(detail.draft or detail.published) | SAMPLE_PLACE | changes
    await save_draft(t.ctx, SYSTEM, item_id, doc, detail.item["lock_version"])
    return (await publish_draft(t.ctx, SYSTEM, item_id)).id


async def small_tenant():
    """Two published items (one suspended), one never published, one with a newer draft."""
    t = await build_tenant(plugin="sample", slug=f"cpsv{uuid.uuid4().hex[:8]}")
    full = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    await publish(t, full.id, name="食品经营许可", **FULL)
    minimal = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[1])
    await publish(t, minimal.id, name="食品经营许可(延续)", charged=False, fees=[])
    await _set_item_status(t.ctx, minimal.id, ItemStatus.suspended)
    # Never published: its draft must not appear.
    await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[2])
    # A newer draft of a published item: its words must not appear either.
    detail = await get_item(t.ctx, full.id)
    draft = dump_document(detail.published) | {"name": "草稿里的新名称"}
    await save_draft(t.ctx, SYSTEM, full.id, draft, detail.item["lock_version"])
    return t, full, minimal


def _context() -> dict:
    return json.loads(CONTEXT.read_text(encoding="utf-8"))


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test (rdflib must not fetch the context)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args!r}")

    def cut():
        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)

    return cut


async def test_the_export_of_a_small_tenant_validates_with_no_violation(database, no_network):
    assert SHAPES.exists() and CONTEXT.exists(), f"CPSV-AP data files missing in {DATA}"
    t, _, _ = await small_tenant()
    document = await export_catalog_jsonld(t.ctx.scope)
    assert document["@context"][0] == CONTEXT_URL
    no_network()
    result = validate_export(document, shapes=SHAPES, context=CONTEXT)
    assert result.conforms, result.text
    assert result.violations == 0


async def test_the_export_holds_the_expected_nodes_and_never_a_draft(database, no_network):
    t, full, _ = await small_tenant()
    document = await export_catalog_jsonld(t.ctx)
    text = json.dumps(document, ensure_ascii=False)
    assert "草稿里的新名称" not in text
    full_item = (await get_item(t.ctx, full.id)).item
    no_network()  # the database work is done: from here on nothing may connect anywhere
    g = to_graph(document, _context())

    services = set(g.subjects(RDF.type, CPSV.PublicService))
    assert len(services) == 2  # the never-published item is not there
    by_id = {str(g.value(s, DCT.identifier)): s for s in services}
    service = by_id[full_item["impl_code"]]
    assert str(service).endswith(f"/p/{t.slug}/items/{full.id}")
    assert g.value(service, DCT.title) == Literal("食品经营许可", lang="zh-CN")
    # 10 working days promised: the processing time is an xsd:duration.
    assert g.value(service, CV.processingTime) == Literal("P10D", datatype=XSD_DURATION)

    authority = g.value(service, CV.hasCompetentAuthority)
    assert (authority, RDF.type, CV.PublicOrganisation) in g
    assert "市场监督管理局" in str(g.value(authority, SKOS.prefLabel))
    assert (g.value(authority, DCT.spatial), RDF.type, DCT.Location) in g

    requirement = g.value(service, CV.holdsRequirement)
    assert (requirement, RDF.type, CV.Requirement) in g
    evidences = set(g.objects(service, CPSV.hasInput))
    assert {str(g.value(e, DCT.title)) for e in evidences} == {"申请书", "营业执照"}
    assert all((e, RDF.type, CV.Evidence) in g for e in evidences)
    assert set(g.objects(requirement, CV.hasSupportingEvidence)) == evidences

    output = g.value(service, CPSV.produces)
    assert (output, RDF.type, CV.Output) in g and str(g.value(output, DCT.title)) == "许可证"
    costs = list(g.objects(service, CV.hasCost))
    assert len(costs) == 1 and "每证10元" in str(g.value(costs[0], DCT.description))
    channels = set(g.objects(service, CV.hasChannel))
    assert len(channels) == 2 and all((c, RDF.type, CV.Channel) in g for c in channels)
    rules = set(g.objects(service, CPSV.follows))
    assert len(rules) == 2 and all((r, RDF.type, CPSV.Rule) in g for r in rules)
    laws = set(g.objects(service, CV.hasLegalResource))
    assert {str(g.value(law, DCT.title)) for law in laws} == {
        "中华人民共和国食品安全法",
        "食品经营许可管理办法",
    }
    assert all((law, RDF.type, ELI.LegalResource) in g for law in laws)
    assert {g.value(r, CPSV.implements) for r in rules} == laws
    points = set(g.objects(service, CV.contactPoint))
    assert all((p, RDF.type, CV.ContactPoint) in g for p in points)
    assert Literal("0935-8888888") in {g.value(p, CV.telephone) for p in points}

    # The suspended item is there, marked so, and free of charge (one Cost of 0).
    other = next(s for s in services if s != service)
    status = g.value(other, URIRef("http://www.w3.org/ns/adms#status"))
    assert g.value(status, SKOS.prefLabel) == Literal("暂停", lang="zh-CN")
    (free,) = g.objects(other, CV.hasCost)
    assert g.value(free, CV.hasValue).toPython() == 0.0

    # The whole export is a dataset of these services, published by the tenant.
    (dataset,) = g.subjects(RDF.type, DCAT.Dataset)
    assert set(g.objects(dataset, DCT.hasPart)) == services
    # The catalog entry is the concept both services are classified by.
    entries = {g.value(s, CV.isClassifiedBy) for s in services}
    assert len(entries) == 1
    assert str(g.value(entries.pop(), SKOS.notation)) == "000101001"


async def test_the_shapes_catch_a_service_without_an_identifier(database):
    """The check can fail: a service stripped of its identifier is a violation."""
    t, _, _ = await small_tenant()
    document = await export_catalog_jsonld(t.ctx)
    for node in document["@graph"]:
        if node.get("@type") == "PublicService":
            del node["dct:identifier"]
            break
    result = validate_export(document, shapes=SHAPES, context=CONTEXT)
    assert not result.conforms and result.violations >= 1
    assert "identifier" in result.text


def test_offline_parsing_refuses_an_unknown_remote_context():
    document = {"@context": ["https://example.org/other.jsonld"], "@graph": []}
    with pytest.raises(ValueError, match="无法离线读取"):
        offline_document(document, _context())
