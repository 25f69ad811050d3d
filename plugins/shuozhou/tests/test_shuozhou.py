"""朔城区插件:经入口点加载,逐条核对朔区政办发〔2019〕18号方案的规则。"""

import datetime
import re

import msgspec
import pytest
from msgspec import inspect as mi

from qingdan.core.catalog.codes import USCC, DivisionCode
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.vocab import AgencyNature, ItemType, Level, ServiceKind
from qingdan.core.defaults import GUIDE_MINIMUM, PUBLIC_SERVICE_MINIMUM
from qingdan.core.demo.sectors import SECTORS
from qingdan.core.plugins import SettingsError, get_registry

NAME = "shuozhou"
ROOT = DivisionCode.parse("140602000000")
DOCUMENT = "朔城区重新梳理政务服务事项加快推进政务服务系统建设打造“六最”营商环境工作方案"

# 方案三(二)2 原文所列19类主题,按原文顺序
NINETEEN = [
    "婚育收养",
    "纳税缴费",
    "教育考试",
    "就医保健",
    "房屋租售",
    "社保救助",
    "司法公证",
    "交通旅游",
    "证件办理",
    "公共安全",
    "场馆设施",
    "气象环保",
    "“三农”服务",
    "创业创新",
    "中介服务",
    "就业执业",
    "科学技术",
    "全民健身",
    "热线服务",
]
EIGHT = {
    ServiceKind.policy: "政策文件类",
    ServiceKind.notice: "通知公告类",
    ServiceKind.guide: "办理指南类",
    ServiceKind.directory: "单位名录类",
    ServiceKind.venue: "场馆信息类",
    ServiceKind.faq: "常见问题类",
    ServiceKind.link: "服务链接类",
    ServiceKind.general: "普通信息类",
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
    assert plugin.distribution == "qingdan-shuozhou"
    assert plugin.version == "0.1.0"
    assert plugin.module.__name__ == "qingdan_shuozhou"
    assert set(plugin.implemented_hooks()) == {
        "qingdan_jurisdiction",
        "qingdan_settings_schema",
        "qingdan_item_types",
        "qingdan_taxonomies",
        "qingdan_element_requirements",
        "qingdan_demo_dataset",
        "qingdan_approval_chain",
        "qingdan_obligations",
        "qingdan_campaign_template",
        "qingdan_indicators",
        "qingdan_quality_rules",
    }


def test_jurisdiction(plugin):
    j = plugin.jurisdiction
    assert j.slug == "shuozhou"
    assert j.name == "朔州市朔城区"
    assert j.division_code == "140602000000"
    assert DivisionCode.parse(j.division_code).level == "county"
    assert j.province == "山西省"
    assert j.levels == (Level.county, Level.township)
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
        schema(())
    for field in mi.type_info(schema).fields:
        assert not field.required, f"{field.name} 没有默认值"
        assert re.search(r"[\u4e00-\u9fff]", _meta(field.type, "title")), field.name
        assert "朔区政办发〔2019〕18号" in _meta(field.type, "description"), field.name


def test_campaign_phases_come_from_the_seed(settings):
    d = datetime.date
    assert (settings.survey_start, settings.survey_end) == (d(2019, 5, 9), d(2019, 5, 14))
    assert settings.submission_deadline == d(2019, 5, 15)
    assert (settings.preliminary_review_start, settings.preliminary_review_end) == (
        d(2019, 5, 16),
        d(2019, 5, 20),
    )
    assert (settings.confirmation_start, settings.confirmation_end) == (
        d(2019, 5, 21),
        d(2019, 5, 25),
    )
    assert settings.publication_deadline == d(2019, 5, 31)
    assert settings.power_items_deadline == d(2019, 5, 31)
    assert settings.full_online_target_percent == 90
    assert settings.full_online_target_date == d(2020, 12, 31)
    assert settings.zero_report_required is True
    assert settings.head_signoff_required is True
    assert settings.local_themes == ()


def test_phase_dates_must_be_in_order(plugin):
    with pytest.raises(SettingsError, match="初步审核结束日期"):
        plugin.settings({"preliminary_review_end": "2019-05-22"})
    ok = plugin.settings({"publication_deadline": "2019-06-30"})
    assert ok.publication_deadline == datetime.date(2019, 6, 30)


def test_local_themes_are_validated(plugin):
    with pytest.raises(SettingsError, match="19类固定主题"):
        plugin.settings({"local_themes": ["婚育收养"]})
    with pytest.raises(SettingsError, match="重复"):
        plugin.settings({"local_themes": ["煤炭服务", "煤炭服务"]})
    with pytest.raises(SettingsError):
        plugin.settings({"local_themes": [""]})


# --- item types ------------------------------------------------------------


def test_item_types(plugin, settings):
    types = plugin.item_types(settings)
    assert types[:2] == [ItemType.licensing, ItemType.confirmation]  # 三(一)1 点名的两类
    assert ItemType.public_service in types  # 三(二)
    assert ItemType.filing not in types  # 方案未设行政备案
    assert set(types) == set(ItemType) - {ItemType.filing}


# --- taxonomies ------------------------------------------------------------


def test_exactly_eight_service_kinds_named_as_in_the_seed(plugin, settings):
    kinds = plugin.taxonomies(settings).service_kinds
    assert len(kinds) == 8
    assert {k.kind: k.name for k in kinds} == EIGHT
    assert [k.kind for k in kinds] == list(EIGHT)


def test_exactly_nineteen_fixed_themes_verbatim(plugin, settings):
    themes = plugin.taxonomies(settings).themes
    assert len(themes) == 19
    assert [t.name for t in themes] == NINETEEN
    assert not any(t.local for t in themes)
    assert len({t.code for t in themes}) == 19
    names = {t.name for t in themes}
    assert {"婚育收养", "“三农”服务", "热线服务", "司法公证"} <= names
    # 方案未按自然人、法人区分主题
    assert all(t.audience is None for t in themes)


def test_x_themes_from_settings_are_local(plugin):
    settings = plugin.settings({"local_themes": ["煤炭服务", "文物保护"]})
    themes = plugin.taxonomies(settings).themes
    assert len(themes) == 21
    local = [t for t in themes if t.local]
    assert [t.name for t in local] == ["煤炭服务", "文物保护"]
    assert len({t.code for t in themes}) == 21
    # codes follow the name, not the position
    reordered = plugin.taxonomies(plugin.settings({"local_themes": ["文物保护", "煤炭服务"]}))
    assert {t.name: t.code for t in reordered.themes} == {t.name: t.code for t in themes}


# --- element requirements --------------------------------------------------


@pytest.mark.parametrize("item_type", list(ItemType))
def test_element_requirements(plugin, settings, item_type):
    req = plugin.element_requirements(item_type, settings)
    required = set(req.required)
    assert required <= set(ElementDocument.__struct_fields__)
    assert len(req.required) == len(required)
    assert "online_depth" in required  # 三(一)2“网上办”,三(二)3(3)全程网办
    if item_type == ItemType.public_service:
        assert set(PUBLIC_SERVICE_MINIMUM) <= required
        # 三(二)2 八个服务类型和“19+X”主题;三(二)3(3) 运行流程图
        assert {"service_kind", "themes", "process"} <= required
        assert "19+X" in req.basis
    else:
        assert set(GUIDE_MINIMUM) <= required
    assert "朔区政办发〔2019〕18号" in req.basis


# --- demo dataset ----------------------------------------------------------


def test_demo_divisions_are_real_and_inside_shuocheng(demo):
    codes = {d.code: d for d in demo.divisions}
    assert len(codes) == len(demo.divisions)
    assert codes["140602000000"].name == "朔城区"
    assert codes["140602100000"].name == "神头镇"
    assert codes["140602004000"].name == "北旺庄街道"
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
        assert uscc.division6 == "140602"
        assert a.nature in {n.value for n in AgencyNature}
        assert set(a.sectors) <= set(SECTORS), a.name
        assert "朔城" in a.name, a.name
    approvals = next(a for a in demo.agencies if a.name == "朔州市朔城区行政审批服务管理局")
    assert len(approvals.sectors) >= 3  # 山西相对集中行政许可


def test_every_sector_has_a_district_level_agency_and_only_one(demo):
    district = [a for a in demo.agencies if a.division_code == ROOT.value]
    covered = [s for a in district for s in a.sectors]
    assert set(covered) == set(SECTORS)
    for division in {a.division_code for a in demo.agencies}:
        sectors = [s for a in demo.agencies if a.division_code == division for s in a.sectors]
        assert len(sectors) == len(set(sectors)), f"{division} 同一领域有两个实施机构"


def test_demo_halls(demo):
    by_division = {}
    for hall in demo.halls:
        assert hall.division_code not in by_division
        by_division[hall.division_code] = hall
        assert re.fullmatch(r"0349-\d{7}", hall.phone)
        assert hall.complaint_phone == "12345"
        assert hall.address.startswith("山西省朔州市朔城区")
        assert hall.division_code in {d.code for d in demo.divisions}
    assert by_division[ROOT.value].name == "朔州市朔城区政务服务中心"


def test_themes_by_sector_point_to_fixed_themes(plugin, settings, demo):
    codes = {t.code for t in plugin.taxonomies(settings).themes}
    assert set(demo.themes_by_sector) == set(SECTORS)
    for sector, themes in demo.themes_by_sector.items():
        assert themes, sector
        assert set(themes) <= codes, sector
    assert "justice_notary" in demo.themes_by_sector["justice"]


def test_demo_online_portal_is_the_provinces(demo):
    assert re.fullmatch(r"https://[a-z.]+\.gov\.cn/", demo.online_portal)


def test_demo_dataset_round_trips(demo):
    assert msgspec.convert(msgspec.to_builtins(demo), type(demo)) == demo
