"""The rulebook: approval chains and obligations interpreted from a plugin's rules data.

A made-up policy document and settings Struct; no plugin, no database.
"""

import copy
import datetime
import json
from typing import Annotated

import msgspec
import pytest
from msgspec import Meta

from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import ChangeKind, SubjectSummary
from qingdan.core.rulebook import (
    MAX_DAYS,
    Rulebook,
    RulebookError,
    Rules,
    decode_package_json,
    read_package_bytes,
    read_package_json,
)

DOCUMENT = "某某市政务服务事项管理办法"
CITATION = f"《{DOCUMENT}》"
ALL_KINDS = [k.value for k in ChangeKind]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    review_days: Annotated[int, Meta(ge=0, le=60, title="部门审核时限(工作日)")] = 5
    hall_days: Annotated[int, Meta(ge=0, le=60, title="大厅更新时限(工作日)")] = 3
    legal_review: Annotated[bool, Meta(title="须经合法性审核")] = False
    exclusions: Annotated[tuple[str, ...], Meta(title="可不进驻大厅的情形")] = ()
    round_start: Annotated[datetime.date, Meta(title="梳理开始日期")] = datetime.date(2024, 1, 1)
    round_end: Annotated[datetime.date, Meta(title="梳理截止日期")] = datetime.date(2024, 1, 12)


RULES = {
    "document": DOCUMENT,  # keys other than approval and obligations are the plugin's own
    "approval": {
        "note": "审核链按变更种类选取",
        "attachments": {
            "basis": {"label": "设定依据", "clause": "第五条", "text": "附设定依据"},
            "opinion": {"label": "合法性审核意见", "clause": "第六条"},
        },
        "steps": {
            "agency": {
                "name": "部门审核",
                "role": "agency_reviewer",
                "office": "主管部门",
                "deadline": {"setting": "review_days", "clause": "第四条"},
                "escalate_to": "reform_office",
                "escalate_clause": "第九条",
                "clause": "第四条",
                "text": "主管部门审核",
            },
            "legal": {
                "name": "合法性审核",
                "role": "legal_reviewer",
                "office": "司法局",
                "deadline": {"days": 10, "clause": "第六条"},
                "clause": "第六条",
                "text": "司法行政部门审核",
                "list_setting": "exclusions",
            },
            "sort": {
                "name": "梳理",
                "role": "reform_office",
                "office": "审改办",
                "deadline": {
                    "window": ["round_start", "round_end"],
                    "window_from_next_day": True,
                    "clause": "第七条",
                },
                "clause": "第七条",
                "text": "本级设立的事项由审改办梳理",
            },
            "publish": {
                "name": "质检发布",
                "role": "data_center",
                "office": "大数据中心",
                "deadline": {"days": 0, "platform_default": True},
                "escalate_to": "tenant_admin",
                "text": "平台默认的发布步骤",
            },
        },
        "chains": [
            {
                "kinds": ["amend"],
                "when": {"changed_none_of": ["name", "item_type"]},
                "steps": [{"step": "agency"}, {"step": "publish"}],
                "clause": "第八条",
                "text": "只调整实施要素的,部门审核后发布",
            },
            {
                "kinds": ALL_KINDS,
                "when": {"item_types": ["public_service"]},
                "steps": [{"step": "agency"}, {"step": "publish"}],
                "clause": "第三条",
                "text": "公共服务事项由部门审核",
            },
            {
                "kinds": ALL_KINDS,
                "steps": [
                    {
                        "step": "agency",
                        "attachments": [
                            {"kind": "basis"},
                            {"kind": "opinion", "when": {"setting": "legal_review"}},
                        ],
                    },
                    {"step": "legal", "when": {"setting": "legal_review"}},
                    {"step": "sort", "when": {"from_above": False}},
                    {"step": "publish"},
                ],
                "clause": "第五条",
                "text": "其他调整逐级审核",
                "note": "不进入依据",
            },
        ],
    },
    "obligations": [
        {
            "kind": "hall_update",
            "title": "大厅进驻事项更新",
            "role": "service_center",
            "deadline": {"setting": "hall_days", "clause": "第十条"},
            "on": "publish",
            "kinds": ["amend", "cancel"],
            "when": {"changed_any": ["in_hall", "materials"]},
            "escalate_to": "reform_office",
            "clause": "第十条",
            "text": "大厅同步更新",
        },
        {
            "kind": "elements_complete",
            "title": "完善要素",
            "role": "clerk",
            "deadline": {"days": 0, "clause": "第十一条"},
            "on": "claim",
            "kinds": ["claim"],
            "clause": "第十一条",
            "text": "认领当日完善要素",
        },
    ],
}

