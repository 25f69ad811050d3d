"""办事指南: the standard sections in order, labels not codes, a flowchart with one node
per step, escaped text, and an A4 PDF set in a real CJK font."""

from __future__ import annotations

import copy
import io
import re
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from qingdan.core.catalog.elements import ElementDocument, ProcessStep
from qingdan.core.catalog.validation import validate_document
from qingdan.core.publishing.guides import (
    LEFT_OFF,
    NAME_SIZE,
    SECTION_ELEMENTS,
    TEXT_W,
    Guide,
    flowchart_svg,
    guide_for,
    render_guide_html,
    render_guide_pdf,
    wrap_text,
)

# COMPLETE lives beside this file; import it by path so the tests share one example.
sys.path.insert(0, str(Path(__file__).parent))
from test_elements import COMPLETE

SECTION_TITLES = [
    "基本信息",
    "设定依据",
    "受理条件",
    "申请材料",
    "办理流程",
    "办理时限",
    "收费标准",
    "办理地点和时间",
    "咨询和监督投诉",
    "常见问题",
    "审批结果",
]
URL = "https://example.invalid/p/sample/items/7"
PUBLISHED = datetime(2025, 3, 4, 20, 30, tzinfo=UTC)  # 2025-03-05 04:30 in Shanghai


def _doc(**changes: Any) -> ElementDocument:
    data = copy.deepcopy(COMPLETE)
    data.update(changes)
    return validate_document(data)


#: COMPLETE with the elements it leaves empty filled in too: every element has a value.
FULL = _doc(
    impl_code="11350100M000100Y4300000000100001",
    co_agencies=["某市卫生健康委员会"],
    entrusting_agency="某省市场监督管理局",
    legal_basis=[
        {
            "law_name": "中华人民共和国食品安全法",
            "document_number": "主席令第二十一号",
            "article": "第三十五条",
            "text": "国家对食品生产经营实行许可制度。",
        }
    ],
    prohibitions="不得要求申请人提供与许可无关的材料。",
    visits=1,
    visits_reason="需现场核验原件",
    mobile_url="https://example.invalid/m",
    charged=True,
    fees=[{"item": "工本费", "standard": "10元/本", "basis": "某价费字〔2020〕1号"}],
    intermediary_services=[{"name": "场所检测", "provider": "某检测公司", "charged": True}],
    locations=[
        {
            "name": "政务服务中心",
            "address": "某路1号",
            "hours": "工作日9:00-17:00",
            "phone": "0000-7654321",
            "traffic": "公交1路",
        }
    ],
    service_kind="guide",
)

#: The least a published guide may have: a name, a type and a few elements.
MINIMUM = validate_document(
    {
        "name": "最少要素事项",
        "item_type": "public_service",
        "acceptance_conditions": "本市户籍居民。",
        "materials": [{"name": "居民身份证"}],
        "consultation": [{"kind": "phone", "value": "12345"}],
    }
)


def _guide(doc: ElementDocument, **kw: Any) -> Guide:
    return guide_for(
        doc,
        tenant_name=kw.get("tenant_name", "样例市"),
        agency_name=kw.get("agency_name", "样例市市场监督管理局"),
        version_number=kw.get("version_number", 3),
        published_at=kw.get("published_at", PUBLISHED),
        url=kw.get("url", URL),
    )


