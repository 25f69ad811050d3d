"""The conformance kit: one call checks a jurisdiction plugin against the platform.

A plugin's own test suite runs it with no setup of its own::

    from qingdan.core.testing import assert_conforms

    def test_conforms_to_the_platform():
        assert_conforms("mycity")

:func:`check_plugin` returns a :class:`ConformanceReport`, one named item per
check, each passed or failed with an explanation in Chinese (and, where it
helps, a hint in English):

- the plugin loads from its entry point (``qingdan.jurisdictions``);
- every hook answers with the right type and sane values: the jurisdiction
  (division code, slug), the settings schema (every field has a default and a
  Chinese title), item types, taxonomies, code format, element requirements
  for every item type, approval chains and obligations for every kind of
  change, for licensing and public service items, issued from above or set up
  locally;
- the demo dataset, if any, is consistent (divisions inside the
  jurisdiction, agencies in known divisions, organisation codes that compose
  a valid USCC);
- every kind of change walks through the plugin's approval chain to
  publication on a throwaway SQLite database (required attachments are
  uploaded, each step is approved by a user holding its role).

The throwaway database lives in a temporary directory for the length of the
call; the settings, database engine and plugin registry in use before are
restored afterwards, so the kit can run inside any test session, including
one with its own database and event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any

import msgspec
from msgspec import inspect as mi

from qingdan.core import plugins as plugin_registry
from qingdan.core.catalog.codes import USCC, CodeError, CodeFormat, DivisionCode, ImplCode
from qingdan.core.catalog.elements import ElementDocument
from qingdan.core.catalog.vocab import ItemType, Level
from qingdan.core.hooktypes import ChangeKind, SubjectSummary
from qingdan.core.plugins import ENTRY_POINT_GROUP, Plugin, PluginError, Registry
from qingdan.core.tenancy.schemas import ROLE_LABELS, Role

__all__ = [
    "CheckItem",
    "ConformanceReport",
    "assert_conforms",
    "check_plugin",
]

#: Roles a step or an obligation may name, and how users read them.
KNOWN_ROLES: dict[str, str] = {r.value: ROLE_LABELS[r] for r in Role}
#: Roles held inside a tenant: someone there can act on a step given to them.
TENANT_ROLES = frozenset(r.value for r in Role if r != Role.platform_admin)
MAX_DAYS = 365
SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")  # as tenancy.services.SLUG_RE
CJK_RE = re.compile(r"[\u3400-\u9fff]")
#: The order the walk takes: one item goes through claim, amend, suspend, resume,
#: cancel; a second, locally set-up item through create.
WALK_ORDER: tuple[ChangeKind, ...] = (
    ChangeKind.claim,
    ChangeKind.amend,
    ChangeKind.suspend,
    ChangeKind.resume,
    ChangeKind.cancel,
    ChangeKind.create,
)
PDF = b"%PDF-1.4\n% qingdan conformance kit\n"
TENANT_SLUG = "conformance"


# --- the report ------------------------------------------------------------------------------


class CheckItem(msgspec.Struct, frozen=True, kw_only=True):
    """One check: its name, whether it passed, what was found (Chinese), a hint (English)."""

    name: str
    ok: bool
    detail: str
    hint: str = ""


class ConformanceReport(msgspec.Struct, kw_only=True):
    """Every check the kit ran on one plugin."""

    plugin: str
    version: str = "?"
    jurisdiction: str = ""
    items: list[CheckItem] = []
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return bool(self.items) and all(i.ok for i in self.items)

    @property
    def failures(self) -> list[CheckItem]:
        return [i for i in self.items if not i.ok]

    def item(self, name: str) -> CheckItem:
        """The check called ``name`` (e.g. ``"审核链 qingdan_approval_chain"``, ``"工作流:变更"``)."""
        for i in self.items:
            if i.name == name:
                return i
        known = "、".join(i.name for i in self.items)
        raise KeyError(f"没有名为“{name}”的检查项(有: {known})")

    def add(self, name: str, ok: bool, detail: str, hint: str = "") -> CheckItem:
        item = CheckItem(name=name, ok=ok, detail=detail, hint=hint)
        self.items.append(item)
        return item

    def text(self) -> str:
        """A readable summary: a verdict line, then one line (or more) per check."""
        who = f"插件 {self.plugin}" + (f" {self.version}" if self.version != "?" else "")
        if self.jurisdiction:
            who += f"({self.jurisdiction})"
        total, failed = len(self.items), len(self.failures)
        if self.ok:
            verdict = f"全部 {total} 项通过"
        else:
            verdict = f"{total} 项中 {failed} 项未通过"
        lines = [f"{who} 一致性检查:{verdict}(用时 {self.seconds:.1f} 秒)"]
        for i in self.items:
            mark = "[通过]  " if i.ok else "[未通过]"
            detail = i.detail.replace("\n", "\n            ")
            lines.append(f"  {mark} {i.name}:{detail}")
            if i.hint and not i.ok:
                lines.append(f"            提示 (hint): {i.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


# --- the two calls ---------------------------------------------------------------------------


def check_plugin(name: str) -> ConformanceReport:
    """Run every check on the installed plugin ``name`` and return the report.

    Synchronous; the database part runs with ``asyncio.run`` in a worker
    thread, so it may be called inside or outside a running event loop.
    """
    started = time.monotonic()
    report = ConformanceReport(plugin=name)
    saved_registry = plugin_registry._registry
    try:
        plugin, registered = _load(name, report)
        if plugin is not None:
            report.version = plugin.version
            _check_hooks(plugin, report)
        if registered is not None:
            _run_in_thread(lambda: _walk_on_throwaway_database(registered, report))
        elif plugin is not None:
            report.add(
                "工作流",
                False,
                "未运行:插件未能通过加载校验(见“从入口点加载”),平台不会为它创建租户",
                "Fix the loading problem first; the workflow checks run once the plugin loads.",
            )
    finally:
        plugin_registry._registry = saved_registry
        report.seconds = time.monotonic() - started
    return report


def assert_conforms(name: str) -> None:
    """Check plugin ``name``; raise ``AssertionError`` with the report's text if anything fails."""
    report = check_plugin(name)
    if not report.ok:
        raise AssertionError("\n" + report.text())


