"""docs/indicators.md, generated from the indicator definitions and measures.

Regenerate with ``python -m qingdan.core.indicators.docs > docs/indicators.md``;
a test fails when the file and the definitions disagree, so the formulas a
reader finds there are the ones the platform computes.
"""

from __future__ import annotations

from qingdan.core.hooktypes import IndicatorSet
from qingdan.core.indicators.definitions import (
    CRITERION_KINDS,
    DEFAULT_BULLETIN_RULE,
    Indicator,
    IndicatorConfig,
    resolve,
)
from qingdan.core.indicators.measures import ITEMS, Kind

INTRO = f"""# 指标(Indicators)

Generated from `core/indicators/measures.py` and `core/indicators/definitions.py`
(and, for each installed jurisdiction plugin, its `qingdan_indicators` answer with default
settings); do not edit by hand: `python -m qingdan.core.indicators.docs > docs/indicators.md`.

## 统计口径

- **统计对象**:按事项计算的指标只计{ITEMS}(状态为“在用”、以其现行发布版本为准)。草稿、首次审核中、
  已暂停和已取消的事项不计入;变更审核中的事项按其现行发布版本计入。
- **统计范围**:每个指标分别对每个实施机构、每个行政区划和全租户计算。事项计入其实施机构、其所在
  行政区划及其上级各行政区划和全租户;调整申请和后续义务随其事项计入;基本目录的调整申请只计入全租户;
  质检问题计入其实施机构及该机构所在的各级行政区划。
- **分子与分母**:每个数值都以分子、分母(整数)保存,比率 = 分子 ÷ 分母 × 100%,平均数 = 分子 ÷ 分母,
  计数 = 分子。分母为0时为“无数据”(—),不参加排名,也不会被通报。
- **每日快照**:每天凌晨(Asia/Shanghai 0:30)为每个租户保存一份指标快照,同一天只保存第一份;快照中
  同时保存当时的指标定义、目标、统计期和实施机构、行政区划名称,趋势图和通报都读取快照。
- **排名**:第1名最好;数值相同的并列(同分同名次,下一个名次顺延);无数据的不排名。
- **目标与差距**:差距 = 目标 − 数值(越高越好的指标),或 数值 − 目标(越低越好的指标);不大于0为已达标。

## 页面与通报

- **指标页** `/t/{{租户}}/indicators/`:租户管理员、大数据中心、审改机构(在全租户持有角色时)看全部实施机构、
  各行政区划和全租户;只在某行政区划持有角色的,看该行政区划及其下级;信息员、审核员只看本机构。
  图表由 chart.js 绘制,同样的数字都在页面的表格中,不用脚本也能阅读。
- **通报** `/t/{{租户}}/indicators/bulletins`:全租户的上述三类角色按辖区插件的通报规则,依据一份指标快照签发,
  生成PDF(思源/Noto CJK 字体)。通报保存所用的规则和快照编号,`recheck` 用快照和规则重新计算,
  得到同样的点名名单;之后的数据变化不影响已签发的通报。
- **定时任务**:`snapshot_all_tenants`(core/jobs/actors.py)每天 0:30 为每个租户生成当天快照;
  已有当天快照时不变。
"""


def _indicator_lines(indicator: Indicator, heading: str = "###") -> list[str]:
    lines = [
        f"{heading} {indicator.name} (`{indicator.id}`)",
        "",
    ]
    if indicator.description:
        lines += [indicator.description, ""]
    lines.append(f"- 计量方式:`{indicator.measure.value}`")
    if indicator.kind is Kind.count:
        lines.append(f"- 计数:{indicator.numerator}")
    else:
        lines.append(f"- 分子:{indicator.numerator}")
        lines.append(f"- 分母:{indicator.denominator}")
    lines.append(f"- 公式:{indicator.formula}")
    lines.append(f"- 单位:{indicator.unit};方向:{indicator.direction.label}")
    if indicator.item_types:
        lines.append("- 事项类型:" + "、".join(t.label for t in indicator.item_types))
    if indicator.note:
        lines.append(f"- 说明:{indicator.note}")
    if indicator.basis:
        lines.append(f"- 依据:{indicator.basis}")
    return [*lines, ""]


def _rule_lines(config: IndicatorConfig) -> list[str]:
    rule = config.bulletin
    lines = [f"- 通报标题:{rule.title}"]
    if rule.basis:
        lines.append(f"- 依据:{rule.basis}")
    if rule.consequence:
        lines.append(f"- 后果:{rule.consequence}")
    lines.append("- 点名条件(符合任一条即点名):")
    for c in rule.criteria:
        indicator = config.get(c.indicator)
        if c.kind == "bottom":
            how = f"排名后{c.count}名(并列计入,与最好者相同的不计入)"
        elif c.kind == "target":
            how = "未达到目标"
        else:
            word = "低于" if indicator.higher_is_better else "高于"
            how = f"{word}{c.threshold:g}{'%' if indicator.kind is Kind.rate else indicator.unit}"
        lines.append(f"  - {c.reason}:{indicator.name}{how}({CRITERION_KINDS[c.kind]})")
    return [*lines, ""]


def _plugin_section(name: str) -> list[str]:
    from qingdan.core.plugins import get_registry

    plugin = get_registry().get(name)
    found = plugin.call("qingdan_indicators", settings=plugin.settings({}))
    config = plugin.indicators(plugin.settings({}))
    lines = [f"### {plugin.jurisdiction.name}(`{name}`)", ""]
    core_ids = {d.id for d in resolve(IndicatorSet()).indicators}
    added = [config.get(d.id) for d in found.definitions]
    if added:
        lines += ["增加或替换的指标:", ""]
        for indicator in added:
            what = "替换平台指标" if indicator.id in core_ids else "新增"
            lines.append(f"- {indicator.name}(`{indicator.id}`,{what}):{indicator.formula}")
            if indicator.basis:
                lines.append(f"  依据:{indicator.basis}")
        lines.append("")
    if found.hidden:
        lines += ["不使用的平台指标:" + "、".join(found.hidden), ""]
    if config.targets:
        lines += ["目标(默认设置):", ""]
        for t in config.targets:
            indicator = config.get(t.indicator)
            unit = "%" if indicator.kind is Kind.rate else indicator.unit
            due = f",期限 {t.due.isoformat()}" if t.due else ""
            lines.append(f"- {indicator.name}:{t.value:g}{unit}{due}。{t.basis}")
        lines.append("")
    else:
        lines += ["目标:无(政策文件未给出可由事项数据计算的数字目标)。", ""]
    lines.append(f"统计期:{config.period_days}天。")
    lines.append("")
    lines += ["通报规则:", ""]
    lines += _rule_lines(config)
    return lines


def render_indicators_markdown() -> str:
    from qingdan.core.plugins import get_registry

    core = resolve(IndicatorSet())
    lines = [INTRO, "## 平台指标", ""]
    for indicator in core.indicators:
        lines += _indicator_lines(indicator)
    lines += [
        "## 默认通报规则",
        "",
        "辖区插件没有给出通报规则时使用:",
        "",
        *_rule_lines(resolve(IndicatorSet(bulletin=DEFAULT_BULLETIN_RULE))),
        "## 各辖区",
        "",
    ]
    # Every installed jurisdiction that answers the hook, by name: core documents
    # what is installed and names none of them itself.
    for plugin in sorted(get_registry(), key=lambda p: p.name):
        if "qingdan_indicators" in plugin.implemented_hooks():
            lines += _plugin_section(plugin.name)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render_indicators_markdown(), end="")
