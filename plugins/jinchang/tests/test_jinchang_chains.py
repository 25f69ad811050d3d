"""金昌市插件的审核链与后续义务:逐条核对《金昌市政务服务事项动态调整管理办法》。

纯函数测试,不用数据库:经入口点加载插件,直接调用核心的类型化访问器。
"""

import pytest

from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import ChangeKind, SubjectSummary
from qingdan.core.plugins import get_registry
from qingdan.core.tenancy.schemas import Role

NAME = "jinchang"
DOCUMENT = "金昌市政务服务事项动态调整管理办法"
KNOWN_ROLES = {r.value for r in Role}

LICENSING = SubjectSummary(name="食品经营许可", item_type=ItemType.licensing, base_code="000120")
LOCAL = SubjectSummary(
    name="地方性法规设立的事项", item_type=ItemType.licensing, base_code="620300", from_above=False
)
PUBLIC = SubjectSummary(name="公共服务", item_type=ItemType.public_service, base_code="000300")


@pytest.fixture(scope="module")
def plugin():
    return get_registry().get(NAME)


@pytest.fixture(scope="module")
def settings(plugin):
    return plugin.settings({})


def chain(plugin, settings, kind, changed=(), subject=LICENSING):
    return plugin.approval_chain(kind, subject, list(changed), settings)


def roles(c):
    return [s.role for s in c.steps]


def attachments(step):
    return [a.kind for a in step.required_attachments]


def step_of(c, role):
    (step,) = [s for s in c.steps if s.role == role]
    return step


def obligations(plugin, settings, kind, changed=(), subject=LICENSING):
    return {o.kind: o for o in plugin.obligations(kind, subject, list(changed), settings)}


# --- every kind has a sound chain ------------------------------------------------------


@pytest.mark.parametrize("subject", [LICENSING, LOCAL, PUBLIC], ids=["licensing", "local", "ps"])
@pytest.mark.parametrize("changed", [[], ["materials"], ["name"]], ids=["none", "impl", "catalog"])
@pytest.mark.parametrize("kind", list(ChangeKind))
def test_every_kind_gives_a_valid_chain(plugin, settings, kind, changed, subject):
    c = plugin.approval_chain(kind, subject, changed, settings)
    assert c.steps
    assert DOCUMENT in c.basis
    # 审核员先审(第四条、第六条),市大数据中心最后质检发布(第六条)
    assert c.steps[0].role == "agency_reviewer"
    assert c.steps[-1].role == "data_center"
    assert "reform_office" in roles(c)  # 第五条:审改机构审核报送的事项
    for step in c.steps:
        assert step.role in KNOWN_ROLES
        assert 0 <= step.deadline_days <= 365
        assert step.escalate_to is None or step.escalate_to in KNOWN_ROLES
        assert step.office and step.name
        assert DOCUMENT in step.basis and "条" in step.basis
        assert len(step.basis) <= 500  # core keeps 500 characters
        for att in step.required_attachments:
            assert att.kind and att.label
    for rule in plugin.obligations(kind, subject, changed, settings):
        assert rule.role in KNOWN_ROLES
        assert rule.on in ("publish", "claim")
        assert rule.escalate_to in KNOWN_ROLES
        assert DOCUMENT in rule.basis and len(rule.basis) <= 500


def test_new_hooks_are_the_plugins_own(plugin):
    hooks = set(plugin.implemented_hooks())
    assert {"qingdan_approval_chain", "qingdan_obligations"} <= hooks


# --- 第十二条:取消 ---------------------------------------------------------------------


def test_cancel_goes_through_consent_legality_formal_document_and_publishing(plugin, settings):
    c = chain(plugin, settings, ChangeKind.cancel)
    # 省级业务部门同意 → 司法行政部门合法性审核 → 正式文件报审改机构 → 按平台流程取消
    assert roles(c) == ["agency_reviewer", "legal_reviewer", "reform_office", "data_center"]
    assert "第十二条" in c.basis
    agency, legal, reform, publish = c.steps
    assert attachments(agency) == ["provincial_consent"]
    assert agency.required_attachments[0].label == "省级业务部门同意意见"
    assert attachments(legal) == []
    assert attachments(reform) == ["formal_document"]
    assert attachments(publish) == []
    assert legal.office == "司法行政部门"
    assert "取消依据合法性审核" in legal.basis
    assert "正式文件" in reform.basis and "第十二条" in reform.basis


