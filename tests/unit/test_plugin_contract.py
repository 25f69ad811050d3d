"""The plugin contract: loading, validation, per-plugin dispatch, documentation."""

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from qingdan import hookimpl
from qingdan.core.catalog.vocab import ItemType, ServiceKind
from qingdan.core.hooktypes import ElementRequirements, Jurisdiction, Taxonomies, Theme
from qingdan.core.plugins import (
    ENTRY_POINT_GROUP,
    PluginError,
    Registry,
    hook_docs,
    hook_names,
    load_plugin,
)

ROOT = Path(__file__).resolve().parents[2]


def _module(name, **functions):
    mod = types.ModuleType(name)
    for fn_name, fn in functions.items():
        fn.__name__ = fn_name
        setattr(mod, fn_name, fn)
    return mod


def _jurisdiction(slug="alpha", code="990100000000"):
    @hookimpl
    def qingdan_jurisdiction():
        return Jurisdiction(slug=slug, name=f"{slug}市", division_code=code)

    return qingdan_jurisdiction


def test_a_minimal_plugin_loads_and_gets_core_defaults():
    plugin = load_plugin("alpha", _module("alpha", qingdan_jurisdiction=_jurisdiction()), "1.0")
    settings = plugin.settings({})
    assert plugin.item_types(settings) == list(ItemType)
    kinds = [k.kind for k in plugin.taxonomies(settings).service_kinds]
    assert kinds == list(ServiceKind) and len(kinds) == 8
    assert plugin.implemented_hooks() == ["qingdan_jurisdiction"]


def test_a_misspelled_hook_fails_loading_naming_plugin_and_version():
    @hookimpl
    def qingdan_taxonomys():
        return Taxonomies()

    mod = _module("typo", qingdan_jurisdiction=_jurisdiction(), qingdan_taxonomys=qingdan_taxonomys)
    with pytest.raises(PluginError) as info:
        load_plugin("typo", mod, "2.3.4")
    message = str(info.value)
    assert "插件 typo 2.3.4" in message
    assert "qingdan_taxonomys" in message
    assert "qingdan_taxonomies" in message  # the hint lists the real hooks


def test_a_bad_return_value_fails_loading_naming_the_hook():
    @hookimpl
    def qingdan_taxonomies():
        return {"themes": ["婚育"]}

    mod = _module(
        "bad", qingdan_jurisdiction=_jurisdiction(), qingdan_taxonomies=qingdan_taxonomies
    )
    with pytest.raises(PluginError, match=r"插件 bad 0\.1: qingdan_taxonomies 的返回值类型不正确"):
        load_plugin("bad", mod, "0.1")


def test_an_unknown_argument_fails_loading():
    @hookimpl
    def qingdan_item_types(settings, tenant):
        return []

    mod = _module(
        "args", qingdan_jurisdiction=_jurisdiction(), qingdan_item_types=qingdan_item_types
    )
    with pytest.raises(PluginError, match="插件 args 1"):
        load_plugin("args", mod, "1")


def test_a_plugin_without_jurisdiction_fails():
    with pytest.raises(PluginError, match="qingdan_jurisdiction"):
        load_plugin("nobody", _module("nobody"), "1")


def test_bad_division_code_and_unknown_required_element_fail():
    with pytest.raises(PluginError, match="division_code"):
        load_plugin("badcode", _module("m", qingdan_jurisdiction=_jurisdiction(code="12")), "1")

    @hookimpl
    def qingdan_element_requirements(item_type):
        return ElementRequirements(required=("name", "meterials"))

    mod = _module(
        "req",
        qingdan_jurisdiction=_jurisdiction(),
        qingdan_element_requirements=qingdan_element_requirements,
    )
    with pytest.raises(PluginError, match="meterials"):
        load_plugin("req", mod, "1")


def test_an_exception_inside_a_hook_names_the_plugin():
    @hookimpl
    def qingdan_code_format():
        raise RuntimeError("boom")

    mod = _module(
        "boom", qingdan_jurisdiction=_jurisdiction(), qingdan_code_format=qingdan_code_format
    )
    with pytest.raises(PluginError, match="插件 boom 1: 调用 qingdan_code_format 时出错"):
        load_plugin("boom", mod, "1")


class _Settings(msgspec.Struct, frozen=True, kw_only=True):
    extra_theme: str = ""


