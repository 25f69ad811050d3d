"""The element schema accepts a complete document and names what is wrong in Chinese."""

import copy

import pytest

from qingdan.core.catalog.elements import ELEMENT_GROUPS, ElementDocument
from qingdan.core.catalog.validation import (
    ElementValidationError,
    dump_document,
    element_title,
    validate_document,
)

COMPLETE = {
    "name": "食品经营许可",
    "base_code": "000117006",
    "impl_code": "",
    "handling_item": "01",
    "handling_item_name": "食品经营许可(新办)",
    "item_type": "licensing",
    "levels": ["municipal", "county"],
    "agency_name": "某市市场监督管理局",
    "agency_uscc": "91350100M000100Y43",
    "agency_nature": "statutory",
    "power_source": "own",
    "co_agencies": [],
    "legal_basis": [
        {
            "law_name": "中华人民共和国食品安全法",
            "document_number": "",
            "article": "第三十五条",
        }
    ],
    "acceptance_conditions": "具有与经营的食品品种、数量相适应的经营场所。",
    "legal_remedy": "对许可决定不服的,可依法申请行政复议或提起行政诉讼。",
    "statutory_limit": {"value": 20, "unit": "working_day", "note": ""},
    "promised_limit": {"value": 5, "unit": "working_day"},
    "case_type": "promised",
    "channels": ["counter", "online_pc", "online_mobile"],
    "visits": 0,
    "online_depth": "IV",
    "online_url": "https://example.invalid/apply",
    "in_hall": True,
    "appointment": True,
    "courier": True,
    "online_payment": False,
    "kiosk": False,
    "cross_area": "province",
    "commitment": True,
    "materials": [
        {
            "name": "食品经营许可申请书",
            "type": "form",
            "form": "either",
            "necessity": "required",
            "source": "applicant",
            "copies": 1,
            "paper_size": "A4",
            "basis": "《食品经营许可和备案管理办法》",
            "blank_form": "blank.pdf",
            "sample": "sample.pdf",
        },
        {
            "name": "营业执照",
            "type": "copy",
            "necessity": "deferrable",
            "source": "e_licence",
        },
    ],
    "charged": False,
    "fees": [],
    "process": [
        {"name": "受理", "actor": "窗口人员", "standard": "材料齐全", "time_limit": "即时"},
        {"name": "审查", "actor": "审查人员", "time_limit": "3个工作日"},
        {"name": "决定", "actor": "分管负责人", "time_limit": "2个工作日"},
    ],
    "special_steps": [
        {
            "name": "现场核查",
            "time_limit": {"value": 5, "unit": "working_day"},
            "basis": "《食品经营许可和备案管理办法》",
            "counted_in_limit": False,
        }
    ],
    "intermediary_services": [],
    "result": {"name": "食品经营许可证", "type": "licence", "sample": "licence.pdf"},
    "locations": [{"name": "政务服务中心", "address": "某路1号", "hours": "工作日9:00-17:00"}],
    "consultation": [{"kind": "phone", "value": "0000-1234567"}],
    "complaints": [{"kind": "phone", "value": "12345"}],
    "faq": [{"question": "可以网上办理吗?", "answer": "可以,全程网办。"}],
    "audience": ["enterprise", "natural_person"],
    "themes": ["catering"],
    "keywords": ["开饭店", "餐饮"],
}


def test_complete_document_is_accepted_and_round_trips():
    doc = validate_document(COMPLETE)
    assert isinstance(doc, ElementDocument)
    assert doc.materials[1].necessity.label == "容缺后补"
    dumped = dump_document(doc)
    assert set(dumped) == set(ElementDocument.__struct_fields__)
    assert validate_document(dumped) == doc


def test_element_groups_cover_every_element_once():
    listed = [name for _, names in ELEMENT_GROUPS for name in names]
    assert sorted(listed) == sorted(ElementDocument.__struct_fields__)


def _bad(**changes):
    doc = copy.deepcopy(COMPLETE)
    for path, value in changes.items():
        target = doc
        *parents, last = path.split("__")
        for p in parents:
            target = target[int(p)] if p.isdigit() else target[p]
        if value is KeyError:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "element", "message"),
    [
        (_bad(name=KeyError), "事项名称", "必须填写"),
        (_bad(name=""), "事项名称", "不能为空"),
        (_bad(item_type="许可"), "事项类型", "不在允许范围内"),
        (_bad(levels=["municipal", "city"]), "行使层级第2行", "不在允许范围内"),
        (_bad(materials__0__copies="两份"), "申请材料第1行 › 份数", "应为整数"),
        (_bad(materials__1__name=KeyError), "申请材料第2行 › 材料名称", "必须填写"),
        (_bad(materials__0__necessity="maybe"), "申请材料第1行 › 必要性", "容缺后补"),
        (_bad(statutory_limit__value=-1), "法定办结时限 › 时限", "不能小于0"),
        (_bad(legal_basis__0__law_name=""), "设定依据第1行 › 法律法规名称", "不能为空"),
        (_bad(process__1__name=KeyError), "办理流程第2行 › 环节名称", "必须填写"),
        (_bad(online_depth="V"), "网上办理深度", "四级(全程网办)"),
        (_bad(handling_item="1"), "业务办理项编码", "格式不正确"),
        (_bad(faq__0__answer=""), "常见问题第1行 › 解答", "不能为空"),
        (_bad(result__type="证书"), "审批结果 › 审批结果类型", "不在允许范围内"),
        (_bad(in_hall="是"), "是否进驻政务大厅", "应为是/否"),
        (_bad(visits=11, visits_reason="x"), "到办事现场次数", "不能大于10"),
        (_bad(name="名" * 301), "事项名称", "不能超过300个字"),
        (_bad(materials__0__colour="红"), "申请材料第1行", "未知的要素“colour”"),
    ],
)
def test_bad_documents_name_the_element_in_chinese(doc, element, message):
    with pytest.raises(ElementValidationError) as info:
        validate_document(doc)
    (error,) = info.value.errors
    assert error.element == element
    assert message in error.message
    assert str(info.value).startswith(element)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (_bad(visits=2), "必须现场办理原因"),
        (_bad(fees=[{"item": "工本费"}]), "是否收费"),
        (_bad(case_type="instant"), "即办件"),
        (_bad(levels=["county", "county"]), "行使层级有重复"),
    ],
)
def test_cross_element_rules(doc, message):
    with pytest.raises(ElementValidationError, match=message):
        validate_document(doc)


def test_invalid_json_text_is_refused_in_chinese():
    with pytest.raises(ElementValidationError, match="不是有效的JSON"):
        validate_document(b"{not json")


def test_titles_of_nested_paths():
    assert (
        element_title("special_steps[0].time_limit.unit")
        == "特殊环节第1行 › 特殊环节时限 › 时限单位"
    )


def test_missing_required_elements_are_named_and_free_items_need_no_fee_rows():
    from qingdan.core.catalog.requirements import missing_elements
    from qingdan.core.hooktypes import ElementRequirements

    reqs = ElementRequirements(required=("faq", "fees", "promised_limit", "result", "process"))
    doc = validate_document(_bad(faq=[], result={"name": ""}))
    assert missing_elements(doc, reqs) == ["审批结果", "常见问题"]
    charged = validate_document(_bad(charged=True, fees=[]))
    assert missing_elements(charged, reqs) == ["收费项目"]
    instant = validate_document(_bad(case_type="instant", promised_limit={"value": 0}))
    assert "承诺办结时限" not in missing_elements(instant, reqs)
    unset = validate_document(_bad(promised_limit={"value": 0}))
    assert "承诺办结时限" in missing_elements(unset, reqs)
