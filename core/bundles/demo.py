"""The demo's bundles: each bundle the plugin names, joined from the demo's items.

A plugin's ``DemoDataset.bundle_items`` says, per bundle code, which base codes
of the demo national catalog it joins (the catalog's codes are made up, so
this belongs to the demo, not to the plugin's rules). A bundle is set up and
put online only where at least two of its items exist in the demo tenant; of
several implementations of one entry, the city's is taken.
"""

from __future__ import annotations

from qingdan.core.audit.services import Actor
from qingdan.core.bundles.schemas import MIN_ITEMS, BundleField, BundleInput
from qingdan.core.bundles.services import add_item_as, create_bundle_as, publish_bundle_as
from qingdan.core.catalog.tables import Item
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.hooktypes import DemoDataset
from qingdan.core.tenancy.context import TenantContext

#: The one form every demo bundle starts with; an administrator adds the rest.
DEMO_FORM = (
    BundleField(name="申请人姓名(名称)"),
    BundleField(name="证件类型及号码", note="个人填写居民身份证号码,企业填写统一社会信用代码"),
    BundleField(name="联系电话"),
    BundleField(name="联系地址", required=False),
    BundleField(name="结果领取方式", note="窗口领取或邮寄送达"),
)


async def seed_bundles(ctx: TenantContext, dataset: DemoDataset, actor: Actor) -> int:
    """Set up and publish the demo's bundles; returns how many."""
    if not dataset.bundle_items:
        return 0
    rows = await ctx.scope.select(
        Item, Item.id, Item.base_code, Item.division.parent.as_alias("parent")
    ).where(Item.status == ItemStatus.published.value)
    by_code: dict[str, int] = {}
    # A city item (its division has no parent) wins; otherwise the first one.
    for r in sorted(rows, key=lambda r: (r["parent"] is not None, r["id"])):
        by_code.setdefault(r["base_code"], r["id"])
    created = 0
    for definition in ctx.taxonomies().bundles:
        codes = (*definition.base_codes, *dataset.bundle_items.get(definition.code, ()))
        items = list(dict.fromkeys(by_code[c] for c in codes if c in by_code))
        if len(items) < MIN_ITEMS:
            continue
        bundle_id = await create_bundle_as(
            ctx,
            actor,
            code=definition.code,
            data=BundleInput(
                name=definition.name,
                description=definition.description,
                audience=definition.audience.value if definition.audience else "",
                form=list(DEMO_FORM),
            ),
        )
        for lock, item_id in enumerate(items):
            await add_item_as(ctx, actor, bundle_id, item_id, lock)
        await publish_bundle_as(ctx, actor, bundle_id, len(items))
        created += 1
    return created