LICENSING = SubjectSummary(name="某许可", item_type=ItemType.licensing, base_code="000100")
LOCAL = SubjectSummary(
    name="本级设立的许可", item_type=ItemType.licensing, base_code="990100", from_above=False
)
PUBLIC = SubjectSummary(name="某公共服务", item_type=ItemType.public_service, base_code="000300")


@pytest.fixture
def book():
    return Rulebook(copy.deepcopy(RULES), Settings, DOCUMENT)


def names(chain):
    return [s.name for s in chain.steps]


def step(chain, name):
    (found,) = [s for s in chain.steps if s.name == name]
    return found


# --- choosing the chain ------------------------------------------------------------------------


def test_the_first_chain_whose_condition_holds_is_used(book):
    only_impl = book.approval_chain(ChangeKind.amend, LICENSING, ["materials"], Settings())
    assert names(only_impl) == ["部门审核", "质检发布"]
    assert only_impl.basis == f"{CITATION}第八条:只调整实施要素的,部门审核后发布"
    # a catalog element changed, or nothing named: the next chains
    for changed in (["name"], ["materials", "item_type"], []):
        chain = book.approval_chain(ChangeKind.amend, LICENSING, changed, Settings())
        assert chain.basis.startswith(f"{CITATION}第五条"), changed
        assert "不进入依据" not in chain.basis


def test_a_condition_on_the_item_type(book):
    chain = book.approval_chain(ChangeKind.claim, PUBLIC, [], Settings())
    assert chain.basis == f"{CITATION}第三条:公共服务事项由部门审核"
    assert book.approval_chain(ChangeKind.claim, LICENSING, [], Settings()).basis.startswith(
        f"{CITATION}第五条"
    )


def test_the_kind_may_be_given_as_its_value(book):
    assert book.approval_chain("claim", PUBLIC, [], Settings()) == book.approval_chain(
        ChangeKind.claim, PUBLIC, [], Settings()
    )


def test_conditions_on_a_setting_and_on_where_the_item_comes_from(book):
    plain = book.approval_chain(ChangeKind.create, LICENSING, [], Settings())
    assert names(plain) == ["部门审核", "质检发布"]
    legal = book.approval_chain(ChangeKind.create, LICENSING, [], Settings(legal_review=True))
    assert names(legal) == ["部门审核", "合法性审核", "质检发布"]
    local = book.approval_chain(ChangeKind.create, LOCAL, [], Settings())
    assert names(local) == ["部门审核", "梳理", "质检发布"]


def test_every_chain_step_is_typed_and_cites_its_clause(book):
    chain = book.approval_chain(ChangeKind.create, LOCAL, [], Settings(legal_review=True))
    agency = step(chain, "部门审核")
    assert (agency.role, agency.office, agency.escalate_to) == (
        "agency_reviewer",
        "主管部门",
        "reform_office",
    )
    assert agency.basis.startswith(f"{CITATION}第四条:主管部门审核;")
    assert agency.basis.endswith(";逾期告知审改机构(第九条)")
    publish = step(chain, "质检发布")
    assert publish.basis.startswith("平台默认的发布步骤;")  # no clause: no citation
    assert publish.basis.endswith("逾期告知租户管理员(平台默认)")


# --- deadlines ---------------------------------------------------------------------------------


def test_a_deadline_from_a_setting_quotes_the_settings_title(book):
    chain = book.approval_chain(ChangeKind.create, LICENSING, [], Settings(review_days=7))
    agency = step(chain, "部门审核")
    assert agency.deadline_days == 7
    assert "时限7个工作日(取自设置“部门审核时限(工作日)”,第四条)" in agency.basis


def test_a_fixed_deadline_a_platform_default_and_the_same_day(book):
    chain = book.approval_chain(ChangeKind.create, LICENSING, [], Settings(legal_review=True))
    assert step(chain, "合法性审核").deadline_days == 10
    assert "时限10个工作日(第六条)" in step(chain, "合法性审核").basis
    publish = step(chain, "质检发布")
    assert publish.deadline_days == 0
    assert "当日完成(政策文件未规定时限,为平台默认值)" in publish.basis


def test_a_deadline_window_counts_weekdays_between_two_date_settings(book):
    chain = book.approval_chain(ChangeKind.create, LOCAL, [], Settings())
    sort = step(chain, "梳理")
    # 2024-01-02 (the day after Monday 1 January) to Friday 12 January: 9 weekdays
    assert sort.deadline_days == 9
    assert "按设置“梳理开始日期”次日至“梳理截止日期”的工作日数折算,第七条" in sort.basis
    backwards = Settings(round_start=datetime.date(2024, 2, 1), round_end=datetime.date(2024, 1, 1))
    assert step(book.approval_chain("create", LOCAL, [], backwards), "梳理").deadline_days == 0


