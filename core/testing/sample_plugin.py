"""A minimal jurisdiction plugin for tests and as a starting point for vendors.

It speaks for a made-up jurisdiction (division code 99 is no real province)
and implements only what it must; every other answer is core's default.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from qingdan import hookimpl
from qingdan.core.hooktypes import (
    ChangeKind,
    Jurisdiction,
    ObligationRule,
    Taxonomies,
    Theme,
)


class SampleSettings(msgspec.Struct, frozen=True, kw_only=True):
    hall_update_days: Annotated[int, msgspec.Meta(ge=1, le=60, title="大厅更新时限(工作日)")] = 5
    local_themes: Annotated[list[str], msgspec.Meta(title="本地特色主题")] = []


@hookimpl
def qingdan_jurisdiction() -> Jurisdiction:
    return Jurisdiction(
        slug="sample",
        name="样例市",
        division_code="990100000000",
        province="样例省",
    )


@hookimpl
def qingdan_settings_schema() -> type[msgspec.Struct]:
    return SampleSettings


@hookimpl
def qingdan_taxonomies(settings: SampleSettings) -> Taxonomies:
    themes = [Theme(code="birth", name="生育收养")]
    themes += [Theme(code=f"x{i}", name=n, local=True) for i, n in enumerate(settings.local_themes)]
    return Taxonomies(themes=tuple(themes))


@hookimpl
def qingdan_obligations(kind: ChangeKind, settings: SampleSettings) -> list[ObligationRule]:
    rules = []
    if kind == ChangeKind.claim:
        rules.append(
            ObligationRule(
                kind="elements_complete",
                title="认领当日完成要素填写",
                role="clerk",
                working_days=0,
                on="claim",
                escalate_to="reform_office",
            )
        )
    if kind in (ChangeKind.amend, ChangeKind.cancel, ChangeKind.claim):
        rules.append(
            ObligationRule(
                kind="hall_update",
                title="大厅进驻事项调整更新",
                role="service_center",
                working_days=settings.hall_update_days,
                escalate_to="data_center",
            )
        )
    return rules
