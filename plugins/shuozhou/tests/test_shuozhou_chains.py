"""朔城区插件的审核链与后续义务:逐条核对朔区政办发〔2019〕18号方案。

纯函数测试,不用数据库:经入口点加载插件,直接调用核心的类型化访问器。
"""

import datetime

import pytest

from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import ChangeKind, SubjectSummary
from qingdan.core.plugins import get_registry
from qingdan.core.tenancy.schemas import Role

NAME = "shuozhou"
DOCUMENT = "朔城区重新梳理政务服务事项加快推进政务服务系统建设打造“六最”营商环境工作方案"
NUMBER = "朔区政办发〔2019〕18号"
KNOWN_ROLES = {r.value for r in Role}

POWER = SubjectSummary(name="行政许可事项", item_type=ItemType.licensing, base_code="000120")
CONFIRMATION = SubjectSummary(name="行政确认", item_type=ItemType.confirmation, base_code="000130")
PUBLIC = SubjectSummary(name="公共服务事项", item_type=ItemType.public_service, base_code="000300")

# 初步审核(三(二)4(2)):区行政审批服务管理局会同区编办(审改机构)、区司法局(司法行政部门)
ORDER = ["agency_reviewer", "reform_office", "legal_reviewer", "data_center"]


@pytest.fixture(scope="module")
def plugin():
    return get_registry().get(NAME)


@pytest.fixture(scope="module")
def settings(plugin):
    return plugin.settings({})


def attachments(step):
    return [a.kind for a in step.required_attachments]


def obligations(plugin, settings, kind, subject=PUBLIC):
    return {o.kind: o for o in plugin.obligations(kind, subject, [], settings)}


# --- every kind has a sound chain ------------------------------------------------------


@pytest.mark.parametrize("subject", [POWER, CONFIRMATION, PUBLIC], ids=["power", "conf", "ps"])
@pytest.mark.parametrize("changed", [[], ["materials"]], ids=["none", "materials"])
@pytest.mark.parametrize("kind", list(ChangeKind))
def test_every_kind_gives_a_valid_chain(plugin, settings, kind, changed, subject):
    c = plugin.approval_chain(kind, subject, changed, settings)
    assert [s.role for s in c.steps] == ORDER
    assert DOCUMENT in c.basis and NUMBER in c.basis
    for step in c.steps:
        assert step.role in KNOWN_ROLES
        assert 0 <= step.deadline_days <= 365
        assert step.escalate_to in KNOWN_ROLES
        assert step.office and step.name
        assert DOCUMENT in step.basis and len(step.basis) <= 500
    for rule in plugin.obligations(kind, subject, changed, settings):
        assert rule.role in KNOWN_ROLES and rule.escalate_to in KNOWN_ROLES
        assert rule.on in ("publish", "claim")
        assert len(rule.basis) <= 500


def test_new_hooks_are_the_plugins_own(plugin):
    assert {"qingdan_approval_chain", "qingdan_obligations"} <= set(plugin.implemented_hooks())


# --- the campaign's review chain ----------------------------------------------------------


def test_offices_of_the_campaign(plugin, settings):
    agency, review, legal, publish = plugin.approval_chain(
        ChangeKind.claim, PUBLIC, [], settings
    ).steps
    assert "主要负责人" in agency.office
    assert "区行政审批服务管理局" in review.office and "区编办" in review.office
    assert legal.office == "区司法局"
    assert "区行政审批服务管理局" in publish.office
    assert "三(二)4(1)" in agency.basis
    assert "三(二)4(2)" in review.basis and "三(二)4(2)" in legal.basis
    assert "合法性" in legal.basis


@pytest.mark.parametrize("kind", list(ChangeKind))
@pytest.mark.parametrize("subject", [POWER, PUBLIC], ids=["power", "ps"])
def test_head_of_agency_signoff_is_required_before_the_submission_counts(
    plugin, settings, kind, subject
):
    c = plugin.approval_chain(kind, subject, [], settings)
    assert attachments(c.steps[0]) == ["head_signoff"]
    assert "加盖公章" in c.steps[0].required_attachments[0].label
    assert all(attachments(s) != ["head_signoff"] for s in c.steps[1:])


def test_signoff_follows_the_setting(plugin):
    off = plugin.settings({"head_signoff_required": False})
    c = plugin.approval_chain(ChangeKind.claim, POWER, [], off)
    assert attachments(c.steps[0]) == []
    assert [s.role for s in c.steps] == ORDER


@pytest.mark.parametrize("kind", list(ChangeKind))
def test_public_service_items_are_published_after_the_district_government_approves(
    plugin, settings, kind
):
    public = plugin.approval_chain(kind, PUBLIC, [], settings)
    assert attachments(public.steps[-1]) == ["government_approval"]
    assert public.steps[-1].required_attachments[0].label == "区政府常务会议审定意见"
    power = plugin.approval_chain(kind, POWER, [], settings)
    assert attachments(power.steps[-1]) == []