def _run_in_thread(work: Callable[[], Any]) -> Any:
    """Run the coroutine ``work()`` makes on an event loop of its own, in a worker thread."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qingdan-conformance") as pool:
        return pool.submit(lambda: asyncio.run(work())).result()


# --- (a) loading -----------------------------------------------------------------------------


def _load(name: str, report: ConformanceReport) -> tuple[Plugin | None, Registry | None]:
    """The plugin (validated, or, if validation fails, as registered, for the other checks)
    and a registry holding it when it loads, for the workflow checks."""
    item = "从入口点加载"
    registry_error = ""
    try:
        registry = plugin_registry.get_registry()
    except PluginError as exc:
        registry, registry_error = None, str(exc)
    if registry is not None and name in registry.names():
        plugin = registry.get(name)
        report.jurisdiction = plugin.jurisdiction.name
        if plugin.distribution:
            where = f"入口点 {ENTRY_POINT_GROUP} 中的 {name}(发行包 {plugin.distribution} {plugin.version})"
        else:
            where = f"测试注册的插件 {name}(版本 {plugin.version},不经入口点)"
        report.add(item, True, f"已加载并通过平台的加载校验:{where}")
        return plugin, registry

    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    if not found:
        installed = "、".join(registry.names()) if registry is not None else ""
        detail = f"没有找到名为“{name}”的辖区插件:入口点组 {ENTRY_POINT_GROUP} 中没有它"
        if installed:
            detail += f"(已安装: {installed})"
        if registry_error:
            detail += f";另外,加载已安装的插件时出错: {registry_error}"
        report.add(
            item,
            False,
            detail,
            f'Declare it in pyproject.toml under [project.entry-points."{ENTRY_POINT_GROUP}"] '
            f'as {name} = "your_package", then reinstall (pip install -e .).',
        )
        return None, None
    ep = found[0]
    dist = getattr(ep, "dist", None)
    version = dist.version if dist is not None else "?"
    distribution = dist.metadata["Name"] if dist is not None else ""
    try:
        module = ep.load()
    except Exception as exc:
        report.add(
            item,
            False,
            f"入口点 {name} = {ep.value} 无法导入: {exc!r}",
            "The entry point must name an importable module; run python -c 'import "
            f"{ep.value.split(':')[0]}' to see the error.",
        )
        return None, None
    try:
        plugin = plugin_registry.load_plugin(name, module, version, distribution)
    except Exception as exc:
        report.add(
            item,
            False,
            f"加载校验失败: {exc}",
            "The platform refuses to load the plugin; the checks below say more about each hook.",
        )
        return _unvalidated(name, module, version, distribution, report), None
    report.jurisdiction = plugin.jurisdiction.name
    detail = f"已从入口点加载并通过加载校验(发行包 {distribution} {version})"
    if registry_error:
        detail += f";但其他插件加载失败,平台因此无法启动: {registry_error}"
        report.add(item, False, detail, "Another installed plugin fails to load; fix or remove it.")
    else:
        report.add(item, True, detail)
    return plugin, Registry({name: plugin})


def _unvalidated(
    name: str, module: object, version: str, distribution: str, report: ConformanceReport
) -> Plugin | None:
    """The plugin registered without core's validation, so each hook can be checked alone."""
    import pluggy

    plugin = Plugin(name=name, version=version, module=module, distribution=distribution)
    pm = plugin_registry._new_manager()
    try:
        pm.register(module, name=name)
        pm.check_pending()
    except (pluggy.PluginValidationError, ValueError):
        return None  # the hooks themselves are wrong; the loading message says how
    plugin.pm = pm
    try:
        report.jurisdiction = plugin.jurisdiction.name
    except Exception:
        pass
    return plugin


# --- (b) the hooks ---------------------------------------------------------------------------


def _short(plugin: Plugin, message: str) -> str:
    """A PluginError's message without the plugin's name (the report names it once)."""
    return message.removeprefix(f"{plugin.label}: ").removeprefix(plugin.label)


def _origin(plugin: Plugin, hook: str) -> str:
    try:
        mine = hook in plugin.implemented_hooks()
    except Exception:
        mine = False
    return "本插件实现" if mine else "未实现,使用平台默认"


def _problems_item(
    report: ConformanceReport,
    name: str,
    problems: list[str],
    passed: str,
    hint: str,
    limit: int = 12,
) -> None:
    unique = list(dict.fromkeys(problems))
    if not unique:
        report.add(name, True, passed)
        return
    shown = unique[:limit]
    more = f"\n……另有 {len(unique) - limit} 处问题" if len(unique) > limit else ""
    report.add(name, False, "\n".join(shown) + more, hint)


def _check_hooks(plugin: Plugin, report: ConformanceReport) -> None:
    guard = _Guard(report)
    guard("辖区 qingdan_jurisdiction", _check_jurisdiction, plugin, report)
    settings = guard("设置 qingdan_settings_schema", _check_settings, plugin, report)
    if settings is None:
        for hook_item in (
            "事项类型 qingdan_item_types",
            "编码格式 qingdan_code_format",
            "分类 qingdan_taxonomies",
            "要素要求 qingdan_element_requirements",
            "审核链 qingdan_approval_chain",
            "后续义务 qingdan_obligations",
            "质检规则 qingdan_quality_rules",
            "梳理模板 qingdan_campaign_template",
            "公布 qingdan_publication_policy",
            "开户 qingdan_account_allocation",
            "各类清单 qingdan_catalog_lists",
            "家门口办目标 qingdan_service_point_targets",
            "指标 qingdan_indicators",
        ):
            report.add(
                hook_item,
                False,
                "未检查:插件的默认设置无效(见“设置”一项),这些钩子都要收到设置",
                "Give every settings field a valid default.",
            )
    else:
        guard("事项类型 qingdan_item_types", _check_item_types, plugin, settings, report)
        code_format = guard(
            "编码格式 qingdan_code_format", _check_code_format, plugin, settings, report
        )
        guard("分类 qingdan_taxonomies", _check_taxonomies, plugin, settings, code_format, report)
        guard(
            "要素要求 qingdan_element_requirements",
            _check_element_requirements,
            plugin,
            settings,
            report,
        )
        guard("审核链 qingdan_approval_chain", _check_chains, plugin, settings, report)
        guard("后续义务 qingdan_obligations", _check_obligations, plugin, settings, report)
        guard("质检规则 qingdan_quality_rules", _check_quality_rules, plugin, settings, report)
        guard("梳理模板 qingdan_campaign_template", _check_campaign, plugin, settings, report)
        guard(
            "公布 qingdan_publication_policy", _check_publication_policy, plugin, settings, report
        )
        guard(
            "开户 qingdan_account_allocation", _check_account_allocation, plugin, settings, report
        )
        guard("各类清单 qingdan_catalog_lists", _check_catalog_lists, plugin, settings, report)
        guard(
            "家门口办目标 qingdan_service_point_targets",
            _check_service_point_targets,
            plugin,
            settings,
            report,
        )
        guard("指标 qingdan_indicators", _check_indicators, plugin, settings, report)
    guard("演示数据 qingdan_demo_dataset", _check_demo_dataset, plugin, settings, report)


class _Guard:
    """Run one check; if it breaks on a value it cannot read, that is its failure."""

    def __init__(self, report: ConformanceReport):
        self.report = report

    def __call__(self, name: str, check: Callable[..., Any], *args: Any) -> Any:
        before = len(self.report.items)
        try:
            return check(*args)
        except Exception as exc:
            del self.report.items[before:]
            self.report.add(
                name,
                False,
                f"检查时出错,钩子的返回值含有平台无法读取的内容: {exc!r}",
                "A value inside the hook's answer has the wrong type; msgspec Structs built "
                "in code are not type-checked, so check each field against core/hooktypes.py.",
            )
            return None


