"""安阳市插件:经入口点加载,逐条核对安阳市改革方案的规则。"""

import datetime
import re

import msgspec
import pytest
from msgspec import inspect as mi

from qingdan.core.catalog.codes import USCC, DivisionCode
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.vocab import AgencyNature, Audience, ItemType, Level
from qingdan.core.defaults import GUIDE_MINIMUM, NATIONAL_SERVICE_KINDS, PUBLIC_SERVICE_MINIMUM
from qingdan.core.demo.catalog import load_national_catalog
from qingdan.core.demo.sectors import SECTORS
from qingdan.core.hooktypes import CatalogListKind, ServicePointKind
from qingdan.core.plugins import SettingsError, get_registry

NAME = "anyang"
ROOT = DivisionCode.parse("410500000000")
DOCUMENT = "安阳市系统性重塑行政审批制度推进政务服务标准化规范化便利化改革方案"

ENTERPRISE_BUNDLES = ["企业开办", "企业准营", "员工录用", "涉企不动产登记", "企业简易注销"]
PERSONAL_BUNDLES = [
    "新生儿出生",
    "灵活就业",
    "公民婚育",
    "扶残助困",
    "军人退役",
    "二手房转移登记及水电气暖联动过户",
    "企业职工退休",
    "公民身后",
]


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
    assert plugin.distribution == "qingdan-anyang"
    assert plugin.version == "0.1.0"
    assert plugin.module.__name__ == "qingdan_anyang"
    assert set(plugin.implemented_hooks()) == {
        "qingdan_jurisdiction",
        "qingdan_settings_schema",
        "qingdan_item_types",
        "qingdan_taxonomies",
        "qingdan_element_requirements",
        "qingdan_demo_dataset",
        "qingdan_approval_chain",
        "qingdan_obligations",
        "qingdan_catalog_lists",
        "qingdan_service_point_targets",
        "qingdan_indicators",
        "qingdan_quality_rules",
    }


def test_jurisdiction(plugin):
    j = plugin.jurisdiction
    assert j.slug == "anyang"
    assert j.name == "安阳市"
    assert j.division_code == "410500000000"
    assert DivisionCode.parse(j.division_code).level == "city"
    assert j.province == "河南省"
    # 二(二)8 市、县、乡三级政务服务中心和村(社区)便民服务站
    assert j.levels == (Level.municipal, Level.county, Level.township, Level.village)
    assert j.policy_documents == (DOCUMENT,)


# --- settings --------------------------------------------------------------


def _meta(t: mi.Type, key: str) -> str:
    while isinstance(t, mi.Metadata):
        if t.extra_json_schema and key in t.extra_json_schema:
            return t.extra_json_schema[key]
        t = t.type
    return ""


def test_settings_schema_is_well_formed(plugin):
    schema = plugin.settings_schema
    assert schema.__struct_config__.frozen
    with pytest.raises(TypeError):  # kw_only: positional arguments are refused
        schema(False)
    for field in mi.type_info(schema).fields:
        assert not field.required, f"{field.name} 没有默认值"
        assert re.search(r"[\u4e00-\u9fff]", _meta(field.type, "title")), field.name
        assert DOCUMENT in _meta(field.type, "description"), field.name


def test_targets_come_from_the_seed(settings):
    # 二(二)10
    assert settings.township_center_min_items == 200
    assert settings.street_center_min_items == 150
    assert settings.village_station_min_items == 40
    assert settings.home_service_deadline == datetime.date(2022, 12, 31)
    # 二(四)16
    assert settings.enterprise_bundles_target == 5
    assert settings.personal_bundles_target == 8
    assert settings.bundles_deadline == datetime.date(2022, 12, 31)
    assert settings.bundles_full_coverage_deadline == datetime.date(2023, 12, 31)
    # 二(八)35、36
    assert settings.complaint_transfer_rate_target == 100
    assert settings.complaint_reply_rate_target == 100
    assert settings.evaluation_item_coverage_target == 100
    assert settings.evaluation_agency_coverage_target == 100
    assert settings.bad_review_rectification_target == 100
    # 二(二)7 除场地限制或涉及国家秘密情形外应进必进
    assert settings.hall_exclusion_reasons == ("场地限制", "涉及国家秘密")
    # 二(一)1 依申请办理
    assert settings.include_non_application_powers is False


