"""The ``qingdan`` command.

Every subcommand reads the same configuration (``QINGDAN_*`` environment
variables; ``--data-dir`` sets ``QINGDAN_DATA_DIR``), so ``qingdan demo
--data-dir D`` and a later ``QINGDAN_DATA_DIR=D qingdan serve`` share data.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click


def _data_dir_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    @click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="数据目录(嵌入式数据库和文件),默认 ./var 或 QINGDAN_DATA_DIR",
    )
    @wraps(fn)
    def wrapper(*args: Any, data_dir: Path | None = None, **kwargs: Any) -> Any:
        if data_dir is not None:
            os.environ["QINGDAN_DATA_DIR"] = str(data_dir.expanduser().resolve())
        return fn(*args, **kwargs)

    return wrapper


def _settings():
    from qingdan.core.config import load_settings, set_settings

    settings = load_settings()
    set_settings(settings)
    return settings


async def _migrate(settings) -> str:
    from qingdan.core.db import connect
    from qingdan.core.db.migrate import migrate

    connect(settings)
    return await migrate()


def _fail(message: str) -> None:
    click.echo(f"错误: {message}", err=True)
    sys.exit(1)


@click.group()
@click.version_option(package_name="qingdan")
def main() -> None:
    """清单: 政务服务事项管理平台。"""


# Running ------------------------------------------------------------------------


def _serve(settings, host: str, port: int) -> None:
    import uvicorn

    from qingdan.core.ops.logs import configure_logging
    from qingdan.web.app import create_app

    click.echo(f"清单已启动: http://{host}:{port}/  (数据: {_where(settings)})")
    configure_logging()
    app = create_app(settings, inprocess_jobs=True)
    # log_config=None: uvicorn keeps the JSON log lines configured above.
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


def _where(settings) -> str:
    if settings.is_sqlite:
        return str(settings.data_dir)
    return settings.database_url.split("@")[-1]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="只准备数据,不启动网站")
@_data_dir_option
def demo(host: str, port: int, no_serve: bool) -> None:
    """创建并迁移数据库,载入三个演示租户,然后启动网站。"""
    settings = _settings()
    from qingdan.core.demo.loader import DEMO_PASSWORD, load_demo
    from qingdan.core.plugins import get_registry

    async def prepare():
        await _migrate(settings)
        return await load_demo(get_registry())

    summaries = asyncio.run(prepare())
    for s in summaries:
        state = "已创建" if s.created else "已存在,未改动"
        detail = f",{s.agencies} 个实施机构,{s.entries} 个基本目录事项,{s.items} 个实施清单事项"
        click.echo(f"租户 {s.name}({s.slug}): {state}{detail if s.created else ''}")
    click.echo(
        f"演示账号(密码 {DEMO_PASSWORD}): admin, reform, legal, data, hall, clerk, reviewer;"
        f" 平台管理员 platform"
    )
    if not no_serve:
        _serve(settings, host, port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@_data_dir_option
def serve(host: str, port: int) -> None:
    """启动网站(生产环境请先运行 qingdan db migrate)。"""
    _serve(_settings(), host, port)


@main.command()
@click.option("--threads", default=4, show_default=True, type=int)
@_data_dir_option
def worker(threads: int) -> None:
    """运行后台任务(需要 QINGDAN_REDIS_URL)。"""
    settings = _settings()
    if not settings.redis_url:
        _fail("未配置 QINGDAN_REDIS_URL;嵌入式部署的后台任务在网站进程内运行,无需单独的 worker")
    from qingdan.core.jobs.worker import run_worker
    from qingdan.core.ops.logs import configure_logging

    configure_logging()
    metrics_port = os.environ.get("QINGDAN_METRICS_PORT")
    if metrics_port:
        from qingdan.core.ops.metrics import start_http_server

        start_http_server(int(metrics_port))
    click.echo(f"后台任务进程已启动({threads} 个线程)")
    run_worker(settings, threads=threads)


@main.command()
@_data_dir_option
def scheduler() -> None:
    """定时任务:每15分钟排队一次期限扫描(需要 QINGDAN_REDIS_URL)。"""
    settings = _settings()
    if not settings.redis_url:
        _fail("未配置 QINGDAN_REDIS_URL;嵌入式部署的定时任务在网站进程内运行")
    import threading

    from qingdan.core.jobs.scheduler import start_scheduler

    start_scheduler()
    click.echo("定时任务已启动")
    threading.Event().wait()


@main.command()
@click.option("--tenant", "slug", default=None, help="只扫描这个租户")
@_data_dir_option
def scan(slug: str | None) -> None:
    """立即执行期限扫描:到期发布、提醒、逾期督办。"""
    settings = _settings()
    from qingdan.core.tenancy.context import load_context
    from qingdan.core.tenancy.services import list_tenants
    from qingdan.core.workflow.scan import scan_tenant

    async def run():
        await _migrate(settings)
        slugs = [slug] if slug else [t["slug"] for t in await list_tenants() if t["active"]]
        return [(s, await scan_tenant(await load_context(slug=s))) for s in slugs]

    for s, report in asyncio.run(run()):
        click.echo(
            f"{s}: 发布 {report.published},提醒 {report.reminded},"
            f"逾期 {report.overdue},督办 {report.escalated}"
        )


@main.command()
@click.option("--tenant", "slug", required=True, help="要质检的租户")
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="同时把报告写入这个 Excel 文件",
)
@_data_dir_option
def check(slug: str, xlsx_path: Path | None) -> None:
    """对租户的全部事项运行质检,按实施机构列出未整改的问题;有阻止提交的问题时以状态 1 退出。"""
    settings = _settings()
    from qingdan.core.audit.services import Actor
    from qingdan.core.checks.report import report_xlsx, summary_lines
    from qingdan.core.checks.services import run_tenant_check, tenant_report
    from qingdan.core.errors import NotFound
    from qingdan.core.tenancy.context import load_context

    async def run():
        await _migrate(settings)
        try:
            ctx = await load_context(slug=slug)
        except NotFound:
            return None
        await run_tenant_check(ctx, Actor.system("命令行质检"), trigger="cli")
        report = await tenant_report(ctx)
        data = report_xlsx(report, ctx.plugin.jurisdiction.name) if xlsx_path else None
        return report, data

    result = asyncio.run(run())
    if result is None:
        click.echo(f"错误: 租户“{slug}”不存在", err=True)
        sys.exit(2)
    report, data = result
    for line in summary_lines(report):
        click.echo(line)
    if xlsx_path is not None:
        xlsx_path.write_bytes(data)
        click.echo(f"报告已写入 {xlsx_path}")
    if report.open_block:
        sys.exit(1)


@main.group()
def audit() -> None:
    """审计日志。"""


@audit.command("verify")
@click.option("--tenant", "slug", default=None, help="只校验这个租户")
@_data_dir_option
def audit_verify(slug: str | None) -> None:
    """校验审计日志的哈希链;发现篡改时以非零状态退出。"""
    settings = _settings()
    from qingdan.core.audit.services import verify_chain
    from qingdan.core.tenancy.services import list_tenants

    async def run():
        await _migrate(settings)
        tenants = [t for t in await list_tenants() if slug is None or t["slug"] == slug]
        if slug is not None and not tenants:
            _fail(f"租户“{slug}”不存在")
        results = [(t["slug"], await verify_chain(t["id"])) for t in tenants]
        if slug is None:
            results.append(("(平台)", await verify_chain(None)))
        return results

    bad = False
    for name, report in asyncio.run(run()):
        if report.ok:
            click.echo(f"{name}: 完好,共 {report.entries} 条")
        else:
            bad = True
            click.echo(f"{name}: 第 {report.first_bad_seq} 条起校验失败: {report.reason}")
    if bad:
        sys.exit(2)


# Exports ---------------------------------------------------------------------------


@main.command("export")
@click.option("--tenant", "slug", required=True, help="租户标识")
@click.option("--format", "fmt", required=True, help="格式:xlsx、csv、json 或 cpsv-ap")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--list",
    "list_kind",
    default=None,
    help="items(实施清单,默认)或 catalog(目录清单;cpsv-ap 格式默认)",
)
@click.option("--agency", default=None, help="只导出该实施机构(名称或统一社会信用代码)")
@click.option(
    "--type", "item_type", default=None, help="只导出该事项类型(如 行政许可 或 licensing)"
)
@click.option("--division", default=None, help="只导出该行政区划(名称或区划代码)")
@_data_dir_option
def export(
    slug: str,
    fmt: str,
    output: Path,
    list_kind: str | None,
    agency: str | None,
    item_type: str | None,
    division: str | None,
) -> None:
    """导出已发布的实施清单或目录清单(只含已发布的版本)。"""
    settings = _settings()
    from qingdan.core.errors import DomainError
    from qingdan.core.exports.commandline import export_file

    async def run():
        await _migrate(settings)
        return await export_file(
            slug,
            fmt,
            output,
            list_kind=list_kind,
            agency=agency,
            item_type=item_type,
            division=division,
        )

    try:
        count = asyncio.run(run())
    except DomainError as exc:
        _fail(exc.message)
    if fmt == "cpsv-ap":
        click.echo(f"已导出目录清单(CPSV-AP JSON-LD)到 {output}")
    else:
        click.echo(f"已导出 {count} 项到 {output}")


# Database -------------------------------------------------------------------------


@main.command()
@click.option("--output", "output", required=True, type=click.Path(path_type=Path))
@_data_dir_option
def backup(output: Path) -> None:
    """备份数据库和文件库到一个 .tar.gz 文件。"""
    from qingdan.core.ops.backup import BackupError
    from qingdan.core.ops.backup import backup as run_backup

    try:
        manifest = asyncio.run(run_backup(_settings(), output))
    except BackupError as exc:
        _fail(str(exc))
    rows = sum(manifest["row_counts"].values())
    click.echo(f"已备份到 {output}({manifest['engine']},{rows} 行,{len(manifest['migrations'])} 个迁移)")


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_data_dir_option
def restore(archive: Path) -> None:
    """把备份恢复到新建的空数据库(之后无需再迁移),并核对各表行数。"""
    from qingdan.core.ops.backup import BackupError
    from qingdan.core.ops.backup import restore as run_restore

    try:
        manifest = asyncio.run(run_restore(_settings(), archive))
    except BackupError as exc:
        _fail(str(exc))
    rows = sum(manifest["row_counts"].values())
    click.echo(f"已恢复 {archive}(备份于 {manifest['created_at']},{rows} 行,行数核对一致)")


@main.group()
def db() -> None:
    """数据库。"""


@db.command("migrate")
@_data_dir_option
def db_migrate() -> None:
    """执行尚未执行的数据库迁移。"""
    settings = _settings()
    report = asyncio.run(_migrate(settings))
    click.echo(report.strip() or "数据库已是最新")


# Tenants ---------------------------------------------------------------------------


@main.group()
def tenant() -> None:
    """租户。"""


@tenant.command("create")
@click.option("--slug", required=True, help="租户标识(小写字母、数字、连字符)")
@click.option("--name", required=True, help="租户名称,如 某某市")
@click.option("--plugin", "plugin_name", required=True, help="辖区插件名(见 qingdan plugins)")
@_data_dir_option
def tenant_create(slug: str, name: str, plugin_name: str) -> None:
    """创建租户并绑定辖区插件。"""
    settings = _settings()
    from qingdan.core.audit.services import Actor
    from qingdan.core.errors import DomainError
    from qingdan.core.plugins import PluginError
    from qingdan.core.tenancy.services import create_tenant

    async def run():
        await _migrate(settings)
        return await create_tenant(Actor.system("命令行"), slug, name, plugin_name)

    try:
        created = asyncio.run(run())
    except (DomainError, PluginError) as exc:
        _fail(str(exc))
    click.echo(f"已创建租户 {created.name}({created.slug}),辖区插件 {created.plugin}")


@tenant.command("list")
@_data_dir_option
def tenant_list() -> None:
    """列出租户。"""
    settings = _settings()
    from qingdan.core.tenancy.services import list_tenants

    async def run():
        await _migrate(settings)
        return await list_tenants()

    for t in asyncio.run(run()):
        click.echo(f"{t['slug']}\t{t['name']}\t{t['plugin']}\t{t['division_code']}")


@main.command()
@click.option("--tenant", "slug", default=None, help="租户标识;不填则创建平台管理员")
@click.option("--username", required=True)
@click.option("--name", "display_name", default="")
@click.option("--role", "roles", multiple=True, required=True, help="角色,可重复")
@click.option("--agency-id", type=int, default=None, help="信息员、审核员所属实施机构 id")
@click.password_option(prompt="密码")
@_data_dir_option
def user(
    slug: str | None,
    username: str,
    display_name: str,
    roles: tuple[str, ...],
    agency_id: int | None,
    password: str,
) -> None:
    """创建用户并授予角色。"""
    settings = _settings()
    from qingdan.core.audit.services import Actor
    from qingdan.core.errors import DomainError
    from qingdan.core.tenancy.passwords import WeakPassword
    from qingdan.core.tenancy.services import create_user, get_tenant, grant_role

    async def run():
        await _migrate(settings)
        actor = Actor.system("命令行")
        tenant_id = (await get_tenant(slug)).id if slug else None
        created = await create_user(tenant_id, actor, username, display_name, password)
        for role in roles:
            await grant_role(tenant_id, actor, created.id, role, agency_id=agency_id)
        return created

    try:
        asyncio.run(run())
    except (DomainError, WeakPassword, ValueError) as exc:
        _fail(str(exc))
    click.echo(f"已创建用户 {username}")


# Working-day calendar ---------------------------------------------------------------------


@main.group()
def calendar() -> None:
    """工作日日历:节假日与调休。"""


def _parse_when(value: str):
    from datetime import date, datetime

    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        _fail(f"“{value}”不是有效日期(格式如 2025-09-26 或 2025-09-26T17:00:00+08:00)")


async def _calendar_tenant_id(slug: str | None) -> int | None:
    from qingdan.core.tenancy.services import get_tenant

    return (await get_tenant(slug)).id if slug else None


@calendar.command("add-workdays")
@click.argument("when", metavar="DATE")
@click.argument("n", type=click.IntRange(min=0))
@click.option("--tenant", "slug", default=None, help="按这个租户的放假安排计算;不填则用平台的")
@_data_dir_option
def calendar_add_workdays(when: str, n: int, slug: str | None) -> None:
    """打印 DATE 之后第 N 个工作日(N 为 0 时为当日)。"""
    settings = _settings()
    from qingdan.core.calendar.schemas import provisional_note
    from qingdan.core.calendar.services import load_calendar
    from qingdan.core.errors import NotFound

    start = _parse_when(when)

    async def run():
        await _migrate(settings)
        return (await load_calendar(await _calendar_tenant_id(slug))).add_working_days(start, n)

    try:
        deadline = asyncio.run(run())
    except NotFound as exc:
        _fail(str(exc))
    click.echo(deadline.due.isoformat())
    if deadline.provisional:
        click.echo(provisional_note(deadline.years_without_data) + ",此日期为暂定")


@calendar.command("import")
@click.argument(
    "path", metavar="FILE", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--tenant", "slug", default=None, help="导入为这个租户的安排;不填则全平台适用")
@_data_dir_option
def calendar_import(path: Path, slug: str | None) -> None:
    """导入一年的放假安排(CSV:日期,类型,名称;格式见 docs/calendar.md)。"""
    settings = _settings()
    from qingdan.core.audit.services import Actor
    from qingdan.core.calendar.services import import_schedule
    from qingdan.core.errors import DomainError, NotFound

    async def run():
        await _migrate(settings)
        tenant_id = await _calendar_tenant_id(slug)
        return await import_schedule(
            tenant_id, Actor.system("命令行"), path.read_bytes(), path.name
        )

    try:
        schedule = asyncio.run(run())
    except (DomainError, NotFound) as exc:
        _fail(str(exc))
    whose = f"租户 {slug}" if slug else "全平台"
    click.echo(
        f"已导入{schedule.year}年放假安排({whose}):放假 {len(schedule.holidays)} 天,"
        f"调休上班 {len(schedule.workdays)} 天"
    )
    click.echo(f"来源: {schedule.source}")


@calendar.command("show")
@click.argument("year", type=click.IntRange(min=1900, max=2100))
@click.option("--tenant", "slug", default=None, help="显示这个租户实际使用的安排")
@_data_dir_option
def calendar_show(year: int, slug: str | None) -> None:
    """列出一年的放假和调休上班日,并说明数据来源。"""
    settings = _settings()
    from qingdan.core.calendar.schemas import YearSource
    from qingdan.core.calendar.services import list_years, load_calendar, weekday_label
    from qingdan.core.errors import NotFound

    async def run():
        await _migrate(settings)
        tenant_id = await _calendar_tenant_id(slug)
        stored = [s for s in await list_years(tenant_id) if s.year == year and s.in_effect]
        return await load_calendar(tenant_id), stored

    try:
        cal, stored = asyncio.run(run())
    except NotFound as exc:
        _fail(str(exc))
    source = cal.year_source(year)
    schedule = cal.schedule(year)
    if source is YearSource.unknown or schedule is None:
        click.echo(
            f"{year}年: 未录入放假安排,暂按周末推算;涉及该年的期限均为暂定。"
            f"请用 qingdan calendar import 导入该年的放假安排"
        )
        return
    if source is YearSource.schedule:
        whose = stored[0].scope_label if stored else "已录入"
        click.echo(f"{year}年: 已录入的放假安排({whose});来源: {schedule.source}")
    else:
        click.echo(f"{year}年: 内置日历({schedule.source})")
    for d in schedule.days:
        click.echo(f"{d.day.isoformat()}  {weekday_label(d.day)}  {d.kind_label}  {d.name}")
    click.echo(f"共放假 {len(schedule.holidays)} 天,调休上班 {len(schedule.workdays)} 天")


# Plugins --------------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def plugins(as_json: bool) -> None:
    """列出已安装的辖区插件、版本及其实现的钩子。"""
    from qingdan.core.plugins import PluginError, get_registry

    try:
        registry = get_registry()
    except PluginError as exc:
        _fail(str(exc))
    rows = [
        {
            "name": p.name,
            "version": p.version,
            "distribution": p.distribution,
            "jurisdiction": p.jurisdiction.name,
            "division_code": p.jurisdiction.division_code,
            "hooks": p.implemented_hooks(),
        }
        for p in registry
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("未安装辖区插件")
    for r in rows:
        click.echo(f"{r['name']} {r['version']}  {r['jurisdiction']}({r['division_code']})")
        for hook in r["hooks"]:
            click.echo(f"    {hook}")


@main.group()
def plugin() -> None:
    """编写辖区插件。"""


@plugin.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="在这个目录下创建 qingdan-NAME/",
)
@click.option("--jurisdiction-name", default="某某市", show_default=True, help="辖区名称")
@click.option(
    "--division-code",
    default="990100000000",
    show_default=True,
    help="辖区的12位行政区划代码(默认值是占位代码,请换成真实的)",
)
def plugin_new(name: str, directory: Path, jurisdiction_name: str, division_code: str) -> None:
    """创建一个可安装的辖区插件包 qingdan-NAME(入口点、钩子模块、起步测试)。"""
    from qingdan.scaffold import ScaffoldError, make_spec, write_plugin

    try:
        spec = make_spec(name, jurisdiction_name, division_code)
        root = write_plugin(spec, directory)
    except ScaffoldError as exc:
        _fail(str(exc))
    click.echo(f"已创建辖区插件 {spec.name}({spec.jurisdiction_name}): {root}")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        click.echo(f"    {path.relative_to(root)}")
    if spec.placeholder:
        click.echo(f"注意: 行政区划代码 {spec.division_code} 是占位代码,请换成本辖区的真实代码")
    click.echo("下一步:")
    click.echo(f"    pip install -e {root}")
    click.echo(f"    pytest {root / 'tests'} -q")


# ``qingdan catalog``: releases from above (qingdan/catalog_cli.py).
from qingdan.catalog_cli import catalog  # noqa: E402

main.add_command(catalog)


if __name__ == "__main__":
    main()