def _check_jurisdiction(plugin: Plugin, report: ConformanceReport) -> None:
    name = "辖区 qingdan_jurisdiction"
    if "qingdan_jurisdiction" not in plugin.implemented_hooks():
        report.add(
            name,
            False,
            "未实现必需的钩子 qingdan_jurisdiction",
            "Every plugin must say which jurisdiction it speaks for.",
        )
        return
    try:
        j = plugin.call("qingdan_jurisdiction")
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a hooktypes.Jurisdiction.")
        return
    problems = []
    if not SLUG_RE.match(j.slug or ""):
        problems.append(
            f"标识 slug “{j.slug}”无效:应为小写字母开头的小写字母、数字和连字符,2-40位"
            "(它用作演示租户的标识和网址)"
        )
    if not (j.name or "").strip():
        problems.append("名称 name 为空")
    level = ""
    try:
        level = DivisionCode.parse(j.division_code).level
        if len(j.division_code) != 12:
            problems.append(f"行政区划代码“{j.division_code}”应写全12位")
    except CodeError as exc:
        problems.append(f"行政区划代码 division_code 无效: {exc}")
    if not j.levels:
        problems.append("没有列出所辖层级 levels")
    else:
        for lv in j.levels:
            if lv not in set(Level):
                problems.append(f"层级“{lv}”不存在(可用: {'、'.join(v.value for v in Level)})")
    level_label = {"province": "省级", "city": "市级", "county": "县级"}.get(level, level)
    passed = f"{j.name}(行政区划代码 {j.division_code},{level_label}),标识 {j.slug}"
    _problems_item(
        report, name, problems, passed, "Use a real 12-digit division code and an ascii slug."
    )


def _check_settings(plugin: Plugin, report: ConformanceReport) -> msgspec.Struct | None:
    name = "设置 qingdan_settings_schema"
    origin = _origin(plugin, "qingdan_settings_schema")
    try:
        schema = plugin.call("qingdan_settings_schema")
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return the msgspec.Struct class itself.")
        return None
    problems = []
    titles = []
    try:
        fields = mi.type_info(schema).fields
    except Exception as exc:
        report.add(name, False, f"无法读取设置的结构: {exc!r}", "Use a plain msgspec.Struct.")
        return None
    for field in fields:
        title = _title(field.type)
        if field.required:
            problems.append(f"设置项 {field.name} 没有默认值(新租户的设置须开箱即用)")
        if not title:
            problems.append(
                f'设置项 {field.name} 没有中文标题(用 Annotated[..., msgspec.Meta(title="…")])'
            )
        elif not CJK_RE.search(title):
            problems.append(f"设置项 {field.name} 的标题“{title}”不是中文")
        titles.append(title or field.name)
    settings = None
    try:
        settings = plugin.settings({})
    except Exception as exc:
        problems.append(f"用默认值构造设置失败: {_short(plugin, str(exc))}")
    if settings is not None:
        try:
            stored = msgspec.json.decode(msgspec.json.encode(settings))
            if plugin.settings(stored) != settings:
                problems.append("设置存入数据库(JSON)再读出后与原值不同")
        except Exception as exc:
            problems.append(f"设置无法存为 JSON 再读出: {exc}")
    listed = "、".join(titles) if titles else "没有设置项"
    passed = f"{len(titles)} 项设置,均有默认值和中文标题: {listed}({origin})"
    if not titles:
        passed = f"没有设置项({origin})"
    _problems_item(
        report,
        name,
        problems,
        passed,
        "Every field needs a default and msgspec.Meta(title=...) in Chinese; "
        "the admin form is rendered from it.",
    )
    return settings


def _title(t: Any) -> str:
    while isinstance(t, mi.Metadata):
        if t.extra_json_schema and t.extra_json_schema.get("title"):
            return str(t.extra_json_schema["title"])
        t = t.type
    return ""


def _check_item_types(plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport) -> None:
    name = "事项类型 qingdan_item_types"
    try:
        types = plugin.item_types(settings)
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a list of ItemType.")
        return
    problems = []
    if not types:
        problems.append("没有列出任何事项类型,无法创建事项")
    if len(set(types)) != len(types):
        problems.append("事项类型有重复")
    passed = f"{len(types)} 类: {'、'.join(t.label for t in types)}({_origin(plugin, 'qingdan_item_types')})"
    _problems_item(report, name, problems, passed, "List each ItemType once.")


def _check_code_format(
    plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport
) -> CodeFormat | None:
    name = "编码格式 qingdan_code_format"
    try:
        fmt = plugin.code_format(settings)
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a catalog.codes.CodeFormat.")
        return None
    problems = []
    try:
        re.compile(fmt.base_code_pattern)
    except re.error as exc:
        problems.append(f"基本编码的正则表达式“{fmt.base_code_pattern}”无效: {exc}")
    parts = ["base_code", "division_code", "uscc", "handling_item"]
    if sorted(fmt.impl_order) != sorted(parts):
        problems.append(
            f"实施编码的组成 impl_order {list(fmt.impl_order)} 应恰好包含 {'、'.join(parts)} 各一次"
        )
    if not fmt.base_code_hint.strip():
        problems.append("没有给用户看的基本编码格式说明 base_code_hint")
    if not problems:
        problems += _code_round_trip(plugin, fmt)
    passed = (
        f"基本编码 {fmt.base_code_pattern}({fmt.base_code_hint}),实施编码按 "
        f"{' + '.join(fmt.impl_order)} 组成,分隔符“{fmt.separator}”"
        f"({_origin(plugin, 'qingdan_code_format')})"
    )
    _problems_item(report, name, problems, passed, "Check the pattern and the impl_order.")
    return None if problems else fmt


def _code_round_trip(plugin: Plugin, fmt: CodeFormat) -> list[str]:
    """An implementation code composed in this format must parse back to its parts."""
    from qingdan.core.demo.catalog import load_national_catalog

    try:
        division = DivisionCode.parse(plugin.jurisdiction.division_code).value
    except Exception:
        return []
    for entry in load_national_catalog():
        try:
            base = fmt.parse_base_code(entry.base_code).value
        except CodeError:
            continue
        uscc = USCC.compose("1", "1", division[:6], "CK000001").value
        code = ImplCode(base_code=base, division_code=division, uscc=uscc, handling_item="01")
        try:
            back = fmt.parse_impl_code(fmt.compose_impl_code(code))
        except CodeError as exc:
            return [f"按本格式组成的实施编码无法再解析: {exc}"]
        if back != code:
            return ["按本格式组成的实施编码解析后与原来的组成部分不一致"]
        return []
    return []  # no demo base code fits; the workflow check reports it


