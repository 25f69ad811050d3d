"""Reading spreadsheet cells into element values, and writing them back.

People type what they read: 行政许可 rather than ``licensing``, 是 rather than
``true``, 市级、县级 for a list. Each reader takes a cell as openpyxl gives it
(str, int, float, datetime or None) and returns the value or raises
:class:`CellError` with a Chinese message; each writer is its inverse, so a
downloaded file imports back unchanged.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from typing import Any

from qingdan.core.catalog.vocab import LABELS, ItemType, Level, Vocab


class CellError(ValueError):
    """The cell's value cannot be read; the message says why, in Chinese."""


#: Other ways people write a value, besides its code and its label.
ALIASES: dict[type[Vocab], dict[str, str]] = {
    Level: {
        "国家": "national",
        "省": "provincial",
        "省级": "provincial",
        "市": "municipal",
        "设区的市级": "municipal",
        "市州级": "municipal",
        "县": "county",
        "区": "county",
        "县区级": "county",
        "县(市、区)级": "county",
        "县（市、区）级": "county",
        "乡": "township",
        "镇": "township",
        "乡级": "township",
        "镇级": "township",
        "乡镇": "township",
        "乡镇级": "township",
        "街道": "township",
        "乡(镇、街道)级": "township",
        "乡（镇、街道）级": "township",
        "镇（乡、街道）级": "township",
        "村": "village",
        "社区": "village",
        "村级": "village",
        "村（社区）级": "village",
    },
    ItemType: {
        "行政监督检查": "inspection",
        "行政监督": "inspection",
        "其他权力": "other_power",
        "其他行政权力事项": "other_power",
        "公共服务事项": "public_service",
    },
}

YES = {"是", "有", "yes", "true", "1", "y", "√", "✓"}
NO = {"否", "无", "no", "false", "0", "n", "×", ""}

# A list cell: 、 , ; | or a new line between values, but not inside parentheses
# (镇(乡、街道)级 is one level).
_SEPARATORS = "、,，;；|｜\n"


def text(cell: Any) -> str:
    """The cell as trimmed text (a number typed into a text column stays as typed)."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "是" if cell else "否"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    return str(cell).strip()


def code_text(cell: Any, what: str) -> str:
    """A code typed as a number has lost its leading zeros: say so instead of guessing."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        raise CellError(f"{what}为数字格式,开头的0可能已丢失;请将该列设为“文本”格式后重新填写")
    return text(cell)


def split_list(cell: Any) -> list[str]:
    """``市级、镇(乡、街道)级`` → ``["市级", "镇(乡、街道)级"]``."""
    raw = text(cell)
    parts: list[str] = []
    depth = 0
    current = ""
    for ch in raw:
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(0, depth - 1)
        if ch in _SEPARATORS and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


@functools.cache
def _lookup(vocab: type[Vocab]) -> dict[str, str]:
    table = {m.value.lower(): m.value for m in vocab}
    table |= {label: value for value, label in LABELS[vocab].items()}
    table |= ALIASES.get(vocab, {})
    return table


def choices_text(vocab: type[Vocab]) -> str:
    return "、".join(LABELS[vocab].values())


def choice(cell: Any, vocab: type[Vocab], required: bool = False) -> str | None:
    """One value of ``vocab`` from its label, code or a common alias."""
    raw = text(cell)
    if not raw:
        if required:
            raise CellError("必须填写")
        return None
    table = _lookup(vocab)
    value = table.get(raw) or table.get(raw.lower())
    if value is None:
        raise CellError(f"“{raw}”无法识别,可填: {choices_text(vocab)}")
    return value


def choice_list(cell: Any, vocab: type[Vocab], required: bool = False) -> list[str]:
    values: list[str] = []
    for part in split_list(cell):
        value = choice(part, vocab)
        if value in values:
            raise CellError(f"“{part}”重复")
        values.append(value)
    if required and not values:
        raise CellError("必须填写")
    return values


def integer(cell: Any, minimum: int = 0, maximum: int = 3650) -> int | None:
    raw = text(cell)
    if not raw:
        return None
    if isinstance(cell, float) and not cell.is_integer():
        raise CellError(f"应为整数,实际为{cell}")
    try:
        number = int(raw)
    except ValueError:
        raise CellError(f"应为整数,实际为“{raw}”") from None
    if not minimum <= number <= maximum:
        raise CellError(f"应在{minimum}到{maximum}之间,实际为{number}")
    return number


def boolean(cell: Any) -> bool | None:
    """是/否 (also yes/no, 1/0, √/×); empty is None (leave the element as it was)."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, bool):
        return cell
    raw = text(cell).lower()
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise CellError(f"应填“是”或“否”,实际为“{text(cell)}”")


def lines(cell: Any) -> list[str]:
    """One value a line (several laws, several keywords)."""
    return [line.strip() for line in text(cell).splitlines() if line.strip()]


def a_date(cell: Any) -> date | None:
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    raw = text(cell).replace("/", "-").replace(".", "-")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw) or re.fullmatch(
        r"(\d{4})年(\d{1,2})月(\d{1,2})日", raw
    )
    if not m:
        raise CellError(f"日期应写作 2026-11-01,实际为“{raw}”")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise CellError(f"日期“{raw}”不存在") from None


# Writing ----------------------------------------------------------------------------


def label_of(vocab: type[Vocab], value: str | None) -> str:
    return LABELS[vocab].get(value, value) if value else ""


def labels_of(vocab: type[Vocab], values: list[str] | None) -> str:
    return "、".join(label_of(vocab, v) for v in values or [])


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")
