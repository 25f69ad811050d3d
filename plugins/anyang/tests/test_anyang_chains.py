"""安阳市插件的审核链与后续义务:逐条核对安阳市改革方案。

纯函数测试,不用数据库:经入口点加载插件,直接调用核心的类型化访问器。
"""

import pytest

from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import ChangeKind, SubjectSummary
from qingdan.core.plugins import get_registry
from qingdan.core.tenancy.schemas import Role

NAME = "anyang"
DOCUMENT = "安阳市系统性重塑行政审批制度推进政务服务标准化规范化便利化改革方案"
KNOWN_ROLES = {r.value for r in Role}

LICENSING = SubjectSummary(name="食品经营许可", item_type=ItemType.licensing, base_code="000120")
FILING = SubjectSummary(name="行政备案", item_type=ItemType.filing, base_code="000140")
PUBLIC = SubjectSummary(name="公共服务", item_type=ItemType.public_service, base_code="000300")

BASIC = ["agency_reviewer", "reform_office", "data_center"]


@pytest.fixture(scope="module")
def plugin():
    return get_registry().get(NAME)


@pytest.fixture(scope="module")
def settings(plugin):
    return plugin.settings({})


def roles(plugin, settings, kind, changed=(), subject=LICENSING):
    return [s.role for s in plugin.approval_chain(kind, subject, list(changed), settings).steps]


# --- every kind has a sound chain ------------------------------------------------------


@pytest.mark.parametrize("subject", [LICENSING, FILING, PUBLIC], ids=["lic", "filing", "ps"])
@pytest.mark.parametrize(
    "changed", [[], ["materials"], ["in_hall", "commitment"]], ids=["none", "impl", "hall+commit"]
)
@pytest.mark.parametrize("kind", list(ChangeKind))
def test_every_kind_gives_a_valid_chain(plugin, settings, kind, changed, subject):
    c = plugin.approval_chain(kind, subject, changed, settings)
    # 二(一)3:向政务服务管理部门提出申请,政务服务管理部门审核发布
    assert c.steps[0].role == "agency_reviewer"
    assert c.steps[-2].role == "reform_office"
    assert c.steps[-1].role == "data_center"
    assert DOCUMENT in c.basis and "二(一)3" in c.basis
    for step in c.steps:
        assert step.role in KNOWN_ROLES
        assert 0 <= step.deadline_days <= 365
        assert step.escalate_to in KNOWN_ROLES
        assert step.office and step.name and step.basis
        assert len(step.basis) <= 500
        assert "平台默认" in step.basis  # 方案未规定任何步骤时限
    for rule in plugin.obligations(kind, subject, changed, settings):
        assert rule.role in KNOWN_ROLES and rule.escalate_to in KNOWN_ROLES
        assert rule.on in ("publish", "claim")
        assert len(rule.basis) <= 500


def test_new_hooks_are_the_plugins_own(plugin):
    assert {"qingdan_approval_chain", "qingdan_obligations"} <= set(plugin.implemented_hooks())


# --- chains -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", [ChangeKind.claim, ChangeKind.create, ChangeKind.suspend, ChangeKind.resume]
)
def test_the_management_department_reviews_and_publishes(plugin, settings, kind):
    c = plugin.approval_chain(kind, LICENSING, [], settings)
    assert [s.role for s in c.steps] == BASIC
    _agency, review, publish = c.steps
    assert "市政务服务和大数据管理局" in review.office and "市委编办" in review.office
    assert publish.office == "市政务服务和大数据管理局"
    assert "二(一)3" in review.basis
    assert all(s.required_attachments == () for s in c.steps)


def test_amending_ordinary_elements(plugin, settings):
    assert roles(plugin, settings, ChangeKind.amend, ["materials", "promised_limit"]) == BASIC


