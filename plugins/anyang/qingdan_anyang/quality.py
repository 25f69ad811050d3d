"""安阳市的质检规则与“三级三十二同”检查(``qingdan_quality_rules``)。

规则与要比较的要素写在 ``data/quality.json``;核心的
:class:`qingdan.core.checks.declarative.QualityBook` 解读数据,依据写明方案名称与条款;
数据有误时插件加载即失败。
"""

from __future__ import annotations

from qingdan import hookimpl
from qingdan.core.checks.declarative import QualityBook
from qingdan.core.hooktypes import QualityRules
from qingdan_anyang.loader import load
from qingdan_anyang.settings import DOCUMENT

QUALITY = QualityBook(load("quality"), DOCUMENT)


@hookimpl
def qingdan_quality_rules() -> QualityRules:
    return QUALITY.rules()
