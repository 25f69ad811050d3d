"""docs/quality-checks.md, generated from the rules themselves.

Regenerate with ``python -m qingdan.core.checks.docs > docs/quality-checks.md``;
a test fails when the file and the rules disagree, so the table cannot drift.
The installed jurisdiction plugins' rules are listed after core's.
"""

from __future__ import annotations

from qingdan.core.checks.report import KIND_LABELS, RuleRow, rule_rows
from qingdan.core.hooktypes import ConsistencyKind

INTRO = """\
# 质检(quality checks)

Generated from `core/checks/rules.py` and the installed plugins' `data/quality.json`
by `python -m qingdan.core.checks.docs`; do not edit by hand.

质检 finds the defects of an item's elements before the public does. Each
**check rule** has an id, a **severity** — 阻止提交 (`block`: a change with
such a finding cannot be submitted) or 提醒 (`warn`: shown, never blocks) — and a
Chinese message naming the element by its title. Core's rules hold in every
jurisdiction; the tenant's jurisdiction plugin adds its own
(`qingdan_quality_rules`, see [plugins/hooks.md](plugins/hooks.md)) as data.

## Where checks run

- **On save and in the editor**: the item editor lists the findings of the
  document on screen next to their elements; saving a draft stores the item's
  findings (`core/workflow/services.py` `edit_draft`).
- **On submission**: a blocking finding refuses the submission (and a
  resubmission after a return) with every blocking message.
- **Across a tenant**: on demand on the 质检 page (大数据中心, 审改机构,
  租户管理员), with `qingdan check --tenant SLUG` (exit code 1 while blocking
  findings are open; `--xlsx FILE` writes the report), and nightly at 00:10
  (Asia/Shanghai), before the indicator snapshot. The tenant check reads each
  item's latest document (its draft if it has one, else the published version);
  cancelled items are not checked.

A finding stays **open** until a later save or check no longer finds it; then it
is resolved (`resolved_at`), and its history stays (`quality_finding`). The
report by agency (page and xlsx: 汇总, 问题明细, 一致性检查, 规则) counts open
findings; the indicators count them per agency too
(`qingdan.core.checks.services.open_findings_by_agency`).

A placeholder is not an answer: 无, 暂无, /, -, 略, 同上, 待定, 不涉及 … count
as empty wherever a rule asks for something to be filled.

## Consistency checks

- Every item agrees with its catalog entry on 事项名称 and 事项类型
  (`core.catalog_agreement`, blocking).
- A plugin names further elements to compare (`ConsistencyRule`):
  `catalog` compares an item with its catalog entry (for instance 四级四同 for
  power items: name, code, basis and type identical to the provincial standard
  list); `divisions` compares the items implementing one catalog entry (and
  handling item) in several divisions (for instance 三级三十二同) and lists every
  disagreement: the entry, the element, and which divisions have which value.
  Every item of a disagreement gets a finding naming the others' values.
- Values are compared as a reader sees them: full-width and half-width folded,
  spaces collapsed, the order of rows ignored except in 办理流程, the pasted
  article text of a legal basis left out. An element the catalog entry leaves
  empty has nothing to agree with.
"""

KINDS = """\
## Rule kinds a plugin may use

A plugin's rule is data (`QualityRule` in `core/hooktypes.py`; a plugin's file
is read with `qingdan.core.checks.declarative.QualityBook`). Its `check` is
one of:

{kinds}

`when` limits a rule to item types (`item_types`) or to items where a yes/no
element is 是 (`flag`). The element must exist, the message must be Chinese and
name the element by its title, the kind must fit the element: the plugin fails
loading otherwise, and the conformance kit says why.
"""


KIND_ROWS = (
    ("filled", "", "the element is empty or a placeholder"),
    ("min_rows", "`n`", "a table element has fewer than `n` rows"),
    ("at_most", "`value`", "a number (到办事现场次数) or a time limit's value is larger"),
    ("one_of", "`values`", "a choice element has another value (or none)"),
    (
        "fields_filled",
        "`fields`, `where`",
        "a part (审批结果) or a table's row leaves one of `fields` empty "
        "(with `where`: only rows whose field has one of the values)",
    ),
    ("no_rows", "`where`", "a table has a row `where` matches"),
    ("no_phrases", "`phrases`, `field`", "the text (or `field` of a table's rows) has a phrase"),
    (
        "includes",
        "`values`, `if_any`",
        "a multiple choice lacks one of `values` (with `if_any`: only when it has one of those)",
    ),
)


def _kinds() -> str:
    lines = ["| kind | fields | fails when |", "|---|---|---|"]
    lines += [f"| `{k}` | {f} | {w} |" for k, f, w in KIND_ROWS]
    return "\n".join(lines)


def _table(rows: list[RuleRow]) -> list[str]:
    lines = ["| id | severity | element | rule (message) | why |", "|---|---|---|---|---|"]
    for r in rows:
        cells = [f"`{r.id}`", f"{r.severity.label} (`{r.severity.value}`)", r.elements, r.rule]
        cells.append(r.why)
        lines.append(
            "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
        )
    return lines


def render_quality_markdown() -> str:
    from qingdan.core.plugins import get_registry

    kinds = KINDS.format(kinds=_kinds())
    lines = [INTRO, "## Core rules", "", *_table(rule_rows()), "", kinds]
    for plugin in sorted(get_registry(), key=lambda p: p.name):
        rules = plugin.quality_rules(plugin.settings({}))
        if not rules.rules and not rules.consistency:
            continue
        name = plugin.jurisdiction.name
        lines += [f"## {name} (`{plugin.name}`)", ""]
        lines += _table(rule_rows(rules, name))
        for c in rules.consistency:
            if c.kind == ConsistencyKind.divisions:
                lines += [
                    "",
                    f"{c.name} ({KIND_LABELS[c.kind]}) compares {len(c.elements)} elements: "
                    + ", ".join(f"`{e}`" for e in c.elements)
                    + ".",
                ]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_quality_markdown(), end="")
