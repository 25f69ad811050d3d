"""朔城区 三(二)2: public service items are classified by the “19+X” themes only.

The plugin declares its theme list closed (``themes.closed`` in its rules data): the
19 fixed themes and the X themes the administrator adds in the settings. Saving a
draft with any other 主题分类 is refused, naming the element and the bad value; a
plugin that declares nothing (金昌) keeps free-text themes.
"""

from __future__ import annotations

import pytest

from qingdan.core.catalog.services import create_catalog_entry, create_item, get_item, save_draft
from qingdan.core.catalog.validation import dump_document
from qingdan.core.errors import DomainError
from qingdan.core.tenancy.context import load_context
from qingdan.core.tenancy.services import save_plugin_settings
from qingdan.core.testing import SYSTEM, sample_entry_document

pytestmark = pytest.mark.db


async def _public_service_draft(t) -> tuple[int, dict]:
    doc = sample_entry_document("888001", "样例公共服务") | {
        "item_type": "public_service",
        "service_kind": "guide",
    }
    entry = await create_catalog_entry(t.ctx, SYSTEM, doc)
    item = await create_item(t.ctx, SYSTEM, entry_id=entry.id, agency_id=t.agency_ids[0])
    return item.id, dump_document((await get_item(t.ctx, item.id)).draft)


async def test_shuozhou_refuses_a_theme_outside_19_plus_x_and_takes_the_x_themes(make_tenant):
    t = await make_tenant(plugin="shuozhou")
    item_id, doc = await _public_service_draft(t)

    with pytest.raises(DomainError) as info:
        await save_draft(t.ctx, SYSTEM, item_id, doc | {"themes": ["婚育收养", "夜间经济"]}, 0)
    assert info.value.field == "themes"
    assert "主题分类" in info.value.message and "“夜间经济”" in info.value.message
    assert "婚育收养" in info.value.message  # the allowed themes are listed to pick from
    assert (await get_item(t.ctx, item_id)).draft.themes == []

    # A fixed theme by its code or its name is accepted.
    await save_draft(t.ctx, SYSTEM, item_id, doc | {"themes": ["marriage_adoption"]}, 0)
    await save_draft(t.ctx, SYSTEM, item_id, doc | {"themes": ["热线服务"]}, 1)

    # Once the administrator adds 夜间经济 as an X theme, it is one of the tenant's themes.
    await save_plugin_settings(t.tenant_id, SYSTEM, {"local_themes": ["夜间经济"]})
    ctx = await load_context(tenant_id=t.tenant_id)
    await save_draft(ctx, SYSTEM, item_id, doc | {"themes": ["婚育收养", "夜间经济"]}, 2)
    assert (await get_item(ctx, item_id)).draft.themes == ["婚育收养", "夜间经济"]


async def test_a_plugin_without_a_closed_list_keeps_free_themes(make_tenant):
    t = await make_tenant(plugin="jinchang")
    item_id, doc = await _public_service_draft(t)
    await save_draft(t.ctx, SYSTEM, item_id, doc | {"themes": ["夜间经济"]}, 0)
    assert (await get_item(t.ctx, item_id)).draft.themes == ["夜间经济"]
