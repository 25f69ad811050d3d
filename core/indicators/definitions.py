"""Core's indicators and default bulletin rule, and the tenant's set as it applies.

``resolve`` merges a plugin's ``IndicatorSet`` (hook ``qingdan_indicators``)
into core's indicators and checks it: ids unique, every target and bulletin
criterion naming a known indicator, values in range. A wrong set stops the
plugin from loading, with every problem named in Chinese.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import msgspec

from qingdan.core.catalog.vocab import ItemType
from qingdan.core.hooktypes import (
    BulletinCriterion,
    BulletinRule,
    IndicatorDef,
    IndicatorMeasure,
    IndicatorSet,
    IndicatorTarget,
)
from qingdan.core.indicators.measures import MEASURES, Direction, Kind

M = IndicatorMeasure

#: Core's indicators, in the order a dashboard shows them. Each id is its
#: measure's name: a plugin replaces one by giving a definition of the same id.
CORE_DEFINITIONS: tuple[IndicatorDef, ...] = tuple(
    IndicatorDef(id=m.value, name=MEASURES[m].name, measure=m, description=description)
    for m, description in (
        (M.online_rate, "能在网上申请办理的事项所占比例"),
        (M.full_online_rate, "从申请到办结全程在网上办理、不需到现场的事项所占比例"),
        (M.average_visits, "办成一个事项平均要到办事现场几次(减跑动)"),
        (M.zero_visit_share, "一次也不用跑的事项所占比例(减跑动)"),
        (M.material_count, "申请人要提交的材料共有多少条(减材料)"),
        (M.material_reduction, "与事项首次在用时相比,申请材料减少了多少(减材料)"),
        (M.limit_compression, "承诺办结时限比法定办结时限缩短了多少(减时限)"),
        (M.instant_share, "当场办结的即办件所占比例"),
        (M.adjustment_timeliness, "调整申请在每个审核步骤的期限内办结的比例"),
        (M.obligation_timeliness, "调整生效后大厅、办事指南等后续工作按期完成的比例"),
        (M.open_findings, "质量检查发现而尚未整改的问题"),
    )
)

#: Without a rule of the jurisdiction's own, a bulletin names the agencies late
#: with adjustments or their follow-up work, or with quality findings open.
DEFAULT_BULLETIN_RULE = BulletinRule(
    title="政务服务事项管理情况通报",
    criteria=(
        BulletinCriterion(
            indicator="adjustment_timeliness",
            kind="threshold",
            threshold=100,
            reason="调整申请未按时办结",
        ),
        BulletinCriterion(
            indicator="obligation_timeliness",
            kind="threshold",
            threshold=100,
            reason="后续义务未按期完成",
        ),
        BulletinCriterion(
            indicator="open_findings", kind="threshold", threshold=0, reason="质检问题未整改"
        ),
    ),
    basis="平台默认通报规则",
)

CRITERION_KINDS = {"threshold": "阈值", "target": "目标", "bottom": "排名靠后"}
ID_RE = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
MAX_PERIOD_DAYS = 3660


class IndicatorConfigError(ValueError):
    """The plugin's indicator set is wrong; the message names every problem."""


class Indicator(msgspec.Struct, frozen=True, kw_only=True):
    """An indicator as it applies to a tenant: its definition with the measure's formula."""

    id: str
    name: str
    measure: IndicatorMeasure
    item_types: tuple[ItemType, ...] = ()
    kind: Kind
    unit: str
    direction: Direction
    numerator: str
    denominator: str = ""
    formula: str
    note: str = ""
    description: str = ""
    basis: str = ""

    @property
    def higher_is_better(self) -> bool:
        return self.direction is Direction.higher


class IndicatorConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant's indicators, targets and bulletin rule (what a snapshot stores)."""

    indicators: tuple[Indicator, ...]
    targets: tuple[IndicatorTarget, ...] = ()
    bulletin: BulletinRule
    period_days: int = 90

    def get(self, indicator_id: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)

    def target(self, indicator_id: str) -> IndicatorTarget | None:
        return next((t for t in self.targets if t.indicator == indicator_id), None)

    def to_builtins(self) -> dict[str, Any]:
        return msgspec.to_builtins(self)

    @classmethod
    def from_builtins(cls, data: Any) -> IndicatorConfig:
        return msgspec.convert(data, cls)


def indicator_of(definition: IndicatorDef) -> Indicator:
    spec = MEASURES[definition.measure]
    types = tuple(definition.item_types)
    return Indicator(
        id=definition.id,
        name=definition.name,
        measure=definition.measure,
        item_types=types,
        kind=spec.kind,
        unit=spec.unit,
        direction=spec.direction,
        numerator=spec.numerator_text(types),
        denominator=spec.denominator_text(types),
        formula=spec.formula(types),
        note=spec.note,
        description=definition.description,
        basis=definition.basis,
    )


