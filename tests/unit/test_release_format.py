"""Reading release cells, the stored form of documents, and the follow-up deadlines hook."""

from __future__ import annotations

import types

import pytest

from qingdan import hookimpl
from qingdan.core.catalog.validation import dump_document, validate_document
from qingdan.core.catalog.vocab import ItemType, Level
from qingdan.core.demo.catalog import entry_document, load_national_catalog
from qingdan.core.hooktypes import FollowCatalogDeadlines, Jurisdiction
from qingdan.core.imports import cells
from qingdan.core.imports.releases import merge_elements, stored_form
from qingdan.core.plugins import PluginError, load_plugin


def test_a_list_cell_splits_on_separators_but_not_inside_parentheses():
    assert cells.split_list("市级、镇(乡、街道)级;村级") == ["市级", "镇(乡、街道)级", "村级"]
    assert cells.choice_list("市级、镇(乡、街道)级", Level) == ["municipal", "township"]
    assert cells.choice_list("县, 乡镇", Level) == ["county", "township"]
    with pytest.raises(cells.CellError, match="重复"):
        cells.choice_list("市级、市", Level)


def test_a_choice_is_read_from_its_label_code_or_alias_and_else_names_the_choices():
    assert cells.choice("行政许可", ItemType) == "licensing"
    assert cells.choice("LICENSING", ItemType) == "licensing"
    assert cells.choice("行政监督检查", ItemType) == "inspection"
    with pytest.raises(cells.CellError, match="可填: 行政许可、行政处罚"):
        cells.choice("行政审批", ItemType)
    assert cells.choice("", ItemType) is None
    with pytest.raises(cells.CellError, match="必须填写"):
        cells.choice(None, ItemType, required=True)


def test_numbers_yes_no_and_codes_typed_as_numbers():
    assert cells.integer(20.0) == 20 and cells.integer("") is None
    with pytest.raises(cells.CellError, match="应为整数"):
        cells.integer(2.5)
    with pytest.raises(cells.CellError, match="之间"):
        cells.integer(-1)
    assert cells.boolean("是") is True and cells.boolean("否") is False
    assert cells.boolean(None) is None
    with pytest.raises(cells.CellError, match="应填“是”或“否”"):
        cells.boolean("也许")
    with pytest.raises(cells.CellError, match="开头的0"):
        cells.code_text(101001000, "基本编码")


def test_the_fast_stored_form_is_exactly_what_dump_document_gives():
    for entry in load_national_catalog():
        doc = entry_document(entry)
        assert stored_form(doc) == dump_document(doc), entry.base_code
    minimal = validate_document({"name": "最少要素", "item_type": "filing"})
    assert stored_form(minimal) == dump_document(minimal)


def test_a_law_listed_again_keeps_its_text_and_a_limit_keeps_its_note():
    current = {
        "legal_basis": [
            {"law_name": "甲法", "document_number": "", "article": "第一条", "text": "原文"}
        ],
        "statutory_limit": {"value": 20, "unit": "working_day", "note": "说明"},
        "acceptance_conditions": "不变",
    }
    carried = {
        "legal_basis": [
            {"law_name": "甲法", "document_number": "", "article": "第一条"},
            {"law_name": "乙法", "document_number": "", "article": ""},
        ],
        "statutory_limit": {"value": 15},
    }
    merged = merge_elements(current, carried)
    assert merged["legal_basis"][0]["text"] == "原文" and "text" not in merged["legal_basis"][1]
    assert merged["statutory_limit"] == {"value": 15, "unit": "working_day", "note": "说明"}
    assert merged["acceptance_conditions"] == "不变"


def _plugin(name: str, deadlines: FollowCatalogDeadlines | None):
    mod = types.ModuleType(name)

    @hookimpl
    def qingdan_jurisdiction():
        return Jurisdiction(slug=name, name="测试市", division_code="990100000000")

    mod.qingdan_jurisdiction = qingdan_jurisdiction
    if deadlines is not None:

        @hookimpl
        def qingdan_follow_catalog_deadlines(settings):
            return deadlines

        mod.qingdan_follow_catalog_deadlines = qingdan_follow_catalog_deadlines
    return load_plugin(name, mod, "1")


def test_qingdan_follow_catalog_deadlines_default_and_a_plugins_own():
    default = _plugin("plain", None)
    got = default.follow_catalog_deadlines(default.settings({}))
    assert (got.claim_days, got.amend_days, got.cancel_days) == (5, 5, 5)
    assert "平台默认" in got.basis
    own = _plugin(
        "quick",
        FollowCatalogDeadlines(claim_days=0, amend_days=3, cancel_days=10, basis="某办法第九条"),
    )
    got = own.follow_catalog_deadlines(own.settings({}))
    assert (got.claim_days, got.amend_days, got.cancel_days) == (0, 3, 10)


def test_a_plugin_giving_impossible_follow_up_days_fails_loading():
    with pytest.raises(PluginError, match="qingdan_follow_catalog_deadlines 的 amend_days 无效"):
        _plugin("bad", FollowCatalogDeadlines(amend_days=-1))
