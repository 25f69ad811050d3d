"""The plugin kit: the conformance kit and ``qingdan plugin new``.

The conformance kit runs every built-in plugin and the sample plugin clean,
names each problem of a broken plugin in Chinese, and leaves the test
session's settings, database engine and plugin registry as it found them.
The scaffold writes a package that installs into a fresh virtualenv and passes
its own tests as generated.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from qingdan import hookimpl
from qingdan.cli import main
from qingdan.core import plugins as plugin_registry
from qingdan.core.hooktypes import (
    ApprovalChain,
    ChainStep,
    DemoAgency,
    DemoDataset,
    DemoDivision,
    Jurisdiction,
)
from qingdan.core.plugins import get_registry, load_plugin, set_registry
from qingdan.core.testing import (
    ConformanceReport,
    assert_conforms,
    check_plugin,
    submitted_claim,
    use_sample_plugin,
)
from qingdan.core.workflow.schemas import ChangeStatus

BUILT_IN = ["jinchang", "anyang", "shuozhou"]
WALKED = ["工作流:准备"] + [f"工作流:{k}" for k in ("认领", "变更", "暂停", "恢复", "取消", "新增")]
HOOK_ITEMS = [
    "从入口点加载",
    "辖区 qingdan_jurisdiction",
    "设置 qingdan_settings_schema",
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
    "演示数据 qingdan_demo_dataset",
]


@pytest.fixture
def keep_registry():
    """Put the session's plugin registry back after a test that swaps it."""
    saved = plugin_registry._registry
    yield
    set_registry(saved)


def _module(name: str, **functions) -> types.ModuleType:
    mod = types.ModuleType(name)
    for fn_name, fn in functions.items():
        fn.__name__ = fn_name
        setattr(mod, fn_name, fn)
    return mod


def _jurisdiction(slug: str, code: str = "990100000000"):
    @hookimpl
    def qingdan_jurisdiction():
        return Jurisdiction(slug=slug, name="测试市", division_code=code)

    return qingdan_jurisdiction


def _register(name: str, module: types.ModuleType) -> None:
    set_registry(get_registry().with_plugin(load_plugin(name, module, "0.1-test")))


def _conforming(report: ConformanceReport) -> None:
    assert report.ok, report.text()
    assert [i.name for i in report.items] == HOOK_ITEMS + WALKED
    assert "全部" in report.text().splitlines()[0]


# --- everything that ships conforms -----------------------------------------------------------


@pytest.mark.db
def test_the_sample_plugin_conforms(keep_registry):
    use_sample_plugin()
    report = check_plugin("sample")
    _conforming(report)
    claim = report.item("工作流:认领").detail
    assert claim.startswith(
        "认领: 部门审核(审核员) → 审改机构审核(审改机构) → 质检发布(大数据中心)"
    )
    assert "大厅进驻事项调整更新" in claim  # the sample plugin's obligation, with its due date
    assert "合法性审核(司法行政部门)" in report.item("工作流:取消").detail
    assert report.seconds < 60


@pytest.mark.db
@pytest.mark.parametrize("name", BUILT_IN)
def test_each_built_in_plugin_conforms(name):
    report = check_plugin(name)
    _conforming(report)
    assert report.jurisdiction and report.version != "?"
    assert "入口点 qingdan.jurisdictions" in report.item("从入口点加载").detail
    assert_conforms(name)  # the one call a plugin's own suite makes


# --- a broken plugin is told what is wrong, in Chinese -----------------------------------------


@pytest.mark.db
def test_a_chain_step_no_one_can_pass_fails_the_walk_naming_the_step(keep_registry):
    @hookimpl
    def qingdan_approval_chain():
        return ApprovalChain(
            steps=(
                ChainStep(name="信息员自审", role="clerk"),
                ChainStep(name="质检发布", role="data_center"),
            )
        )

    _register(
        "selfreview",
        _module(
            "selfreview",
            qingdan_jurisdiction=_jurisdiction("selfreview"),
            qingdan_approval_chain=qingdan_approval_chain,
        ),
    )
    report = check_plugin("selfreview")
    assert not report.ok
    assert report.item("审核链 qingdan_approval_chain").ok  # statically fine ...
    claim = report.item("工作流:认领")  # ... but the author cannot approve their own change
    assert not claim.ok
    assert claim.detail == "认领: 第1步“信息员自审”无法通过: 申请人不能审核自己提交的申请"
    assert "clerk" in claim.hint
    assert "未运行" in report.item("工作流:变更").detail
    text = report.text()
    assert "未通过" in text.splitlines()[0]
    assert "第1步“信息员自审”无法通过: 申请人不能审核自己提交的申请" in text
    with pytest.raises(AssertionError, match="申请人不能审核自己提交的申请"):
        assert_conforms("selfreview")


