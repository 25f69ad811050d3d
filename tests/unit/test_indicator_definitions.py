"""Indicator definitions: core's set, the qingdan_indicators hook, the built-in
jurisdictions' indicators and targets, the bulletin rule on a hand-made
snapshot, and docs/indicators.md kept in step with the definitions."""

from __future__ import annotations

import types
from datetime import date
from pathlib import Path

import pytest

from qingdan import hookimpl
from qingdan.core.hooktypes import (
    BulletinCriterion,
    BulletinRule,
    IndicatorDef,
    IndicatorMeasure,
    IndicatorSet,
    IndicatorTarget,
    Jurisdiction,
)
from qingdan.core.indicators import (
    CORE_DEFINITIONS,
    DEFAULT_BULLETIN_RULE,
    IndicatorConfigError,
    named_agencies,
    resolve,
)
from qingdan.core.indicators.figures import Figures
from qingdan.core.plugins import PluginError, get_registry, load_plugin

ROOT = Path(__file__).resolve().parents[2]


def _plugin(name, **hooks):
    mod = types.ModuleType(name)

    @hookimpl
    def qingdan_jurisdiction():
        return Jurisdiction(slug=name, name=f"{name}市", division_code="990100000000")

    hooks["qingdan_jurisdiction"] = qingdan_jurisdiction
    for hook_name, fn in hooks.items():
        fn.__name__ = hook_name
        setattr(mod, hook_name, fn)
    return mod


# Core's set ----------------------------------------------------------------------------------


def test_core_indicators_cover_the_seed_indicators_with_formula_unit_and_direction():
    config = resolve(IndicatorSet())
    ids = [i.id for i in config.indicators]
    assert ids == [
        "online_rate",
        "full_online_rate",
        "average_visits",
        "zero_visit_share",
        "material_count",
        "material_reduction",
        "limit_compression",
        "instant_share",
        "adjustment_timeliness",
        "obligation_timeliness",
        "open_findings",
    ]
    online = config.get("online_rate")
    assert (online.name, online.unit, online.direction.value) == ("网办率", "%", "higher")
    assert online.numerator == "网上办理深度达到三级(在线申办)或四级(全程网办)的在用事项数"
    assert online.denominator == "在用事项数"
    assert online.formula.endswith("× 100%")
    visits = config.get("average_visits")
    assert (visits.unit, visits.direction.value) == ("次", "lower")
    assert "首个" not in config.get("material_reduction").note  # the baseline is named exactly:
    assert "第一个发布版本" in config.get("material_reduction").note
    assert config.bulletin == DEFAULT_BULLETIN_RULE
    assert config.period_days == 90


def test_an_item_type_filter_changes_the_formula_text():
    config = resolve(
        IndicatorSet(
            definitions=(
                IndicatorDef(
                    id="ps_full_online",
                    name="公共服务事项全程网办率",
                    measure=IndicatorMeasure.full_online_rate,
                    item_types=("public_service",),
                ),
            ),
        )
    )
    ps = config.get("ps_full_online")
    assert ps.denominator == "在用的公共服务事项数"
    assert [i.id for i in config.indicators][-1] == "ps_full_online"


