"""安阳市的指标(``data/indicators.json``):全程网办(任务13)、即时办结(任务9)的出处,
以及任务25“政府部门核发的材料一律免于提交”——政府部门核发材料占比,目标为0。

方案没有规定通报规则(三(七)只要求建立督查考核机制),通报使用平台默认规则。
"""

from __future__ import annotations

import msgspec

from qingdan.core.hooktypes import IndicatorDef, IndicatorSet, IndicatorTarget
from qingdan.core.indicators.definitions import CORE_DEFINITIONS
from qingdan_anyang.loader import load
from qingdan_anyang.settings import DOCUMENT

CITATION = f"《{DOCUMENT}》"


def indicator_set() -> IndicatorSet:
    data = load("indicators")
    bases = data["bases"]
    annotated = tuple(
        msgspec.structs.replace(d, basis=f"{CITATION}{bases[d.id]['clause']}:{bases[d.id]['text']}")
        for d in CORE_DEFINITIONS
        if d.id in bases
    )
    added = tuple(
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
            value=t["value"],
            basis=f"{CITATION}{t['clause']}:{t['text']}",
        )
        for t in data["targets"]
    )
    return IndicatorSet(definitions=annotated + added, targets=targets)
