"""金昌市插件:经入口点加载,逐条核对《金昌市政务服务事项动态调整管理办法》的规则。"""

import re

import msgspec
import pytest
from msgspec import inspect as mi

from qingdan.core.catalog.codes import USCC, DivisionCode
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.vocab import AgencyNature, ItemType, Level
from qingdan.core.defaults import GUIDE_MINIMUM, NATIONAL_SERVICE_KINDS, PUBLIC_SERVICE_MINIMUM
from qingdan.core.demo.sectors import SECTORS
from qingdan.core.plugins import SettingsError, get_registry

NAME = "jinchang"
ROOT = DivisionCode.parse("620300000000")
DOCUMENT = "金昌市政务服务事项动态调整管理办法"

# 第十四条:认领当日完成的要素 → 要素文档字段
CLAUSE_14 = {
    "办理时限": {"statutory_limit", "promised_limit"},
    "受理条件": {"acceptance_conditions"},
    "办理流程图": {"process"},
    "办件类型": {"case_type"},
    "办理地点": {"locations"},
    "咨询方式": {"consultation"},
    "监督投诉方式": {"complaints"},
    "办理形式": {"channels"},
    "到场次数": {"visits"},
    "材料名称": {"materials"},
    "收费依据": {"fees"},
    "法律救济": {"legal_remedy"},
    "办理环节": {"process"},
    "常见问题解答": {"faq"},
}


@pytest.fixture(scope="module")
def plugin():
    return get_registry().get(NAME)


@pytest.fixture(scope="module")
def settings(plugin):
    return plugin.settings({})


@pytest.fixture(scope="module")
def demo(plugin):
    dataset = plugin.demo_dataset()
    assert dataset is not None
    return dataset


# --- loading ---------------------------------------------------------------


def test_loaded_from_its_own_distribution(plugin):
    assert plugin.distribution == "qingdan-jinchang"
    assert plugin.version == "0.1.0"
    assert plugin.module.__name__ == "qingdan_jinchang"
    assert set(plugin.implemented_hooks()) == {
        "qingdan_jurisdiction",
        "qingdan_settings_schema",
        "qingdan_item_types",
        "qingdan_element_requirements",
        "qingdan_demo_dataset",
        "qingdan_approval_chain",
        "qingdan_obligations",
        "qingdan_indicators",
        "qingdan_quality_rules",
        "qingdan_account_allocation",
    }


def test_jurisdiction(plugin):
    j = plugin.jurisdiction
    assert j.slug == "jinchang"
    assert j.name == "金昌市"
    assert j.division_code == "620300000000"
    assert DivisionCode.parse(j.division_code).level == "city"
    assert j.province == "甘肃省"
    # 第八条:县区负责县(区)、乡镇(街道)、村(社区)事项
    assert j.levels == (Level.municipal, Level.county, Level.township, Level.village)
    assert j.policy_documents == (DOCUMENT,)


# --- settings --------------------------------------------------------------


def _title(t: mi.Type) -> str:
    while isinstance(t, mi.Metadata):
        if t.extra_json_schema and "title" in t.extra_json_schema:
            return t.extra_json_schema["title"]
        t = t.type
    return ""


def test_settings_schema_is_well_formed(plugin):
    schema = plugin.settings_schema
    assert schema.__struct_config__.frozen
    with pytest.raises(TypeError):  # kw_only: positional arguments are refused
        schema(1)
    info = mi.type_info(schema)
    assert info.fields
    for field in info.fields:
        assert not field.required, f"{field.name} 没有默认值"
        assert re.search(r"[\u4e00-\u9fff]", _title(field.type)), f"{field.name} 缺少中文标题"


def test_deadlines_come_from_the_seed(settings):
    assert settings.hall_update_days == 5  # 第十二条
    assert settings.guide_update_days == 10  # 第十六条
    assert settings.claim_completion_days == 0  # 第十四条:当日
    assert settings.online_rate_target == 100  # 第十五条:原则上全部网上办
    assert settings.full_online_rate_target == 100


def test_settings_cite_their_clauses(plugin):
    info = {f.name: f for f in mi.type_info(plugin.settings_schema).fields}

    def description(name):
        t = info[name].type
        while isinstance(t, mi.Metadata):
            if t.extra_json_schema and "description" in t.extra_json_schema:
                return t.extra_json_schema["description"]
            t = t.type
        return ""

    assert "第十二条" in description("hall_update_days")
    assert "5个工作日" in description("hall_update_days")
    assert "第十六条" in description("guide_update_days")
    assert "10个工作日" in description("guide_update_days")
    assert "第十四条" in description("claim_completion_days")


def test_settings_can_be_tuned_and_are_validated(plugin):
    assert plugin.settings({"hall_update_days": 3}).hall_update_days == 3
    with pytest.raises(SettingsError, match="大厅进驻事项调整更新时限"):
        plugin.settings({"hall_update_days": -1})
    with pytest.raises(SettingsError, match="网办率目标"):
        plugin.settings({"online_rate_target": 101})


# --- item types ------------------------------------------------------------


