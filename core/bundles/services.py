"""Setting up bundles (一件事一次办): which items, the one form, going online.

The tenant administrator and the big-data centre (``MANAGER_ROLES``) keep the
bundles. A bundle the jurisdiction plugin names (its taxonomy's ``bundles``,
as data from its seed) is set up from that
definition; a tenant may add its own. Every write takes the bundle's
``lock_version`` (of two racing edits the second is refused), happens in one
transaction and is audited. Bundles are read only through ``ctx.scope``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec

from qingdan.core.audit.services import Actor, record
from qingdan.core.bundles.schemas import (
    AUDIENCES,
    MAX_FIELDS,
    MIN_ITEMS,
    BundleDefinition,
    BundleDetail,
    BundleField,
    BundleInput,
    BundleMember,
    BundleRow,
)
from qingdan.core.bundles.tables import Bundle, BundleItem
from qingdan.core.catalog.tables import Item
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.db import atomic
from qingdan.core.errors import ConflictError, DomainError, NotFound, PermissionDenied
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.tenancy.tables import Agency

#: Who sets up and publishes bundles.
MANAGER_ROLES = (Role.tenant_admin, Role.data_center)
#: Item states whose published version the public sees.
VISIBLE_STATUSES = (ItemStatus.published.value, ItemStatus.suspended.value)
STALE = "该“一件事”已被他人修改,您的操作未生效。请刷新页面后重试。"


def _now() -> datetime:
    return datetime.now(UTC)


def scoped_delete(ctx: TenantContext, table: type[Any], where: Any) -> Any:
    """DELETE with the scope's tenant added to the condition.

    TenantScope has no delete (yet); like core/publishing/search.py this adds
    the tenant exactly as the scope's own methods do.
    """
    tenant = table._meta.get_column_by_name("tenant")
    return table.delete().where((tenant == ctx.scope.tenant_id) & where)


def may_manage(principal: Principal) -> bool:
    return principal.has_role(*MANAGER_ROLES)


def _require(principal: Principal) -> Actor:
    if not may_manage(principal):
        raise PermissionDenied("只有租户管理员和大数据中心可以维护“一件事一次办”")
    return Actor(principal.user_id, principal.display_name)


# Reading ---------------------------------------------------------------------------------


def _visible(row: dict[str, Any]) -> bool:
    return row["published_version"] is not None and row["status"] in VISIBLE_STATUSES


async def _member_rows(ctx: TenantContext, bundle_ids: list[int]) -> list[dict[str, Any]]:
    if not bundle_ids:
        return []
    return await (
        ctx.scope.select(
            BundleItem,
            BundleItem.bundle,
            BundleItem.item,
            BundleItem.position,
            BundleItem.item.name.as_alias("name"),
            BundleItem.item.impl_code.as_alias("impl_code"),
            BundleItem.item.status.as_alias("status"),
            BundleItem.item.published_version.as_alias("published_version"),
            BundleItem.item.agency.name.as_alias("agency_name"),
        )
        .where(BundleItem.bundle.is_in(bundle_ids))
        .order_by(BundleItem.position)
        .order_by(BundleItem.id)
    )


def _row(b: dict[str, Any], members: list[dict[str, Any]]) -> BundleRow:
    return BundleRow(
        id=b["id"],
        code=b["code"],
        name=b["name"],
        audience=b["audience"],
        status=b["status"],
        revision=b["revision"],
        items=len(members),
        visible_items=sum(1 for m in members if _visible(m)),
        lead_agency_name=b.get("lead_agency_name") or "",
        published_at=b["published_at"],
        updated_at=b["updated_at"],
    )


def _bundle_select(ctx: TenantContext) -> Any:
    return ctx.scope.select(
        Bundle, *Bundle.all_columns(), Bundle.lead_agency.name.as_alias("lead_agency_name")
    )


async def list_bundles(ctx: TenantContext, *, published_only: bool = False) -> list[BundleRow]:
    """The tenant's bundles: 涉企 first, then 涉及个人, then others; by name within."""
    query = _bundle_select(ctx)
    if published_only:
        query = query.where(Bundle.status == "published")
    bundles = await query
    members: dict[int, list[dict[str, Any]]] = {}
    for m in await _member_rows(ctx, [b["id"] for b in bundles]):
        members.setdefault(m["bundle"], []).append(m)
    order = list(AUDIENCES)
    rows = [_row(b, members.get(b["id"], [])) for b in bundles]
    rows.sort(key=lambda r: (order.index(r.audience) if r.audience in order else 9, r.id))
    return rows


