"""金昌市的质检规则(``qingdan_quality_rules``),依据《办法》第十五条。

规则写在 ``data/quality.json``;核心的 :class:`qingdan.core.checks.declarative.QualityBook`
解读数据,依据写明办法名称与条款;数据有误时插件加载即失败。
"""

from __future__ import annotations

from qingdan import hookimpl
from qingdan.core.checks.declarative import QualityBook
from qingdan.core.hooktypes import QualityRules
from qingdan_jinchang.loader import load
from qingdan_jinchang.settings import DOCUMENT

QUALITY = QualityBook(load("quality"), DOCUMENT)


@hookimpl
def qingdan_quality_rules() -> QualityRules:
    return QUALITY.rules()
