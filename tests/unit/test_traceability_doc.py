"""docs/traceability.md cannot drift from the code it cites.

The page traces every clause of the three seed policies to the code that holds it
and the test that proves it. Its references are machine-checkable:

- ``path/file.py::name`` (or ``::Class.member``): a name defined in that file; in a
  test file it must be a test function.
- ``path/data.json#a.b[key=value].c``: a key path into a data file, ``[key=value]``
  picking the one list element whose ``key`` is (or is a list containing) ``value``.
- any other ``path``: a file or folder that must exist.

These tests fail when a referenced file, name, test or key disappears, when a clause
said to be held lacks its code or its test, when a clause not held gives no reason,
and when a clause of a seed drops out of the page.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "traceability.md"

#: Where a reference may point: the repository's own top-level folders.
ROOTS = ("core/", "web/", "plugins/", "tests/", "docs/", "qingdan/")
#: Backticked text that looks like a reference even if it is outside ``ROOTS``.
LOOKS_LIKE_REF = re.compile(r"::|\.(py|json|md|html)(#|$)")
SPAN = re.compile(r"`([^`]+)`")
SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+\s*$")

HELD, NOT_HELD, GAP = "承载", "不由系统承载", "尚未承载"

_CN = "一二三四五六七八九"


def _chinese_number(n: int) -> str:
    """1..99 in Chinese numerals, as article numbers are written (第二十一条)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN[tens - 1] + "十")
    return head + (_CN[ones - 1] if ones else "")


#: The clauses of each seed, as the seed numbers them; each must appear in the first
#: column of a table of its section (held, not held or not yet held).
SEED_CLAUSES: dict[str, list[str]] = {
    "000": [f"第{_chinese_number(n)}条" for n in range(1, 23)],
    "001": [
        "一",
        "二",
        "三(一)1",
        "三(一)2",
        "三(二)1",
        "三(二)2",
        *(f"三(二)3({n})" for n in range(1, 6)),
        "三(二)4",
        *(f"三(二)4({n})" for n in range(1, 5)),
        "四(一)",
        "四(二)",
        "四(三)",
        "五",
    ],
    "003": [
        "一(一)",
        "一(二)",
        "一(三)",
        *(f"任务 {n}" for n in range(1, 43)),
        *(f"三({_chinese_number(n)})" for n in range(1, 8)),
    ],
}


# --- reading the page ------------------------------------------------------------------------


@dataclass
class Table:
    section: str  # the "## " heading the table is under
    kind: str  # HELD, NOT_HELD or GAP
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line number, cells)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _kind(header: list[str]) -> str | None:
    text = " ".join(header)
    if "证明" in text:
        return HELD
    if "为何" in text:
        return NOT_HELD
    if "尚未承载" in text:
        return GAP
    return None


def tables(text: str) -> list[Table]:
    """The clause tables of the page (other tables, such as the seed list, are skipped)."""
    lines = text.splitlines()
    found: list[Table] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            section = line[3:].strip()
        is_table = line.startswith("|") and i + 1 < len(lines) and SEPARATOR.match(lines[i + 1])
        if not is_table:
            i += 1
            continue
        header = _cells(line)
        kind = _kind(header)
        table = Table(section=section, kind=kind or "", header=header)
        i += 2
        while i < len(lines) and lines[i].startswith("|"):
            table.rows.append((i + 1, _cells(lines[i])))
            i += 1
        if kind:
            found.append(table)
    return found


def spans(text: str) -> list[str]:
    return SPAN.findall(text)


def references(text: str) -> list[str]:
    return [s for s in spans(text) if s.startswith(ROOTS)]


# --- resolving a reference --------------------------------------------------------------------