def _check_taxonomies(
    plugin: Plugin,
    settings: msgspec.Struct,
    code_format: CodeFormat | None,
    report: ConformanceReport,
) -> None:
    name = "分类 qingdan_taxonomies"
    try:
        tax = plugin.taxonomies(settings)
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a hooktypes.Taxonomies.")
        return
    problems = []
    for what, codes in (
        ("主题", [t.code for t in tax.themes]),
        ("一件事", [b.code for b in tax.bundles]),
        ("服务类型", [k.kind for k in tax.service_kinds]),
    ):
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            problems.append(f"{what}编码重复: {'、'.join(map(str, dupes))}")
        if any(not str(c).strip() for c in codes):
            problems.append(f"有{what}的编码为空")
    for theme in tax.themes:
        if not theme.name.strip():
            problems.append(f"主题 {theme.code} 没有名称")
    for bundle in tax.bundles:
        if not bundle.name.strip():
            problems.append(f"一件事 {bundle.code} 没有名称")
        if code_format is not None:
            for base in bundle.base_codes:
                try:
                    code_format.parse_base_code(base)
                except CodeError as exc:
                    problems.append(f"一件事“{bundle.name}”中的{exc}")
    passed = (
        f"{len(tax.themes)} 个主题、{len(tax.service_kinds)} 种服务类型、{len(tax.bundles)} 个一件事"
        f"({_origin(plugin, 'qingdan_taxonomies')})"
    )
    _problems_item(report, name, problems, passed, "Codes must be unique and names non-empty.")


def _check_element_requirements(
    plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport
) -> None:
    name = "要素要求 qingdan_element_requirements"
    elements = set(ElementDocument.__struct_fields__)
    problems = []
    counts = {}
    for item_type in ItemType:
        try:
            req = plugin.element_requirements(item_type, settings)
        except PluginError as exc:
            problems.append(f"{item_type.label}: {_short(plugin, str(exc))}")
            continue
        unknown = [n for n in req.required if n not in elements]
        if unknown:
            problems.append(
                f"{item_type.label}: 要求的要素 {'、'.join(unknown)} 不存在"
                "(要素名是 ElementDocument 的字段名,如 materials、promised_limit)"
            )
        dupes = sorted({n for n in req.required if req.required.count(n) > 1})
        if dupes:
            problems.append(f"{item_type.label}: 要素 {'、'.join(dupes)} 重复列出")
        counts[item_type] = len(req.required)
    detail = "、".join(f"{t.label}{n}项" for t, n in counts.items())
    passed = (
        f"全部 {len(counts)} 类事项均有答案,须填要素: {detail}"
        f"({_origin(plugin, 'qingdan_element_requirements')})"
    )
    _problems_item(report, name, problems, passed, "Name elements by ElementDocument field names.")


def _subjects() -> Iterator[tuple[str, SubjectSummary]]:
    for item_type in (ItemType.licensing, ItemType.public_service):
        for from_above in (True, False):
            where = f"{item_type.label},{'上级下发' if from_above else '本级设立'}"
            yield (
                where,
                SubjectSummary(
                    name="一致性检查示例事项",
                    item_type=item_type,
                    base_code="0101001000",
                    levels=(Level.municipal, Level.county),
                    division_level="city",
                    from_above=from_above,
                ),
            )


def _changes(kind: ChangeKind) -> list[list[str]]:
    """Representative changed elements: none for a status change, some for an amendment."""
    if kind == ChangeKind.amend:
        return [["promised_limit"], ["name", "materials"]]
    return [[]]


def _role(role: str | None) -> str:
    return KNOWN_ROLES.get(role or "", role or "")


def _check_chains(plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport) -> None:
    name = "审核链 qingdan_approval_chain"
    problems: list[str] = []
    summary: dict[ChangeKind, str] = {}
    for where, subject in _subjects():
        for kind in ChangeKind:
            for changed in _changes(kind):
                case = f"{kind.label}({where}{',变更 ' + '、'.join(changed) if changed else ''})"
                try:
                    chain = plugin.call(
                        "qingdan_approval_chain",
                        kind=kind,
                        subject=subject,
                        changed_elements=list(changed),
                        settings=settings,
                    )
                except PluginError as exc:
                    problems.append(f"{case}: {_short(plugin, str(exc))}")
                    continue
                problems += [f"{case}: {p}" for p in _chain_problems(chain)]
                if kind not in summary and subject.item_type == ItemType.licensing:
                    summary[kind] = " → ".join(f"{s.name}({_role(s.role)})" for s in chain.steps)
    passed = (
        "每种调整、两类事项、上级下发或本级设立的审核链均有效。行政许可、上级下发:\n"
        + "\n".join(f"{k.label}: {v}" for k, v in summary.items())
    )
    passed += f"\n({_origin(plugin, 'qingdan_approval_chain')})"
    roles = ", ".join(f"{k} {v}" for k, v in KNOWN_ROLES.items() if k in TENANT_ROLES)
    _problems_item(
        report,
        name,
        problems,
        passed,
        f"Every kind of change needs a non-empty chain; step roles must be one of: {roles}; "
        f"deadlines 0-{MAX_DAYS} working days.",
    )


def _chain_problems(chain: Any) -> list[str]:
    problems = []
    if not chain.steps:
        return ["审核链没有步骤"]
    for n, step in enumerate(chain.steps, 1):
        label = f"第{n}步“{step.name}”" if step.name.strip() else f"第{n}步(无名称)"
        if not step.name.strip():
            problems.append(f"{label}没有名称")
        if step.role not in KNOWN_ROLES:
            problems.append(f"{label}的角色 {step.role} 不存在")
        elif step.role not in TENANT_ROLES:
            problems.append(f"{label}交给了{_role(step.role)},租户内没有人能办理")
        if not 0 <= step.deadline_days <= MAX_DAYS:
            problems.append(f"{label}的时限 {step.deadline_days} 个工作日超出 0-{MAX_DAYS}")
        if step.escalate_to is not None and step.escalate_to not in KNOWN_ROLES:
            problems.append(f"{label}逾期告知的角色 {step.escalate_to} 不存在")
        kinds = [a.kind for a in step.required_attachments]
        for att in step.required_attachments:
            if not att.kind.strip() or not att.label.strip():
                problems.append(f"{label}要求的附件缺少种类或名称")
        if len(set(kinds)) != len(kinds):
            problems.append(f"{label}重复要求同一种附件")
    return problems


def _check_obligations(plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport) -> None:
    name = "后续义务 qingdan_obligations"
    problems: list[str] = []
    titles: dict[str, str] = {}
    for where, subject in _subjects():
        for kind in ChangeKind:
            for changed in _changes(kind):
                case = f"{kind.label}({where})"
                try:
                    rules = plugin.obligations(kind, subject, list(changed), settings)
                except PluginError as exc:
                    problems.append(f"{case}: {_short(plugin, str(exc))}")
                    continue
                for rule in rules:
                    what = f"{case}: 后续义务“{rule.title or rule.kind}”"
                    if not rule.kind.strip() or not rule.title.strip():
                        problems.append(f"{what}缺少种类 kind 或标题 title")
                    if rule.role not in TENANT_ROLES:
                        problems.append(f"{what}的角色 {rule.role} 不存在或不属于租户")
                    if rule.on not in ("publish", "claim"):
                        problems.append(f"{what}的触发 on={rule.on!r} 应为 publish 或 claim")
                    if rule.on == "claim" and kind != ChangeKind.claim:
                        problems.append(
                            f"{what}只在认领时产生(on=claim),用于{kind.label}永远不会产生"
                        )
                    if not 0 <= rule.working_days <= MAX_DAYS:
                        problems.append(f"{what}的时限 {rule.working_days} 个工作日超出范围")
                    if rule.escalate_to is not None and rule.escalate_to not in KNOWN_ROLES:
                        problems.append(f"{what}逾期告知的角色 {rule.escalate_to} 不存在")
                    titles.setdefault(rule.title, _role(rule.role))
    listed = "、".join(f"{t}({r})" for t, r in titles.items())
    passed = f"各种调整的后续义务均有效: {listed}" if titles else "各种调整均没有后续义务"
    passed += f"({_origin(plugin, 'qingdan_obligations')})"
    _problems_item(
        report,
        name,
        problems,
        passed,
        "Each obligation needs a kind, a title, a tenant role, on='publish' or 'claim' "
        f"and 0-{MAX_DAYS} working days.",
    )


