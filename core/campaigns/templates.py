"""Campaign templates: checking what a plugin gives, and turning it into dates.

Pure functions: the conformance kit checks a plugin's template with
:func:`template_problems`; the create form is filled with :func:`default_dates`;
every set of dates a person enters passes :func:`check_dates`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from qingdan.core.calendar import WorkingCalendar
from qingdan.core.campaigns.schemas import PhaseDates
from qingdan.core.errors import DomainError
from qingdan.core.hooktypes import CampaignPhaseTemplate, CampaignTemplate
from qingdan.core.tenancy.schemas import AGENCY_ROLES, Role

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: Roles that may review a submission: any tenant role but the agency's own.
REVIEW_ROLES = frozenset(
    r.value for r in Role if r not in AGENCY_ROLES and r != Role.platform_admin
)
MAX_DAYS = 366


def template_problems(template: CampaignTemplate) -> list[str]:
    """What is wrong with ``template``, in Chinese; empty when it is usable."""
    problems: list[str] = []
    if not CODE_RE.match(template.code or ""):
        problems.append(f"模板编码“{template.code}”无效:应为小写字母开头的小写字母、数字和下划线")
    if not (template.name or "").strip():
        problems.append("模板没有名称 name")
    if not template.phases:
        problems.append("模板没有任何阶段 phases")
        return problems
    codes = [p.code for p in template.phases]
    for dup in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(f"阶段编码“{dup}”重复")
    submitting = [p for p in template.phases if p.submissions]
    if len(submitting) != 1:
        problems.append(
            f"应恰好有一个阶段由各部门报送清单(submissions=True),实际有 {len(submitting)} 个"
        )
    seen_submissions = False
    for i, phase in enumerate(template.phases):
        problems += [f"阶段“{phase.name or phase.code}”: {p}" for p in _phase_problems(phase, i)]
        if phase.reviewers and not (seen_submissions or phase.submissions):
            problems.append(f"阶段“{phase.name}”在报送阶段之前,不能安排审核")
        seen_submissions = seen_submissions or phase.submissions
    if template.signoff_required and not (template.signoff_label or "").strip():
        problems.append("要求主要负责人审签,却没有说明审签件的名称 signoff_label")
    return problems


def _phase_problems(phase: CampaignPhaseTemplate, index: int) -> list[str]:
    problems: list[str] = []
    if not CODE_RE.match(phase.code or ""):
        problems.append(f"编码“{phase.code}”无效:应为小写字母开头的小写字母、数字和下划线")
    if not (phase.name or "").strip():
        problems.append("没有名称")
    if phase.start is not None and phase.start_day is not None:
        problems.append("开始日期 start 和 start_day 只能给一个")
    if phase.end is not None and phase.end_day is not None:
        problems.append("结束日期 end 和 end_day 只能给一个")
    if phase.end is None and phase.end_day is None:
        problems.append("没有结束日期(end 或 end_day)")
    if index == 0 and phase.start is None and phase.start_day is None and phase.end is not None:
        problems.append("第一个阶段给了固定的结束日期,也须给固定的开始日期 start")
    for name in ("start_day", "end_day", "due_day"):
        value = getattr(phase, name)
        if value is not None and not 0 <= value <= MAX_DAYS:
            problems.append(f"{name} 为 {value},应在0至{MAX_DAYS}天之间")
    if (
        phase.start_day is not None
        and phase.end_day is not None
        and phase.end_day < phase.start_day
    ):
        problems.append(f"end_day({phase.end_day})小于 start_day({phase.start_day})")
    if phase.start is not None and phase.end is not None and phase.end < phase.start:
        problems.append(f"结束日期 {phase.end} 早于开始日期 {phase.start}")
    if (phase.due is not None or phase.due_day is not None) and not phase.submissions:
        problems.append("只有报送阶段才有报送截止日期 due")
    if phase.due is not None and phase.due_day is not None:
        problems.append("报送截止日期 due 和 due_day 只能给一个")
    for reviewer in phase.reviewers:
        if reviewer.role not in REVIEW_ROLES:
            allowed = "、".join(sorted(REVIEW_ROLES))
            problems.append(
                f"审核机构“{reviewer.office}”的角色 {reviewer.role} 不能审核报送(可用: {allowed})"
            )
        if not (reviewer.office or "").strip():
            problems.append(f"角色 {reviewer.role} 的审核机构没有名称 office")
    return problems


# Dates -------------------------------------------------------------------------------------


def _fixed_years(template: CampaignTemplate) -> list[int]:
    return [d.year for p in template.phases for d in (p.start, p.end, p.due) if d is not None]


def _moved(d: date, years: int) -> date:
    """``d`` moved by whole years, keeping month and day (29 February becomes the 28th)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def default_start(template: CampaignTemplate, year: int, today: date) -> date:
    """Where offsets count from when the administrator has not said: the template's first
    fixed date moved to ``year``, else today in the current year, else 1 January."""
    first = template.phases[0].start if template.phases else None
    fixed = _fixed_years(template)
    if first is not None and fixed:
        return _moved(first, year - min(fixed))
    return today if today.year == year else date(year, 1, 1)