def resolve(found: IndicatorSet) -> IndicatorConfig:
    """Core's indicators with the plugin's set applied, or IndicatorConfigError."""
    if not isinstance(found, IndicatorSet):
        raise IndicatorConfigError(f"应返回 IndicatorSet,实际为 {type(found).__name__}")
    # Structs built in code are not type-checked: a round trip checks every field
    # (and turns "public_service" into ItemType.public_service).
    try:
        found = msgspec.convert(msgspec.to_builtins(found), IndicatorSet)
    except (msgspec.ValidationError, TypeError) as exc:
        raise IndicatorConfigError(f"返回值含有无效的内容: {exc}") from None
    problems: list[str] = []
    core_ids = [d.id for d in CORE_DEFINITIONS]
    own_ids = [d.id for d in found.definitions]
    twice = sorted({i for i in own_ids if own_ids.count(i) > 1})
    if twice:
        problems.append(f"指标 id 重复: {'、'.join(twice)}")
    for hidden in found.hidden:
        if hidden not in core_ids:
            problems.append(f"hidden 中的“{hidden}”不是平台指标")
    replaced = {d.id: d for d in found.definitions}
    definitions = [replaced.pop(d.id, d) for d in CORE_DEFINITIONS if d.id not in found.hidden]
    definitions += [d for d in found.definitions if d.id in replaced]
    for d in found.definitions:
        problems += _definition_problems(d)
    known = {d.id: d for d in definitions}
    units = {d.id: MEASURES[d.measure].kind for d in definitions if d.measure in MEASURES}
    seen_targets: set[str] = set()
    for t in found.targets:
        where = f"目标“{t.indicator}”"
        if t.indicator not in known:
            problems.append(f"{where}: 没有这个指标")
            continue
        if t.indicator in seen_targets:
            problems.append(f"{where}: 同一指标只能有一个目标")
        seen_targets.add(t.indicator)
        if units.get(t.indicator) is Kind.rate and not 0 <= t.value <= 100:
            problems.append(f"{where}: 比率的目标应在0到100(%)之间,实为 {t.value:g}")
        elif t.value < 0:
            problems.append(f"{where}: 目标不能为负数")
    bulletin = found.bulletin or DEFAULT_BULLETIN_RULE
    problems += _bulletin_problems(bulletin, known, seen_targets)
    if not 1 <= found.period_days <= MAX_PERIOD_DAYS:
        problems.append(
            f"统计期 period_days 应在1到{MAX_PERIOD_DAYS}天之间,实为 {found.period_days}"
        )
    if problems:
        raise IndicatorConfigError(";".join(dict.fromkeys(problems)))
    return IndicatorConfig(
        indicators=tuple(indicator_of(d) for d in definitions),
        targets=tuple(found.targets),
        bulletin=bulletin,
        period_days=found.period_days,
    )


def _definition_problems(d: IndicatorDef) -> list[str]:
    where = f"指标“{d.id}”"
    problems = []
    if not ID_RE.match(d.id):
        problems.append(f"{where}: id 应为小写字母开头的小写字母、数字和下划线")
    if not d.name.strip():
        problems.append(f"{where}: 没有中文名称")
    if d.measure not in MEASURES:
        problems.append(f"{where}: 计量方式 {d.measure!r} 不存在")
    elif d.item_types and not MEASURES[d.measure].per_item:
        problems.append(f"{where}: “{MEASURES[d.measure].name}”不按事项统计,不能限定事项类型")
    if len(set(d.item_types)) != len(d.item_types):
        problems.append(f"{where}: 事项类型重复")
    return problems


def _bulletin_problems(
    rule: BulletinRule, known: dict[str, IndicatorDef], targeted: set[str]
) -> list[str]:
    problems = []
    if not rule.title.strip():
        problems.append("通报规则没有标题")
    if not rule.criteria:
        problems.append("通报规则没有任何条件,通报将不点名任何机构")
    for c in rule.criteria:
        where = f"通报条件“{c.reason or c.indicator}”"
        if c.indicator not in known:
            problems.append(f"{where}: 没有指标“{c.indicator}”")
        if c.kind not in CRITERION_KINDS:
            problems.append(f"{where}: 条件类型应为 threshold、target 或 bottom,实为 {c.kind!r}")
        if c.kind == "threshold" and c.threshold is None:
            problems.append(f"{where}: 阈值条件须给出 threshold")
        if c.kind == "target" and c.indicator in known and c.indicator not in targeted:
            problems.append(f"{where}: 指标“{c.indicator}”没有目标")
        if c.kind == "bottom" and c.count < 1:
            problems.append(f"{where}: 排名靠后条件须给出 count(至少1名)")
        if not c.reason.strip():
            problems.append(f"{where}: 没有写明通报理由 reason")
    return problems


def gap(indicator: Indicator, target: IndicatorTarget, value: float | None) -> float | None:
    """How far ``value`` falls short of ``target`` (0 or less: reached); None without data."""
    if value is None:
        return None
    if indicator.higher_is_better:
        return target.value - value
    return value - target.value


def target_due_passed(target: IndicatorTarget, day: date) -> bool:
    return target.due is not None and target.due < day
