"""安阳市插件的设置:事项范围、便民服务目标、“一件事一次办”与评价目标。

默认值与条款出处都来自 ``data/rules.json``,即《安阳市系统性重塑行政审批制度推进
政务服务标准化规范化便利化改革方案》。
"""

import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

from qingdan_anyang.loader import load

_RULES = load("rules")
DOCUMENT: str = _RULES["document"]
_DEFAULTS: dict = _RULES["settings_defaults"]
FIXED_BUNDLE_NAMES: tuple[str, ...] = tuple(
    b["name"] for b in (*_RULES["bundles"]["enterprise"], *_RULES["bundles"]["personal"])
)


def default(key: str) -> Any:
    """设置项 ``key`` 的默认值(取自方案)。"""
    value = _DEFAULTS[key]["value"]
    if isinstance(value, list):
        return tuple(value)
    return value


def default_date(key: str) -> datetime.date:
    return datetime.date.fromisoformat(default(key))


def basis(key: str) -> str:
    """设置项 ``key`` 的依据:文件名、条款号、原文和说明。"""
    rule = _DEFAULTS[key]
    text = f"《{DOCUMENT}》{rule['clause']}:{rule['text']}"
    if rule.get("note"):
        text += f"({rule['note']})"
    return text


Name = Annotated[str, Meta(min_length=1, max_length=100)]


class AnyangSettings(msgspec.Struct, frozen=True, kw_only=True):
    """安阳市可配置的规则。"""

    include_non_application_powers: Annotated[
        bool,
        Meta(
            title="同时管理非依申请的行政权力事项(行政处罚、行政强制、行政征收、行政检查)",
            description=basis("include_non_application_powers"),
        ),
    ] = default("include_non_application_powers")

    township_center_min_items: Annotated[
        int,
        Meta(
            ge=0,
            le=2000,
            title="乡镇便民服务中心可现场办理事项数目标(个)",
            description=basis("township_center_min_items"),
        ),
    ] = default("township_center_min_items")

    street_center_min_items: Annotated[
        int,
        Meta(
            ge=0,
            le=2000,
            title="街道便民服务中心可现场办理事项数目标(个)",
            description=basis("street_center_min_items"),
        ),
    ] = default("street_center_min_items")

    village_station_min_items: Annotated[
        int,
        Meta(
            ge=0,
            le=2000,
            title="村(社区)便民服务站可现场办理事项数目标(个)",
            description=basis("village_station_min_items"),
        ),
    ] = default("village_station_min_items")

    home_service_deadline: Annotated[
        datetime.date,
        Meta(title="“家门口办”目标完成日期", description=basis("home_service_deadline")),
    ] = default_date("home_service_deadline")

    enterprise_bundles_target: Annotated[
        int,
        Meta(
            ge=0,
            le=200,
            title="涉企“一件事一次办”目标数(项)",
            description=basis("enterprise_bundles_target"),
        ),
    ] = default("enterprise_bundles_target")

    personal_bundles_target: Annotated[
        int,
        Meta(
            ge=0,
            le=200,
            title="涉及个人“一件事一次办”目标数(项)",
            description=basis("personal_bundles_target"),
        ),
    ] = default("personal_bundles_target")

    bundles_deadline: Annotated[
        datetime.date,
        Meta(title="首批“一件事一次办”完成日期", description=basis("bundles_deadline")),
    ] = default_date("bundles_deadline")

    bundles_full_coverage_deadline: Annotated[
        datetime.date,
        Meta(
            title="高频事项“一件事一次办”全覆盖日期",
            description=basis("bundles_full_coverage_deadline"),
        ),
    ] = default_date("bundles_full_coverage_deadline")

    extra_bundles: Annotated[
        tuple[Name, ...],
        Meta(max_length=200, title="分批新增的“一件事一次办”", description=basis("extra_bundles")),
    ] = default("extra_bundles")

    hall_exclusion_reasons: Annotated[
        tuple[Name, ...],
        Meta(
            max_length=20,
            title="可列入进驻大厅负面清单的情形",
            description=basis("hall_exclusion_reasons"),
        ),
    ] = default("hall_exclusion_reasons")

    complaint_transfer_rate_target: Annotated[
        int,
        Meta(
            ge=0,
            le=100,
            title="投诉及时转办率目标(%)",
            description=basis("complaint_transfer_rate_target"),
        ),
    ] = default("complaint_transfer_rate_target")

    complaint_reply_rate_target: Annotated[
        int,
        Meta(
            ge=0,
            le=100,
            title="投诉按期回复率目标(%)",
            description=basis("complaint_reply_rate_target"),
        ),
    ] = default("complaint_reply_rate_target")

    evaluation_item_coverage_target: Annotated[
        int,
        Meta(
            ge=0,
            le=100,
            title="“好差评”覆盖事项率目标(%)",
            description=basis("evaluation_item_coverage_target"),
        ),
    ] = default("evaluation_item_coverage_target")

    evaluation_agency_coverage_target: Annotated[
        int,
        Meta(
            ge=0,
            le=100,
            title="“好差评”覆盖部门率目标(%)",
            description=basis("evaluation_agency_coverage_target"),
        ),
    ] = default("evaluation_agency_coverage_target")

    bad_review_rectification_target: Annotated[
        int,
        Meta(
            ge=0,
            le=100,
            title="实名差评按期整改率目标(%)",
            description=basis("bad_review_rectification_target"),
        ),
    ] = default("bad_review_rectification_target")

    def __post_init__(self) -> None:
        if self.bundles_deadline > self.bundles_full_coverage_deadline:
            raise ValueError(
                "“首批‘一件事一次办’完成日期”不能晚于“高频事项‘一件事一次办’全覆盖日期”"
            )
        names = [n.strip() for n in self.extra_bundles]
        if any(not n for n in names):
            raise ValueError("新增“一件事一次办”的名称不能为空")
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"新增“一件事一次办”重复:{'、'.join(duplicated)}")
        fixed = [n for n in names if n in FIXED_BUNDLE_NAMES]
        if fixed:
            raise ValueError(f"“{'、'.join(fixed)}”已在方案列明的“一件事一次办”中")
