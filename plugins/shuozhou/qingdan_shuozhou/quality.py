"""朔城区的质检规则与“四级四同”检查(``qingdan_quality_rules``)。

规则写在 ``data/quality.json``;核心的 :class:`qingdan.core.checks.declarative.QualityBook`
解读数据,依据写明方案名称、文号与条款;数据有误时插件加载即失败。
"""

from __future__ import annotations

from qingdan import hookimpl
from qingdan.core.checks.declarative import QualityBook
from qingdan.core.hooktypes import QualityRules
from qingdan_shuozhou.loader import load
from qingdan_shuozhou.settings import DOCUMENT, DOCUMENT_NUMBER

QUALITY = QualityBook(load("quality"), DOCUMENT, citation=f"《{DOCUMENT}》({DOCUMENT_NUMBER})")


@hookimpl
def qingdan_quality_rules() -> QualityRules:
    return QUALITY.rules()