async def get_bundle_row(ctx: TenantContext, bundle_id: int) -> dict[str, Any]:
    """The bundle's row (with its lead agency's name); NotFound for another tenant's."""
    if not isinstance(bundle_id, int):
        raise NotFound("一件事")
    row = await _bundle_select(ctx).where(Bundle.id == bundle_id).first().output(load_json=True)
    if row is None:
        raise NotFound("一件事")
    return row


async def bundle_detail(ctx: TenantContext, bundle_id: int) -> BundleDetail:
    """One bundle with its items (every state, so its page can say which are not public)."""
    b = await get_bundle_row(ctx, bundle_id)
    members = await _member_rows(ctx, [bundle_id])
    return BundleDetail(
        row=_row(b, members),
        description=b["description"],
        lead_agency_id=b["lead_agency"],
        form=msgspec.convert(b["form"] or [], list[BundleField]),
        lock_version=b["lock_version"],
        members=[
            BundleMember(
                item_id=m["item"],
                name=m["name"],
                impl_code=m["impl_code"],
                agency_name=m["agency_name"] or "",
                status=m["status"],
                visible=_visible(m),
            )
            for m in members
        ],
    )


async def pending_definitions(ctx: TenantContext) -> list[BundleDefinition]:
    """The bundles the plugin names that the tenant has not set up yet."""
    taken = {r["code"] for r in await ctx.scope.select(Bundle, Bundle.code)}
    return [
        BundleDefinition(
            code=b.code,
            name=b.name,
            audience=b.audience.value if b.audience else "",
            description=b.description,
        )
        for b in ctx.taxonomies().bundles
        if b.code not in taken
    ]


# Checking input ---------------------------------------------------------------------------


def _clean(data: BundleInput) -> BundleInput:
    name = " ".join(data.name.split())
    if not name:
        raise DomainError("请填写“一件事”名称", "name")
    if len(name) > 200:
        raise DomainError("“一件事”名称不能超过200个字", "name")
    if len(data.description) > 5000:
        raise DomainError("说明不能超过5000个字", "description")
    if data.audience not in AUDIENCES:
        raise DomainError(f"服务对象“{data.audience}”无效", "audience")
    if len(data.form) > MAX_FIELDS:
        raise DomainError(f"申请表字段不能超过{MAX_FIELDS}个", "form")
    names = [f.name.strip() for f in data.form]
    for n, f in enumerate(data.form, 1):
        if not f.name.strip():
            raise DomainError(f"申请表第{n}个字段没有填写字段名称", "form")
        if len(f.name.strip()) > 100 or len(f.note) > 500:
            raise DomainError(f"申请表第{n}个字段“{f.name.strip()[:20]}”过长", "form")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DomainError(f"申请表字段重复:{'、'.join(twice)}", "form")
    return msgspec.structs.replace(
        data,
        name=name,
        description=data.description.strip(),
        form=[
            BundleField(name=f.name.strip(), required=f.required, note=f.note.strip())
            for f in data.form
        ],
    )


async def _check_agency(ctx: TenantContext, agency_id: int | None) -> None:
    if agency_id is not None and not await ctx.scope.exists(Agency, agency_id):
        raise DomainError("牵头部门不存在", "lead_agency_id")


async def _take(ctx: TenantContext, bundle_id: int, expected_lock: int, **values: Any) -> None:
    """Bump the lock (and write ``values``) if nobody changed the bundle since ``expected_lock``."""
    await get_bundle_row(ctx, bundle_id)
    changes = {getattr(Bundle, k): v for k, v in values.items()}
    taken = (
        await ctx.scope.update(
            Bundle,
            {Bundle.lock_version: expected_lock + 1, Bundle.updated_at: _now(), **changes},
        )
        .where((Bundle.id == bundle_id) & (Bundle.lock_version == expected_lock))
        .returning(Bundle.id)
    )
    if not taken:
        raise ConflictError(STALE)