@cache
def _module(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@cache
def _json(path: Path) -> object:
    return json.loads(path.read_text(encoding="utf-8"))


def _definitions(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Names a block defines: functions, classes and assigned names."""
    names: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return names


def is_test_file(path: str) -> bool:
    return "/tests/" in f"/{path}" and Path(path).name.startswith("test_")


def _python_problem(path: Path, rel: str, name: str) -> str | None:
    body = _module(path).body
    node: ast.stmt | None = None
    for part in name.split("."):
        node = _definitions(body).get(part)
        if node is None:
            return f"{rel} 中没有定义 {name}"
        body = node.body if isinstance(node, ast.ClassDef) else []
    if is_test_file(rel):
        is_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        if not (is_function and name.split(".")[-1].startswith("test")):
            return f"{rel}::{name} 不是测试函数"
    return None


def json_path(key_path: str) -> list[tuple[str, tuple[str, str] | None]]:
    """``a.b[k=v].c`` → [("a", None), ("b", ("k", "v")), ("c", None)]; dots inside
    brackets belong to the value (``rules[id=anyang.clear_conditions]``)."""
    segments, current, depth = [], "", 0
    for ch in key_path:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "." and depth == 0:
            segments.append(current)
            current = ""
        else:
            current += ch
    segments.append(current)
    parsed = []
    for seg in segments:
        m = re.fullmatch(r"([^\[\]=]+)(?:\[([^=\]]+)=([^\]]+)\])?", seg)
        if not m:
            raise ValueError(f"键路径写法有误: {seg!r}")
        key, sel_key, sel_value = m.groups()
        parsed.append((key, (sel_key, sel_value) if sel_key else None))
    return parsed


def _selected(element: object, key: str, value: str) -> bool:
    if not isinstance(element, dict) or key not in element:
        return False
    found = element[key]
    if isinstance(found, list):
        return value in [str(v) for v in found]
    return str(found) == value


def _json_problem(path: Path, rel: str, key_path: str) -> str | None:
    try:
        steps = json_path(key_path)
    except ValueError as exc:
        return f"{rel}#{key_path}: {exc}"
    node = _json(path)
    walked = ""
    for key, selector in steps:
        walked = f"{walked}.{key}" if walked else key
        if not isinstance(node, dict) or key not in node:
            return f"{rel} 中没有键 {walked}"
        node = node[key]
        if selector is None:
            continue
        sel_key, sel_value = selector
        walked += f"[{sel_key}={sel_value}]"
        if not isinstance(node, list):
            return f"{rel} 中 {walked} 不是列表"
        matches = [e for e in node if _selected(e, sel_key, sel_value)]
        if len(matches) != 1:
            return f"{rel} 中 {walked} 匹配 {len(matches)} 个元素(应恰好1个)"
        node = matches[0]
    return None


def reference_problem(ref: str) -> str | None:
    """Why ``ref`` does not resolve, or None when it does."""
    if "::" in ref:
        rel, name = ref.split("::", 1)
    elif "#" in ref:
        rel, name = ref.split("#", 1)
    else:
        rel, name = ref, ""
    path = ROOT / rel
    if not path.exists():
        return f"文件不存在: {rel}"
    if "::" in ref:
        if path.suffix != ".py":
            return f"{ref}: 只有 .py 文件可以用 :: 引用名称"
        return _python_problem(path, rel, name)
    if "#" in ref:
        if path.suffix != ".json":
            return f"{ref}: 只有 .json 文件可以用 # 引用键路径"
        return _json_problem(path, rel, name)
    return None


def is_test_ref(ref: str) -> bool:
    return "::" in ref and is_test_file(ref.split("::", 1)[0])


# --- the checks, as functions of the page's text so they can be tried on a bad page -------------


def unresolved(text: str) -> list[str]:
    problems = []
    for span in spans(text):
        if span.startswith(ROOTS):
            problem = reference_problem(span)
            if problem:
                problems.append(problem)
        elif LOOKS_LIKE_REF.search(span):
            problems.append(f"`{span}` 看似引用,但不在 {', '.join(ROOTS)} 之下")
    return problems


def _column(table: Table, word: str) -> int:
    return next(i for i, h in enumerate(table.header) if word in h)


def unproven(text: str) -> list[str]:
    """Held rows must name code (no tests) in 承载 and only tests in 证明."""
    problems = []
    for table in tables(text):
        if table.kind != HELD:
            continue
        code_at, test_at = _column(table, "承载"), _column(table, "证明")
        for line, cells in table.rows:
            where = f"第{line}行({cells[0]})"
            if len(cells) != len(table.header):
                problems.append(f"{where}: 列数与表头不符")
                continue
            code, proof = references(cells[code_at]), references(cells[test_at])
            if not code:
                problems.append(f"{where}: 没有承载它的代码或数据")
            problems += [f"{where}: 承载列引用了测试 {r}" for r in code if is_test_ref(r)]
            if not proof:
                problems.append(f"{where}: 没有证明它的测试")
            problems += [f"{where}: 证明列的 {r} 不是测试" for r in proof if not is_test_ref(r)]
    return problems


def unexplained(text: str) -> list[str]:
    """Rows not held (or not yet) must say why, in more than a word."""
    problems = []
    for table in tables(text):
        if table.kind not in (NOT_HELD, GAP):
            continue
        for line, cells in table.rows:
            if len(cells) != len(table.header):
                problems.append(f"第{line}行: 列数与表头不符")
            elif len(cells[-1]) < 8:
                problems.append(f"第{line}行({cells[0]}): 没有说明原因")
    return problems


def _clauses(cell: str) -> set[str]:
    return {part.strip() for part in cell.split("、") if part.strip()}


def untraced(text: str) -> list[str]:
    """Every clause of every seed appears in its own section."""
    by_seed: dict[str, list[Table]] = {}
    for table in tables(text):
        seed = table.section.split(" ", 1)[0]
        by_seed.setdefault(seed, []).append(table)
    problems = []
    for seed, expected in SEED_CLAUSES.items():
        found = by_seed.get(seed, [])
        kinds = {t.kind for t in found}
        problems += [f"{seed}: 缺少“{k}”表" for k in (HELD, NOT_HELD) if k not in kinds]
        cited = {c for t in found for _, cells in t.rows for c in _clauses(cells[0])}
        for clause in expected:
            # 金昌's articles may carry a paragraph (第十二条第三款); the others match exactly.
            if seed == "000":
                hit = any(c.startswith(clause) for c in cited)
            else:
                hit = clause in cited
            if not hit:
                problems.append(f"{seed}: 条款 {clause} 没有出现在任何表中")
    return problems


# --- the page as it is -------------------------------------------------------------------------


def _page() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_reference_resolves():
    problems = unresolved(_page())
    assert not problems, "docs/traceability.md 的引用失效:\n" + "\n".join(problems)


def test_every_held_clause_names_its_code_and_a_test():
    problems = unproven(_page())
    assert not problems, "docs/traceability.md:\n" + "\n".join(problems)


def test_every_clause_not_held_says_why():
    problems = unexplained(_page())
    assert not problems, "docs/traceability.md:\n" + "\n".join(problems)


def test_every_clause_of_each_seed_is_traced():
    problems = untraced(_page())
    assert not problems, "docs/traceability.md:\n" + "\n".join(problems)


def test_the_page_has_the_three_seeds_and_many_references():
    page = _page()
    sections = {t.section.split(" ", 1)[0] for t in tables(page)}
    assert sections == set(SEED_CLAUSES)
    refs = references(page)
    assert sum(is_test_ref(r) for r in refs) > 100
    assert sum("#" in r for r in refs) > 100


# --- the checker itself catches what it must ---------------------------------------------------

J_RULES = "plugins/jinchang/qingdan_jinchang/data/rules.json"
A_RULES = "plugins/anyang/qingdan_anyang/data/rules.json"
CALENDAR = "tests/unit/test_calendar.py"
BAD_PAGE = "\n".join(
    [
        "## 000 某办法",
        "",
        "| 条款 | 规定 | 承载 | 证明 |",
        "|---|---|---|---|",
        f"| 第一条 | 文件不存在 | `core/no_such.py::x` | `{CALENDAR}::test_national_day_2025` |",
        f"| 第二条 | 名称不存在 | `core/workflow/services.py::nope` | `{CALENDAR}::test_nope` |",
        f"| 第三条 | 键不存在 | `{J_RULES}#approval.steps.nope` | `core/workflow/services.py::claim` |",
        f"| 第四条 | 选择器不唯一 | `{A_RULES}#approval.chains[clause=二(一)3]` | |",
        "",
        "| 条款 | 规定 | 为何不由系统承载 |",
        "|---|---|---|",
        "| 第五条 | 会议 | |",
        "",
        "Elsewhere: `path/outside/the/repo.py::x`.",
        "",
    ]
)


def test_the_checker_finds_every_kind_of_broken_reference():
    problems = "\n".join(unresolved(BAD_PAGE))
    assert "文件不存在: core/no_such.py" in problems
    assert "core/workflow/services.py 中没有定义 nope" in problems
    assert "tests/unit/test_calendar.py 中没有定义 test_nope" in problems
    assert "rules.json 中没有键 approval.steps.nope" in problems
    assert "approval.chains[clause=二(一)3] 匹配 3 个元素" in problems
    assert "`path/outside/the/repo.py::x` 看似引用" in problems
    # The good references of the same page resolve.
    assert "test_national_day_2025" not in problems
    assert "core/workflow/services.py::claim" not in problems


def test_the_checker_finds_rows_without_a_test_or_a_reason_and_missing_clauses():
    proof = "\n".join(unproven(BAD_PAGE))
    assert "(第三条): 证明列的 core/workflow/services.py::claim 不是测试" in proof
    assert "(第四条): 没有证明它的测试" in proof
    assert "(第一条)" not in proof
    assert "(第五条): 没有说明原因" in "\n".join(unexplained(BAD_PAGE))
    missing = untraced(BAD_PAGE)
    assert "000: 条款 第六条 没有出现在任何表中" in missing
    assert "000: 条款 第一条 没有出现在任何表中" not in missing
    assert "001: 缺少“承载”表" in missing


def test_a_class_member_and_a_selector_on_a_list_value_resolve():
    assert reference_problem("core/catalog/elements.py::ElementDocument.levels") is None
    assert reference_problem("core/catalog/elements.py::ElementDocument.no_such") is not None
    chains = "plugins/anyang/qingdan_anyang/data/rules.json#approval.chains"
    assert reference_problem(f"{chains}[kinds=cancel].steps") is None
    assert "匹配 0 个元素" in reference_problem(f"{chains}[kinds=no_such_kind]")
    assert json_path("rules[id=anyang.clear_conditions].check") == [
        ("rules", ("id", "anyang.clear_conditions")),
        ("check", None),
    ]
    # A name in a test file must be a test function, not a helper or a fixture.
    assert "不是测试函数" in reference_problem("plugins/jinchang/tests/test_jinchang.py::plugin")