@pytest.mark.db
def test_inconsistent_demo_data_is_named(keep_registry):
    @hookimpl
    def qingdan_demo_dataset():
        return DemoDataset(
            divisions=(
                DemoDivision(code="990100000000", name="测试市"),
                DemoDivision(code="990102000000", name="测试区", parent_code="990100000000"),
                DemoDivision(code="980100000000", name="别处市"),
            ),
            agencies=(
                DemoAgency(
                    name="测试市市场监督管理局", division_code="990100000000", org_code="CK000001"
                ),
                DemoAgency(
                    name="测试区卫生健康局", division_code="990103000000", org_code="CK000002"
                ),
                DemoAgency(name="测试市教育局", division_code="990100000000", org_code="ck-01"),
            ),
        )

    _register(
        "baddemo",
        _module(
            "baddemo",
            qingdan_jurisdiction=_jurisdiction("baddemo"),
            qingdan_demo_dataset=qingdan_demo_dataset,
        ),
    )
    report = check_plugin("baddemo")
    demo = report.item("演示数据 qingdan_demo_dataset")
    assert not demo.ok
    assert "区划“别处市”(980100000000)不在本辖区 990100000000 之内" in demo.detail
    assert "实施机构“测试区卫生健康局”所在区划 990103000000 不在演示数据的区划中" in demo.detail
    assert (
        "实施机构“测试市教育局”的组织机构代码“ck-01”无法组成有效的统一社会信用代码" in demo.detail
    )
    assert report.item("工作流:取消").ok  # the rest of the plugin is fine
    assert [i.name for i in report.failures] == ["演示数据 qingdan_demo_dataset"]


BROKEN_PACKAGE = """
from typing import Annotated

import msgspec

from qingdan import hookimpl
from qingdan.core.hooktypes import ElementRequirements, Jurisdiction


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    review_days: int = 5
    note: Annotated[str, msgspec.Meta(title="Note")] = ""


@hookimpl
def qingdan_jurisdiction():
    return Jurisdiction(slug="broken_city", name="坏样市", division_code="990100000000")


@hookimpl
def qingdan_settings_schema():
    return Settings


@hookimpl
def qingdan_taxonomies():
    return {"themes": ["婚育"]}


@hookimpl
def qingdan_element_requirements(item_type):
    return ElementRequirements(required=("name", "meterials"))
"""


def _install_fake_distribution(site: Path, name: str, source: str) -> None:
    """A package with a dist-info and an entry point, as pip would leave it."""
    package = site / f"qingdan_{name}"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(source, encoding="utf-8")
    info = site / f"qingdan_{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: qingdan-{name}\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[qingdan.jurisdictions]\n{name} = qingdan_{name}\n", encoding="utf-8"
    )


@pytest.mark.db
def test_a_package_that_fails_loading_gets_every_problem_named(
    tmp_path, monkeypatch, keep_registry
):
    _install_fake_distribution(tmp_path / "site", "brokencity", BROKEN_PACKAGE)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "qingdan_brokencity", raising=False)
    set_registry(None)  # read the entry points again, as a fresh process would
    try:
        report = check_plugin("brokencity")
    finally:
        sys.modules.pop("qingdan_brokencity", None)
    assert not report.ok
    assert report.version == "0.1" and report.jurisdiction == "坏样市"
    load = report.item("从入口点加载")
    assert not load.ok and "加载校验失败" in load.detail and "插件 brokencity 0.1" in load.detail
    assert "标识 slug “broken_city”无效" in report.item("辖区 qingdan_jurisdiction").detail
    settings = report.item("设置 qingdan_settings_schema").detail
    assert "设置项 review_days 没有中文标题" in settings
    assert "设置项 note 的标题“Note”不是中文" in settings
    taxonomies = report.item("分类 qingdan_taxonomies")
    assert not taxonomies.ok and "qingdan_taxonomies 的返回值类型不正确" in taxonomies.detail
    requirements = report.item("要素要求 qingdan_element_requirements").detail
    assert "行政许可: 要求的要素 meterials 不存在" in requirements
    assert "未运行" in report.item("工作流").detail
    assert report.item("审核链 qingdan_approval_chain").ok  # the platform's default chain
    text = report.text()
    assert "插件 brokencity 0.1(坏样市) 一致性检查" in text
    assert "要求的要素 meterials 不存在" in text


def test_a_plugin_that_is_not_installed_is_reported(keep_registry):
    report = check_plugin("nowhere")
    assert not report.ok
    assert "没有找到名为“nowhere”的辖区插件" in report.item("从入口点加载").detail
    assert "jinchang" in report.item("从入口点加载").detail


# --- the kit and the test session leave each other alone --------------------------------------