# Writing -----------------------------------------------------------------------------------


async def create_bundle(
    ctx: TenantContext,
    principal: Principal,
    *,
    code: str | None = None,
    data: BundleInput | None = None,
) -> int:
    """Set up a bundle: the plugin's bundle ``code`` (its name and audience come
    from the definition unless ``data`` says otherwise), or the tenant's own."""
    actor = _require(principal)
    return await create_bundle_as(ctx, actor, code=code, data=data)


async def create_bundle_as(
    ctx: TenantContext, actor: Actor, *, code: str | None = None, data: BundleInput | None = None
) -> int:
    """``create_bundle`` for a caller already authorised (the demo loader)."""
    if code:
        definition = next((d for d in ctx.taxonomies().bundles if d.code == code), None)
        if definition is None:
            raise DomainError(f"本辖区没有编码为“{code}”的“一件事”", "code")
        data = data or BundleInput(
            name=definition.name,
            description=definition.description,
            audience=definition.audience.value if definition.audience else "",
        )
    elif data is None:
        raise DomainError("请填写“一件事”名称", "name")
    else:
        code = "local_" + uuid.uuid4().hex[:10]
    data = _clean(data)
    await _check_agency(ctx, data.lead_agency_id)
    async with atomic():
        if await ctx.scope.count(Bundle).where(Bundle.code == code) > 0:
            raise DomainError(f"“{data.name}”已经设立", "code")
        bundle = await ctx.scope.insert(
            Bundle,
            code=code,
            name=data.name,
            audience=data.audience,
            description=data.description,
            lead_agency=data.lead_agency_id,
            form=msgspec.to_builtins(data.form),
        )
        await record(
            ctx.tenant_id, actor, "bundle.create", "bundle", bundle.id,
            f"设立“一件事一次办”:{data.name}", {"code": code},
        )  # fmt: skip
    return bundle.id


async def save_bundle(
    ctx: TenantContext,
    principal: Principal,
    bundle_id: int,
    data: BundleInput,
    expected_lock: int,
) -> None:
    """Change the name, description, audience, lead agency and the one form."""
    actor = _require(principal)
    data = _clean(data)
    await _check_agency(ctx, data.lead_agency_id)
    async with atomic():
        before = await get_bundle_row(ctx, bundle_id)
        await _take(
            ctx,
            bundle_id,
            expected_lock,
            name=data.name,
            description=data.description,
            audience=data.audience,
            lead_agency=data.lead_agency_id,
            form=msgspec.to_builtins(data.form),
        )
        changed = [
            title
            for title, old, new in (
                ("名称", before["name"], data.name),
                ("说明", before["description"], data.description),
                ("服务对象", before["audience"], data.audience),
                ("牵头部门", before["lead_agency"], data.lead_agency_id),
                ("申请表", before["form"] or [], msgspec.to_builtins(data.form)),
            )
            if old != new
        ]
        await record(
            ctx.tenant_id, actor, "bundle.update", "bundle", bundle_id,
            f"修改“一件事”{data.name}:{'、'.join(changed) or '无变化'}",
            {"changed": changed, "form": msgspec.to_builtins(data.form)},
        )  # fmt: skip


async def add_item(
    ctx: TenantContext, principal: Principal, bundle_id: int, item_id: int, expected_lock: int
) -> None:
    """Join an item to the bundle (at the end). A cancelled item cannot be joined."""
    actor = _require(principal)
    await add_item_as(ctx, actor, bundle_id, item_id, expected_lock)