def _check_account_allocation(
    plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport
) -> None:
    from qingdan.core.plugins import allocation_problems

    name = "开户 qingdan_account_allocation"
    try:
        allocation = plugin.call("qingdan_account_allocation", settings=settings)
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return an AccountAllocation.")
        return
    who = "、".join(
        f"{_role(a.allocator)}可分配{'、'.join(_role(r) for r in a.roles)}"
        for a in allocation.allocations
    )
    passed = (
        f"{who or '仅租户管理员开户'}({_origin(plugin, 'qingdan_account_allocation')})"
    )
    _problems_item(
        report,
        name,
        allocation_problems(allocation),
        passed,
        "allocator is a tenant Role other than tenant_admin; roles are clerk or agency_reviewer.",
    )


def _check_publication_policy(
    plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport
) -> None:
    from qingdan.core.hooktypes import PublicationSchedule

    name = "公布 qingdan_publication_policy"
    try:
        policy = plugin.call("qingdan_publication_policy", settings=settings)
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a PublicationPolicy.")
        return
    problems = []
    if not policy.roles:
        problems.append("没有指定可以发布目录的角色,没有人能发布公告")
    for role in policy.roles:
        if role not in TENANT_ROLES:
            problems.append(f"发布角色 {role} 不存在或不属于租户")
    if policy.schedule not in set(PublicationSchedule):
        known = "、".join(s.value for s in PublicationSchedule)
        problems.append(f"定时发布 schedule={policy.schedule!r} 无效(可用: {known})")
    when = {"none": "不定时发布", "daily": "每天", "weekly": "每周五", "monthly": "每月1日"}
    passed = (
        f"由{'、'.join(_role(r) for r in policy.roles)}发布;"
        f"定时发布: {when.get(str(policy.schedule), str(policy.schedule))}"
        f"({_origin(plugin, 'qingdan_publication_policy')})"
    )
    _problems_item(
        report,
        name,
        problems,
        passed,
        "roles are Role values held in a tenant (not platform_admin); schedule is one of "
        "PublicationSchedule.",
    )


def _check_catalog_lists(
    plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport
) -> None:
    from qingdan.core.hooktypes import CatalogListKind

    name = "各类清单 qingdan_catalog_lists"
    try:
        specs = plugin.catalog_lists(settings)
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a list of CatalogListSpec.")
        return
    problems = []
    for spec in specs:
        if not isinstance(spec.kind, CatalogListKind):
            known = "、".join(k.value for k in CatalogListKind)
            problems.append(f"清单种类 {spec.kind!r} 不存在(可用: {known})")
        elif spec.title and not CJK_RE.search(spec.title):
            problems.append(f"{spec.kind.label}的名称“{spec.title}”应为中文(网页和表格标题)")
    public = [s.title or s.kind.label for s in specs if getattr(s, "public", False)]
    origin = _origin(plugin, "qingdan_catalog_lists")
    passed = f"{len(specs)} 个清单,其中公开 {len(public)} 个({origin})"
    _problems_item(
        report,
        name,
        problems,
        passed,
        "kind is a CatalogListKind; a title, if given, is the Chinese name users read.",
    )


def _check_service_point_targets(
    plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport
) -> None:
    from qingdan.core.hooktypes import ServicePointKind

    name = "家门口办目标 qingdan_service_point_targets"
    try:
        targets = plugin.service_point_targets(settings)
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a list of ServicePointTarget.")
        return
    problems = []
    for t in targets:
        if not isinstance(t.kind, ServicePointKind):
            known = "、".join(k.value for k in ServicePointKind)
            problems.append(f"便民服务点种类 {t.kind!r} 不存在(可用: {known})")
    passed = (
        "、".join(f"{t.kind.label}不少于{t.min_items}个" for t in targets) or "未设目标"
    ) + f"({_origin(plugin, 'qingdan_service_point_targets')})"
    _problems_item(
        report, name, problems, passed, "kind is a ServicePointKind; min_items is 0 or more."
    )


def _check_campaign(plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport) -> None:
    from datetime import date

    from qingdan.core.calendar import WorkingCalendar
    from qingdan.core.campaigns.templates import check_dates, default_dates, template_problems
    from qingdan.core.errors import DomainError

    name = "梳理模板 qingdan_campaign_template"
    try:
        template = plugin.call("qingdan_campaign_template", settings=settings)
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a CampaignTemplate.")
        return
    origin = _origin(plugin, "qingdan_campaign_template")
    problems = template_problems(template)
    if not problems:
        year = date.today().year
        dates = default_dates(template, year, WorkingCalendar(builtin=False))
        try:
            check_dates(dates, year)
        except DomainError as exc:
            problems.append(f"按模板推算{year}年的日期: {exc.message}")
    offices = [f"{r.office}({_role(r.role)})" for p in template.phases for r in p.reviewers]
    passed = (
        f"“{template.name}”: {' → '.join(p.name for p in template.phases)};"
        f"审核: {' → '.join(offices) or '无'};"
        f"{'须' if template.signoff_required else '不须'}主要负责人审签,"
        f"{'须' if template.zero_report_required else '不须'}零报告({origin})"
    )
    _problems_item(
        report,
        name,
        problems,
        passed,
        "Phases need unique ascii codes, a name and an end (fixed or as an offset); exactly one "
        "phase takes submissions; reviewers name a tenant role that is not clerk or "
        "agency_reviewer.",
    )


def _check_quality_rules(
    plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport
) -> None:
    """The rules fit the element schema and run on every demo catalog document."""
    from qingdan.core.catalog.validation import validate_document
    from qingdan.core.checks.declarative import evaluate, rules_problems
    from qingdan.core.demo.catalog import load_national_catalog
    from qingdan.core.hooktypes import QualityRules

    name = "质检规则 qingdan_quality_rules"
    try:
        rules = plugin.call("qingdan_quality_rules", settings=settings)
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a hooktypes.QualityRules.")
        return
    problems = rules_problems(rules) if isinstance(rules, QualityRules) else []
    if not problems:
        for entry in load_national_catalog():
            doc = validate_document(entry.elements)
            for rule in rules.rules:
                try:
                    evaluate(rule, doc)
                except Exception as exc:
                    problems.append(f"规则 {rule.id} 检查“{doc.name}”时出错: {exc!r}")
    listed = "、".join(f"{r.id}({r.severity.label})" for r in rules.rules) or "无"
    checks = "、".join(f"{c.name}({len(c.elements)}项要素)" for c in rules.consistency) or "无"
    passed = (
        f"质检规则: {listed};一致性检查: {checks}"
        f"({_origin(plugin, 'qingdan_quality_rules')},平台自身的规则另行生效)"
    )
    _problems_item(
        report,
        name,
        problems,
        passed,
        "Name elements by ElementDocument field names, write the message in Chinese with the "
        "element's title in it, and use a check kind that fits the element (see "
        "docs/quality-checks.md).",
    )