def test_settings_are_validated(plugin):
    with pytest.raises(SettingsError, match="投诉及时转办率目标"):
        plugin.settings({"complaint_transfer_rate_target": 120})
    with pytest.raises(SettingsError, match="全覆盖"):
        plugin.settings({"bundles_full_coverage_deadline": "2022-06-30"})
    with pytest.raises(SettingsError, match="已在方案列明"):
        plugin.settings({"extra_bundles": ["企业开办"]})


# --- item types ------------------------------------------------------------


def test_item_types_include_filing(plugin, settings):
    types = plugin.item_types(settings)
    assert ItemType.filing in types  # 二(一)1 明确包括行政备案
    assert types == [
        ItemType.licensing,
        ItemType.confirmation,
        ItemType.adjudication,
        ItemType.benefit,
        ItemType.reward,
        ItemType.filing,
        ItemType.other_power,
        ItemType.public_service,
    ]
    for not_on_application in (
        ItemType.penalty,
        ItemType.coercion,
        ItemType.levy,
        ItemType.inspection,
    ):
        assert not_on_application not in types


def test_non_application_powers_can_be_switched_on(plugin):
    types = plugin.item_types(plugin.settings({"include_non_application_powers": True}))
    assert set(types) == set(ItemType)
    assert types[-1] == ItemType.public_service


# --- taxonomies ------------------------------------------------------------


def test_bundles_of_item_16(plugin, settings):
    tax = plugin.taxonomies(settings)
    names = [b.name for b in tax.bundles]
    assert names == ENTERPRISE_BUNDLES + PERSONAL_BUNDLES
    assert len(ENTERPRISE_BUNDLES) == settings.enterprise_bundles_target
    assert len(PERSONAL_BUNDLES) == settings.personal_bundles_target
    codes = [b.code for b in tax.bundles]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[a-z_]+", c) for c in codes)
    assert sum("涉企" in b.description for b in tax.bundles) == 5
    assert sum("涉及个人" in b.description for b in tax.bundles) == 8
    assert [b.name for b in tax.bundles if b.audience == Audience.enterprise] == ENTERPRISE_BUNDLES
    assert [
        b.name for b in tax.bundles if b.audience == Audience.natural_person
    ] == PERSONAL_BUNDLES
    assert tax.service_kinds == NATIONAL_SERVICE_KINDS
    assert tax.themes == ()


def test_extra_bundles_from_settings(plugin):
    tax = plugin.taxonomies(plugin.settings({"extra_bundles": ["人才服务", "水电气暖联合报装"]}))
    assert [b.name for b in tax.bundles[-2:]] == ["人才服务", "水电气暖联合报装"]
    assert len({b.code for b in tax.bundles}) == 15


# --- 各类清单 and 家门口办 ----------------------------------------------------


def test_the_lists_of_item_2_are_kept_and_all_but_the_hall_exclusions_published(plugin, settings):
    specs = {s.kind: s for s in plugin.catalog_lists(settings)}
    assert list(specs) == list(CatalogListKind)  # 二(一)2: one catalog behind every list
    assert [k for k, s in specs.items() if not s.public] == [CatalogListKind.hall_exclusions]
    clauses = {
        CatalogListKind.licensing: "二(一)2",  # 公布我市行政许可事项清单
        CatalogListKind.deferrable: "二(四)18",  # 编制并公布可容缺受理的政务服务事项清单
        CatalogListKind.commitment: "二(四)18",  # 承诺的具体内容……违反承诺应承担的法律责任
        CatalogListKind.intermediary: "二(一)5",  # 建立清单并向社会公布
        CatalogListKind.special_steps: "二(四)17",  # 清单化管理……限时办结……向社会公布
        CatalogListKind.hall_exclusions: "二(二)7",  # 进驻事项负面清单
    }
    for kind, clause in clauses.items():
        assert specs[kind].basis.startswith(f"《{DOCUMENT}》{clause}:"), kind
        assert specs[kind].title.endswith("清单")
    assert "向社会公布" in specs[CatalogListKind.intermediary].basis
    assert "违反承诺应承担的法律责任" in specs[CatalogListKind.commitment].basis