class _Text(HTMLParser):
    """The text a reader sees (no <style>, no attributes), one string per node."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def _section_html(html: str, key: str) -> str:
    match = re.search(rf'<section id="{key}".*?</section>', html, re.S)
    assert match, key
    return match.group(0)


# The guide value ---------------------------------------------------------------------------


def test_every_element_has_one_place_in_the_guide_or_is_left_off_on_purpose():
    placed = [name for names in SECTION_ELEMENTS.values() for name in names]
    assert len(placed) == len(set(placed))
    assert sorted([*placed, *LEFT_OFF]) == sorted(ElementDocument.__struct_fields__)


def test_complete_document_has_every_section_in_the_standard_order():
    guide = _guide(validate_document(COMPLETE))
    assert [s.title for s in guide.sections] == SECTION_TITLES
    assert [s.number for s in guide.sections][:3] == ["一", "二", "三"]
    assert not [s.title for s in guide.sections if s.empty]
    html = render_guide_html(guide)
    positions = [html.index(f"</span>{title}</h2>") for title in SECTION_TITLES]
    assert positions == sorted(positions)


def test_result_section_is_named_for_the_item_type():
    assert _guide(MINIMUM).sections[-1].title == "办理结果"


def test_full_guide_shows_every_element_as_labels_not_codes():
    guide = _guide(FULL)
    text = visible_text(render_guide_html(guide))
    for expected in [
        "食品经营许可",
        "食品经营许可(新办)",
        "行政许可",
        "000117006",
        "11350100M000100Y4300000000100001",
        "市级、县级",
        "某市市场监督管理局",
        "91350100M000100Y43",
        "法定机关",
        "法定本级行使",
        "某市卫生健康委员会",
        "某省市场监督管理局",
        "企业法人、自然人",
        "办理指南",
        "窗口办理、网上办理(电脑端)、网上办理(移动端)",
        "1次",
        "需现场核验原件",
        "四级(全程网办)",
        "https://example.invalid/apply",
        "https://example.invalid/m",
        "全省通办",
        "《中华人民共和国食品安全法》",
        "主席令第二十一号",
        "国家对食品生产经营实行许可制度。",
        "具有与经营的食品品种、数量相适应的经营场所。",
        "不得要求申请人提供与许可无关的材料。",
        "食品经营许可申请书",
        "申请表格",
        "纸质或电子",
        "容缺后补",
        "电子证照",
        "申请人自备",
        "20个工作日",
        "5个工作日",
        "承诺件",
        "分管负责人",
        "现场核查",
        "场所检测",
        "某检测公司",
        "工本费",
        "10元/本",
        "政务服务中心",
        "公交1路",
        "0000-1234567",
        "12345",
        "对许可决定不服的,可依法申请行政复议或提起行政诉讼。",
        "可以网上办理吗?",
        "可以,全程网办。",
        "食品经营许可证",
        "证照",
        "licence.pdf",
    ]:
        assert expected in text, expected
    words = set(re.findall(r"[a-z_]{4,}", text))
    for code in [
        "licensing",
        "working_day",
        "deferrable",
        "e_licence",
        "statutory",
        "promised",
        "counter",
        "province",
        "enterprise",
        "municipal",
    ]:
        assert code not in words, f"raw code {code!r} shown to the public"
    assert "未填写" not in text
    # Every row of the materials table, in the document's order.
    materials = visible_text(_section_html(render_guide_html(guide), "materials"))
    assert materials.index("食品经营许可申请书") < materials.index("营业执照")


def test_minimum_document_keeps_the_order_and_says_无_for_empty_sections():
    guide = _guide(MINIMUM)
    html = render_guide_html(guide)
    assert [s.title for s in guide.sections] == [*SECTION_TITLES[:-1], "办理结果"]
    empty = {s.key for s in guide.sections if s.empty}
    assert empty == {"legal_basis", "process", "time_limits", "locations", "faq", "result"}
    for section in guide.sections:
        part = _section_html(html, section.key)
        assert ('<p class="guide-none">无</p>' in part) == section.empty, section.key
    # No clutter: no empty tables, rows or headings, no flowchart without steps.
    assert html.count("<table") == 1  # the one material
    assert "<svg" not in html
    assert not re.search(r"<dd[^>]*>\s*</dd>", html)
    assert not re.search(r"<td[^>]*>\s*</td>", html)
    assert not re.search(r"<h3>\s*</h3>", html)
    text = visible_text(html)
    assert "未填写" not in text
    assert "本事项不收费。" in text
    for left_off in ("业务办理项编码", "实施编码", "联办机构", "法定办结时限"):
        assert left_off not in text


def test_header_and_footer_texts():
    guide = _guide(FULL)
    assert guide.published_on == date(2025, 3, 5)  # the day in Shanghai
    assert guide.edition == "第3版 · 2025年3月5日发布"
    html = render_guide_html(guide)
    assert 'class="guide-edition">第3版 · 2025年3月5日发布<' in html
    assert '第 " counter(page) " 页 / 共 " counter(pages) " 页' in html
    unpublished = _guide(FULL, published_at=None)
    assert unpublished.edition == "第3版 · 未发布"


def test_print_version_has_a_qr_code_to_the_online_guide_and_the_screen_has_not():
    guide = _guide(MINIMUM)
    printed = render_guide_html(guide, print_version=True)
    screen = render_guide_html(guide)
    assert 'src="data:image/png;base64,' in printed and URL in printed
    assert "data:image/png" not in screen
    assert "guide-toc screen-only" in screen  # the table of contents is not printed


# Escaping ----------------------------------------------------------------------------------


def test_html_in_elements_shows_as_text_never_as_markup():
    evil = _doc(
        name="<script>alert('名称')</script>",
        acceptance_conditions='<img src=x onerror="alert(1)">条件',
        materials=[{"name": "<b>身份证</b>"}],
        process=[{"name": "<i>受理</i> & 审查", "actor": "</text><script>x()</script>"}],
        faq=[{"question": "<a href='javascript:alert(1)'>问</a>", "answer": "答 <u>"}],
        online_url="javascript:alert(1)",
    )
    guide = _guide(evil, tenant_name="<em>租户</em>")
    for print_version in (False, True):
        html = render_guide_html(guide, print_version=print_version)
        assert "<script" not in html and "<img src=x" not in html and "<b>身份证" not in html
        assert "<em>租户" not in html and "<i>受理" not in html and "<u>" not in html
        assert "&lt;script&gt;alert(" in html
        assert "&lt;b&gt;身份证&lt;/b&gt;" in html
        assert 'href="javascript' not in html
        text = visible_text(html)
        assert "<script>alert('名称')</script>" in text
        assert '<img src=x onerror="alert(1)">条件' in text
    svg = flowchart_svg(evil.process)
    root = ET.fromstring(svg)  # still well-formed XML
    assert "<script" not in svg and "&lt;i&gt;受理&lt;/i&gt; &amp; 审查" in svg
    assert not root.findall(".//{http://www.w3.org/2000/svg}script")


# The flowchart -----------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def _steps(n: int) -> list[ProcessStep]:
    return [
        ProcessStep(name=f"环节{i}", actor="窗口人员" if i % 2 else "", time_limit=f"{i}个工作日")
        for i in range(1, n + 1)
    ]


@pytest.mark.parametrize("n", [0, 1, 3, 12])
def test_flowchart_has_one_step_node_per_step_and_arrows_between(n):
    svg = flowchart_svg(_steps(n))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    steps = [g for g in root.iter(f"{SVG}g") if g.get("class") == "step"]
    assert len(steps) == n
    assert [g.get("data-step") for g in steps] == [str(i) for i in range(1, n + 1)]
    terminals = [g for g in root.iter(f"{SVG}g") if g.get("class") == "terminal"]
    assert ["".join(t.itertext()) for t in terminals] == ["开始", "结束"]
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "arrow"]) == n + 1
    title = root.find(f"{SVG}title")
    assert title is not None and f"共{n}个环节" in title.text
    for i, g in enumerate(steps, start=1):
        texts = "".join(g.itertext())
        assert f"环节{i}" in texts and f"{i}个工作日" in texts
    # No script, no event handlers: an image, not a program.
    assert not root.findall(f".//{SVG}script")
    assert not [a for el in root.iter() for a in el.attrib if a.startswith("on")]
    # The boxes follow each other downwards without overlapping.
    tops = [float(g.find(f"{SVG}rect").get("y")) for g in steps]
    assert tops == sorted(tops)


def test_flowchart_wraps_long_chinese_names_inside_the_box():
    long_name = "对申请材料进行实质审查并组织现场核查,必要时征求相关部门意见后作出决定"
    svg = flowchart_svg([ProcessStep(name=long_name, actor="审查人员", time_limit="3个工作日")])
    step = next(g for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "step")
    lines = [t.text for t in step.findall(f"{SVG}text") if t.get("font-weight") == "bold"][1:]
    assert len(lines) >= 2
    assert "".join(lines).replace("…", "") in long_name
    limit = TEXT_W / NAME_SIZE
    for line in lines:
        assert sum(1.0 if ord(c) > 0x2E80 else 0.56 for c in line) <= limit + 1


def test_wrap_text_keeps_closing_punctuation_off_the_start_of_a_line():
    lines = wrap_text("一二三四五,六七八九十。", 5)
    assert all(not line.startswith((",", "。")) for line in lines)
    assert "".join(lines) == "一二三四五,六七八九十。"
    assert wrap_text("字" * 40, 5, max_lines=2)[-1].endswith("…")


# The PDF -----------------------------------------------------------------------------------


def pdf_fonts(pdf: bytes) -> dict[str, bool]:
    """Every font on every page: base name -> whether its font file is embedded."""
    from pypdf import PdfReader

    fonts: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font["/BaseFont"])] = embedded
    return fonts


def pdf_text(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def assert_guide_pdf(pdf: bytes, guide: Guide) -> list[str]:
    """A valid A4 PDF with the item's name, a CJK font embedded and the footer on
    every page; returns the text of each page."""
    from pypdf import PdfReader

    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    pages = pdf_text(pdf)
    for page in reader.pages:
        box = page.mediabox
        assert abs(float(box.width) - 595.28) <= 1 and abs(float(box.height) - 841.89) <= 1
    cjk = {name: embedded for name, embedded in pdf_fonts(pdf).items() if "CJK" in name}
    assert cjk and all(cjk.values()), pdf_fonts(pdf)
    assert any("NotoSansCJK" in name.replace("-", "") for name in cjk)
    squeezed = [re.sub(r"\s+", "", p) for p in pages]
    assert guide.title.replace(" ", "") in squeezed[0]
    for number, text in enumerate(squeezed, start=1):
        assert f"第{number}页/共{len(pages)}页" in text
        assert f"第{guide.version_number}版" in text and guide.published_text in text
        assert guide.tenant_name in text
    return pages


@pytest.fixture(scope="module")
def full_pdf() -> tuple[Guide, bytes]:
    guide = _guide(FULL)
    return guide, render_guide_pdf(guide, print_version=False)


@pytest.fixture(scope="module")
def minimum_pdf() -> tuple[Guide, bytes]:
    guide = _guide(MINIMUM)
    return guide, render_guide_pdf(guide, print_version=True)


def test_full_guide_pdf_is_a4_with_a_cjk_font_and_every_section(full_pdf):
    guide, pdf = full_pdf
    pages = assert_guide_pdf(pdf, guide)
    text = re.sub(r"\s+", "", "".join(pages))
    positions = [text.index(f"、{title}") for title in SECTION_TITLES]
    assert positions == sorted(positions)
    assert "食品经营许可申请书" in text and "容缺后补" in text
    assert "目录" not in text  # the screen's table of contents stays off paper


def test_minimum_guide_pdf_prints_on_one_page_with_its_qr_code(minimum_pdf):
    from pypdf import PdfReader

    guide, pdf = minimum_pdf
    pages = assert_guide_pdf(pdf, guide)
    assert len(pages) == 1
    images = list(PdfReader(io.BytesIO(pdf)).pages[0].images)
    assert len(images) == 1  # the QR code


def test_no_pdf_without_a_cjk_font(monkeypatch):
    """Without a CJK font Chinese would print as empty boxes: refuse loudly instead."""
    from qingdan.core.publishing import guides

    monkeypatch.setattr(guides, "cjk_font_installed", lambda: False)
    with pytest.raises(guides.FontMissing, match="fonts-noto-cjk"):
        guides.render_guide_pdf(_guide(MINIMUM), print_version=False)
