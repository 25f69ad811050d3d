"""The demo's national catalog (core/demo/data/catalog.json): pure checks, no database."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from qingdan.core.catalog.codes import DEFAULT_CODE_FORMAT, USCC, ImplCode
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.validation import ElementValidationError, dump_document
from qingdan.core.catalog.vocab import CaseType, ItemType, Level, LimitUnit
from qingdan.core.defaults import GUIDE_MINIMUM, PUBLIC_SERVICE_MINIMUM
from qingdan.core.demo.catalog import (
    PLACE_ELEMENTS,
    DemoEntry,
    entries_for,
    entry_document,
    load_national_catalog,
)
from qingdan.core.demo.sectors import SECTORS

CATALOG = load_national_catalog()
ARTICLE = re.compile(r"^第[一二三四五六七八九十百千零〇]+条$")
DIVISION = "620300000000"  # 金昌市
AGENCY_USCC = USCC.compose("1", "1", "620300", "01234567").value


def place_elements(entry: DemoEntry) -> dict:
    impl = DEFAULT_CODE_FORMAT.compose_impl_code(
        ImplCode(base_code=entry.base_code, division_code=DIVISION, uscc=AGENCY_USCC)
    )
    return {
        "agency_name": "示例市示例局",
        "agency_uscc": AGENCY_USCC,
        "agency_nature": "statutory",
        "impl_code": impl,
        "locations": [{"name": "示例市政务服务中心", "address": "示例路1号"}],
        "consultation": [{"kind": "phone", "value": "0935-0000000"}],
        "complaints": [{"kind": "phone", "value": "12345"}],
    }


def ids(entry: DemoEntry) -> str:
    return entry.base_code


def test_catalog_is_large_enough():
    assert len(CATALOG) >= 70


def test_every_sector_has_at_least_three_entries():
    counts = Counter(e.sector for e in CATALOG)
    assert set(counts) <= set(SECTORS)
    short = {s: counts.get(s, 0) for s in SECTORS if counts.get(s, 0) < 3}
    assert not short, short


def test_item_types_are_covered():
    types = {e.elements["item_type"] for e in CATALOG}
    for wanted in (
        "licensing",
        "confirmation",
        "benefit",
        "filing",
        "inspection",
        "penalty",
        "levy",
        "reward",
        "other_power",
        "public_service",
    ):
        assert wanted in types, wanted
    with_kind = [e for e in CATALOG if e.elements.get("service_kind")]
    assert len(with_kind) >= 3


def test_base_codes_are_unique_and_well_formed():
    codes = [e.base_code for e in CATALOG]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert DEFAULT_CODE_FORMAT.parse_base_code(code).value == code


def test_base_code_prefix_matches_item_type():
    prefix = {
        "licensing": "01",
        "penalty": "02",
        "coercion": "03",
        "levy": "04",
        "benefit": "05",
        "inspection": "06",
        "confirmation": "07",
        "reward": "08",
        "adjudication": "09",
        "other_power": "10",
        "filing": "11",
        "public_service": "20",
    }
    sector_no = {s: f"{i + 1:02d}" for i, s in enumerate(SECTORS)}
    for e in CATALOG:
        assert e.base_code[:2] == prefix[e.elements["item_type"]], e.base_code
        assert e.base_code[2:4] == sector_no[e.sector], e.base_code


def test_entries_leave_place_elements_out():
    for e in CATALOG:
        assert not set(PLACE_ELEMENTS) & e.elements.keys(), e.base_code


@pytest.mark.parametrize("entry", CATALOG, ids=ids)
def test_entry_validates_with_place_elements(entry: DemoEntry):
    doc = entry_document(entry, **place_elements(entry))
    assert isinstance(doc, ElementDocument)
    assert doc.base_code == entry.base_code
    assert doc.levels == entry.levels
    # The national guide minimum is met once the place is added.
    minimum = PUBLIC_SERVICE_MINIMUM if doc.item_type == ItemType.public_service else GUIDE_MINIMUM
    dumped = dump_document(doc)
    missing = [
        name
        for name in minimum
        if dumped[name] in ("", [], None)
        or dumped[name] == {"name": "", "type": None, "sample": ""}
    ]
    assert not missing, missing


def test_entry_document_refuses_a_broken_place():
    entry = CATALOG[0]
    with pytest.raises(ElementValidationError):
        entry_document(entry, **{**place_elements(entry), "locations": [{"address": "无名称"}]})


def test_non_public_service_entries_cite_a_law_and_article():
    for e in CATALOG:
        if e.elements["item_type"] == "public_service":
            continue
        cited = [
            b
            for b in e.elements["legal_basis"]
            if b.get("law_name") and ARTICLE.match(b.get("article", ""))
        ]
        assert cited, e.base_code


def test_articles_are_written_as_chinese_article_numbers():
    for e in CATALOG:
        for b in e.elements.get("legal_basis", []):
            if b.get("article"):
                assert ARTICLE.match(b["article"]), (e.base_code, b["article"])
            # Names are written bare, without the outer 《》.
            assert not b["law_name"].startswith("《"), (e.base_code, b["law_name"])


def test_no_article_text_is_made_up():
    texts = [b for e in CATALOG for b in e.elements.get("legal_basis", []) if b.get("text")]
    assert texts == []


def test_every_entry_has_materials_with_name_and_source():
    for e in CATALOG:
        materials = e.elements.get("materials")
        assert materials, e.base_code
        for m in materials:
            assert m["name"].strip(), e.base_code
            assert m.get("source"), (e.base_code, m["name"])


def test_service_kind_only_and_always_for_public_service():
    for e in CATALOG:
        is_public = e.elements["item_type"] == "public_service"
        assert bool(e.elements.get("service_kind")) == is_public, e.base_code


def test_faq_and_keywords():
    for e in CATALOG:
        assert 2 <= len(e.elements.get("faq", [])) <= 3, e.base_code
        assert e.elements.get("keywords"), e.base_code


def test_time_limits_and_fees_are_consistent():
    for e in CATALOG:
        doc = entry_document(e, **place_elements(e))
        statutory, promised = doc.statutory_limit, doc.promised_limit
        if statutory.unit == promised.unit and statutory.unit != LimitUnit.none:
            assert promised.value <= statutory.value, e.base_code
        if doc.case_type == CaseType.instant:
            assert promised.value <= 1, e.base_code
        if doc.charged:
            assert doc.fees and all(f.basis and f.standard for f in doc.fees), e.base_code
        if doc.visits:
            assert doc.visits_reason, e.base_code


def test_entries_for_selects_by_sector_and_level():
    county_market = entries_for(("market",), "county")
    assert county_market
    assert all(e.sector == "market" and Level.county in e.levels for e in county_market)
    assert entries_for(("market",), Level.village) == []


def test_loader_returns_fresh_copies():
    first = load_national_catalog()
    first[0].elements["name"] = "改过的名称"
    assert load_national_catalog()[0].elements["name"] != "改过的名称"