def test_service_point_targets_of_item_10_follow_the_settings(plugin, settings):
    targets = {t.kind: t for t in plugin.service_point_targets(settings)}
    assert {k: t.min_items for k, t in targets.items()} == {
        ServicePointKind.township: 200,
        ServicePointKind.street: 150,
        ServicePointKind.village: 40,
    }
    assert all(t.deadline == datetime.date(2022, 12, 31) for t in targets.values())
    assert all("二(二)10" in t.basis for t in targets.values())
    raised = plugin.settings({"village_station_min_items": 60})
    village = [t for t in plugin.service_point_targets(raised) if t.kind == "village"]
    assert village[0].min_items == 60


def test_demo_bundles_name_codes_of_the_demo_catalog(plugin, settings, demo):
    bundle_codes = {b.code for b in plugin.taxonomies(settings).bundles}
    catalog = {e.base_code for e in load_national_catalog()}
    assert demo.bundle_items, "the demo sets up 一件事一次办"
    for code, base_codes in demo.bundle_items.items():
        assert code in bundle_codes, code
        assert len(base_codes) >= 2 and set(base_codes) <= catalog, code


# --- element requirements --------------------------------------------------


@pytest.mark.parametrize("item_type", list(ItemType))
def test_element_requirements(plugin, settings, item_type):
    req = plugin.element_requirements(item_type, settings)
    required = set(req.required)
    assert required <= set(ElementDocument.__struct_fields__)
    assert len(req.required) == len(required)
    minimum = PUBLIC_SERVICE_MINIMUM if item_type == ItemType.public_service else GUIDE_MINIMUM
    assert set(minimum) <= required
    assert "online_depth" in required  # 二(三)13 推行“全程网办”
    assert "二(三)13" in req.basis
    assert DOCUMENT in req.basis


# --- demo dataset ----------------------------------------------------------


def test_demo_divisions_are_real_and_inside_anyang(demo):
    codes = {d.code: d for d in demo.divisions}
    assert len(codes) == len(demo.divisions)
    expected = {
        "410500000000": "安阳市",
        "410502000000": "文峰区",
        "410503000000": "北关区",
        "410505000000": "殷都区",
        "410506000000": "龙安区",
        "410522000000": "安阳县",
        "410523000000": "汤阴县",
        "410526000000": "滑县",
        "410527000000": "内黄县",
        "410581000000": "林州市",
    }
    assert {c: codes[c].name for c in expected} == expected
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
        assert uscc.division6 == a.division_code[:6]
        assert a.nature in {n.value for n in AgencyNature}
        assert set(a.sectors) <= set(SECTORS), a.name
    fund = next(a for a in demo.agencies if a.name == "安阳市住房公积金管理中心")
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
        assert re.fullmatch(r"0372-\d{7}", hall.phone)
        assert hall.complaint_phone == "12345"
        assert hall.address.startswith("河南省安阳市")
    for d in demo.divisions:
        if DivisionCode.parse(d.code).level in ("city", "county"):
            assert d.code in by_division, f"{d.name} 没有政务服务中心"
    assert by_division[ROOT.value].name == "安阳市政务服务中心"


def test_demo_online_portal_is_the_provinces(demo):
    assert re.fullmatch(r"https://[a-z.]+\.gov\.cn/", demo.online_portal)


def test_demo_dataset_round_trips(demo):
    assert msgspec.convert(msgspec.to_builtins(demo), type(demo)) == demo
