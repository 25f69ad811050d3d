"""Codes as value objects: USCC, division code, base code, implementation code.

Each parses, validates and composes itself; errors are Chinese and name the
code. A jurisdiction plugin may supply its own :class:`CodeFormat` (for
provinces whose base codes or implementation codes differ from the default).
"""

from __future__ import annotations

import re

import msgspec


class CodeError(ValueError):
    """A code that does not parse; the message is for the user."""


# GB 32100-2015: the 统一社会信用代码 alphabet (no I, O, S, V, Z) and weights.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714: the organisation code inside it (positions 9-17) has its own check.
ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


class USCC(msgspec.Struct, frozen=True):
    """统一社会信用代码 (18 characters, last one a check character)."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> USCC:
        code = (raw or "").strip().upper()
        if len(code) != 18:
            raise CodeError(f"统一社会信用代码应为18位,“{raw}”为{len(code)}位")
        bad = [c for c in code if c not in USCC_ALPHABET]
        if bad:
            raise CodeError(f"统一社会信用代码“{raw}”含有不允许的字符“{bad[0]}”")
        if not code[2:8].isdigit():
            raise CodeError(f"统一社会信用代码“{raw}”第3-8位应为行政区划码")
        expected = uscc_check_char(code[:17])
        if code[17] != expected:
            raise CodeError(f"统一社会信用代码“{raw}”校验位错误(应为{expected})")
        return cls(code)

    @classmethod
    def compose(cls, registration_dept: str, org_type: str, division6: str, org8: str) -> USCC:
        """Build a valid code from its parts (used by demo data and tests)."""
        org9 = org8 + org_code_check_char(org8)
        first17 = registration_dept + org_type + division6 + org9
        return cls.parse(first17 + uscc_check_char(first17))

    @property
    def division6(self) -> str:
        return self.value[2:8]

    def __str__(self) -> str:
        return self.value


DIVISION_LEVELS = ("province", "city", "county", "township", "village")


class DivisionCode(msgspec.Struct, frozen=True):
    """12-digit 行政区划代码: 2 province, 2 city, 2 county, 3 township, 3 village."""

    value: str

    @classmethod
    def parse(cls, raw: str) -> DivisionCode:
        code = (raw or "").strip()
        if len(code) == 6 and code.isdigit():
            code += "000000"
        if len(code) != 12 or not code.isdigit():
            raise CodeError(f"行政区划代码应为12位数字,“{raw}”不符合")
        if code[:2] == "00":
            raise CodeError(f"行政区划代码“{raw}”的省级代码不能为00")
        return cls(code)

    @property
    def level(self) -> str:
        v = self.value
        if v[2:] == "0" * 10:
            return "province"
        if v[4:] == "0" * 8:
            return "city"
        if v[6:] == "0" * 6:
            return "county"
        if v[9:] == "000":
            return "township"
        return "village"

    def is_within(self, ancestor: DivisionCode) -> bool:
        """True if this division lies inside ``ancestor`` (or is it)."""
        prefix = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
        n = prefix[ancestor.level]
        return self.value[:n] == ancestor.value[:n]

    def __str__(self) -> str:
        return self.value


class BaseCode(msgspec.Struct, frozen=True):
    value: str

    def __str__(self) -> str:
        return self.value


class ImplCode(msgspec.Struct, frozen=True):
    """实施编码, composed of base code, division code, agency USCC and handling item."""

    base_code: str
    division_code: str
    uscc: str
    handling_item: str = "00"


class CodeFormat(msgspec.Struct, frozen=True, kw_only=True):
    """How a jurisdiction writes its codes. The default is the national shape.

    ``base_code_pattern`` is a regular expression a base code must match.
    The implementation code is written as base code, 12-digit division code,
    18-character USCC and a 2-digit handling item, in ``impl_order``.
    """

    name: str = "national"
    base_code_pattern: str = r"[0-9A-Z]{6,10}(-[0-9A-Z]{1,6})?"
    base_code_hint: str = "6-10位数字或大写字母,可带“-子项编码”"
    impl_order: tuple[str, ...] = ("base_code", "division_code", "uscc", "handling_item")
    separator: str = ""

    def parse_base_code(self, raw: str) -> BaseCode:
        code = (raw or "").strip().upper()
        if not re.fullmatch(self.base_code_pattern, code):
            raise CodeError(f"基本编码“{raw}”格式不正确({self.base_code_hint})")
        return BaseCode(code)

    def compose_impl_code(self, code: ImplCode) -> str:
        base = self.parse_base_code(code.base_code).value
        division = DivisionCode.parse(code.division_code).value
        uscc = USCC.parse(code.uscc).value
        handling = _handling(code.handling_item)
        parts = {
            "base_code": base,
            "division_code": division,
            "uscc": uscc,
            "handling_item": handling,
        }
        return self.separator.join(parts[k] for k in self.impl_order)

    def parse_impl_code(self, raw: str) -> ImplCode:
        text = (raw or "").strip().upper()
        widths = {"division_code": 12, "uscc": 18, "handling_item": 2}
        if self.separator:
            pieces = text.split(self.separator)
            if len(pieces) != len(self.impl_order):
                raise CodeError(f"实施编码“{raw}”应由{len(self.impl_order)}段组成")
            parts = dict(zip(self.impl_order, pieces, strict=True))
        else:
            # Fixed-width parts are read from both ends; the base code, whose
            # length varies, is what remains in the middle.
            parts = {}
            order = list(self.impl_order)
            rest = text
            while order and order[0] != "base_code":
                k = order.pop(0)
                parts[k], rest = rest[: widths[k]], rest[widths[k] :]
            while order and order[-1] != "base_code":
                k = order.pop()
                parts[k], rest = rest[len(rest) - widths[k] :], rest[: len(rest) - widths[k]]
            parts["base_code"] = rest
        code = ImplCode(
            base_code=parts["base_code"],
            division_code=parts["division_code"],
            uscc=parts["uscc"],
            handling_item=parts["handling_item"],
        )
        try:
            if self.compose_impl_code(code) != text:
                raise CodeError(f"实施编码“{raw}”格式不正确")
        except CodeError as exc:
            raise CodeError(f"实施编码“{raw}”无法解析: {exc}") from None
        return code


def _handling(raw: str) -> str:
    value = (raw or "00").strip()
    if not re.fullmatch(r"[0-9]{2}", value):
        raise CodeError(f"业务办理项编码应为2位数字,“{raw}”不符合")
    return value


DEFAULT_CODE_FORMAT = CodeFormat()
