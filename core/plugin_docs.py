"""docs/plugins/hooks.md, generated from the hook specifications' docstrings.

Regenerate with ``python -m qingdan.core.plugin_docs > docs/plugins/hooks.md``;
a test fails when the file and the docstrings disagree.
"""

from __future__ import annotations

import inspect

from qingdan.core import hookspecs
from qingdan.core.plugins import hook_docs


def render_hooks_markdown() -> str:
    lines = [
        "# Jurisdiction plugin hooks",
        "",
        "Generated from `core/hookspecs.py`; do not edit by hand.",
        "",
        inspect.getdoc(hookspecs) or "",
        "",
    ]
    for name, doc in hook_docs().items():
        fn = getattr(hookspecs, name)
        signature = str(inspect.signature(fn)).replace("'", "")
        lines += [f"## `{name}{signature}`", "", doc, ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_hooks_markdown(), end="")