def test_deadlines_are_kept_within_what_core_accepts(book):
    chain = book.approval_chain(ChangeKind.create, LICENSING, [], Settings(review_days=9999))
    assert step(chain, "部门审核").deadline_days == MAX_DAYS


# --- attachments and listed settings -------------------------------------------------------------


def test_attachments_and_their_conditions(book):
    plain = step(book.approval_chain("create", LICENSING, [], Settings()), "部门审核")
    assert [(a.kind, a.label) for a in plain.required_attachments] == [("basis", "设定依据")]
    assert "须附设定依据(第五条)" in plain.basis
    legal = step(
        book.approval_chain("create", LICENSING, [], Settings(legal_review=True)), "部门审核"
    )
    assert [a.kind for a in legal.required_attachments] == ["basis", "opinion"]
    assert "须附合法性审核意见(第六条)" in legal.basis


def test_a_list_setting_is_named_in_the_basis(book):
    def legal_basis(exclusions):
        settings = Settings(legal_review=True, exclusions=exclusions)
        return step(book.approval_chain("create", LICENSING, [], settings), "合法性审核").basis

    assert "可不进驻大厅的情形:无" in legal_basis(())
    assert "可不进驻大厅的情形:涉密事项、场地受限" in legal_basis(("涉密事项", "场地受限"))


# --- obligations ---------------------------------------------------------------------------------


def test_obligations_by_kind_and_changed_elements(book):
    (hall,) = book.obligations(ChangeKind.amend, LICENSING, ["in_hall"], Settings(hall_days=4))
    assert (hall.kind, hall.title, hall.role, hall.on) == (
        "hall_update",
        "大厅进驻事项更新",
        "service_center",
        "publish",
    )
    assert hall.working_days == 4
    assert hall.escalate_to == "reform_office"
    assert hall.basis == (
        f"{CITATION}第十条:大厅同步更新;时限4个工作日(取自设置“大厅更新时限(工作日)”,第十条);"
        "逾期告知审改机构(平台默认)"
    )
    assert book.obligations(ChangeKind.amend, LICENSING, ["name"], Settings()) == []
    assert book.obligations(ChangeKind.suspend, LICENSING, ["in_hall"], Settings()) == []
    (complete,) = book.obligations("claim", LICENSING, [], Settings())
    assert (complete.kind, complete.on, complete.working_days) == ("elements_complete", "claim", 0)
    assert complete.escalate_to is None
    assert complete.basis == f"{CITATION}第十一条:认领当日完善要素;当日完成(第十一条)"


# --- constructing ------------------------------------------------------------------------------


def test_the_data_may_be_given_as_json_and_the_citation_chosen():
    as_bytes = Rulebook(json.dumps(RULES).encode(), Settings, DOCUMENT)
    as_text = Rulebook(json.dumps(RULES), Settings, DOCUMENT)
    as_dict = Rulebook(copy.deepcopy(RULES), Settings, DOCUMENT)
    for book in (as_bytes, as_text):
        assert book.load() == as_dict.load()
    numbered = Rulebook(RULES, Settings, DOCUMENT, citation=f"{CITATION}(某政发〔2024〕1号)")
    chain = numbered.approval_chain("claim", PUBLIC, [], Settings())
    assert chain.basis.startswith(f"{CITATION}(某政发〔2024〕1号)第三条:")


def test_load_gives_the_checked_rules_once(book):
    rules = book.load()
    assert isinstance(rules, Rules)
    assert rules.note == "审核链按变更种类选取"
    assert set(rules.steps) == {"agency", "legal", "sort", "publish"}
    assert book.load() is rules
    book.check(rules)


# --- broken data is refused, naming what is wrong ------------------------------------------------


def _broken(change):
    data = copy.deepcopy(RULES)
    change(data)
    return data


