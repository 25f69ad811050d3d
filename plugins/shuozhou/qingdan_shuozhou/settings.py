"""朔城区插件的设置:本地“X”主题、梳理阶段日期与目标。

默认值与条款出处都来自 ``data/rules.json``,即朔区政办发〔2019〕18号方案。
"""

import datetime
import itertools
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from qingdan_shuozhou.loader import load

_RULES = load("rules")
DOCUMENT: str = _RULES["document"]
DOCUMENT_NUMBER: str = _RULES["document_number"]
_DEFAULTS: dict = _RULES["settings_defaults"]
FIXED_THEME_NAMES: tuple[str, ...] = tuple(t["name"] for t in _RULES["themes"]["fixed"])


def default(key: str) -> Any:
    """设置项 ``key`` 的默认值(取自方案)。"""
    value = _DEFAULTS[key]["value"]
    if isinstance(value, list):
        return tuple(value)
    return value


def default_date(key: str) -> datetime.date:
    return datetime.date.fromisoformat(default(key))


def basis(key: str) -> str:
    """设置项 ``key`` 的依据:文件名、条款号和原文。"""
    rule = _DEFAULTS[key]
    return f"《{DOCUMENT}》({DOCUMENT_NUMBER}){rule['clause']}:{rule['text']}"


ThemeName = Annotated[str, Meta(min_length=1, max_length=30)]


class ShuozhouSettings(msgspec.Struct, frozen=True, kw_only=True):
    """朔城区可配置的规则。"""

    local_themes: Annotated[
        tuple[ThemeName, ...],
        Meta(max_length=50, title="本地特色主题(“19+X”中的X)", description=basis("local_themes")),
    ] = default("local_themes")

    power_items_deadline: Annotated[
        datetime.date,
        Meta(title="行政职权事项梳理录入截止日期", description=basis("power_items_deadline")),
    ] = default_date("power_items_deadline")

    survey_start: Annotated[
        datetime.date, Meta(title="摸底梳理开始日期", description=basis("survey_start"))
    ] = default_date("survey_start")

    survey_end: Annotated[
        datetime.date, Meta(title="摸底梳理结束日期", description=basis("survey_end"))
    ] = default_date("survey_end")

    submission_deadline: Annotated[
        datetime.date,
        Meta(title="清单审签报送截止日期", description=basis("submission_deadline")),
    ] = default_date("submission_deadline")

    preliminary_review_start: Annotated[
        datetime.date,
        Meta(title="初步审核开始日期", description=basis("preliminary_review_start")),
    ] = default_date("preliminary_review_start")

    preliminary_review_end: Annotated[
        datetime.date,
        Meta(title="初步审核结束日期", description=basis("preliminary_review_end")),
    ] = default_date("preliminary_review_end")

    confirmation_start: Annotated[
        datetime.date, Meta(title="依法确认开始日期", description=basis("confirmation_start"))
    ] = default_date("confirmation_start")

    confirmation_end: Annotated[
        datetime.date, Meta(title="依法确认结束日期", description=basis("confirmation_end"))
    ] = default_date("confirmation_end")

    publication_deadline: Annotated[
        datetime.date,
        Meta(title="公布运行截止日期", description=basis("publication_deadline")),
    ] = default_date("publication_deadline")

    full_online_target_percent: Annotated[
        int,
        Meta(
            ge=0,
            le=100,
            title="公共服务事项全程网办目标(%)",
            description=basis("full_online_target_percent"),
        ),
    ] = default("full_online_target_percent")

    full_online_target_date: Annotated[
        datetime.date,
        Meta(title="全程网办目标达成日期", description=basis("full_online_target_date")),
    ] = default_date("full_online_target_date")

    zero_report_required: Annotated[
        bool,
        Meta(title="无公共服务事项的部门须“零报告”", description=basis("zero_report_required")),
    ] = default("zero_report_required")

    head_signoff_required: Annotated[
        bool,
        Meta(title="清单须经部门主要负责人审签", description=basis("head_signoff_required")),
    ] = default("head_signoff_required")

    def __post_init__(self) -> None:
        names = [name.strip() for name in self.local_themes]
        if any(not name for name in names):
            raise ValueError("本地特色主题的名称不能为空")
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"本地特色主题重复:{'、'.join(duplicated)}")
        fixed = [n for n in names if n in FIXED_THEME_NAMES]
        if fixed:
            raise ValueError(f"“{'、'.join(fixed)}”已是19类固定主题之一,不能再作为X主题")
        phases = [
            ("摸底梳理开始日期", self.survey_start),
            ("摸底梳理结束日期", self.survey_end),
            ("清单审签报送截止日期", self.submission_deadline),
            ("初步审核开始日期", self.preliminary_review_start),
            ("初步审核结束日期", self.preliminary_review_end),
            ("依法确认开始日期", self.confirmation_start),
            ("依法确认结束日期", self.confirmation_end),
            ("公布运行截止日期", self.publication_deadline),
        ]
        for (earlier, a), (later, b) in itertools.pairwise(phases):
            if a > b:
                raise ValueError(f"“{earlier}”不能晚于“{later}”")
