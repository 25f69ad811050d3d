"""``qingdan catalog``: import a catalog release from above, write the sample file,
export a tenant's catalog in the release format (docs/catalog-import.md).

``qingdan catalog import`` exits 0 when the release was applied or was already
imported (nothing to do), 1 when it refused the file (the row report is
printed, one error a line), 2 when the tenant does not exist.
"""

from __future__ import annotations

import asyncio
import os
import sys
from functools import wraps
from pathlib import Path

import click

FORMATS = click.Choice(["xlsx", "json"])


def _prepare():
    """The settings of the ``QINGDAN_*`` environment, and a migrated database."""
    from qingdan.core.config import load_settings, set_settings

    settings = load_settings()
    set_settings(settings)

    async def migrate(settings) -> None:
        from qingdan.core.db import connect
        from qingdan.core.db.migrate import migrate as run_migrations

        connect(settings)
        await run_migrations()

    return settings, migrate


def _data_dir(fn):
    """``--data-dir``, as every ``qingdan`` command takes it."""

    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="数据目录(嵌入式数据库和文件),默认 ./var 或 QINGDAN_DATA_DIR",
    )
    @wraps(fn)
    def wrapper(*args, data_dir: Path | None = None, **kwargs):
        if data_dir is not None:
            os.environ["QINGDAN_DATA_DIR"] = str(data_dir.expanduser().resolve())
        return fn(*args, **kwargs)

    return wrapper


@click.group()
def catalog() -> None:
    """基本目录:导入上级发布、生成样例文件、导出本辖区目录。"""


@catalog.command("import")
@click.option("--tenant", "slug", required=True, help="导入到这个租户")
@click.option(
    "--source",
    type=click.Choice(["national", "provincial"]),
    default=None,
    help="文件未注明时的发布来源",
)
@click.option(
    "--mode",
    type=click.Choice(["full", "increment"]),
    default=None,
    help="文件未注明时的发布方式(全量发布会取消文件中没有的同来源事项)",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_data_dir
def catalog_import(slug: str, source: str | None, mode: str | None, path: Path) -> None:
    """导入上级发布的基本目录(xlsx 或 JSON);文件有错时列出每一处错误,不作任何更改。"""
    settings, migrate = _prepare()
    from qingdan.core.audit.services import Actor
    from qingdan.core.errors import NotFound
    from qingdan.core.imports.releases import import_release
    from qingdan.core.imports.report import ImportRefused
    from qingdan.core.tenancy.context import load_context

    async def progress(done: int, total: int, message: str) -> None:
        click.echo(f"  {message}", err=True)

    async def run():
        await migrate(settings)
        try:
            ctx = await load_context(slug=slug)
        except NotFound:
            return None
        return await import_release(
            ctx,
            Actor.system("命令行导入"),
            path.read_bytes(),
            path.name,
            via="cli",
            source=source,
            mode=mode,
            progress=progress,
        )

    try:
        outcome = asyncio.run(run())
    except ImportRefused as exc:
        click.echo(exc.text())
        sys.exit(1)
    if outcome is None:
        click.echo(f"错误: 租户“{slug}”不存在", err=True)
        sys.exit(2)
    click.echo(outcome.message)
    for line in outcome.notes + outcome.skipped:
        click.echo(f"  {line}")


@catalog.command("sample")
@click.option("--format", "fmt", type=FORMATS, default="xlsx", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="写入这个文件(默认当前目录下的 基本目录样例.xlsx/.json)",
)
def catalog_sample(fmt: str, output: Path | None) -> None:
    """生成上级基本目录发布的样例文件(取自演示用的国家基本目录)。"""
    from qingdan.core.imports.sample import sample_release

    data, name = sample_release(fmt)
    target = output or Path(name)
    target.write_bytes(data)
    click.echo(f"样例文件已写入 {target}")


@catalog.command("export")
@click.option("--tenant", "slug", required=True)
@click.option("--format", "fmt", type=FORMATS, default="xlsx", show_default=True)
@click.option(
    "--source",
    type=click.Choice(["national", "provincial"]),
    default="provincial",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@_data_dir
def catalog_export(slug: str, fmt: str, source: str, output: Path | None) -> None:
    """把本辖区在用的基本目录导出为发布格式(可在 Excel 中修改后再导入)。"""
    settings, migrate = _prepare()
    from qingdan.core.errors import NotFound
    from qingdan.core.imports.sample import export_catalog
    from qingdan.core.tenancy.context import load_context

    async def run():
        await migrate(settings)
        try:
            ctx = await load_context(slug=slug)
        except NotFound:
            return None
        return await export_catalog(ctx, fmt, source)

    result = asyncio.run(run())
    if result is None:
        click.echo(f"错误: 租户“{slug}”不存在", err=True)
        sys.exit(2)
    data, name = result
    target = output or Path(name)
    target.write_bytes(data)
    click.echo(f"基本目录已导出到 {target}")
