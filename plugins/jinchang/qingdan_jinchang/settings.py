"""金昌市插件的设置:城市管理员可调整的时限与目标。

默认值与条款出处都来自 ``data/rules.json``,即《金昌市政务服务事项动态调整管理办法》。
"""

from typing import Annotated

import msgspec
from msgspec import Meta

from qingdan_jinchang.loader import load

_RULES = load("rules")
DOCUMENT: str = _RULES["document"]
_DEFAULTS: dict = _RULES["settings_defaults"]


def default(key: str) -> int:
    """设置项 ``key`` 的默认值(取自政策文件)。"""
    return _DEFAULTS[key]["value"]


def basis(key: str) -> str:
    """设置项 ``key`` 的依据:文件名、条款号和原文。"""
    rule = _DEFAULTS[key]
    return f"《{DOCUMENT}》{rule['clause']}:{rule['text']}"


class JinchangSettings(msgspec.Struct, frozen=True, kw_only=True):
    """金昌市可配置的规则。"""

    hall_update_days: Annotated[
        int,
        Meta(
            ge=0,
            le=60,
            title="大厅进驻事项调整更新时限(工作日)",
            description=basis("hall_update_days"),
        ),
    ] = default("hall_update_days")

    guide_update_days: Annotated[
        int,
        Meta(
            ge=0,
            le=60,
            title="线下办事指南调整更新时限(工作日)",
            description=basis("guide_update_days"),
        ),
    ] = default("guide_update_days")

    claim_completion_days: Annotated[
        int,
        Meta(
            ge=0,
            le=30,
            title="认领后完善要素时限(工作日,0为当日)",
            description=basis("claim_completion_days"),
        ),
    ] = default("claim_completion_days")

    online_rate_target: Annotated[
        int,
        Meta(ge=0, le=100, title="网办率目标(%)", description=basis("online_rate_target")),
    ] = default("online_rate_target")

    full_online_rate_target: Annotated[
        int,
        Meta(
            ge=0,
            le=100,
            title="全程网办率目标(%)",
            description=basis("full_online_rate_target"),
        ),
    ] = default("full_online_rate_target")