def _check_indicators(plugin: Plugin, settings: msgspec.Struct, report: ConformanceReport) -> None:
    """The indicator set merges with core's: ids, targets and bulletin criteria all resolve."""
    name = "指标 qingdan_indicators"
    try:
        config = plugin.indicators(settings)
    except PluginError as exc:
        report.add(
            name,
            False,
            _short(plugin, str(exc)),
            "Return an IndicatorSet: definitions name a core IndicatorMeasure, targets and "
            "bulletin criteria name a known indicator id (see docs/indicators.md).",
        )
        return
    problems = []
    for indicator in config.indicators:
        if not CJK_RE.search(indicator.name):
            problems.append(f"指标 {indicator.id} 的名称“{indicator.name}”应为中文")
    if not CJK_RE.search(config.bulletin.title):
        problems.append(f"通报标题“{config.bulletin.title}”应为中文")
    for criterion in config.bulletin.criteria:
        if not CJK_RE.search(criterion.reason):
            problems.append(f"通报理由“{criterion.reason}”应为中文(通报中原样印出)")
    targets = (
        "、".join(f"{config.get(t.indicator).name}{t.value:g}" for t in config.targets) or "无"
    )
    passed = (
        f"{len(config.indicators)} 个指标,目标: {targets};通报规则“{config.bulletin.title}”"
        f"共 {len(config.bulletin.criteria)} 条点名条件({_origin(plugin, 'qingdan_indicators')})"
    )
    _problems_item(
        report,
        name,
        problems,
        passed,
        "Names and reasons are printed in the dashboard and the bulletin PDF: "
        "write them in Chinese.",
    )


def _check_demo_dataset(
    plugin: Plugin, settings: msgspec.Struct | None, report: ConformanceReport
) -> None:
    from qingdan.core.catalog.vocab import AgencyNature
    from qingdan.core.demo.sectors import SECTORS

    name = "演示数据 qingdan_demo_dataset"
    try:
        data = plugin.demo_dataset()
    except PluginError as exc:
        report.add(name, False, _short(plugin, str(exc)), "Return a DemoDataset or None.")
        return
    if data is None:
        report.add(name, True, "本插件不提供演示数据(qingdan demo 不为它创建租户)")
        return
    problems: list[str] = []
    try:
        root = DivisionCode.parse(plugin.jurisdiction.division_code)
    except Exception:
        root = None
    divisions: dict[str, str] = {}
    for d in data.divisions:
        try:
            code = DivisionCode.parse(d.code)
        except CodeError as exc:
            problems.append(f"区划“{d.name}”: {exc}")
            continue
        if code.value in divisions:
            problems.append(f"区划代码 {code.value} 重复({divisions[code.value]}、{d.name})")
        divisions[code.value] = d.name
        if not d.name.strip():
            problems.append(f"区划 {code.value} 没有名称")
        if root is not None and not code.is_within(root):
            problems.append(f"区划“{d.name}”({code.value})不在本辖区 {root.value} 之内")
    known = set(divisions) | ({root.value} if root else set())
    for d in data.divisions:
        if d.parent_code:
            try:
                parent = DivisionCode.parse(d.parent_code).value
            except CodeError as exc:
                problems.append(f"区划“{d.name}”的上级: {exc}")
                continue
            if parent not in known:
                problems.append(f"区划“{d.name}”的上级 {d.parent_code} 不在演示数据的区划中")
    names: set[str] = set()
    usccs: dict[str, str] = {}
    for a in data.agencies:
        where = f"实施机构“{a.name}”"
        if not a.name.strip():
            problems.append("有实施机构没有名称")
        if a.name in names:
            problems.append(f"{where}重复")
        try:
            code = DivisionCode.parse(a.division_code)
        except CodeError as exc:
            problems.append(f"{where}的区划: {exc}")
            code = None
        if code is not None:
            if code.value not in known:
                problems.append(f"{where}所在区划 {a.division_code} 不在演示数据的区划中")
            elif root is not None and not code.is_within(root):
                problems.append(f"{where}所在区划 {a.division_code} 不在本辖区之内")
            try:
                uscc = USCC.compose("1", "1", code.value[:6], a.org_code).value
            except (CodeError, ValueError):
                problems.append(
                    f"{where}的组织机构代码“{a.org_code}”无法组成有效的统一社会信用代码"
                    "(应为8位数字或大写字母)"
                )
            else:
                if len(a.org_code) != 8:
                    problems.append(f"{where}的组织机构代码“{a.org_code}”应为8位")
                elif uscc in usccs:
                    problems.append(
                        f"{where}与“{usccs[uscc]}”的统一社会信用代码相同({uscc}),"
                        "同一区划内的组织机构代码不能重复"
                    )
                usccs[uscc] = a.name
        try:
            AgencyNature(a.nature)
        except ValueError:
            problems.append(f"{where}的性质“{a.nature}”无效")
        unknown = [s for s in a.sectors if s not in SECTORS]
        if unknown:
            problems.append(f"{where}的行业 {'、'.join(unknown)} 不存在")
        if a.parent and a.parent not in names:
            problems.append(f"{where}的上级机构“{a.parent}”须在它之前列出")
        names.add(a.name)
    for h in data.halls:
        try:
            hall_code = DivisionCode.parse(h.division_code).value
        except CodeError as exc:
            problems.append(f"政务服务大厅“{h.name}”的区划: {exc}")
            continue
        if hall_code not in known:
            problems.append(f"政务服务大厅“{h.name}”所在区划 {h.division_code} 不在演示数据中")
    theme_codes = None
    if settings is not None:
        try:
            theme_codes = {t.code for t in plugin.taxonomies(settings).themes}
        except PluginError:
            theme_codes = None
    for sector, themes in data.themes_by_sector.items():
        if sector not in SECTORS:
            problems.append(f"themes_by_sector 中的行业 {sector} 不存在")
        if theme_codes is not None:
            missing = [t for t in themes if t not in theme_codes]
            if missing:
                problems.append(f"行业 {sector} 的主题 {'、'.join(missing)} 不在本插件的主题分类中")
    passed = (
        f"{len(data.divisions)} 个区划、{len(data.agencies)} 个实施机构、{len(data.halls)} 个"
        "政务服务大厅,均在本辖区之内,统一社会信用代码有效"
    )
    _problems_item(
        report,
        name,
        problems,
        passed,
        "Divisions and agencies must lie inside the jurisdiction's division; org codes are "
        "8 characters of 0-9A-Z.",
    )


# --- (c) the workflow on a throwaway database ------------------------------------------------


