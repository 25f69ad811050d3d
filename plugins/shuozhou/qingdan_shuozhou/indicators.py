"""朔城区的指标:公共服务事项全程网办率及其90%目标,和“通报批评”的规则(``data/indicators.json``)。

方案三(二)3(3):“力争到2020年底前全区公共服务事项90%以上实现全程网上办理”——一个只计公共服务
事项的全程网办率,目标值和期限取自设置。方案四(三):“对工作推进不力、拖延不办、上报迟缓、公布
不及时等行为将予以通报批评”——按调整和后续义务的时效、以及全程网办目标点名。
"""

from __future__ import annotations

import msgspec

from qingdan.core.hooktypes import (
    BulletinCriterion,
    BulletinRule,
    IndicatorDef,
    IndicatorSet,
    IndicatorTarget,
)
from qingdan_shuozhou.loader import load
from qingdan_shuozhou.settings import DOCUMENT, DOCUMENT_NUMBER, ShuozhouSettings, basis

CITATION = f"《{DOCUMENT}》({DOCUMENT_NUMBER})"


def indicator_set(settings: ShuozhouSettings) -> IndicatorSet:
    data = load("indicators")
    definitions = tuple(
        msgspec.convert(
            {
                **{k: d[k] for k in ("id", "name", "measure", "item_types", "description")},
                "basis": f"{CITATION}{d['clause']}:{d['text']}",
            },
            IndicatorDef,
        )
        for d in data["definitions"]
    )
    targets = tuple(
        IndicatorTarget(
            indicator=t["indicator"],
            value=getattr(settings, t["setting"]),
            due=getattr(settings, t["due_setting"]),
            basis=basis(t["setting"]),
        )
        for t in data["targets"]
    )
    rule = data["bulletin"]
    bulletin = BulletinRule(
        title=rule["title"],
        criteria=tuple(msgspec.convert(c, BulletinCriterion) for c in rule["criteria"]),
        basis=f"{CITATION}{rule['clause']}:{rule['text']}",
        consequence=rule["consequence"],
    )
    return IndicatorSet(definitions=definitions, targets=targets, bulletin=bulletin)
