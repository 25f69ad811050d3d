"""Write a piccolo auto-migration for the named tables only.

``piccolo migrations new --auto`` diffs every registered table against the
migrations, so a table still being built elsewhere in the tree would slip
into someone else's migration. This diffs only the tables named here (plus
those the migrations already know), and writes the same file piccolo would.

    .venv/bin/python scripts/dev/new_migration.py m0017_pending_jobs \\
        "2026-11-22T08:00:00:000000" "Jobs kept while the broker is down" \\
        qingdan.core.ops.tables:PendingJob
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
from itertools import chain
from pathlib import Path

os.environ.setdefault("PICCOLO_CONF", "qingdan.core.db.piccolo_conf")


async def main(filename: str, migration_id: str, description: str, targets: list[str]) -> None:
    import black
    from piccolo.apps.migrations.auto.schema_differ import DiffableTable, SchemaDiffer
    from piccolo.apps.migrations.auto.schema_snapshot import SchemaSnapshot
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.commands.new import render_template
    from piccolo.conf.apps import Finder

    from qingdan.core.db.registry import all_tables

    app_config = Finder().get_app_config("qingdan")
    managers = await BaseMigrationManager().get_migration_managers(app_config=app_config)
    snapshot = SchemaSnapshot(managers).get_snapshot()
    known = {t.tablename for t in snapshot}
    wanted = []
    for target in targets:
        module, name = target.split(":")
        wanted.append(getattr(importlib.import_module(module), name))
    # A table the migrations know may be named too (to add columns): list it once.
    named = {t._meta.tablename for t in wanted}
    tables = [t for t in all_tables() if t._meta.tablename in known - named] + wanted
    differ = SchemaDiffer(
        schema=[
            DiffableTable(
                class_name=t.__name__,
                tablename=t._meta.tablename,
                columns=t._meta.non_default_columns,
                constraints=t._meta.constraints,
                schema=t._meta.schema,
            )
            for t in tables
        ],
        schema_snapshot=snapshot,
    )
    statements = differ.get_alter_statements()
    contents = render_template(
        migration_id=migration_id,
        auto=True,
        alter_statements=list(chain(*[s.statements for s in statements])),
        extra_imports=sorted(
            set(chain(*[s.extra_imports for s in statements])), key=lambda x: x.__repr__()
        ),
        extra_definitions=sorted(set(chain(*[s.extra_definitions for s in statements]))),
        app_name="qingdan",
        description=description,
    )
    contents = black.format_str(contents, mode=black.FileMode(line_length=82))
    path = Path(__file__).resolve().parents[2] / "core" / "migrations" / f"{filename}.py"
    path.write_text(contents)
    print(path)


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