async def add_item_as(
    ctx: TenantContext, actor: Actor, bundle_id: int, item_id: int, expected_lock: int
) -> None:
    async with atomic():
        bundle = await get_bundle_row(ctx, bundle_id)
        item = await ctx.scope.get(Item, item_id, "事项")
        if item.status == ItemStatus.cancelled.value:
            raise DomainError(f"事项“{item.name}”已取消,不能加入“一件事”", "item_id")
        existing = await ctx.scope.select(BundleItem, BundleItem.item, BundleItem.position).where(
            BundleItem.bundle == bundle_id
        )
        if any(r["item"] == item_id for r in existing):
            raise DomainError(f"事项“{item.name}”已在“{bundle['name']}”中", "item_id")
        await _take(ctx, bundle_id, expected_lock)
        position = max((r["position"] for r in existing), default=0) + 1
        await ctx.scope.insert(BundleItem, bundle=bundle_id, item=item_id, position=position)
        await record(
            ctx.tenant_id, actor, "bundle.add_item", "bundle", bundle_id,
            f"“{bundle['name']}”加入事项 {item.name}({item.impl_code})", {"item": item_id},
        )  # fmt: skip


async def remove_item(
    ctx: TenantContext, principal: Principal, bundle_id: int, item_id: int, expected_lock: int
) -> None:
    """Take an item out of the bundle. A published bundle keeps at least two items."""
    actor = _require(principal)
    async with atomic():
        bundle = await get_bundle_row(ctx, bundle_id)
        members = await _member_rows(ctx, [bundle_id])
        member = next((m for m in members if m["item"] == item_id), None)
        if member is None:
            raise NotFound("该事项不在此“一件事”中")
        if bundle["status"] == "published" and len(members) <= MIN_ITEMS:
            raise DomainError(
                f"已上线的“一件事”至少包含{MIN_ITEMS}个事项;请先下线再移除", "item_id"
            )
        await _take(ctx, bundle_id, expected_lock)
        await scoped_delete(
            ctx, BundleItem, (BundleItem.bundle == bundle_id) & (BundleItem.item == item_id)
        )
        await record(
            ctx.tenant_id, actor, "bundle.remove_item", "bundle", bundle_id,
            f"“{bundle['name']}”移除事项 {member['name']}({member['impl_code']})",
            {"item": item_id},
        )  # fmt: skip


async def publish_bundle(
    ctx: TenantContext, principal: Principal, bundle_id: int, expected_lock: int
) -> None:
    """Put the bundle online (上线): its guide appears on the portal, as 第N版."""
    actor = _require(principal)
    await publish_bundle_as(ctx, actor, bundle_id, expected_lock)


async def publish_bundle_as(
    ctx: TenantContext, actor: Actor, bundle_id: int, expected_lock: int
) -> None:
    async with atomic():
        bundle = await get_bundle_row(ctx, bundle_id)
        members = await _member_rows(ctx, [bundle_id])
        visible = [m for m in members if _visible(m)]
        if len(visible) < MIN_ITEMS:
            raise DomainError(
                f"“{bundle['name']}”至少要有{MIN_ITEMS}个已发布的事项才能上线"
                f"(现有{len(visible)}个)",
                "items",
            )
        revision = bundle["revision"] + 1
        await _take(
            ctx,
            bundle_id,
            expected_lock,
            status="published",
            revision=revision,
            published_at=_now(),
        )
        await record(
            ctx.tenant_id, actor, "bundle.publish", "bundle", bundle_id,
            f"“一件事”{bundle['name']}上线(第{revision}版)",
            {"revision": revision, "items": [m["item"] for m in visible]},
        )  # fmt: skip


async def withdraw_bundle(
    ctx: TenantContext, principal: Principal, bundle_id: int, expected_lock: int
) -> None:
    """Take the bundle off the portal (下线); it can be changed and put online again."""
    actor = _require(principal)
    async with atomic():
        bundle = await get_bundle_row(ctx, bundle_id)
        if bundle["status"] != "published":
            raise DomainError(f"“{bundle['name']}”未上线", "status")
        await _take(ctx, bundle_id, expected_lock, status="draft")
        await record(
            ctx.tenant_id, actor, "bundle.withdraw", "bundle", bundle_id,
            f"“一件事”{bundle['name']}下线", {},
        )  # fmt: skip