def test_cancel_chain_does_not_depend_on_changed_elements(plugin, settings):
    assert chain(plugin, settings, ChangeKind.cancel, ["materials"]) == chain(
        plugin, settings, ChangeKind.cancel
    )


# --- 第十一条与第十五条:调整、变更 ----------------------------------------------------


@pytest.mark.parametrize(
    ("changed", "legality"),
    [([], False), (["name"], False), (["levels", "materials"], True), (["legal_basis"], True)],
)
def test_amending_the_item_itself_needs_provincial_consent(plugin, settings, changed, legality):
    c = chain(plugin, settings, ChangeKind.amend, changed)
    legal = ["legal_reviewer"] if legality else []
    assert roles(c) == ["agency_reviewer", *legal, "reform_office", "data_center"]
    assert "第十一条" in c.basis
    assert attachments(c.steps[0]) == ["provincial_consent"]
    assert "省级业务部门同意意见" in c.steps[0].basis
    assert all(attachments(s) == [] for s in c.steps[1:])


def test_items_from_above_and_local_items_follow_the_same_route(plugin, settings):
    from_above = chain(plugin, settings, ChangeKind.amend, ["item_type"], LICENSING)
    local = chain(plugin, settings, ChangeKind.amend, ["item_type"], LOCAL)
    assert from_above == local


@pytest.mark.parametrize(
    ("changed", "legality"),
    [
        (["promised_limit", "process", "faq"], False),
        (["materials"], True),
        (["promised_limit", "process", "fees"], True),
    ],
)
def test_amending_only_the_implementation_list_goes_to_reform_office(
    plugin, settings, changed, legality
):
    # 第十五条:实施清单的调整按审核流程报同级审改部门审核,不需省级业务部门同意
    c = chain(plugin, settings, ChangeKind.amend, changed)
    legal = ["legal_reviewer"] if legality else []
    assert roles(c) == ["agency_reviewer", *legal, "reform_office", "data_center"]
    assert "第十五条" in c.basis
    assert all(attachments(s) == [] for s in c.steps)


@pytest.mark.parametrize(
    "element",
    [
        "legal_basis",
        "power_source",
        "entrusting_agency",
        "acceptance_conditions",
        "prohibitions",
        "legal_remedy",
        "statutory_limit",
        "materials",
        "charged",
        "fees",
        "commitment_content",
        "commitment_liability",
    ],
)
def test_a_change_with_legal_effect_passes_the_legality_review(plugin, settings, element):
    # 第五条第二款:司法行政部门负责对实施清单进行合法性审核。变更有法律效果的要素时,
    # 司法行政部门在实施机构之后、审改机构之前审核;新增事项一律审核。
    for c in (
        chain(plugin, settings, ChangeKind.amend, [element]),
        chain(plugin, settings, ChangeKind.amend, ["promised_limit", element]),
        chain(plugin, settings, ChangeKind.create, subject=LOCAL),
    ):
        assert roles(c)[:2] == ["agency_reviewer", "legal_reviewer"]
        legal = step_of(c, "legal_reviewer")
        assert legal.office == "司法行政部门" and "第五条" in legal.basis
        assert "实施清单进行合法性审核" in legal.basis


@pytest.mark.parametrize("kind", [ChangeKind.suspend, ChangeKind.resume])
def test_suspend_and_resume_are_adjustments_under_article_11(plugin, settings, kind):
    c = chain(plugin, settings, kind)
    assert roles(c) == ["agency_reviewer", "reform_office", "data_center"]
    assert "第十一条" in c.basis
    assert attachments(c.steps[0]) == ["provincial_consent"]


# --- 第九条、第十条:认领、新增 -----------------------------------------------------------


def test_claim_chain(plugin, settings):
    c = chain(plugin, settings, ChangeKind.claim)
    assert roles(c) == ["agency_reviewer", "reform_office", "data_center"]
    assert all(attachments(s) == [] for s in c.steps)
    assert "第九条" in c.basis


def test_creating_a_local_item_needs_the_provincial_catalog(plugin, settings):
    local = chain(plugin, settings, ChangeKind.create, subject=LOCAL)
    assert roles(local) == ["agency_reviewer", "legal_reviewer", "reform_office", "data_center"]
    assert attachments(local.steps[0]) == ["provincial_catalog"]
    assert "第十条" in local.basis and "不得擅自增加" in local.basis
    from_above = chain(plugin, settings, ChangeKind.create, subject=LICENSING)
    assert attachments(from_above.steps[0]) == []