@contextmanager
def _throwaway_database() -> Iterator[Any]:
    """Point settings and every table at a fresh SQLite file; put everything back after."""
    from piccolo.apps.migrations.tables import Migration

    from qingdan.core import config, db
    from qingdan.core.db.registry import all_tables

    conf_name = "qingdan.core.db.piccolo_conf"
    conf_before = sys.modules.get(conf_name)
    conf_db_before = getattr(conf_before, "DB", None)
    tables = [*all_tables(), Migration]
    saved = {
        "settings": config._current,
        "engine": db._engine,
        "tables": [(t, t._meta._db) for t in tables],
        "env": {
            k: os.environ.get(k) for k in ("QINGDAN_DATA_DIR", "QINGDAN_FILES_DIR", "PICCOLO_CONF")
        },
    }
    tmp = tempfile.mkdtemp(prefix="qingdan-conformance-")
    try:
        os.environ["QINGDAN_DATA_DIR"] = tmp
        os.environ.pop("QINGDAN_FILES_DIR", None)
        env = {k: v for k, v in os.environ.items() if k not in _NOT_THROWAWAY}
        settings = config.load_settings(env)
        config.set_settings(settings)
        engine = db.connect(settings)
        Migration._meta.db = engine
        yield settings
    finally:
        config._current = saved["settings"]
        db._engine = saved["engine"]
        for table, engine_before in saved["tables"]:
            table._meta._db = engine_before
        if conf_before is None:
            # Not imported before: forget it, so the next import binds the real engine.
            sys.modules.pop(conf_name, None)
            if hasattr(db, "piccolo_conf"):
                delattr(db, "piccolo_conf")
        else:
            conf_before.DB = conf_db_before
        for key, value in saved["env"].items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(tmp, ignore_errors=True)


#: Settings of the surrounding deployment the throwaway database must not use.
_NOT_THROWAWAY = frozenset({"QINGDAN_DATABASE_URL", "QINGDAN_REDIS_URL", "QINGDAN_SMTP_URL"})