def test_changes_after_publication_take_the_statutory_route(plugin, settings):
    # 三(二)3(5):清单公布后的调整“经法定程序申请、审定、公布”
    for kind in (ChangeKind.amend, ChangeKind.suspend, ChangeKind.resume, ChangeKind.cancel):
        assert "三(二)3(5)" in plugin.approval_chain(kind, PUBLIC, [], settings).basis
    for kind in (ChangeKind.claim, ChangeKind.create):
        assert "三(二)4" in plugin.approval_chain(kind, PUBLIC, [], settings).basis


# --- deadlines come from the phase dates in the settings -------------------------------------


def test_step_deadlines_are_the_working_days_of_the_phases(plugin, settings):
    agency, review, legal, publish = plugin.approval_chain(
        ChangeKind.claim, PUBLIC, [], settings
    ).steps
    assert agency.deadline_days == 1  # 5月15日前报送(摸底梳理5月14日结束)
    assert review.deadline_days == 3  # 初步审核 2019-05-16(四)至 05-20(一)
    assert legal.deadline_days == 3
    assert publish.deadline_days == 2
    assert "平台默认" in publish.basis
    assert "初步审核开始日期" in review.basis


def test_changing_the_phase_dates_changes_the_deadlines(plugin):
    tuned = plugin.settings(
        {
            "preliminary_review_start": "2019-05-16",
            "preliminary_review_end": "2019-05-27",  # 8 weekdays
            "confirmation_start": "2019-05-28",
            "confirmation_end": "2019-05-29",
            "publication_deadline": "2019-06-05",
        }
    )
    assert tuned.preliminary_review_end == datetime.date(2019, 5, 27)
    steps = plugin.approval_chain(ChangeKind.amend, POWER, [], tuned).steps
    assert steps[1].deadline_days == 8
    assert steps[2].deadline_days == 8
    rule = obligations(plugin, tuned, ChangeKind.amend)["portal_publication"]
    assert rule.working_days == 5  # 5月30日至6月5日的周一至周五


def test_overdue_steps_go_to_the_leading_group_office(plugin, settings):
    agency, review, legal, publish = plugin.approval_chain(
        ChangeKind.claim, PUBLIC, [], settings
    ).steps
    assert agency.escalate_to == "reform_office"
    assert legal.escalate_to == "reform_office"
    assert publish.escalate_to == "reform_office"
    assert review.escalate_to == "tenant_admin"


# --- obligations --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ChangeKind))
def test_public_service_lists_are_published_on_the_portal(plugin, settings, kind):
    rule = obligations(plugin, settings, kind)["portal_publication"]
    assert rule.role == "data_center"
    assert rule.on == "publish"
    assert rule.working_days == 5  # 依法确认5月25日结束,5月31日前公布
    assert rule.escalate_to == "reform_office"
    assert "区政府门户网站" in rule.basis and "运行流程图" in rule.basis
    assert "三(二)4(4)" in rule.basis


@pytest.mark.parametrize("kind", list(ChangeKind))
def test_power_items_leave_no_obligation(plugin, settings, kind):
    assert obligations(plugin, settings, kind, POWER) == {}


def test_nothing_is_due_on_claim(plugin, settings):
    rules = plugin.obligations(ChangeKind.claim, PUBLIC, [], settings)
    assert [r for r in rules if r.on == "claim"] == []


# --- the data is checked when the plugin loads ---------------------------------------------


def test_broken_rules_data_is_refused():
    import msgspec

    from qingdan_shuozhou.chains import ChainSpec, Condition, StepRef, _check, load_rules

    rules = load_rules()
    _check(rules)
    unknown_step = ChainSpec(
        kinds=(ChangeKind.claim,), steps=(StepRef(step="nope"),), clause="x", text="x"
    )
    with pytest.raises(ValueError, match="步骤 nope 不存在"):
        _check(msgspec.structs.replace(rules, chains=(*rules.chains, unknown_step)))
    unknown_element = ChainSpec(
        kinds=(ChangeKind.amend,),
        when=Condition(changed_any=("no_such_element",)),
        steps=rules.chains[0].steps,
        clause="x",
        text="x",
    )
    with pytest.raises(ValueError, match="no_such_element"):
        _check(msgspec.structs.replace(rules, chains=(unknown_element, *rules.chains)))
    without_cancel = tuple(c for c in rules.chains if ChangeKind.cancel not in c.kinds)
    with pytest.raises(ValueError, match="cancel 没有无条件的审核链"):
        _check(msgspec.structs.replace(rules, chains=without_cancel))