def default_dates(
    template: CampaignTemplate,
    year: int,
    calendar: WorkingCalendar,
    *,
    start: date | None = None,
    today: date | None = None,
) -> list[PhaseDates]:
    """The phases' dates for a campaign in ``year``, as the template gives them.

    Fixed dates keep their month and day in ``year`` (the whole template moves
    by the same number of years); offsets count from ``start`` in calendar or
    working days; a phase without a start begins the day after the one before.
    """
    today = today or date.today()
    fixed = _fixed_years(template)
    shift = year - min(fixed) if fixed else 0
    origin = start or default_start(template, year, today)

    def counted(n: int, working: bool) -> date:
        if working:
            return calendar.add_working_days(origin, n).due
        return origin + timedelta(days=n)

    result: list[PhaseDates] = []
    previous_end: date | None = None
    for phase in template.phases:
        if phase.start is not None:
            begin = _moved(phase.start, shift)
        elif phase.start_day is not None:
            begin = counted(phase.start_day, phase.working_days)
        elif previous_end is not None:
            begin = previous_end + timedelta(days=1)
        else:
            begin = origin
        if phase.end is not None:
            end = _moved(phase.end, shift)
        else:
            end = counted(phase.end_day or 0, phase.working_days)
        due = None
        if phase.submissions:
            if phase.due is not None:
                due = _moved(phase.due, shift)
            elif phase.due_day is not None:
                due = counted(phase.due_day, phase.working_days)
            else:
                due = end
        result.append(PhaseDates(code=phase.code, name=phase.name, start=begin, end=end, due=due))
        previous_end = end
    return result


def check_dates(phases: list[PhaseDates], year: int) -> None:
    """Refuse dates that cannot be a campaign's, naming the phase and the date field."""
    if not 2000 <= year <= 2100:
        raise DomainError("年度应在2000年至2100年之间", "year")
    previous: PhaseDates | None = None
    for phase in phases:
        if phase.end < phase.start:
            raise DomainError(
                f"“{phase.name}”的结束日期({phase.end})早于开始日期({phase.start})",
                f"{phase.code}_end",
            )
        if phase.due is not None and phase.due < phase.start:
            raise DomainError(
                f"“{phase.name}”的报送截止日期({phase.due})早于阶段开始日期({phase.start})",
                f"{phase.code}_due",
            )
        if previous is not None and phase.start < previous.start:
            raise DomainError(
                f"“{phase.name}”的开始日期({phase.start})早于上一阶段"
                f"“{previous.name}”的开始日期({previous.start})",
                f"{phase.code}_start",
            )
        if previous is not None and phase.end < previous.end:
            raise DomainError(
                f"“{phase.name}”的结束日期({phase.end})早于上一阶段"
                f"“{previous.name}”的结束日期({previous.end})",
                f"{phase.code}_end",
            )
        previous = phase
    if phases and phases[0].start.year != year:
        first = phases[0]
        raise DomainError(
            f"“{first.name}”的开始日期({first.start})不在{year}年,请核对年度或日期",
            f"{first.code}_start",
        )