@pytest.mark.db
async def test_the_session_database_still_works_after_a_check(make_tenant, keep_registry):
    from qingdan.core import config, db

    use_sample_plugin()
    t = await make_tenant()  # the session database is in use before ...
    settings, engine = config.get_settings(), db.get_engine()
    data_dir = os.environ["QINGDAN_DATA_DIR"]
    leftovers = set(Path(tempfile.gettempdir()).glob("qingdan-conformance-*"))

    report = check_plugin("sample")  # synchronous, inside this test's running event loop

    assert report.ok, report.text()
    assert config.get_settings() is settings and db.get_engine() is engine
    assert os.environ["QINGDAN_DATA_DIR"] == data_dir
    assert set(Path(tempfile.gettempdir()).glob("qingdan-conformance-*")) == leftovers
    again = await make_tenant()  # ... and after
    _item, cr = await submitted_claim(again)
    assert cr.status == ChangeStatus.in_review.value
    assert t.tenant_id != again.tenant_id


# --- qingdan plugin new -----------------------------------------------------------------------


def test_plugin_new_refuses_a_bad_name_or_division_code(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(main, ["plugin", "new", "My-City", "--dir", str(tmp_path)])
    assert bad.exit_code == 1
    assert "插件名“My-City”无效" in bad.output and "小写" in bad.output
    code = runner.invoke(
        main, ["plugin", "new", "mycity", "--dir", str(tmp_path), "--division-code", "62030"]
    )
    assert code.exit_code == 1 and "行政区划代码应为12位数字" in code.output
    assert not any(tmp_path.iterdir())
    ok = runner.invoke(
        main,
        [
            "plugin",
            "new",
            "mycity",
            "--dir",
            str(tmp_path),
            "--jurisdiction-name",
            "某某县",
            "--division-code",
            "990102000000",
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert "占位代码" not in ok.output
    again = runner.invoke(main, ["plugin", "new", "mycity", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "已存在" in again.output


def _env() -> dict[str, str]:
    """The environment of a vendor's shell: none of this session's settings."""
    drop = ("QINGDAN_", "PYTEST_", "PYTHONPATH", "VIRTUAL_ENV")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)}


def _run(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, capture_output=True, text=True, cwd=cwd, env=_env(), timeout=timeout
    )


def test_plugin_new_writes_a_package_that_installs_and_passes_its_tests(tmp_path):
    made = _run(
        [sys.executable, "-m", "qingdan.cli", "plugin", "new", "demo_city", "--dir", str(tmp_path)],
        tmp_path,
    )
    assert made.returncode == 0, made.stderr
    root = tmp_path / "qingdan-demo_city"
    assert {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} == {
        "pyproject.toml",
        "README.md",
        "qingdan_demo_city/__init__.py",
        "tests/test_demo_city.py",
    }
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "qingdan-demo_city"' in pyproject
    assert '[project.entry-points."qingdan.jurisdictions"]\ndemo_city = "qingdan_demo_city"' in (
        pyproject
    )
    assert 'assert_conforms("demo_city")' in (root / "tests/test_demo_city.py").read_text()

    # A fresh virtualenv that sees this project's environment (qingdan, pytest, pip).
    # --system-site-packages exposes the base interpreter's packages, not those of the
    # virtualenv running this test, so a .pth file adds the latter's site-packages
    # (addsitedir also runs their .pth files: qingdan's editable install needs them).
    venv = tmp_path / "venv"
    created = _run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        tmp_path,
    )
    assert created.returncode == 0, created.stderr
    python = str(venv / "bin" / "python")
    site = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path
    ).stdout.strip()
    parents = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (Path(site) / "_qingdan_parent_env.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in parents), encoding="utf-8"
    )

    install = [python, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "-e", str(root)]
    installed = _run(install, tmp_path)
    if installed.returncode != 0:
        # This environment's setuptools is too old to build an editable wheel by itself
        # (it needs the separate "wheel" package); give the venv a current one.
        tools = _run([python, "-m", "pip", "install", "setuptools>=70.1"], tmp_path)
        assert tools.returncode == 0, tools.stdout + tools.stderr
        installed = _run(install, tmp_path)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    tested = _run([python, "-m", "pytest", str(root / "tests"), "-q"], tmp_path)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "3 passed" in tested.stdout

    listed = _run([python, "-m", "qingdan.cli", "plugins", "--json"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["demo_city"]["distribution"] == "qingdan-demo_city"
    assert rows["demo_city"]["jurisdiction"] == "某某市"
    assert rows["demo_city"]["hooks"] == ["qingdan_jurisdiction", "qingdan_settings_schema"]
    assert not (tmp_path / "var").exists()  # the conformance run left no data behind
