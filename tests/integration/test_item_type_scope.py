"""金昌 第三条: only the item types the article lists are managed (not 行政备案).

The plugin's list (``qingdan_item_types``) is enforced by the catalog itself, for a
new catalog entry and for an item's draft, with a Chinese message naming the type;
安阳, whose plan includes 行政备案, takes the same document.
"""

from __future__ import annotations

import pytest

from qingdan.core.catalog.services import create_catalog_entry, create_item, get_item, save_draft
from qingdan.core.catalog.tables import CatalogEntry
from qingdan.core.catalog.validation import dump_document
from qingdan.core.errors import DomainError
from qingdan.core.testing import SYSTEM, sample_entry_document

pytestmark = pytest.mark.db

REFUSED = "事项类型“行政备案”不在本辖区管理的事项类型之内"


def _filing(code: str) -> dict:
    return sample_entry_document(code, "某事项备案") | {"item_type": "filing"}


async def test_jinchang_refuses_a_filing_entry_and_a_draft_turned_into_a_filing(make_tenant):
    t = await make_tenant(plugin="jinchang")
    before = await t.ctx.scope.count(CatalogEntry)
    with pytest.raises(DomainError, match=REFUSED) as info:
        await create_catalog_entry(t.ctx, SYSTEM, _filing("887001"))
    assert info.value.field == "item_type"
    assert await t.ctx.scope.count(CatalogEntry) == before

    item = await create_item(t.ctx, SYSTEM, entry_id=t.entry_id, agency_id=t.agency_ids[0])
    doc = dump_document((await get_item(t.ctx, item.id)).draft)
    with pytest.raises(DomainError, match=REFUSED):
        await save_draft(t.ctx, SYSTEM, item.id, doc | {"item_type": "filing"}, 0)
    assert (await get_item(t.ctx, item.id)).draft.item_type.value == "licensing"


async def test_anyang_manages_filings(make_tenant):
    t = await make_tenant(plugin="anyang")
    entry = await create_catalog_entry(t.ctx, SYSTEM, _filing("887002"))
    assert entry.id