def test_taking_an_item_in_or_out_of_the_hall_goes_past_the_service_center(plugin, settings):
    c = plugin.approval_chain(ChangeKind.amend, LICENSING, ["in_hall"], settings)
    assert [s.role for s in c.steps] == [
        "agency_reviewer",
        "service_center",
        "reform_office",
        "data_center",
    ]
    hall = c.steps[1]
    assert "二(二)7" in hall.basis
    assert "场地限制、涉及国家秘密" in hall.basis  # 设置中的负面清单情形


def test_the_hall_step_lists_the_exclusion_reasons_from_the_settings(plugin):
    tuned = plugin.settings({"hall_exclusion_reasons": ["场地限制"]})
    hall = plugin.approval_chain(ChangeKind.amend, LICENSING, ["in_hall"], tuned).steps[1]
    assert "情形:场地限制;" in hall.basis


def test_changing_the_commitment_scheme_needs_the_justice_bureau(plugin, settings):
    c = plugin.approval_chain(ChangeKind.amend, LICENSING, ["commitment"], settings)
    assert [s.role for s in c.steps] == [
        "agency_reviewer",
        "legal_reviewer",
        "reform_office",
        "data_center",
    ]
    assert "二(四)18" in c.steps[1].basis and "法律责任" in c.steps[1].basis
    both = roles(plugin, settings, ChangeKind.amend, ["commitment", "in_hall", "materials"])
    assert both == [
        "agency_reviewer",
        "service_center",
        "legal_reviewer",
        "reform_office",
        "data_center",
    ]


def test_the_reason_for_staying_out_or_the_commitment_text_count_as_such_changes(plugin, settings):
    # The 负面清单 reason and the commitment's words are what the lists publish:
    # changing them goes past the same offices as the flags themselves.
    hall = roles(plugin, settings, ChangeKind.amend, ["hall_exclusion_reason"])
    assert hall == ["agency_reviewer", "service_center", "reform_office", "data_center"]
    for element in ("commitment_content", "commitment_liability"):
        assert roles(plugin, settings, ChangeKind.amend, [element]) == [
            "agency_reviewer",
            "legal_reviewer",
            "reform_office",
            "data_center",
        ]


def test_cancel_keeps_the_platforms_legality_review(plugin, settings):
    c = plugin.approval_chain(ChangeKind.cancel, LICENSING, [], settings)
    assert [s.role for s in c.steps] == [
        "agency_reviewer",
        "legal_reviewer",
        "reform_office",
        "data_center",
    ]
    assert c.steps[1].basis.startswith("平台默认")


def test_step_deadlines_and_escalation(plugin, settings):
    c = plugin.approval_chain(ChangeKind.cancel, LICENSING, [], settings)
    assert [s.deadline_days for s in c.steps] == [3, 5, 5, 2]
    assert [s.escalate_to for s in c.steps] == [
        "reform_office",
        "reform_office",
        "tenant_admin",
        "reform_office",
    ]


# --- obligations: 二(六)27 同源发布、同步更新 ---------------------------------------------


@pytest.mark.parametrize("kind", list(ChangeKind))
def test_halls_and_offline_guides_are_updated_the_same_day(plugin, settings, kind):
    rules = {o.kind: o for o in plugin.obligations(kind, PUBLIC, [], settings)}
    assert set(rules) == {"hall_update", "offline_guide"}
    for rule in rules.values():
        assert rule.role == "service_center"
        assert rule.working_days == 0
        assert rule.on == "publish"
        assert rule.escalate_to == "reform_office"
        assert "二(六)27" in rule.basis and "同步更新" in rule.basis


def test_nothing_is_due_on_claim(plugin, settings):
    rules = plugin.obligations(ChangeKind.claim, LICENSING, [], settings)
    assert [r for r in rules if r.on == "claim"] == []


# --- the data is checked when the plugin loads ---------------------------------------------


def test_broken_rules_data_is_refused():
    import msgspec

    from qingdan_anyang.chains import ChainSpec, Condition, StepRef, _check, load_rules

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