# --- deadlines and escalation ------------------------------------------------------------


def test_step_deadlines_are_platform_defaults_and_say_so(plugin, settings):
    c = chain(plugin, settings, ChangeKind.cancel)
    assert [s.deadline_days for s in c.steps] == [3, 5, 5, 2]
    for step in c.steps:
        assert "平台默认" in step.basis


def test_overdue_steps_are_escalated(plugin, settings):
    c = chain(plugin, settings, ChangeKind.cancel)
    agency, legal, reform, publish = c.steps
    assert agency.escalate_to == "reform_office"  # 第五条:审改机构负责动态管理
    assert legal.escalate_to == "reform_office"
    assert reform.escalate_to == "tenant_admin"
    assert publish.escalate_to == "reform_office"
    assert "逾期告知审改机构(第五条)" in agency.basis


# --- obligations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", [ChangeKind.cancel, ChangeKind.amend, ChangeKind.suspend, ChangeKind.resume]
)
def test_hall_entries_are_updated_within_5_working_days(plugin, settings, kind):
    hall = obligations(plugin, settings, kind)["hall_update"]
    assert hall.role == "service_center"
    assert hall.working_days == 5
    assert hall.on == "publish"
    assert hall.escalate_to == "data_center"  # 第十八条:市大数据中心督查督办
    assert "第十二条" in hall.basis and "第十八条" in hall.basis


@pytest.mark.parametrize("kind", [ChangeKind.amend, ChangeKind.claim, ChangeKind.create])
def test_offline_guides_are_updated_within_10_working_days(plugin, settings, kind):
    guide = obligations(plugin, settings, kind)["offline_guide"]
    assert guide.role == "service_center"
    assert guide.working_days == 10
    assert guide.on == "publish"
    assert "第十六条" in guide.basis


def test_which_kinds_leave_which_obligations(plugin, settings):
    def kinds(kind):
        return set(obligations(plugin, settings, kind))

    assert kinds(ChangeKind.cancel) == {"hall_update"}
    assert kinds(ChangeKind.suspend) == {"hall_update"}
    assert kinds(ChangeKind.resume) == {"hall_update"}
    assert kinds(ChangeKind.amend) == {"hall_update", "offline_guide"}
    assert kinds(ChangeKind.create) == {"offline_guide"}
    assert kinds(ChangeKind.claim) == {"offline_guide", "elements_complete"}


def test_claim_leaves_same_day_element_completion_to_the_clerk(plugin, settings):
    rule = obligations(plugin, settings, ChangeKind.claim)["elements_complete"]
    assert rule.role == "clerk"
    assert rule.working_days == 0  # 第十四条:当日完成
    assert rule.on == "claim"
    assert rule.escalate_to == "reform_office"
    assert "第十四条" in rule.basis and "当日完成" in rule.basis


def test_obligation_deadlines_follow_the_settings(plugin):
    tuned = plugin.settings(
        {"hall_update_days": 3, "guide_update_days": 7, "claim_completion_days": 1}
    )
    assert obligations(plugin, tuned, ChangeKind.cancel)["hall_update"].working_days == 3
    amend = obligations(plugin, tuned, ChangeKind.amend)
    assert amend["hall_update"].working_days == 3
    assert amend["offline_guide"].working_days == 7
    assert obligations(plugin, tuned, ChangeKind.claim)["elements_complete"].working_days == 1
    assert "大厅进驻事项调整更新时限" in amend["hall_update"].basis


def test_the_rules_data_cites_its_clauses():
    from qingdan_jinchang.chains import load_rules

    rules = load_rules()
    for key, step in rules.steps.items():
        assert step.clause.startswith("第"), key
    for key, att in rules.attachments.items():
        assert att.clause.startswith("第") and att.text, key
    for spec in rules.chains:
        assert spec.clause.startswith("第") and spec.text
    for spec in rules.obligations:
        assert spec.clause.startswith("第") and spec.deadline.setting


# --- the data is checked when the plugin loads ---------------------------------------------


def test_broken_rules_data_is_refused():
    import msgspec

    from qingdan_jinchang.chains import ChainSpec, Condition, StepRef, _check, load_rules

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