class _Stop(Exception):
    """A walk could not go on; the message is the report's detail."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


async def _walk_on_throwaway_database(registry: Registry, report: ConformanceReport) -> None:
    from qingdan.core.db.migrate import migrate

    name = report.plugin
    plugin_registry._registry = registry
    with _throwaway_database():
        try:
            await migrate()
        except Exception as exc:
            report.add("工作流", False, f"无法创建临时数据库: {exc!r}")
            return
        before = len(report.items)
        try:
            await _walk_every_kind(registry.get(name), report)
        except Exception as exc:
            done = ",".join(i.name for i in report.items[before:]) or "无"
            report.add(
                "工作流",
                False,
                f"检查中断(已完成: {done}): {_message(exc)}",
                "The workflow check stopped on an unexpected error; the message says where.",
            )


# Element values used when the plugin requires an element the demo catalog leaves empty.
FILLER: dict[str, Any] = {
    "handling_item_name": "一致性检查办理项",
    "power_source": "own",
    "co_agencies": ["一致性检查联办机构"],
    "entrusting_agency": "一致性检查委托部门",
    "audience": ["natural_person", "enterprise"],
    "keywords": ["一致性检查"],
    "service_kind": "guide",
    "legal_basis": [{"law_name": "中华人民共和国行政许可法", "article": "第十二条"}],
    "acceptance_conditions": "申请人符合法定条件。",
    "prohibitions": "无。",
    "legal_remedy": "申请人对决定不服的,可以依法申请行政复议或者提起行政诉讼。",
    "statutory_limit": {"value": 20, "unit": "working_day"},
    "promised_limit": {"value": 10, "unit": "working_day"},
    "case_type": "promised",
    "channels": ["counter", "online_pc"],
    "visits_reason": "须现场核验原件。",
    "online_depth": "III",
    "online_url": "https://zwfw.example.gov.cn/",
    "mobile_url": "https://zwfw.example.gov.cn/m/",
    "materials": [{"name": "申请书", "type": "form", "source": "applicant"}],
    "process": [{"name": "受理"}, {"name": "审查"}, {"name": "决定"}],
    "special_steps": [{"name": "现场核查"}],
    "intermediary_services": [{"name": "无"}],
    "result": {"name": "审批决定书", "type": "decision"},
    "locations": [{"name": "政务服务中心综合窗口", "address": "人民路1号"}],
    "consultation": [{"kind": "phone", "value": "0000-1234567"}],
    "complaints": [{"kind": "phone", "value": "12345"}],
    "faq": [{"question": "在哪里办理?", "answer": "在政务服务中心综合窗口办理。"}],
}
PLACE = {k: FILLER[k] for k in ("locations", "consultation", "complaints")}


def _fill_required(plugin: Plugin, settings: msgspec.Struct, doc: dict[str, Any]) -> dict:
    """Fill the elements the plugin requires and the document leaves empty."""
    from qingdan.core.catalog.requirements import missing_elements
    from qingdan.core.catalog.validation import validate_document
    from qingdan.core.hooktypes import ElementRequirements

    parsed = validate_document(doc)
    required = plugin.element_requirements(parsed.item_type, settings).required
    filled = dict(doc)
    for name in required:
        if name in FILLER and missing_elements(parsed, ElementRequirements(required=(name,))):
            filled[name] = FILLER[name]
    if "themes" in required and not filled.get("themes"):
        themes = [t.code for t in plugin.taxonomies(settings).themes]
        filled["themes"] = themes[:1] or ["general"]
    return filled


def _pick_entries(plugin: Plugin, settings: msgspec.Struct) -> list[Any]:
    """Demo catalog entries the plugin can hold: 食品经营许可 first, then others."""
    from qingdan.core.demo.catalog import load_national_catalog

    allowed = set(plugin.item_types(settings))
    fmt = plugin.code_format(settings)
    usable = []
    for entry in load_national_catalog():
        if ItemType(entry.elements["item_type"]) not in allowed:
            continue
        try:
            fmt.parse_base_code(entry.base_code)
        except CodeError:
            continue
        usable.append(entry)
    usable.sort(key=lambda e: e.elements["name"] != "食品经营许可")
    return usable


async def _walk_every_kind(plugin: Plugin, report: ConformanceReport) -> None:
    from qingdan.core.testing import build_tenant

    prepare = "工作流:准备"
    try:
        t = await build_tenant(plugin=plugin.name, slug=TENANT_SLUG)
    except Exception as exc:
        report.add(
            prepare,
            False,
            f"无法为本插件创建测试租户: {_message(exc)}",
            "build_tenant() creates divisions, agencies, a sample licensing entry with base code "
            "000101001 and one user per role; the error says which of them the plugin refused.",
        )
        return
    entries = _pick_entries(plugin, t.ctx.settings)
    if len(entries) < 2:
        report.add(
            prepare,
            False,
            "平台演示目录中没有足够的事项符合本插件的事项类型和基本编码格式,无法创建测试事项",
            "The walk uses entries of the demo national catalog; allow their item types "
            "and base codes.",
        )
        return
    first = entries[0]
    second = next(
        (e for e in entries[1:] if e.elements["item_type"] != first.elements["item_type"]),
        entries[1],
    )
    try:
        item_a, clerk = await _make_item(plugin, t, first, source="provincial", claim=True)
        item_b, _ = await _make_item(plugin, t, second, source="local", claim=False)
    except _Stop as stop:
        report.add(prepare, False, str(stop), stop.hint)
        return
    report.add(
        prepare,
        True,
        f"临时数据库上已创建租户、实施机构、每个角色的用户,以及两个事项:"
        f"“{first.elements['name']}”(上级下发,用于认领、变更、暂停、恢复、取消)和"
        f"“{second.elements['name']}”(本级设立,用于新增)",
    )
    blocked = ""
    for kind in WALK_ORDER:
        name = f"工作流:{kind.label}"
        if blocked and kind != ChangeKind.create:
            report.add(name, False, f"{kind.label}: 未运行,因为{blocked}")
            continue
        item = item_b if kind == ChangeKind.create else item_a
        try:
            detail = await _run_kind(plugin, t, item, clerk, kind)
        except Exception as exc:
            hint = exc.hint if isinstance(exc, _Stop) else ""
            report.add(name, False, f"{kind.label}: {_message(exc)}", hint or _WALK_HINT)
            if kind != ChangeKind.create:
                blocked = f"“{kind.label}”未能发布,事项停在上一状态"
            continue
        report.add(name, True, detail)


_WALK_HINT = (
    "The kit submitted this change on a throwaway database and tried to pass each step of "
    "your chain as a user holding the step's role; the message is what your users would see."
)


def _message(exc: BaseException) -> str:
    text = str(exc)
    return text if text else repr(exc)


async def _make_item(plugin: Plugin, t: Any, entry: Any, *, source: str, claim: bool):
    from qingdan.core.catalog.services import create_catalog_entry, create_item, get_item
    from qingdan.core.catalog.validation import dump_document
    from qingdan.core.demo.catalog import entry_document
    from qingdan.core.tenancy import services as tenancy
    from qingdan.core.testing import SYSTEM
    from qingdan.core.workflow import services as wf

    what = f"“{entry.elements['name']}”"
    clerk = await tenancy.load_principal(t.users["clerk"])
    try:
        doc = entry_document(entry, **PLACE)
        created = await create_catalog_entry(t.ctx, SYSTEM, doc, source=source)
    except Exception as exc:
        raise _Stop(f"无法在基本目录中创建{what}: {_message(exc)}") from exc
    try:
        if claim:
            item = await wf.claim(t.ctx, clerk, created.id, t.agency_ids[0])
        else:
            item = await create_item(
                t.ctx, wf.actor_of(clerk), entry_id=created.id, agency_id=t.agency_ids[0]
            )
        detail = await get_item(t.ctx, item.id)
        filled = _fill_required(plugin, t.ctx.settings, dump_document(detail.draft) | PLACE)
        await wf.edit_draft(t.ctx, clerk, item.id, filled, detail.item["lock_version"])
    except Exception as exc:
        raise _Stop(f"无法{'认领' if claim else '新建'}并填写{what}: {_message(exc)}") from exc
    return item, clerk


async def _run_kind(plugin: Plugin, t: Any, item: Any, clerk: Any, kind: ChangeKind) -> str:
    from qingdan.core.catalog.services import get_item
    from qingdan.core.catalog.validation import dump_document
    from qingdan.core.workflow import services as wf
    from qingdan.core.workflow.obligations import open_obligations

    extra: dict[str, Any] = {}
    if kind == ChangeKind.amend:
        detail = await get_item(t.ctx, item.id)
        doc = dump_document(detail.published)
        current = (doc.get("promised_limit") or {}).get("value")
        if doc.get("case_type") == "instant":
            days = 0 if current else 1  # an instant case is promised within a day
        else:
            days = 2 if current == 3 else 3
        doc["promised_limit"] = {"value": days, "unit": "working_day"}
        try:
            await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
        except Exception as exc:
            raise _Stop(f"无法修改草稿(承诺办结时限): {_message(exc)}") from exc
    if kind == ChangeKind.cancel:
        extra = {"cancel_basis": "设定依据已修改", "document_number": "一致性检查〔2026〕1号"}
    before = {o["id"] for o in await open_obligations(t.ctx)}
    try:
        cr = await wf.submit(t.ctx, clerk, item.id, kind, f"{kind.label}(一致性检查)", **extra)
    except Exception as exc:
        raise _Stop(f"提交失败: {_message(exc)}") from exc
    walked, attached = await _walk(t, cr.id, clerk)
    after = [o for o in await open_obligations(t.ctx) if o["id"] not in before]
    parts = [" → ".join(walked) + ",已发布"]
    if attached:
        parts.append("上传了附件: " + "、".join(attached))
    if after:
        parts.append(
            "产生后续义务: "
            + "、".join(f"{o['title']}({_role(o['role'])},{o['due_date']}前)" for o in after)
        )
    return f"{kind.label}: " + ";".join(parts)


async def _walk(t: Any, cr_id: int, clerk: Any) -> tuple[list[str], list[str]]:
    """Attach what each step requires and approve it as its role, to the end of the chain."""
    from qingdan.core.tenancy import services as tenancy
    from qingdan.core.workflow import services as wf
    from qingdan.core.workflow.schemas import ChangeStatus

    walked: list[str] = []
    attached: list[str] = []
    steps = await wf.steps_of(t.ctx, cr_id)
    for _ in range(len(steps) + 1):
        cr = await wf.get_request(t.ctx, cr_id)
        if cr.status != ChangeStatus.in_review.value:
            break
        active = [s for s in await wf.steps_of(t.ctx, cr_id) if s["status"] == "active"]
        if not active:
            raise _Stop("申请在审核中,却没有待办理的步骤")
        step = active[0]
        label = f"第{step['position'] + 1}步“{step['name']}”"
        for need in step["required_attachments"] or []:
            try:
                await wf.add_attachment(
                    t.ctx, clerk, cr_id, need["kind"], f"{need['label']}.pdf", PDF
                )
            except Exception as exc:
                raise _Stop(f"{label}无法上传附件“{need['label']}”: {_message(exc)}") from exc
            attached.append(need["label"])
        user_id = t.users.get(step["role"])
        if user_id is None:
            raise _Stop(
                f"{label}无法通过: 租户内没有用户能持有角色 {step['role']}({_role(step['role'])})",
                "Give the step a role a tenant user can hold.",
            )
        try:
            principal = await tenancy.load_principal(user_id)
            await wf.approve(t.ctx, principal, cr_id, seen_version=cr.version)
        except Exception as exc:
            message = _message(exc)
            hint = _WALK_HINT
            if step["role"] == Role.clerk.value:
                hint = (
                    "The step is given to the clerk (信息员), who submits the change: an author "
                    "cannot approve their own request. Give the step to a reviewing role."
                )
            raise _Stop(f"{label}无法通过: {message}", hint) from exc
        walked.append(f"{step['name']}({_role(step['role'])})")
    cr = await wf.get_request(t.ctx, cr_id)
    if cr.status != ChangeStatus.published.value:
        raise _Stop(
            f"审核链走完后申请的状态为“{ChangeStatus(cr.status).label}”,没有发布"
            f"(已办理: {' → '.join(walked) or '无'})"
        )
    return walked, attached