def test_each_plugin_answers_only_for_itself_and_receives_its_settings():
    @hookimpl
    def qingdan_taxonomies(settings):
        themes = [Theme(code="a", name="甲主题")]
        if settings.extra_theme:
            themes.append(Theme(code="x", name=settings.extra_theme, local=True))
        return Taxonomies(themes=tuple(themes))

    @hookimpl
    def qingdan_settings_schema():
        return _Settings

    a = load_plugin(
        "a",
        _module(
            "a",
            qingdan_jurisdiction=_jurisdiction("a"),
            qingdan_taxonomies=qingdan_taxonomies,
            qingdan_settings_schema=qingdan_settings_schema,
        ),
        "1",
    )
    b = load_plugin("b", _module("b", qingdan_jurisdiction=_jurisdiction("b")), "1")
    registry = Registry({"a": a, "b": b})
    got_a = registry.get("a").taxonomies(a.settings({"extra_theme": "特色"}))
    assert [t.name for t in got_a.themes] == ["甲主题", "特色"]
    assert got_a.themes[1].local
    # b never sees a's themes: no merged answer across cities.
    assert registry.get("b").taxonomies(b.settings({})).themes == ()
    with pytest.raises(PluginError, match="未安装辖区插件“c”"):
        registry.get("c")


def test_settings_are_validated_with_chinese_errors():
    from qingdan.core.testing import sample_plugin

    plugin = load_plugin("sample", sample_plugin, "1")
    with pytest.raises(ValueError, match="大厅更新时限"):
        plugin.settings({"hall_update_days": 0})


def test_builtin_plugins_are_registered_through_entry_points():
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert {"jinchang", "anyang", "shuozhou"} <= names


def test_plugins_command_lists_plugins_versions_and_hooks():
    from qingdan.cli import main

    result = CliRunner().invoke(main, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert {"jinchang", "anyang", "shuozhou"} <= set(rows)
    for name in ("jinchang", "anyang", "shuozhou"):
        row = rows[name]
        assert row["distribution"] == f"qingdan-{name}"
        assert re.fullmatch(r"\d+\.\d+\.\d+.*", row["version"])
        assert "qingdan_jurisdiction" in row["hooks"]
    text = CliRunner().invoke(main, ["plugins"]).output
    assert "jinchang" in text and "qingdan_jurisdiction" in text


def test_a_broken_installed_package_fails_with_its_name_and_version(tmp_path):
    """An outside package, installed via its dist-info, that misspells a hook."""
    (tmp_path / "qingdan_broken.py").write_text(
        "from qingdan import hookimpl\n"
        "from qingdan.core.hooktypes import Jurisdiction\n"
        "@hookimpl\n"
        "def qingdan_jurisdiction():\n"
        "    return Jurisdiction(slug='broken', name='坏市', division_code='990100000000')\n"
        "@hookimpl\n"
        "def qingdan_itemtypes():\n"
        "    return []\n"
    )
    info = tmp_path / "qingdan_broken-9.8.7.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: qingdan-broken\nVersion: 9.8.7\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nbroken = qingdan_broken\n")
    result = subprocess.run(
        [sys.executable, "-m", "qingdan.cli", "plugins"],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin"},
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "插件 broken 9.8.7" in result.stderr
    assert "qingdan_itemtypes" in result.stderr


def test_every_hook_is_documented():
    docs = hook_docs()
    assert docs, "no hooks found"
    for name, doc in docs.items():
        assert len(doc.splitlines()[0]) > 10, f"{name} has no summary line"
        assert "Returns" in doc, f"{name} does not document its return value"
        assert "Called" in doc, f"{name} does not say when it is called"
        assert "First result wins" in doc, f"{name} does not say how results combine"


def test_every_hook_has_a_test():
    test_files = list((ROOT / "tests").rglob("test_*.py")) + list(
        (ROOT / "plugins").glob("*/tests/test_*.py")
    )
    text = "\n".join(p.read_text() for p in test_files)
    untested = [h for h in hook_names() if h not in text]
    assert not untested, f"hooks no test exercises: {untested}"


def test_hook_reference_in_docs_is_generated_from_the_docstrings():
    from qingdan.core.plugin_docs import render_hooks_markdown

    written = (ROOT / "docs" / "plugins" / "hooks.md").read_text()
    assert written == render_hooks_markdown(), (
        "docs/plugins/hooks.md is out of date: "
        "python -m qingdan.core.plugin_docs > docs/plugins/hooks.md"
    )
