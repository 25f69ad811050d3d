"""朔城区的梳理工作模板(钩子 qingdan_campaign_template):逐条核对方案三(二)4。"""

import datetime

import pytest

from qingdan.core.calendar import WorkingCalendar
from qingdan.core.campaigns.templates import default_dates, template_problems
from qingdan.core.catalog.vocab import ItemType
from qingdan.core.plugins import get_registry
from qingdan.core.testing.conformance import ConformanceReport, _check_campaign

d = datetime.date


@pytest.fixture(scope="module")
def plugin():
    return get_registry().get("shuozhou")


def template_for(plugin, **stored):
    return plugin.call("qingdan_campaign_template", settings=plugin.settings(stored))


def test_four_phases_with_the_seeds_dates(plugin):
    template = template_for(plugin)
    assert not template_problems(template)
    phases = [(p.code, p.name, p.start, p.end, p.due) for p in template.phases]
    assert phases == [
        ("survey", "摸底梳理", d(2019, 5, 9), d(2019, 5, 14), d(2019, 5, 15)),
        ("preliminary_review", "初步审核", d(2019, 5, 16), d(2019, 5, 20), None),
        ("confirmation", "依法确认", d(2019, 5, 21), d(2019, 5, 25), None),
        ("publication", "公布运行", None, d(2019, 5, 31), None),  # 只有“5月31日前”
    ]
    assert [p.submissions for p in template.phases] == [True, False, False, False]
    # 公布运行 begins the day after 依法确认 ends; the dates of a new year keep month and day.
    dates = default_dates(template, 2019, WorkingCalendar(builtin=False))
    assert dates[-1].start == d(2019, 5, 26)
    moved = default_dates(template, 2027, WorkingCalendar(builtin=False))
    assert [(p.start, p.end) for p in moved] == [
        (d(2027, 5, 9), d(2027, 5, 14)),
        (d(2027, 5, 16), d(2027, 5, 20)),
        (d(2027, 5, 21), d(2027, 5, 25)),
        (d(2027, 5, 26), d(2027, 5, 31)),
    ]
    assert moved[0].due == d(2027, 5, 15)


def test_the_three_offices_review_in_the_preliminary_review(plugin):
    template = template_for(plugin)
    review = template.phases[1]
    assert [(r.office, r.role) for r in review.reviewers] == [
        ("区行政审批服务管理局", "data_center"),
        ("区编办", "reform_office"),
        ("区司法局", "legal_reviewer"),
    ]
    assert all(not p.reviewers for p in template.phases if p.code != "preliminary_review")
    assert "会同区编办、区司法局" in review.basis and "三(二)4(2)" in review.basis
    assert "合法性" in review.reviewers[2].basis


def test_signoff_zero_report_and_scope_follow_the_seed_and_the_settings(plugin):
    template = template_for(plugin)
    assert template.item_types == (ItemType.public_service,)
    assert template.signoff_required and template.zero_report_required
    assert template.signoff_label == "部门主要负责人审签并加盖公章的书面材料"
    assert "于2019年5月15日前书面(加盖公章)报送区行政审批服务管理局" in template.signoff_basis
    assert "“零报告”制度" in template.zero_report_basis
    for phase in template.phases:
        assert phase.basis.startswith("《朔城区重新梳理政务服务事项")
        assert "朔区政办发〔2019〕18号" in phase.basis
    changed = template_for(
        plugin,
        survey_start="2026-05-11",
        survey_end="2026-05-15",
        submission_deadline="2026-05-18",
        preliminary_review_start="2026-05-19",
        preliminary_review_end="2026-05-22",
        confirmation_start="2026-05-25",
        confirmation_end="2026-05-27",
        publication_deadline="2026-05-29",
        head_signoff_required=False,
        zero_report_required=False,
    )
    assert changed.phases[0].start == d(2026, 5, 11) and changed.phases[0].due == d(2026, 5, 18)
    assert changed.phases[-1].end == d(2026, 5, 29)
    assert not changed.signoff_required and not changed.zero_report_required


def test_the_conformance_kit_reads_the_template(plugin):
    report = ConformanceReport(plugin="shuozhou")
    _check_campaign(plugin, plugin.settings({}), report)
    item = report.item("梳理模板 qingdan_campaign_template")
    assert item.ok, item.detail
    assert (
        "区行政审批服务管理局(大数据中心) → 区编办(审改机构) → 区司法局(司法行政部门)"
        in item.detail
    )
    assert "本插件实现" in item.detail
