"""Progress of bundles (一件事一次办) against the jurisdiction's targets.

A plugin's ``Taxonomies.bundle_targets`` say how many bundles of an audience must be
online by a date (e.g. 5 涉企 and 8 涉及个人 bundles by a year-end), or that
every bundle it lists must be (全覆盖 by the end of 2023). A bundle counts as online
as the portal shows it: published, with at least one item the public sees.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import msgspec

from qingdan.core.bundles.schemas import AUDIENCES
from qingdan.core.bundles.services import list_bundles
from qingdan.core.tenancy.context import TenantContext

ALL_LISTED = "本辖区规定的全部“一件事”"


class BundleProgress(msgspec.Struct, frozen=True, kw_only=True):
    """One target: what it asks, how many bundles are online, and the gap."""

    scope: str  # 涉企 / 涉及个人 / 全部 / 本辖区规定的全部“一件事”
    target: int
    online: int
    gap: int  # how many more must go online; 0 when met
    deadline: date | None
    overdue: bool  # the deadline has passed with a gap
    missing: tuple[str, ...]  # for full coverage: the listed bundles not yet online
    basis: str


async def bundle_progress(ctx: TenantContext, today: date | None = None) -> list[BundleProgress]:
    """Each of the plugin's bundle targets with the online count and the gap."""
    taxonomies = ctx.taxonomies()
    if not taxonomies.bundle_targets:
        return []
    today = today or datetime.now(ZoneInfo("Asia/Shanghai")).date()
    online = [r for r in await list_bundles(ctx, published_only=True) if r.visible_items]
    online_codes = {r.code for r in online}
    progress = []
    for t in taxonomies.bundle_targets:
        missing: tuple[str, ...] = ()
        if t.count is None:
            # 全覆盖: every bundle the jurisdiction lists (of the audience, if given).
            listed = [
                b for b in taxonomies.bundles if t.audience is None or b.audience == t.audience
            ]
            missing = tuple(b.name for b in listed if b.code not in online_codes)
            target, count = len(listed), len(listed) - len(missing)
            scope = ALL_LISTED
        else:
            audience = t.audience.value if t.audience else None
            count = sum(1 for r in online if audience is None or r.audience == audience)
            target = t.count
            scope = AUDIENCES.get(audience, AUDIENCES[""]) if audience else "全部"
        gap = max(target - count, 0)
        progress.append(
            BundleProgress(
                scope=scope,
                target=target,
                online=count,
                gap=gap,
                deadline=t.deadline,
                overdue=bool(gap and t.deadline and t.deadline < today),
                missing=missing,
                basis=t.basis,
            )
        )
    return progress


__all__ = ["ALL_LISTED", "BundleProgress", "bundle_progress"]
