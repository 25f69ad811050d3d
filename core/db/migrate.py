"""Apply the migrations in core/migrations (the same files for both engines)."""

from __future__ import annotations

import contextlib
import io
import os

PICCOLO_CONF = "qingdan.core.db.piccolo_conf"


class MigrationError(RuntimeError):
    pass


async def migrate(verbose: bool = False) -> str:
    """Run every pending migration; returns piccolo's report."""
    os.environ["PICCOLO_CONF"] = PICCOLO_CONF
    from piccolo.apps.migrations.commands.forwards import run_forwards

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = await run_forwards(app_name="qingdan")
    report = out.getvalue()
    if verbose:
        print(report, end="")
    if not result.success:
        raise MigrationError(f"数据库迁移失败: {result.message}\n{report}")
    return report