def test_item_types_are_those_of_article_3(plugin, settings):
    types = plugin.item_types(settings)
    assert types == [
        ItemType.licensing,
        ItemType.penalty,
        ItemType.coercion,
        ItemType.levy,
        ItemType.benefit,
        ItemType.adjudication,
        ItemType.confirmation,
        ItemType.reward,
        ItemType.inspection,
        ItemType.other_power,
        ItemType.public_service,
    ]
    assert ItemType.filing not in types  # 第三条未列行政备案


# --- element requirements --------------------------------------------------


@pytest.mark.parametrize("item_type", list(ItemType))
def test_claim_day_elements_of_article_14_are_required(plugin, settings, item_type):
    req = plugin.element_requirements(item_type, settings)
    required = set(req.required)
    for label, fields in CLAUSE_14.items():
        assert fields <= required, f"第十四条的“{label}”未要求"
    # 第九条:名称、编码、类型、行使层级
    assert {"name", "base_code", "item_type", "levels"} <= required
    minimum = PUBLIC_SERVICE_MINIMUM if item_type == ItemType.public_service else GUIDE_MINIMUM
    assert set(minimum) <= required
    assert required <= set(ElementDocument.__struct_fields__)
    assert len(req.required) == len(required)  # no duplicates
    assert "第十四条" in req.basis
    assert DOCUMENT in req.basis


def test_taxonomies_are_core_defaults(plugin, settings):
    tax = plugin.taxonomies(settings)
    assert tax.service_kinds == NATIONAL_SERVICE_KINDS
    assert tax.themes == ()


# --- demo dataset ----------------------------------------------------------


def test_demo_divisions_are_real_and_inside_jinchang(demo):
    codes = {d.code: d for d in demo.divisions}
    assert len(codes) == len(demo.divisions)
    assert codes["620300000000"].name == "金昌市"
    assert codes["620302000000"].name == "金川区"
    assert codes["620321000000"].name == "永昌县"
    for d in demo.divisions:
        code = DivisionCode.parse(d.code)
        assert code.value == d.code
        assert code.is_within(ROOT), d.name
        if d.code == ROOT.value:
            assert d.parent_code is None
        else:
            assert d.parent_code in codes, d.name
            assert code.is_within(DivisionCode.parse(d.parent_code))


def test_demo_agencies(demo):
    assert len(demo.agencies) >= 15
    divisions = {d.code for d in demo.divisions}
    assert len({a.name for a in demo.agencies}) == len(demo.agencies)
    assert len({a.org_code for a in demo.agencies}) == len(demo.agencies)
    for a in demo.agencies:
        assert a.division_code in divisions, a.name
        assert re.fullmatch(r"[0-9A-Z]{8}", a.org_code), a.name
        uscc = USCC.compose("1", "1", a.division_code[:6], a.org_code)
        assert USCC.parse(uscc.value).division6 == a.division_code[:6]
        assert a.nature in {n.value for n in AgencyNature}
        assert set(a.sectors) <= set(SECTORS), a.name
    names = {a.name for a in demo.agencies}
    assert {
        "金昌市市场监督管理局",
        "金昌市卫生健康委员会",
        "金川区市场监督管理局",
        "永昌县卫生健康局",
    } <= names
    fund = next(a for a in demo.agencies if a.name == "金昌市住房公积金管理中心")
    assert fund.nature == "authorized"


def test_every_sector_has_a_city_level_agency_and_only_one(demo):
    city = [a for a in demo.agencies if a.division_code == ROOT.value]
    covered = [s for a in city for s in a.sectors]
    assert set(covered) == set(SECTORS)
    for division in {a.division_code for a in demo.agencies}:
        sectors = [s for a in demo.agencies if a.division_code == division for s in a.sectors]
        assert len(sectors) == len(set(sectors)), f"{division} 同一领域有两个实施机构"


def test_demo_halls(demo):
    by_division = {}
    for hall in demo.halls:
        assert hall.division_code not in by_division
        by_division[hall.division_code] = hall
        assert re.fullmatch(r"0935-\d{7}", hall.phone)
        assert hall.complaint_phone == "12345"
        assert hall.address.startswith("甘肃省金昌市")
    for d in demo.divisions:
        if DivisionCode.parse(d.code).level in ("city", "county"):
            assert d.code in by_division, f"{d.name} 没有政务服务中心"
    assert by_division[ROOT.value].name == "金昌市政务服务中心"


def test_demo_online_portal_is_the_provinces(demo):
    assert re.fullmatch(r"https://[a-z.]+\.gov\.cn/", demo.online_portal)


def test_demo_dataset_round_trips(demo):
    assert msgspec.convert(msgspec.to_builtins(demo), type(demo)) == demo


def test_the_data_center_allocates_clerk_and_reviewer_accounts(plugin):
    """第六条:市大数据中心对实施机构分配信息员、审核员账号."""
    allocation = plugin.account_allocation(plugin.settings({}))
    assert [(a.allocator, a.roles) for a in allocation.allocations] == [
        ("data_center", ("clerk", "agency_reviewer"))
    ]
    assert "第六条" in allocation.allocations[0].basis
