"""``qingdan plugin new NAME``: write a new, installable jurisdiction plugin package.

The package it writes installs with ``pip install -e`` and passes its own
tests as generated: it registers itself in the entry-point group
``qingdan.jurisdictions``, implements ``qingdan_jurisdiction`` and
``qingdan_settings_schema`` (with one example setting), and its starter test
loads it through the registry and runs the conformance kit
(``qingdan.core.testing.assert_conforms``). Every other hook falls back to the
platform's national defaults until the vendor writes it.

The files are rendered from the string templates below (``string.Template``,
``$name`` placeholders), so braces in the generated code need no escaping.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template

from qingdan.core.catalog.codes import CodeError, DivisionCode

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
#: A made-up division (province code 99 does not exist): replace it with the real one.
PLACEHOLDER_DIVISION = "990100000000"
DEFAULT_JURISDICTION_NAME = "某某市"


class ScaffoldError(ValueError):
    """A bad name, division code or target; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class PluginSpec:
    name: str  # entry-point name and package suffix: qingdan_<name>
    jurisdiction_name: str
    division_code: str  # 12 digits

    @property
    def package(self) -> str:
        return f"qingdan_{self.name}"

    @property
    def distribution(self) -> str:
        return f"qingdan-{self.name}"

    @property
    def slug(self) -> str:
        """The jurisdiction's slug (tenant slugs allow hyphens, not underscores)."""
        return self.name.replace("_", "-")

    @property
    def placeholder(self) -> bool:
        return self.division_code == PLACEHOLDER_DIVISION


def make_spec(
    name: str,
    jurisdiction_name: str = DEFAULT_JURISDICTION_NAME,
    division_code: str = PLACEHOLDER_DIVISION,
) -> PluginSpec:
    """Check the options; raise :class:`ScaffoldError` in words a vendor understands."""
    name = (name or "").strip()
    if not NAME_RE.match(name) or keyword.iskeyword(name) or "__" in name:
        raise ScaffoldError(
            f"插件名“{name}”无效:应为小写英文字母开头、由小写字母、数字和下划线组成的"
            "标识符(2-40位),如 mycity 或 demo_city;它同时用作入口点名称和包名 qingdan_<插件名>"
        )
    jurisdiction_name = (jurisdiction_name or "").strip()
    if not jurisdiction_name:
        raise ScaffoldError("辖区名称不能为空,如 --jurisdiction-name 某某市")
    if any(c in jurisdiction_name for c in "\"'\\\n\r$"):
        raise ScaffoldError(f"辖区名称“{jurisdiction_name}”含有不允许的字符")
    raw = (division_code or "").strip()
    if not re.fullmatch(r"[0-9]{12}", raw):
        raise ScaffoldError(f"行政区划代码应为12位数字,“{division_code}”不符合")
    try:
        code = DivisionCode.parse(raw).value
    except CodeError as exc:
        raise ScaffoldError(str(exc)) from None
    return PluginSpec(name=name, jurisdiction_name=jurisdiction_name, division_code=code)


def render(spec: PluginSpec) -> dict[str, str]:
    """The package's files, by path relative to its directory ``qingdan-<name>/``."""
    values = {
        "name": spec.name,
        "package": spec.package,
        "distribution": spec.distribution,
        "slug": spec.slug,
        "jurisdiction_name": spec.jurisdiction_name,
        "division_code": spec.division_code,
        "division_note": (
            "# 占位的行政区划代码(99 不是真实的省份):请换成本辖区的12位代码。\n        "
            if spec.placeholder
            else ""
        ),
    }
    return {
        "pyproject.toml": PYPROJECT.substitute(values),
        "README.md": README.substitute(values),
        f"{spec.package}/__init__.py": HOOKS.substitute(values),
        f"tests/test_{spec.name}.py": TEST.substitute(values),
    }


def write_plugin(spec: PluginSpec, directory: Path) -> Path:
    """Write the package into ``directory/qingdan-<name>/``; refuses to overwrite."""
    root = Path(directory).expanduser().resolve() / spec.distribution
    if root.exists():
        raise ScaffoldError(f"目录 {root} 已存在,不会覆盖;请换一个 --dir 或先移走它")
    for rel, text in render(spec).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