def _set(path, value):
    def change(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        target[last] = value

    return change


BROKEN = {
    "unknown step": (
        _set(("approval", "chains", 2, "steps", 0, "step"), "nope"),
        "审核链 2: 步骤 nope 不存在",
    ),
    "unknown attachment": (
        _set(("approval", "chains", 2, "steps", 0, "attachments", 0, "kind"), "nope"),
        "审核链 2: 附件 nope 不存在",
    ),
    "unknown element": (
        _set(("approval", "chains", 0, "when", "changed_none_of"), ["name", "no_such_element"]),
        "审核链 0: 要素 ['no_such_element'] 不存在",
    ),
    "unknown setting": (
        _set(("approval", "chains", 2, "steps", 1, "when", "setting"), "nope"),
        "审核链 2 的步骤 legal: 设置项 nope 不存在或类型不符",
    ),
    "condition on a setting that is not a flag": (
        _set(("obligations", 0, "when"), {"setting": "review_days"}),
        "后续义务 hall_update: 设置项 review_days 不存在或类型不符",
    ),
    "deadline from a setting that is not a number": (
        _set(("approval", "steps", "agency", "deadline", "setting"), "legal_review"),
        "步骤 agency: 设置项 legal_review 不存在或类型不符",
    ),
    "window of settings that are not dates": (
        _set(("approval", "steps", "sort", "deadline", "window"), ["review_days", "round_end"]),
        "步骤 sort: 设置项 review_days 不存在或类型不符",
    ),
    "list setting that is not a list": (
        _set(("approval", "steps", "legal", "list_setting"), "hall_days"),
        "步骤 legal: 设置项 hall_days 不存在或类型不符",
    ),
    "two deadlines": (
        _set(("approval", "steps", "legal", "deadline", "setting"), "review_days"),
        "步骤 legal: 时限须且只须给出 days、setting、window 之一",
    ),
    "deadline without a source": (
        _set(("obligations", 1, "deadline"), {"days": 1}),
        "后续义务 elements_complete: 时限没有出处",
    ),
    "deadline too long": (
        _set(("approval", "steps", "legal", "deadline", "days"), 400),
        "步骤 legal: 时限 400 超出范围",
    ),
    "chain that may be empty": (
        _set(
            ("approval", "chains", 1, "steps"),
            [{"step": "agency", "when": {"setting": "legal_review"}}],
        ),
        "审核链 1 没有无条件的步骤,可能为空",
    ),
    "kind without an unconditional chain": (
        _set(("approval", "chains", 2, "kinds"), ["claim", "create", "amend"]),
        "变更种类 suspend 没有无条件的审核链",
    ),
    "misspelt field": (
        _set(("approval", "steps", "agency", "clasue"), "第四条"),
        "Object contains unknown field `clasue` - at `approval.steps.agency`",
    ),
    "unknown role": (
        _set(("obligations", 0, "role"), "mayor"),
        "Invalid enum value 'mayor' - at `obligations[0].role`",
    ),
    "section of the wrong type": (
        _set(("obligations",), {"kind": "x"}),
        "- at `obligations`",
    ),
    "missing section": (lambda data: data.pop("obligations"), "缺少 obligations"),
}


@pytest.mark.parametrize(("change", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_broken_rules_are_refused_with_a_message_naming_the_problem(change, message):
    book = Rulebook(_broken(change), Settings, DOCUMENT)  # nothing is read yet
    with pytest.raises(RulebookError) as caught:
        book.approval_chain(ChangeKind.claim, LICENSING, [], Settings())
    assert str(caught.value).startswith(f"{DOCUMENT} 的审核链数据有误:")
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_every_problem_is_named_at_once():
    def change(data):
        data["approval"]["chains"][2]["steps"][0]["step"] = "nope"
        data["obligations"][0]["deadline"] = {"days": 3}

    with pytest.raises(RulebookError, match="步骤 nope 不存在;后续义务 hall_update: 时限没有出处"):
        Rulebook(_broken(change), Settings, DOCUMENT).load()


def test_check_refuses_rules_changed_after_loading(book):
    rules = book.load()
    without_generic = msgspec.structs.replace(rules, chains=rules.chains[:2])
    with pytest.raises(RulebookError, match="变更种类 claim 没有无条件的审核链"):
        book.check(without_generic)


def test_data_that_is_not_json_is_refused():
    with pytest.raises(RulebookError, match="不是有效的 JSON"):
        Rulebook(b"{not json", Settings, DOCUMENT).load()
    with pytest.raises(RulebookError, match="应为对象"):
        Rulebook(b"[]", Settings, DOCUMENT).load()


# --- reading a package's data files -----------------------------------------------------------


def test_reading_json_from_a_package(tmp_path, monkeypatch):
    package = tmp_path / "qingdan_rulebook_sample"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data" / "rules.json").write_text(json.dumps(RULES, ensure_ascii=False), "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    name = "qingdan_rulebook_sample"
    assert json.loads(read_package_bytes(name, "rules")) == RULES
    first = read_package_json(name, "rules")
    assert first == RULES
    first["approval"].clear()  # each call returns its own copy
    assert read_package_json(name, "rules") == RULES

    class Head(msgspec.Struct):
        document: str

    assert decode_package_json(name, "rules", Head) == Head(document=DOCUMENT)
    book = Rulebook(read_package_json(name, "rules"), Settings, DOCUMENT)
    assert names(book.approval_chain("claim", PUBLIC, [], Settings())) == ["部门审核", "质检发布"]
