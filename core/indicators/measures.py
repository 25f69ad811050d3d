"""What each measure counts: the numerator, the denominator, the unit and which
way is better. The single source of every formula: the computation
(compute.py), the dashboard, the bulletin and docs/indicators.md all read it.

A figure is kept as its numerator and denominator (whole numbers), never as a
rounded value, so a bulletin can be recomputed exactly from the snapshot it
cites. A rate is ``numerator ÷ denominator × 100`` (percent), an average is
``numerator ÷ denominator``, a count is the numerator alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import IndicatorMeasure


class Direction(StrEnum):
    higher = "higher"
    lower = "lower"

    @property
    def label(self) -> str:
        return "越高越好" if self is Direction.higher else "越低越好"


class Kind(StrEnum):
    rate = "rate"  # numerator ÷ denominator × 100, in percent
    average = "average"  # numerator ÷ denominator
    count = "count"  # the numerator


#: Items an item-based measure counts: published (在用) items, judged on their
#: published version. Drafts, items in their first review, suspended and
#: cancelled items are left out; an item whose amendment is under review still
#: counts with the version in force.
ITEMS = "在用事项"


@dataclass(frozen=True)
class MeasureSpec:
    measure: IndicatorMeasure
    name: str  # the core indicator's Chinese name
    kind: Kind
    unit: str  # "%", "次", "件", "个"
    direction: Direction
    numerator: str  # "{items}" stands for the items counted (在用事项, 在用的公共服务事项)
    denominator: str = ""  # empty for a count
    per_item: bool = True  # counts items, so it may be narrowed to some item types
    note: str = ""  # the rules a reader needs beyond the fraction

    def items_text(self, item_types: tuple[ItemType, ...] = ()) -> str:
        if not item_types:
            return ITEMS
        return "在用的" + "、".join(t.label for t in item_types) + "事项"

    def numerator_text(self, item_types: tuple[ItemType, ...] = ()) -> str:
        return self.numerator.format(items=self.items_text(item_types))

    def denominator_text(self, item_types: tuple[ItemType, ...] = ()) -> str:
        return self.denominator.format(items=self.items_text(item_types))

    def formula(self, item_types: tuple[ItemType, ...] = ()) -> str:
        top = self.numerator_text(item_types)
        if self.kind is Kind.count:
            return top
        bottom = self.denominator_text(item_types)
        times = " × 100%" if self.kind is Kind.rate else ""
        return f"({top})÷({bottom}){times}"


#: The period the timeliness measures look at is the plugin's ``period_days``.
TIMELINESS_NOTE = (
    "统计期为快照日及其前 period_days 天(默认90天):计入统计期内办结的,以及至快照日仍未办结的。"
)

MEASURES: dict[IndicatorMeasure, MeasureSpec] = {
    spec.measure: spec
    for spec in (
        MeasureSpec(
            IndicatorMeasure.online_rate,
            "网办率",
            Kind.rate,
            "%",
            Direction.higher,
            "网上办理深度达到三级(在线申办)或四级(全程网办)的{items}数",
            "{items}数",
        ),
        MeasureSpec(
            IndicatorMeasure.full_online_rate,
            "全程网办率",
            Kind.rate,
            "%",
            Direction.higher,
            "网上办理深度为四级(全程网办)的{items}数",
            "{items}数",
        ),
        MeasureSpec(
            IndicatorMeasure.average_visits,
            "平均跑动次数",
            Kind.average,
            "次",
            Direction.lower,
            "{items}“到办事现场次数”之和",
            "{items}数",
        ),
        MeasureSpec(
            IndicatorMeasure.zero_visit_share,
            "零跑动事项占比",
            Kind.rate,
            "%",
            Direction.higher,
            "到办事现场次数为0的{items}数",
            "{items}数",
        ),
        MeasureSpec(
            IndicatorMeasure.material_count,
            "申请材料数",
            Kind.count,
            "件",
            Direction.lower,
            "{items}申请材料条数之和",
            note="没有在用事项的机构无数据(不按0件排名)。",
        ),
        MeasureSpec(
            IndicatorMeasure.material_reduction,
            "材料精简率",
            Kind.rate,
            "%",
            Direction.higher,
            "Σ(基准材料数 − 现行材料数),对每个{items}求和",
            "Σ基准材料数,对每个{items}求和",
            note=(
                "基准材料数:事项第一个发布版本(首次在用时)的申请材料条数;现行材料数:"
                "现行发布版本的申请材料条数。版本不可修改,基准因此固定不变。"
                "材料增加时结果为负数。"
            ),
        ),
        MeasureSpec(
            IndicatorMeasure.government_material_share,
            "政府部门核发材料占比",
            Kind.rate,
            "%",
            Direction.lower,
            "{items}中来源渠道为“政府部门核发”的申请材料条数",
            "{items}申请材料条数之和",
            note="政府部门核发的材料应通过共享获取、免于提交,占比越低越好。",
        ),
        MeasureSpec(
            IndicatorMeasure.limit_compression,
            "承诺时限压缩率",
            Kind.rate,
            "%",
            Direction.higher,
            "Σ(法定办结时限 − 承诺办结时限),对计入的{items}求和",
            "Σ法定办结时限,对计入的{items}求和",
            note=(
                "只计入法定办结时限和承诺办结时限都以工作日计、且法定办结时限大于0的事项"
                "(其他单位无法与工作日相加)。"
            ),
        ),
        MeasureSpec(
            IndicatorMeasure.instant_share,
            "即办件占比",
            Kind.rate,
            "%",
            Direction.higher,
            "办件类型为即办件的{items}数",
            "{items}数",
        ),
        MeasureSpec(
            IndicatorMeasure.adjustment_timeliness,
            "调整按时办结率",
            Kind.rate,
            "%",
            Direction.higher,
            "统计期内按时办结的调整申请数",
            "统计期内已办结或已超期的调整申请数",
            per_item=False,
            note=(
                "调整申请按其事项的实施机构和行政区划归属;基本目录的调整申请只计入全租户。"
                "已办结:已通过、已发布或已驳回。超期:任一审核步骤在期限日之后才办理,"
                "或至快照日仍在办理且已过期限日。按时办结:已办结且没有超期。"
                "退回后重新提交的申请按其当前一轮审核判断。" + TIMELINESS_NOTE
            ),
        ),
        MeasureSpec(
            IndicatorMeasure.obligation_timeliness,
            "后续义务按时完成率",
            Kind.rate,
            "%",
            Direction.higher,
            "统计期内按期完成的后续义务数",
            "统计期内已完成或已逾期的后续义务数",
            per_item=False,
            note=(
                "后续义务(大厅进驻事项更新、线下办事指南更新、认领后完善要素等)按其事项的"
                "实施机构和行政区划归属。逾期:完成日期晚于完成期限,或至快照日仍未完成且已过"
                "完成期限。" + TIMELINESS_NOTE
            ),
        ),
        MeasureSpec(
            IndicatorMeasure.open_findings,
            "未整改质检问题数",
            Kind.count,
            "个",
            Direction.lower,
            "质量检查发现、至快照日尚未整改的问题数",
            per_item=False,
            note="按问题所在事项的实施机构统计;行政区划和全租户为其下各实施机构之和。",
        ),
    )
}


def value_of(kind: Kind, numerator: int, denominator: int | None) -> float | None:
    """The figure's value; None when there is nothing to divide by (no data)."""
    if kind is Kind.count:
        # An item-based count over no items at all is "no data", not a perfect 0.
        return None if denominator == 0 else float(numerator)
    if not denominator:
        return None
    if kind is Kind.rate:
        return 100.0 * numerator / denominator
    return numerator / denominator


def format_value(kind: Kind, unit: str, value: float | None) -> str:
    """The value as leaders read it: 66.7%, 1.50次, 12件; — when there is no data."""
    if value is None:
        return "—"
    if kind is Kind.rate:
        return f"{value:.1f}%"
    if kind is Kind.average:
        return f"{value:.2f}{unit}"
    return f"{value:g}{unit}"


def format_amount(kind: Kind, unit: str, amount: float) -> str:
    """A difference in the indicator's unit: 23.3个百分点, 0.50次, 3个."""
    if kind is Kind.rate:
        return f"{amount:.1f}个百分点"
    if kind is Kind.average:
        return f"{amount:.2f}{unit}"
    return f"{amount:g}{unit}"
