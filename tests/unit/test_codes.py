import pytest

from qingdan.core.catalog.codes import (
    DEFAULT_CODE_FORMAT,
    USCC,
    CodeError,
    CodeFormat,
    DivisionCode,
    ImplCode,
)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B"])
def test_real_usccs_validate(code):
    assert USCC.parse(code).value == code


def test_lowercase_and_spaces_are_normalised():
    assert USCC.parse(" 91350100m000100y43 ").value == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91350100M000100Y44", "校验位错误"),
        ("91350100M000100Y4", "应为18位"),
        ("91350100I000100Y43", "不允许的字符“I”"),
        ("913501A0M000100Y43", "行政区划码"),
        ("", "应为18位"),
    ],
)
def test_bad_usccs_are_refused_in_chinese(code, message):
    with pytest.raises(CodeError, match=message):
        USCC.parse(code)


def test_compose_makes_a_valid_uscc_and_org_code():
    code = USCC.compose("1", "1", "620300", "01386524")
    assert USCC.parse(code.value) == code
    assert code.division6 == "620300"


def test_division_levels_and_containment():
    city = DivisionCode.parse("620300000000")
    county = DivisionCode.parse("620321")
    town = DivisionCode.parse("620321100000")
    assert (city.level, county.level, town.level) == ("city", "county", "township")
    assert county.is_within(city) and town.is_within(county) and town.is_within(city)
    assert not DivisionCode.parse("410500000000").is_within(city)
    with pytest.raises(CodeError, match="12位数字"):
        DivisionCode.parse("62030")


def _impl(base="0001010010", handling="01"):
    return ImplCode(
        base_code=base,
        division_code="620300000000",
        uscc="91350100M000100Y43",
        handling_item=handling,
    )


@pytest.mark.parametrize("base", ["000101001", "0001010010", "00010100-01"])
def test_impl_code_round_trips(base):
    code = _impl(base)
    text = DEFAULT_CODE_FORMAT.compose_impl_code(code)
    assert text.endswith("620300000000" + "91350100M000100Y43" + "01")
    assert DEFAULT_CODE_FORMAT.parse_impl_code(text) == code


def test_impl_code_with_a_bad_uscc_is_refused():
    with pytest.raises(CodeError, match="校验位"):
        DEFAULT_CODE_FORMAT.compose_impl_code(
            ImplCode("000101001", "620300000000", "91350100M000100Y44", "00")
        )
    good = DEFAULT_CODE_FORMAT.compose_impl_code(_impl())
    broken = good[:-4] + "X" + good[-3:]
    with pytest.raises(CodeError, match="实施编码"):
        DEFAULT_CODE_FORMAT.parse_impl_code(broken)


def test_a_plugin_format_with_separator_and_order():
    fmt = CodeFormat(
        name="dashed",
        base_code_pattern=r"[A-Z]{2}[0-9]{6}",
        base_code_hint="2位字母加6位数字",
        impl_order=("division_code", "base_code", "uscc", "handling_item"),
        separator="-",
    )
    code = _impl("AB123456", "00")
    text = fmt.compose_impl_code(code)
    assert text == "620300000000-AB123456-91350100M000100Y43-00"
    assert fmt.parse_impl_code(text) == code
    with pytest.raises(CodeError, match="2位字母加6位数字"):
        fmt.parse_base_code("000101001")


def test_handling_item_must_be_two_digits():
    with pytest.raises(CodeError, match="业务办理项"):
        DEFAULT_CODE_FORMAT.compose_impl_code(_impl(handling="1"))