PYPROJECT = Template("""\
[build-system]
# setuptools 70.1 and later build (editable) wheels without the separate "wheel" package.
requires = ["setuptools>=70.1"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "清单(qingdan)辖区插件:$jurisdiction_name"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["qingdan"]

[project.optional-dependencies]
test = ["pytest>=8"]

# The platform finds the plugin here: the name on the left is the plugin's
# name (tenants are bound to it), the module on the right holds the hooks.
[project.entry-points."qingdan.jurisdictions"]
$name = "$package"

[tool.setuptools]
packages = ["$package"]

[tool.pytest.ini_options]
testpaths = ["tests"]
""")


HOOKS = Template('''\
"""清单(qingdan)辖区插件:$jurisdiction_name。

平台经入口点组 ``qingdan.jurisdictions`` 中的 ``$name`` 找到本模块,登记其中用
``hookimpl`` 标记的函数。这里只实现了必需的 ``qingdan_jurisdiction`` 和设置结构;
其余钩子(事项类型、要素要求、审核链、后续义务、演示数据……)未实现时使用平台的
全国默认值,需要时照 docs/plugins/hooks.md 逐个添加。
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from qingdan import hookimpl
from qingdan.core.hooktypes import Jurisdiction

__version__ = "0.1.0"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """本辖区管理员可以调整的设置。

    每一项都要有默认值(新租户开箱即用)和中文标题(管理界面的表单由它生成)。
    """

    hall_update_days: Annotated[
        int, msgspec.Meta(ge=1, le=60, title="大厅进驻事项调整更新时限(工作日)")
    ] = 5


@hookimpl
def qingdan_jurisdiction() -> Jurisdiction:
    return Jurisdiction(
        slug="$slug",
        name="$jurisdiction_name",
        ${division_note}division_code="$division_code",
    )


@hookimpl
def qingdan_settings_schema() -> type[msgspec.Struct]:
    return Settings
''')


TEST = Template('''\
"""$jurisdiction_name插件($name)的测试:经入口点加载,并通过平台的一致性检查。"""

from qingdan.core.plugins import get_registry
from qingdan.core.testing import assert_conforms

NAME = "$name"


def test_loads_through_the_registry():
    plugin = get_registry().get(NAME)
    jurisdiction = plugin.jurisdiction
    assert jurisdiction.name == "$jurisdiction_name"
    assert jurisdiction.division_code == "$division_code"
    assert plugin.distribution == "$distribution"


def test_settings_start_from_their_defaults():
    settings = get_registry().get(NAME).settings({})
    assert settings.hall_update_days == 5


def test_conforms_to_the_platform():
    # Every hook against the contract, the demo data, and each kind of change
    # walked through this plugin's approval chain on a throwaway database.
    assert_conforms("$name")
''')


README = Template("""\
# $distribution:$jurisdiction_name辖区插件

清单(qingdan)平台的辖区插件。平台经入口点组 `qingdan.jurisdictions` 中的
`$name` 发现它;租户绑定到 `$name` 后,平台只向本插件询问该租户的规则。

## 安装与测试

```sh
pip install -e .                 # 在本目录执行
pytest -q                        # 加载测试 + 平台一致性检查
qingdan plugins                  # 列出已安装的插件及其实现的钩子
```

`tests/test_$name.py` 中的 `assert_conforms("$name")` 运行平台的一致性检查:
逐个核对钩子的返回值、演示数据,并在临时数据库上让每一种调整(认领、新增、变更、
暂停、恢复、取消)走完本插件的审核链。未通过时,错误信息用中文写明哪一项、为什么。

## 结构

| 文件 | 内容 |
|---|---|
| `pyproject.toml` | 包信息和入口点 `$name = "$package"` |
| `$package/__init__.py` | 钩子实现:辖区信息(`qingdan_jurisdiction`)和设置结构(`qingdan_settings_schema`) |
| `tests/test_$name.py` | 起步测试 |

## 下一步

1. 把 `qingdan_jurisdiction` 中的名称、行政区划代码换成本辖区的真实信息。
2. 按本辖区的政策文件实现其他钩子:事项类型、要素要求、审核链、后续义务、演示数据……
   每个钩子接收什么、返回什么、何时被调用,见平台文档 docs/plugins/hooks.md;
   审核链和后续义务可以写成数据(`data/rules.json`),交给 `qingdan.core.rulebook.Rulebook` 解释。
3. 每实现一条规则,就在 `tests/` 中加一条测试,并保持 `assert_conforms` 通过。
4. 创建租户:`qingdan tenant create --slug $slug --name $jurisdiction_name --plugin $name`
""")
