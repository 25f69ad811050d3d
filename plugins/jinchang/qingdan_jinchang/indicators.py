"""金昌市的指标:办法第七条、第十五条、第十九条的出处,目标和通报规则(``data/indicators.json``)。

平台已按统一口径计算网办率、全程网办率、减跑动、减材料、减时限(承诺时限压缩率)和即办件占比;
本插件为这些指标写明办法中的出处,目标取自设置(第十五条:原则上全部实现网上办和全程网办),
通报规则按第十九条第三款点名动态调整不及时、质检问题整改不到位和指标排名靠后的实施机构。
"""

from __future__ import annotations

import msgspec

from qingdan.core.hooktypes import BulletinCriterion, BulletinRule, IndicatorSet, IndicatorTarget
from qingdan.core.indicators.definitions import CORE_DEFINITIONS
from qingdan_jinchang.loader import load
from qingdan_jinchang.settings import DOCUMENT, JinchangSettings, basis


def indicator_set(settings: JinchangSettings) -> IndicatorSet:
    data = load("indicators")
    bases = data["bases"]
    definitions = tuple(
        msgspec.structs.replace(
            d, basis=f"《{DOCUMENT}》{bases[d.id]['clause']}:{bases[d.id]['text']}"
        )
        for d in CORE_DEFINITIONS
        if d.id in bases
    )
    targets = tuple(
        IndicatorTarget(
            indicator=t["indicator"],
            value=getattr(settings, t["setting"]),
            basis=basis(t["setting"]),
        )
        for t in data["targets"]
    )
    rule = data["bulletin"]
    bulletin = BulletinRule(
        title=rule["title"],
        criteria=tuple(msgspec.convert(c, BulletinCriterion) for c in rule["criteria"]),
        basis=f"《{DOCUMENT}》{rule['clause']}:{rule['text']}",
        consequence=rule["consequence"],
    )
    return IndicatorSet(definitions=definitions, targets=targets, bulletin=bulletin)