@pytest.mark.parametrize(
    ("found", "message"),
    [
        (
            IndicatorSet(
                definitions=(
                    IndicatorDef(id="x_rate", name="甲", measure=IndicatorMeasure.online_rate),
                    IndicatorDef(id="x_rate", name="乙", measure=IndicatorMeasure.online_rate),
                )
            ),
            "指标 id 重复: x_rate",
        ),
        (
            IndicatorSet(targets=(IndicatorTarget(indicator="nope", value=1),)),
            "目标“nope”: 没有这个指标",
        ),
        (
            IndicatorSet(targets=(IndicatorTarget(indicator="online_rate", value=120),)),
            "比率的目标应在0到100(%)之间",
        ),
        (
            IndicatorSet(
                definitions=(
                    IndicatorDef(
                        id="late_ps",
                        name="公共服务调整按时率",
                        measure=IndicatorMeasure.adjustment_timeliness,
                        item_types=("public_service",),
                    ),
                )
            ),
            "不按事项统计,不能限定事项类型",
        ),
        (
            IndicatorSet(
                bulletin=BulletinRule(
                    title="通报",
                    criteria=(
                        BulletinCriterion(indicator="online_rate", kind="bottom", reason="靠后"),
                    ),
                )
            ),
            "排名靠后条件须给出 count",
        ),
        (
            IndicatorSet(
                bulletin=BulletinRule(
                    title="通报",
                    criteria=(
                        BulletinCriterion(indicator="online_rate", kind="target", reason="未达标"),
                    ),
                )
            ),
            "指标“online_rate”没有目标",
        ),
        (IndicatorSet(hidden=("speed",)), "hidden 中的“speed”不是平台指标"),
        (IndicatorSet(period_days=0), "统计期 period_days"),
    ],
)
def test_a_wrong_indicator_set_is_refused_naming_the_problem(found, message):
    with pytest.raises(IndicatorConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        resolve(found)


# The hook ----------------------------------------------------------------------------------


def test_qingdan_indicators_hook_adds_hides_and_targets():
    @hookimpl
    def qingdan_indicators(settings):
        return IndicatorSet(
            definitions=(
                IndicatorDef(
                    id="ps_full_online",
                    name="公共服务事项全程网办率",
                    measure=IndicatorMeasure.full_online_rate,
                    item_types=("public_service",),
                    basis="某办法第三条",
                ),
            ),
            hidden=("material_count",),
            targets=(
                IndicatorTarget(indicator="ps_full_online", value=90, due=date(2030, 12, 31)),
            ),
        )

    plugin = load_plugin("ind", _plugin("ind", qingdan_indicators=qingdan_indicators), "1.0")
    assert "qingdan_indicators" in plugin.implemented_hooks()
    config = plugin.indicators(plugin.settings({}))
    ids = [i.id for i in config.indicators]
    assert "material_count" not in ids and ids[-1] == "ps_full_online"
    assert config.target("ps_full_online").value == 90
    assert config.get("ps_full_online").basis == "某办法第三条"


def test_a_plugin_without_the_hook_gets_core_indicators():
    plugin = load_plugin("plain", _plugin("plain"), "1.0")
    assert plugin.indicators(plugin.settings({})) == resolve(IndicatorSet())


def test_a_bad_indicator_set_fails_loading_naming_plugin_and_version():
    @hookimpl
    def qingdan_indicators():
        return IndicatorSet(targets=(IndicatorTarget(indicator="speed", value=1),))

    with pytest.raises(PluginError, match=r"插件 badind 2\.0: qingdan_indicators 目标“speed”"):
        load_plugin("badind", _plugin("badind", qingdan_indicators=qingdan_indicators), "2.0")


def test_a_wrong_return_type_fails_loading():
    @hookimpl
    def qingdan_indicators():
        return {"targets": []}

    with pytest.raises(PluginError, match="qingdan_indicators 的返回值类型不正确"):
        load_plugin("wrongtype", _plugin("wrongtype", qingdan_indicators=qingdan_indicators), "1")


# The built-in jurisdictions ---------------------------------------------------------------------


def _config(name, **settings):
    plugin = get_registry().get(name)
    return plugin.indicators(plugin.settings(settings))


def test_jinchang_targets_come_from_its_settings_and_its_rule_is_article_19():
    config = _config("jinchang")
    assert {t.indicator: t.value for t in config.targets} == {
        "online_rate": 100,
        "full_online_rate": 100,
    }
    assert "第十五条" in config.target("online_rate").basis
    changed = _config("jinchang", online_rate_target=95)
    assert changed.target("online_rate").value == 95
    rule = config.bulletin
    assert "第十九条" in rule.basis and "约谈" in rule.consequence
    by_kind = {}
    for c in rule.criteria:
        by_kind.setdefault(c.kind, set()).add(c.indicator)
    # 网办率、全程网办率、减跑动、减材料、减时限、即办件占比 ranked; lateness and findings by threshold.
    assert by_kind["bottom"] == {
        "online_rate",
        "full_online_rate",
        "zero_visit_share",
        "material_reduction",
        "limit_compression",
        "instant_share",
    }
    assert by_kind["threshold"] == {
        "adjustment_timeliness",
        "obligation_timeliness",
        "open_findings",
    }
    for indicator in config.indicators:
        assert "金昌市政务服务事项动态调整管理办法" in indicator.basis, indicator.id


def test_shuozhou_public_service_full_online_target_is_90_percent_by_end_of_2020():
    config = _config("shuozhou")
    indicator = config.get("public_service_full_online_rate")
    assert indicator.measure == IndicatorMeasure.full_online_rate
    assert [t.value for t in indicator.item_types] == ["public_service"]
    target = config.target("public_service_full_online_rate")
    assert (target.value, target.due) == (90, date(2020, 12, 31))
    assert "90%以上实现全程网上办理" in target.basis
    assert _config("shuozhou", full_online_target_percent=95).targets[0].value == 95


def test_anyang_government_materials_target_is_zero():
    config = _config("anyang")
    target = config.target("government_material_share")
    assert target.value == 0 and "一律免于提交" in target.basis
    assert config.get("government_material_share").direction.value == "lower"
    assert config.bulletin == DEFAULT_BULLETIN_RULE


# The bulletin rule on a hand-made snapshot ---------------------------------------------------------


def _document(values: dict[int, dict[str, list]], rule: BulletinRule, targets=()) -> dict:
    config = resolve(IndicatorSet(targets=targets, bulletin=rule))
    empty = {i.id: [0, 0] for i in config.indicators}
    return {
        "day": "2026-11-20",
        "taken_at": "2026-11-20T00:30:00+00:00",
        "config": config.to_builtins(),
        "agencies": [{"id": a, "name": f"机构{a}", "division": 1} for a in values],
        "divisions": [
            {"id": 1, "name": "市", "code": "990100000000", "level": "city", "parent": None}
        ],
        "tenant": empty,
        "by_agency": {str(a): empty | v for a, v in values.items()},
        "by_division": {},
    }


def test_bottom_ranks_name_the_worst_with_ties_but_never_the_best_or_agencies_without_data():
    rule = BulletinRule(
        title="通报",
        criteria=(
            BulletinCriterion(indicator="online_rate", kind="bottom", count=2, reason="网办率靠后"),
        ),
    )
    values = {
        1: {"online_rate": [4, 4]},  # 100%
        2: {"online_rate": [3, 4]},  # 75%
        3: {"online_rate": [1, 2]},  # 50%
        4: {"online_rate": [2, 4]},  # 50% (tie with 3)
        5: {"online_rate": [0, 0]},  # no items: no data
    }
    named = named_agencies(_document(values, rule), rule)
    assert [n.name for n in named] == ["机构3", "机构4"]
    reason = named[0].reasons[0]
    assert (reason.value_text, reason.fraction, reason.detail) == (
        "50.0%",
        "1/2",
        "排名第3/4(并列),在后2名之内",
    )
    # Everyone equal: nobody is behind.
    tied = {a: {"online_rate": [1, 1]} for a in (1, 2, 3)}
    assert named_agencies(_document(tied, rule), rule) == []


def test_thresholds_and_targets_follow_the_indicator_direction():
    rule = BulletinRule(
        title="通报",
        criteria=(
            BulletinCriterion(
                indicator="open_findings", kind="threshold", threshold=0, reason="问题未整改"
            ),
            BulletinCriterion(indicator="online_rate", kind="target", reason="网办率未达标"),
        ),
    )
    values = {
        1: {"open_findings": [0, None], "online_rate": [9, 10]},  # 90%: meets 90 exactly
        2: {"open_findings": [2, None], "online_rate": [8, 10]},
        3: {"open_findings": [0, None], "online_rate": [0, 0]},  # no data: not judged
    }
    document = _document(
        values, rule, targets=(IndicatorTarget(indicator="online_rate", value=90),)
    )
    named = named_agencies(document, rule)
    assert [n.name for n in named] == ["机构2"]
    assert [r.reason for r in named[0].reasons] == ["问题未整改", "网办率未达标"]
    assert named[0].reasons[0].detail == "高于0个"
    assert named[0].reasons[1].detail == "未达到目标90.0%,差10.0个百分点"
    figures = Figures(document)
    gap = figures.gap(figures.figure("online_rate", "agency", 2))
    assert gap.shortfall == pytest.approx(10.0) and not gap.reached
    assert figures.gap(figures.figure("online_rate", "agency", 1)).reached


# The documentation ----------------------------------------------------------------------------


def test_indicator_docs_are_generated_from_the_definitions():
    from qingdan.core.indicators.docs import render_indicators_markdown

    written = (ROOT / "docs" / "indicators.md").read_text()
    assert written == render_indicators_markdown(), (
        "docs/indicators.md is out of date: "
        "python -m qingdan.core.indicators.docs > docs/indicators.md"
    )
    for definition in CORE_DEFINITIONS:
        assert f"`{definition.id}`" in written


def test_the_conformance_kit_reports_a_wrong_indicator_set_in_words_a_vendor_understands():
    from qingdan.core import plugins as plugin_registry
    from qingdan.core.plugins import Plugin
    from qingdan.core.testing.conformance import ConformanceReport, _check_indicators

    @hookimpl
    def qingdan_indicators():
        return IndicatorSet(
            bulletin=BulletinRule(
                title="通报",
                criteria=(
                    BulletinCriterion(indicator="speed", kind="bottom", count=3, reason="慢"),
                ),
            )
        )

    module = _plugin("kit", qingdan_indicators=qingdan_indicators)
    plugin = Plugin(name="kit", version="1", module=module)
    plugin.pm = plugin_registry._new_manager()
    plugin.pm.register(module, name="kit")
    report = ConformanceReport(plugin="kit")
    _check_indicators(plugin, plugin.settings({}), report)
    item = report.item("指标 qingdan_indicators")
    assert not item.ok
    assert "通报条件“慢”: 没有指标“speed”" in item.detail
    assert "IndicatorSet" in item.hint

    good = load_plugin("kitok", _plugin("kitok"), "1")
    report = ConformanceReport(plugin="kitok")
    _check_indicators(good, good.settings({}), report)
    assert report.items[0].ok and "未实现,使用平台默认" in report.items[0].detail
