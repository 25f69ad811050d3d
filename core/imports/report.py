"""The row-by-row report of an import: what is wrong, where, in Chinese.

Every import collects all of its errors before it refuses a file, so the
person fixing it in Excel sees every row at once instead of one per attempt.
"""

from __future__ import annotations

import msgspec

from qingdan.core.errors import DomainError

#: How a row is counted: a spreadsheet row (第5行), a JSON entry (第3条).
ROW_UNITS = {"xlsx": "行", "json": "条"}


class RowError(msgspec.Struct, frozen=True, kw_only=True):
    """One thing wrong: the row (0 = the file as a whole), its column heading, what."""

    row: int
    column: str
    message: str
    unit: str = "行"

    @property
    def where(self) -> str:
        return "文件" if self.row <= 0 else f"第{self.row}{self.unit}"

    def __str__(self) -> str:
        column = f"【{self.column}】" if self.column else ""
        return f"{self.where}{column}: {self.message}"


class ImportRefused(DomainError):
    """The file was refused as a whole; ``errors`` says every row and column."""

    def __init__(self, errors: list[RowError], what: str = "文件"):
        self.errors = sorted(errors, key=lambda e: (e.row, e.column))
        rows = len({e.row for e in self.errors if e.row > 0})
        detail = f",涉及{rows}行" if rows else ""
        super().__init__(f"{what}有{len(self.errors)}处错误{detail},未导入任何内容。")

    def text(self) -> str:
        """The whole report, one error a line (for the command line and job runs)."""
        return "\n".join([self.message, *(str(e) for e in self.errors)])

    def rows(self) -> list[dict[str, object]]:
        """The errors as plain dicts (the JSON API's 422 body, the page's table)."""
        return [
            {"row": e.row, "where": e.where, "column": e.column, "message": e.message}
            for e in self.errors
        ]


class Collector:
    """Gathers the errors of one file; refuses it at the end if there are any."""

    def __init__(self, unit: str = "行"):
        self.unit = unit
        self.errors: list[RowError] = []

    def add(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row=row, column=column, message=message, unit=self.unit))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def refuse_if_any(self, what: str = "文件") -> None:
        if self.errors:
            raise ImportRefused(self.errors, what)
