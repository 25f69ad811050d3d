"""Campaign templates (hook qingdan_campaign_template): core's plain default, the
checks a plugin's template must pass, and dates entered by people."""

from datetime import date

import pytest

from qingdan import hookimpl
from qingdan.core.calendar import WorkingCalendar
from qingdan.core.campaigns.schemas import PhaseDates
from qingdan.core.campaigns.templates import check_dates, default_dates, template_problems
from qingdan.core.errors import DomainError
from qingdan.core.hooktypes import (
    CampaignPhaseTemplate,
    CampaignReviewer,
    CampaignTemplate,
    Jurisdiction,
)
from qingdan.core.plugins import PluginError, load_plugin
from qingdan.core.testing.conformance import ConformanceReport, _check_campaign


def _plugin(name: str, **hooks):
    import types

    @hookimpl
    def qingdan_jurisdiction():
        return Jurisdiction(slug=name, name="测试市", division_code="990100000000")

    module = types.ModuleType(name)
    module.qingdan_jurisdiction = qingdan_jurisdiction
    for hook_name, fn in hooks.items():
        fn.__name__ = hook_name
        setattr(module, hook_name, fn)
    return load_plugin(name, module, "0.1-test")


def _check(plugin):
    report = ConformanceReport(plugin=plugin.name)
    _check_campaign(plugin, plugin.settings({}), report)
    return report.item("梳理模板 qingdan_campaign_template")


def test_a_plugin_without_a_template_gets_cores_plain_one():
    plugin = _plugin("plain")
    template = plugin.call("qingdan_campaign_template", settings=plugin.settings({}))
    assert [p.name for p in template.phases] == ["摸底梳理", "初步审核", "依法确认", "公布运行"]
    assert [[r.role for r in p.reviewers] for p in template.phases] == [
        [],
        ["reform_office"],
        ["legal_reviewer"],
        [],
    ]
    assert template.zero_report_required and not template.signoff_required
    assert not template_problems(template)
    item = _check(plugin)
    assert item.ok and "未实现,使用平台默认" in item.detail
    # Offsets count working days from the start date: Monday 2030-03-04 + 10 working days,
    # with no holidays known (builtin=False), is Monday 2030-03-18.
    dates = default_dates(template, 2030, WorkingCalendar(builtin=False), start=date(2030, 3, 4))
    assert (dates[0].start, dates[0].end, dates[0].due) == (
        date(2030, 3, 4),
        date(2030, 3, 18),
        date(2030, 3, 18),
    )
    assert dates[1].start == date(2030, 3, 19)
    check_dates(dates, 2030)


def test_returning_none_is_no_answer_so_the_plain_template_applies():
    @hookimpl
    def qingdan_campaign_template():
        return None

    plugin = _plugin("nocampaign", qingdan_campaign_template=qingdan_campaign_template)
    template = plugin.call("qingdan_campaign_template", settings=plugin.settings({}))
    assert template.code == "inventory" and template.name == "政务服务事项梳理"


def test_a_wrong_answer_fails_loading_naming_the_hook():
    @hookimpl
    def qingdan_campaign_template():
        return {"phases": []}

    plugin = _plugin("wrongtype", qingdan_campaign_template=qingdan_campaign_template)
    with pytest.raises(PluginError, match="qingdan_campaign_template 的返回值类型不正确"):
        plugin.call("qingdan_campaign_template", settings=plugin.settings({}))


def test_the_kit_names_every_problem_of_a_broken_template():
    broken = CampaignTemplate(
        code="Bad Code",
        name="坏模板",
        phases=(
            CampaignPhaseTemplate(
                code="survey",
                name="摸底",
                start=date(2030, 5, 10),
                end=date(2030, 5, 1),
                reviewers=(CampaignReviewer(role="clerk", office="部门自己"),),
            ),
            CampaignPhaseTemplate(code="survey", name="再摸底", start_day=3),
        ),
    )

    @hookimpl
    def qingdan_campaign_template():
        return broken

    item = _check(_plugin("broken", qingdan_campaign_template=qingdan_campaign_template))
    assert not item.ok
    for words in (
        "模板编码“Bad Code”无效",
        "阶段编码“survey”重复",
        "应恰好有一个阶段由各部门报送清单(submissions=True),实际有 0 个",
        "阶段“摸底”在报送阶段之前,不能安排审核",
        "结束日期 2030-05-01 早于开始日期 2030-05-10",
        "审核机构“部门自己”的角色 clerk 不能审核报送",
        "阶段“再摸底”: 没有结束日期(end 或 end_day)",
    ):
        assert words in item.detail, words
    assert "reviewers name a tenant role" in item.hint


def _phases(*spans) -> list[PhaseDates]:
    names = ["摸底梳理", "初步审核", "依法确认"]
    codes = ["survey", "preliminary_review", "confirmation"]
    return [
        PhaseDates(code=codes[i], name=names[i], start=s, end=e, due=e if i == 0 else None)
        for i, (s, e) in enumerate(spans)
    ]


def test_dates_people_enter_are_checked_naming_the_phase_and_field():
    ok = _phases(
        (date(2030, 5, 9), date(2030, 5, 14)),
        (date(2030, 5, 16), date(2030, 5, 20)),
        (date(2030, 5, 21), date(2030, 5, 25)),
    )
    check_dates(ok, 2030)
    with pytest.raises(DomainError, match=r"“初步审核”的结束日期(.*)早于开始日期") as info:
        check_dates(
            _phases(
                (date(2030, 5, 9), date(2030, 5, 14)),
                (date(2030, 5, 20), date(2030, 5, 16)),
            ),
            2030,
        )
    assert info.value.field == "preliminary_review_end"
    with pytest.raises(DomainError, match="早于上一阶段“摸底梳理”的开始日期") as info:
        check_dates(
            _phases(
                (date(2030, 5, 9), date(2030, 5, 14)),
                (date(2030, 5, 1), date(2030, 5, 20)),
            ),
            2030,
        )
    assert info.value.field == "preliminary_review_start"
    with pytest.raises(DomainError, match="不在2031年") as info:
        check_dates(ok, 2031)
    assert info.value.field == "survey_start"
    late_due = [
        PhaseDates(
            code="survey",
            name="摸底梳理",
            start=date(2030, 5, 9),
            end=date(2030, 5, 14),
            due=date(2030, 5, 1),
        )
    ]
    with pytest.raises(DomainError, match="报送截止日期") as info:
        check_dates(late_due, 2030)
    assert info.value.field == "survey_due"
