"""Reviewers see what changed between two versions, element by element and row by row."""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from msgspec import inspect as mi

from qingdan.core.catalog.diff import ROW_KEYS, DocumentDiff, diff_documents
from qingdan.core.catalog.elements import ELEMENT_GROUPS, ElementDocument
from qingdan.core.catalog.validation import dump_document, validate_document
from qingdan.core.catalog.vocab import Vocab

# COMPLETE lives beside this file; import it by path so the two tests share one example.
sys.path.insert(0, str(Path(__file__).parent))
from test_elements import COMPLETE

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


def doc(**changes: Any) -> ElementDocument:
    data = copy.deepcopy(COMPLETE)
    data.update(changes)
    return validate_document(data)


BASE = doc()

# COMPLETE with every element filled and every list holding rows, so that each
# element has something to mutate (a None or an empty list gives the generic
# mutations below nothing to work from).
FULL = doc(
    impl_code="11350100M000100Y4300000000100001",
    co_agencies=["某市卫生健康委员会", "某市消防救援支队"],
    entrusting_agency="某省市场监督管理局",
    prohibitions="不得要求申请人提供与许可无关的材料。",
    visits=1,
    visits_reason="需现场核验原件",
    mobile_url="https://example.invalid/m",
    charged=True,
    fees=[
        {"item": "工本费", "standard": "10元/本", "basis": "某价费字〔2020〕1号"},
        {"item": "检测费", "standard": "按次收取"},
    ],
    intermediary_services=[
        {"name": "场所检测", "provider": "某检测公司", "charged": True},
        {"name": "图纸审查", "basis": "某规定"},
    ],
    legal_basis=[
        {
            "law_name": "中华人民共和国食品安全法",
            "article": "第三十五条",
            "text": "国家对食品生产经营实行许可制度。",
        },
        {"law_name": "食品经营许可和备案管理办法", "article": "第十条"},
    ],
    locations=[
        {
            "name": "政务服务中心",
            "address": "某路1号",
            "hours": "工作日9:00-17:00",
            "phone": "1",
            "traffic": "1路",
        },
        {"name": "分中心", "address": "某路2号"},
    ],
    consultation=[
        {"kind": "phone", "value": "0000-1234567"},
        {"kind": "website", "value": "https://example.invalid"},
    ],
    complaints=[
        {"kind": "phone", "value": "12345"},
        {"kind": "email", "value": "ts@example.invalid"},
    ],
    faq=[
        {"question": "可以网上办理吗?", "answer": "可以,全程网办。"},
        {"question": "需要多久?", "answer": "5个工作日。"},
    ],
    statutory_limit={"value": 20, "unit": "working_day", "note": "不含现场核查"},
    service_kind="guide",
    themes=["catering", "startup"],
)


# ---------------------------------------------------------------- generic mutations


