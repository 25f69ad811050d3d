"""家门口办: which items each service point below the county can handle on site.

Every township and street has a 便民服务中心 and every village or community a
便民服务站 (一乡镇(街道)一中心、一村(社区)一站点), so a service point is a
division of level township or village. Its kind follows the national division
code (GB/T 10114): a township-level code 001-099 is a street (街道), any other
a township (镇、乡); a village-level code is a village or community station.

A point can handle on site the published items implemented in its own
division and the items delegated to it (委托受理、授权办理、帮办代办). The
plugin gives the target per kind of point (``qingdan_service_point_targets``,
as data from its seed); the overview shows each point's
count against it, with the gap. Delegations are kept by the tenant
administrator and the service centre; every change is audited, and a
delegation of several items is all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qingdan.core.audit.services import Actor, record
from qingdan.core.bundles.services import scoped_delete
from qingdan.core.catalog.codes import DivisionCode
from qingdan.core.catalog.tables import Item
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.db import atomic
from qingdan.core.doorstep.tables import Delegation
from qingdan.core.errors import DomainError, NotFound, PermissionDenied
from qingdan.core.hooktypes import ServicePointKind, ServicePointTarget
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.tenancy.tables import Division

#: Who records which items a service point handles.
MANAGER_ROLES = (Role.tenant_admin, Role.service_center)
#: 委托受理、授权办理、帮办代办 (二(二)10).
MODES: dict[str, str] = {
    "entrusted": "委托受理",
    "authorized": "授权办理",
    "assisted": "帮办代办",
}
OWN = "本级实施"
MAX_AT_ONCE = 500


def point_kind(code: str) -> ServicePointKind | None:
    """The kind of service point of a division, or None above the township."""
    division = DivisionCode.parse(code)
    if division.level == "village":
        return ServicePointKind.village
    if division.level == "township":
        return (
            ServicePointKind.street
            if 1 <= int(division.value[6:9]) <= 99
            else ServicePointKind.township
        )
    return None


def may_manage(principal: Principal) -> bool:
    return principal.has_role(*MANAGER_ROLES)


def _require(principal: Principal) -> Actor:
    if not may_manage(principal):
        raise PermissionDenied("只有租户管理员和政务服务中心可以维护便民服务中心(站)的事项")
    return Actor(principal.user_id, principal.display_name)


# Reading --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointRow:
    """One service point against its target."""

    division_id: int
    code: str
    name: str
    parent_name: str
    kind: ServicePointKind
    own: int  # published items implemented in the point's own division
    delegated: int  # published items delegated to it (not counted twice)
    target: int | None

    @property
    def count(self) -> int:
        return self.own + self.delegated

    @property
    def gap(self) -> int | None:
        """How many items are still missing (0 once the target is met)."""
        return None if self.target is None else max(0, self.target - self.count)

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.count >= self.target


@dataclass(frozen=True)
class KindSummary:
    kind: ServicePointKind
    target: ServicePointTarget | None
    points: int
    met: int  # points at or above the target
    gap: int  # items missing over every point of the kind


@dataclass(frozen=True)
class Overview:
    points: list[PointRow]
    summaries: list[KindSummary]
    targets: list[ServicePointTarget]


async def _points(ctx: TenantContext) -> list[dict[str, Any]]:
    rows = await ctx.scope.select(
        Division,
        Division.id,
        Division.code,
        Division.name,
        Division.parent.name.as_alias("parent_name"),
    ).where(Division.level.is_in(["township", "village"]))
    return sorted(
        ({**r, "kind": point_kind(r["code"])} for r in rows),
        key=lambda r: r["code"],
    )


async def _published_items(ctx: TenantContext) -> dict[int, int]:
    """``{item id: its division}`` of the items published now (suspended ones
    cannot be handled, so they do not count)."""
    rows = await ctx.scope.select(Item, Item.id, Item.division).where(
        (Item.status == ItemStatus.published.value) & Item.published_version.is_not_null()
    )
    return {r["id"]: r["division"] for r in rows}


async def overview(ctx: TenantContext) -> Overview:
    """Every service point with its count, target and gap, and a summary per kind."""
    targets = ctx.plugin.service_point_targets(ctx.settings)
    by_kind = {t.kind: t for t in targets}
    points = await _points(ctx)
    published = await _published_items(ctx)
    own: dict[int, set[int]] = {}
    for item_id, division in published.items():
        own.setdefault(division, set()).add(item_id)
    delegated: dict[int, set[int]] = {}
    for r in await ctx.scope.select(Delegation, Delegation.division, Delegation.item):
        if r["item"] in published:
            delegated.setdefault(r["division"], set()).add(r["item"])
    rows = []
    for p in points:
        mine = own.get(p["id"], set())
        target = by_kind.get(p["kind"])
        rows.append(
            PointRow(
                division_id=p["id"],
                code=p["code"],
                name=p["name"],
                parent_name=p["parent_name"] or "",
                kind=p["kind"],
                own=len(mine),
                delegated=len(delegated.get(p["id"], set()) - mine),
                target=target.min_items if target else None,
            )
        )
    summaries = []
    for kind in ServicePointKind:
        of_kind = [r for r in rows if r.kind == kind]
        summaries.append(
            KindSummary(
                kind=kind,
                target=by_kind.get(kind),
                points=len(of_kind),
                met=sum(1 for r in of_kind if r.met),
                gap=sum(r.gap or 0 for r in of_kind),
            )
        )
    return Overview(points=rows, summaries=summaries, targets=targets)


@dataclass(frozen=True)
class PointItem:
    item_id: int
    name: str
    impl_code: str
    agency_name: str
    status: str
    how: str  # 本级实施, or the delegation's mode (委托受理 ...)
    counted: bool  # published now, so it counts towards the target


@dataclass(frozen=True)
class PointDetail:
    row: PointRow
    items: list[PointItem]


async def point_detail(ctx: TenantContext, division_id: int) -> PointDetail:
    """One service point: its count against the target, and every item it handles."""
    if not isinstance(division_id, int):
        raise NotFound("便民服务中心(站)")
    row = next((r for r in (await overview(ctx)).points if r.division_id == division_id), None)
    if row is None:
        raise NotFound("便民服务中心(站)")
    columns = (
        Item.id,
        Item.name,
        Item.impl_code,
        Item.status,
        Item.published_version,
        Item.agency.name.as_alias("agency_name"),
    )
    own = await ctx.scope.select(Item, *columns).where(
        (Item.division == division_id) & (Item.status != ItemStatus.cancelled.value)
    )
    delegated = await ctx.scope.select(
        Delegation,
        Delegation.mode,
        *(getattr(Delegation.item, c._meta.name) for c in columns[:-1]),
        Delegation.item.agency.name.as_alias("agency_name"),
    ).where(Delegation.division == division_id)
    items: dict[int, PointItem] = {}

    def counted(r: dict[str, Any]) -> bool:
        return r["status"] == ItemStatus.published.value and r["published_version"] is not None

    for r in own:
        items[r["id"]] = PointItem(
            item_id=r["id"], name=r["name"], impl_code=r["impl_code"],
            agency_name=r["agency_name"] or "", status=r["status"], how=OWN, counted=counted(r),
        )  # fmt: skip
    for r in delegated:
        r = {k.removeprefix("item."): v for k, v in r.items()}
        if r["id"] in items:
            continue
        items[r["id"]] = PointItem(
            item_id=r["id"], name=r["name"], impl_code=r["impl_code"],
            agency_name=r["agency_name"] or "", status=r["status"],
            how=MODES.get(r["mode"], r["mode"]), counted=counted(r),
        )  # fmt: skip
    ordered = sorted(items.values(), key=lambda i: (i.how != OWN, i.name, i.impl_code))
    return PointDetail(row=row, items=ordered)


# Writing ----------------------------------------------------------------------------------------


async def _point(ctx: TenantContext, division_id: int) -> Division:
    division = await ctx.scope.get(Division, division_id, "便民服务中心(站)")
    if point_kind(division.code) is None:
        raise DomainError(f"“{division.name}”不是乡镇(街道)或村(社区)", "division_id")
    return division


async def delegate(
    ctx: TenantContext,
    principal: Principal,
    division_id: int,
    item_ids: Sequence[int],
    mode: str = "entrusted",
) -> int:
    """Record that the point handles ``item_ids`` on site. All or nothing: if any
    item cannot be delegated, nothing is recorded and the error names it."""
    actor = _require(principal)
    if mode not in MODES:
        raise DomainError(f"下沉方式“{mode}”无效", "mode")
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise DomainError("请选择要下沉的事项", "item_ids")
    if len(ids) > MAX_AT_ONCE:
        raise DomainError(f"一次最多下沉{MAX_AT_ONCE}个事项", "item_ids")
    async with atomic():
        division = await _point(ctx, division_id)
        items = {
            r["id"]: r
            for r in await ctx.scope.select(
                Item, Item.id, Item.name, Item.status, Item.division, Item.impl_code
            ).where(Item.id.is_in(ids))
        }
        present = {
            r["item"]
            for r in await ctx.scope.select(Delegation, Delegation.item).where(
                (Delegation.division == division_id) & Delegation.item.is_in(ids)
            )
        }
        for n, item_id in enumerate(ids, 1):
            item = items.get(item_id)
            if item is None:
                raise DomainError(f"第{n}个事项不存在或无权访问", "item_ids")
            if item["status"] == ItemStatus.cancelled.value:
                raise DomainError(f"第{n}个事项“{item['name']}”已取消,不能下沉", "item_ids")
            if item["division"] == division_id:
                raise DomainError(
                    f"第{n}个事项“{item['name']}”由{division.name}本级实施,无需下沉", "item_ids"
                )
            if item_id in present:
                raise DomainError(f"第{n}个事项“{item['name']}”已下沉到{division.name}", "item_ids")
        for item_id in ids:
            await ctx.scope.insert(
                Delegation, division=division_id, item=item_id, mode=mode,
                created_by=actor.user_id,
            )  # fmt: skip
        await record(
            ctx.tenant_id, actor, "doorstep.delegate", "division", division_id,
            f"{division.name}便民服务点新增{MODES[mode]}事项{len(ids)}个:"
            + "、".join(items[i]["name"] for i in ids[:20])
            + ("等" if len(ids) > 20 else ""),
            {"items": ids, "mode": mode},
        )  # fmt: skip
    return len(ids)


async def revoke(ctx: TenantContext, principal: Principal, division_id: int, item_id: int) -> None:
    """The point no longer handles ``item_id`` on site."""
    actor = _require(principal)
    async with atomic():
        division = await _point(ctx, division_id)
        row = (
            await ctx.scope.select(Delegation, Delegation.id, Delegation.item.name.as_alias("name"))
            .where((Delegation.division == division_id) & (Delegation.item == item_id))
            .first()
        )
        if row is None:
            raise NotFound("下沉事项")
        await scoped_delete(ctx, Delegation, Delegation.id == row["id"])
        await record(
            ctx.tenant_id, actor, "doorstep.revoke", "division", division_id,
            f"{division.name}便民服务点不再办理事项 {row['name']}", {"item": item_id},
        )  # fmt: skip


async def candidate_items(
    ctx: TenantContext, division_id: int, q: str = "", limit: int = 50
) -> list[dict[str, Any]]:
    """Items that could be delegated to the point: not cancelled, not its own, not
    delegated already; matching ``q`` (name or code) when given."""
    await _point(ctx, division_id)
    taken = {
        r["item"]
        for r in await ctx.scope.select(Delegation, Delegation.item).where(
            Delegation.division == division_id
        )
    }
    query = ctx.scope.select(
        Item, Item.id, Item.name, Item.impl_code, Item.status,
        Item.agency.name.as_alias("agency_name"),
    ).where(
        (Item.status != ItemStatus.cancelled.value) & (Item.division != division_id)
    )  # fmt: skip
    for word in q.split():
        query = query.where(Item.search_text.like(f"%{word}%") | Item.impl_code.like(f"%{word}%"))
    rows = await query.order_by(Item.name).order_by(Item.id).limit(limit + len(taken))
    return [r for r in rows if r["id"] not in taken][:limit]