def _mutations(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every small change of ``value`` we can think of, each with a description.

    Some break a rule of the schema (a pattern, a cross-element rule); the
    caller drops those. The goal is that each element, and each field of each
    row, gets changed at least once.
    """
    if isinstance(value, bool):
        yield path, not value
    elif isinstance(value, int):
        yield path, value + 1
    elif isinstance(value, Vocab):
        for member in type(value):
            if member != value:
                yield f"{path}={member.value}", member
        yield f"{path}=None", None
    elif isinstance(value, str):
        yield path, (value + "改") if value else "新内容"
        if value != "99":
            yield f"{path}=99", "99"  # for pattern-bound codes like handling_item
    elif isinstance(value, list):
        if value:
            yield f"{path}: last removed", value[:-1]
            for sub_path, mutated in _mutations(value[-1], f"{path}[-1]"):
                yield f"{sub_path} appended", [*value, mutated]
        if len(value) > 1:
            yield f"{path}: reversed", value[::-1]
        for i, item in enumerate(value):
            for sub_path, mutated in _mutations(item, f"{path}[{i}]"):
                yield sub_path, [*value[:i], mutated, *value[i + 1 :]]
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            for sub_path, mutated in _mutations(getattr(value, name), f"{path}.{name}"):
                yield sub_path, msgspec.structs.replace(value, **{name: mutated})


def _valid_mutations(base: ElementDocument) -> Iterator[tuple[str, str, ElementDocument]]:
    for name in ElementDocument.__struct_fields__:
        for path, value in _mutations(getattr(base, name), name):
            try:
                # Round trip through a dict so the schema's rules run on the result.
                mutated = validate_document(
                    dump_document(msgspec.structs.replace(base, **{name: value}))
                )
            except ValueError:
                continue
            if mutated != base:
                yield name, path, mutated


def _assert_readable(diff: DocumentDiff) -> None:
    """Each reported change shows a difference; nothing is reported as "changed" to itself."""
    for change in diff.changes:
        if change.shape == "rows":
            assert change.rows, change
            for row in change.rows:
                assert row.fields or row.kind == "moved", row
                assert all(f.before != f.after for f in row.fields), row
        elif change.shape == "record":
            assert change.fields and change.before != change.after, change
        else:
            assert change.before != change.after, change


def test_every_element_and_every_row_field_is_reported_when_it_alone_changes():
    covered: set[str] = set()
    checked = 0
    for base in (FULL, BASE):
        for name, path, mutated in _valid_mutations(base):
            forward = diff_documents(base, mutated)
            assert forward.changed_elements == [name], path
            backward = diff_documents(mutated, base)
            assert backward.changed_elements == [name], path
            _assert_readable(forward)
            _assert_readable(backward)
            covered.add(name)
            checked += 1
    assert covered == set(ElementDocument.__struct_fields__)
    assert checked > 200  # rows' fields were reached too, not only top-level elements


def test_identical_documents_give_an_empty_diff():
    for d in (BASE, FULL):
        diff = diff_documents(d, validate_document(dump_document(d)))
        assert diff.is_empty
        assert diff.changes == ()
        assert diff.changed_elements == []
        assert diff.summary == "无变化"
        assert diff.by_group() == []


def test_every_list_of_rows_has_a_natural_key():
    rows = set()
    for field in mi.type_info(ElementDocument).fields:
        t = field.type
        while isinstance(t, mi.Metadata):
            t = t.type
        if isinstance(t, mi.ListType) and isinstance(t.item_type, mi.StructType):
            rows.add(field.name)
    assert rows == set(ROW_KEYS)


# ------------------------------------------------------------------------ materials


def _material(name: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, **fields}


def _row(diff: DocumentDiff, element: str, key: str):
    change = diff.get(element)
    assert change is not None, diff.changed_elements
    matches = [r for r in change.rows if r.key == key]
    assert len(matches) == 1, change.rows
    return matches[0]


def test_materials_added_removed_and_changed_rows():
    old = BASE
    materials = copy.deepcopy(COMPLETE["materials"])
    materials[0].update(copies=2, necessity="deferrable")
    del materials[1]  # 营业执照
    materials.append(_material("法定代表人身份证明", type="original", source="applicant"))
    diff = diff_documents(old, doc(materials=materials))

    assert diff.changed_elements == ["materials"]
    change = diff.get("materials")
    assert change is not None and change.kind == "changed"
    assert sorted(r.kind for r in change.rows) == ["added", "changed", "removed"]

    changed = _row(diff, "materials", "食品经营许可申请书")
    assert (changed.kind, changed.before_index, changed.after_index) == ("changed", 1, 1)
    fields = {f.field: (f.title, f.before, f.after) for f in changed.fields}
    assert fields == {"copies": ("份数", "1", "2"), "necessity": ("必要性", "必要", "容缺后补")}

    removed = _row(diff, "materials", "营业执照")
    assert (removed.kind, removed.before_index, removed.after_index) == ("removed", 2, None)
    assert ("材料类型", "复印件", "") in {(f.title, f.before, f.after) for f in removed.fields}

    added = _row(diff, "materials", "法定代表人身份证明")
    assert (added.kind, added.before_index, added.after_index) == ("added", None, 2)
    assert {(f.title, f.after) for f in added.fields} >= {
        ("来源渠道", "申请人自备"),
        ("必要性", "必要"),
    }

    assert diff.summary == "修改了 申请材料(新增1行、删除1行、修改1行)"


def test_a_renamed_but_similar_material_is_one_changed_row():
    materials = copy.deepcopy(COMPLETE["materials"])
    materials[0]["name"] = "食品经营许可申请表"
    diff = diff_documents(BASE, doc(materials=materials))
    (row,) = diff.get("materials").rows
    assert row.kind == "changed"
    assert row.key == "食品经营许可申请表"
    assert [(f.field, f.before, f.after) for f in row.fields] == [
        ("name", "食品经营许可申请书", "食品经营许可申请表")
    ]


def test_an_unrelated_material_replacing_another_is_a_removal_and_an_addition():
    old = doc(materials=[_material("身份证"), _material("营业执照")])
    new = doc(materials=[_material("户口本"), _material("营业执照")])
    rows = diff_documents(old, new).get("materials").rows
    assert [(r.kind, r.key) for r in rows] == [("removed", "身份证"), ("added", "户口本")]


ABC = [_material("甲表"), _material("乙证明"), _material("丙执照")]


def test_a_reordering_is_reported_as_moved():
    old = doc(materials=ABC)
    new = doc(materials=[ABC[2], ABC[0], ABC[1]])
    diff = diff_documents(old, new)
    (row,) = diff.get("materials").rows
    assert (row.kind, row.key, row.before_index, row.after_index) == ("moved", "丙执照", 3, 1)
    assert row.fields == () and row.moved
    assert diff.summary == "修改了 申请材料(移动1行)"


def test_a_row_inserted_or_removed_above_does_not_move_the_rows_below():
    old = doc(materials=ABC)
    inserted = diff_documents(old, doc(materials=[_material("新增材料"), *ABC]))
    assert [(r.kind, r.key, r.after_index) for r in inserted.get("materials").rows] == [
        ("added", "新增材料", 1)
    ]
    removed = diff_documents(old, doc(materials=ABC[1:]))
    assert [(r.kind, r.key, r.before_index) for r in removed.get("materials").rows] == [
        ("removed", "甲表", 1)
    ]


def test_a_row_both_changed_and_moved_says_both():
    old = doc(materials=ABC)
    moved_c = {**ABC[2], "copies": 3}
    row = _row(diff_documents(old, doc(materials=[moved_c, ABC[0], ABC[1]])), "materials", "丙执照")
    assert row.kind == "changed" and row.moved
    assert [(f.before, f.after) for f in row.fields] == [("1", "3")]


# ------------------------------------------------------------- fees, process, faq


def test_fee_rows():
    old = FULL
    fees = [
        {"item": "工本费", "standard": "5元/本", "basis": "某价费字〔2020〕1号"},
        {"item": "检测费", "standard": "按次收取"},
        {"item": "邮寄费", "standard": "按实际"},
    ]
    new = validate_document({**dump_document(old), "fees": fees})
    diff = diff_documents(old, new)
    assert diff.changed_elements == ["fees"]
    assert diff.get("fees").title == "收费项目"
    changed = _row(diff, "fees", "工本费")
    assert [(f.title, f.before, f.after) for f in changed.fields] == [
        ("收费标准", "10元/本", "5元/本")
    ]
    assert _row(diff, "fees", "邮寄费").kind == "added"


def test_process_rows():
    process = copy.deepcopy(COMPLETE["process"])
    process.insert(2, {"name": "现场核查", "actor": "核查人员", "time_limit": "2个工作日"})
    process[1]["time_limit"] = "2个工作日"  # 审查
    diff = diff_documents(BASE, doc(process=process))
    rows = diff.get("process").rows
    assert [(r.kind, r.key) for r in rows] == [("changed", "审查"), ("added", "现场核查")]
    assert [(f.title, f.before, f.after) for f in rows[0].fields] == [
        ("环节时限", "3个工作日", "2个工作日")
    ]
    # 决定 shifted from 3rd to 4th by the insertion: not moved, not reported.
    assert "决定" not in {r.key for r in rows}


def test_faq_rows():
    faq = [
        {"question": "可以网上办理吗?", "answer": "可以,登录政务服务网全程网办。"},
        {"question": "办理需要收费吗?", "answer": "不收费。"},
    ]
    diff = diff_documents(BASE, doc(faq=faq))
    rows = diff.get("faq").rows
    assert [(r.kind, r.key) for r in rows] == [
        ("changed", "可以网上办理吗?"),
        ("added", "办理需要收费吗?"),
    ]
    assert [f.title for f in rows[0].fields] == ["解答"]


def test_contacts_and_legal_basis_are_keyed_by_more_than_one_field():
    old = FULL
    data = dump_document(old)
    data["complaints"][0]["value"] = "12315"
    data["legal_basis"][1]["article"] = "第十一条"
    diff = diff_documents(old, validate_document(data))
    complaint = diff.get("complaints").rows
    assert [(r.kind, r.key) for r in complaint] == [("changed", "电话 12315")]
    basis = diff.get("legal_basis").rows
    assert [(r.kind, r.key) for r in basis] == [("changed", "食品经营许可和备案管理办法 第十一条")]


# ------------------------------------------------------------------ scalar elements


def test_time_limits_read_as_working_days():
    diff = diff_documents(BASE, doc(statutory_limit={"value": 15, "unit": "working_day"}))
    change = diff.get("statutory_limit")
    assert (change.kind, change.before, change.after) == ("changed", "20个工作日", "15个工作日")
    assert [(f.title, f.before, f.after) for f in change.fields] == [("时限", "20", "15")]
    step_limit = doc(
        special_steps=[{"name": "现场核查", "time_limit": {"value": 2, "unit": "month"}}]
    )
    (row,) = diff_documents(BASE, step_limit).get("special_steps").rows
    assert ("特殊环节时限", "5个工作日", "2个月") in {
        (f.title, f.before, f.after) for f in row.fields
    }


def test_vocabularies_booleans_and_lists_of_values_read_in_chinese():
    new = doc(
        item_type="confirmation",
        courier=False,
        channels=["counter", "courier", "online_pc"],
        service_kind="guide",
        case_type=None,
    )
    diff = diff_documents(BASE, new)
    item_type = diff.get("item_type")
    assert (item_type.before, item_type.after) == ("行政许可", "行政确认")
    courier = diff.get("courier")
    assert (courier.kind, courier.before, courier.after) == ("changed", "是", "否")
    channels = diff.get("channels")
    assert channels.before == "窗口办理、网上办理(电脑端)、网上办理(移动端)"
    assert channels.after == "窗口办理、快递申请、网上办理(电脑端)"
    assert channels.added_values == ("快递申请",)
    assert channels.removed_values == ("网上办理(移动端)",)
    service_kind = diff.get("service_kind")
    assert (service_kind.kind, service_kind.before, service_kind.after) == ("added", "", "办理指南")
    case_type = diff.get("case_type")
    assert (case_type.kind, case_type.before, case_type.after) == ("removed", "承诺件", "")


# ------------------------------------------------------------------ new items, summary


def test_a_new_item_has_every_filled_element_added():
    diff = diff_documents(None, FULL)
    assert diff.created
    assert {c.kind for c in diff.changes} == {"added"}
    filled = {
        name
        for name, value in dump_document(FULL).items()
        if value not in ("", [], None) and not (isinstance(value, dict) and not any(value.values()))
    }
    assert set(diff.changed_elements) == filled
    materials = diff.get("materials")
    assert [(r.kind, r.key, r.after_index) for r in materials.rows] == [
        ("added", "食品经营许可申请书", 1),
        ("added", "营业执照", 2),
    ]
    assert diff.get("promised_limit").after == "5个工作日"
    assert diff.get("in_hall").after == "是"
    assert diff.summary == f"新建事项,填写了{len(diff.changes)}项要素"


def test_summary_names_elements_in_guide_order_with_row_counts():
    materials = copy.deepcopy(COMPLETE["materials"])
    materials[0]["copies"] = 2
    del materials[1]
    materials.append(_material("法定代表人身份证明"))
    new = doc(
        materials=materials,
        promised_limit={"value": 3, "unit": "working_day"},
        prohibitions="不得另设条件。",
        keywords=[],
    )
    diff = diff_documents(BASE, new)
    assert diff.summary == (
        "新增了 禁止性要求;删除了 关键词;修改了 申请材料(新增1行、删除1行、修改1行)、承诺办结时限"
    )


def test_changes_are_grouped_in_element_group_order():
    new = doc(name="食品经营许可(改)", materials=[], faq=[], result={"name": "许可证"})
    groups = diff_documents(BASE, new).by_group()
    assert [(title, [c.element for c in changes]) for title, changes in groups] == [
        ("基本信息", ["name"]),
        ("申请材料", ["materials"]),
        ("常见问题", ["faq"]),
        ("审批结果", ["result"]),
    ]
    order = [title for title, _ in ELEMENT_GROUPS]
    assert [title for title, _ in groups] == sorted((t for t, _ in groups), key=order.index)


# ------------------------------------------------------------------------- template


def _environments() -> list[Environment]:
    return [
        Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True),
        # As the application renders: a misspelt attribute would fail here.
        Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        ),
    ]


@pytest.mark.parametrize("env", _environments())
def test_the_partial_renders_rows_with_badges_and_escapes_values(env):
    materials = copy.deepcopy(COMPLETE["materials"])
    materials[0]["necessity"] = "deferrable"
    del materials[1]
    materials.append(_material("<script>x</script>"))
    new = doc(
        materials=materials,
        statutory_limit={"value": 15, "unit": "working_day"},
        channels=["counter", "courier"],
    )
    html = env.get_template("partials/diff.html").render(diff=diff_documents(BASE, new))

    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "<script>" not in html
    for word in ("新增", "删除", "修改", "申请材料", "办理时限", "原值", "新值"):
        assert word in html
    assert '<del class="diff-removed">必要</del>' in html
    assert '<ins class="diff-added">容缺后补</ins>' in html
    assert '<del class="diff-removed">20个工作日</del>' in html
    assert '<ins class="diff-added">15个工作日</ins>' in html
    assert '<ins class="diff-added">快递申请</ins>' in html
    assert "diff-added" in html and "diff-removed" in html and "diff-changed" in html
    assert "{%" not in html and "{{" not in html


@pytest.mark.parametrize("env", _environments())
def test_the_partial_renders_moves_empty_diffs_and_new_items(env):
    template = env.get_template("partials/diff.html")
    moved = diff_documents(doc(materials=ABC), doc(materials=[ABC[2], ABC[0], ABC[1]]))
    html = template.render(diff=moved)
    assert "移动" in html and "diff-moved" in html and "原第3行 → 现第1行" in html
    assert "没有差异" in template.render(diff=diff_documents(BASE, BASE))
    created = template.render(diff=diff_documents(None, FULL))
    assert "新建事项" in created and "食品经营许可申请书" in created


def test_the_stylesheet_styles_the_diff_classes():
    css = (TEMPLATES.parent / "static" / "app.css").read_text(encoding="utf-8")
    for cls in ("diff-added", "diff-removed", "diff-changed", "diff-moved"):
        assert f".{cls}" in css
