"""Catalog entries (基本目录) and items (实施清单), each an identity row with
immutable version rows holding the whole element document.

Searchable fields are copied from the current document into indexed columns
so lists and searches never have to open the JSON.
"""

from piccolo.columns import (
    JSONB,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.tenancy.tables import Agency, Division, Tenant, User


class CatalogEntry(Table, tablename="catalog_entry"):
    """基本目录事项: issued from above (or, where a plugin allows, local)."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    base_code = Varchar(length=40, index=True)
    name = Varchar(length=300, index=True)
    item_type = Varchar(length=30, index=True)
    levels = Varchar(length=200)  # "|municipal|county|" so LIKE '%|county|%' finds a level
    status = Varchar(length=20, index=True)
    source = Varchar(length=20, default="provincial")  # national / provincial / local
    # Version pointers are plain ids: a foreign key both ways would be a cycle
    # that piccolo cannot order when creating the tables.
    current_version = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class CatalogEntryVersion(Table, tablename="catalog_entry_version"):
    tenant = ForeignKey(Tenant, null=False, index=True)
    entry = ForeignKey(CatalogEntry, null=False, index=True)
    number = Integer()
    document = JSONB()
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Item(Table, tablename="item"):
    """实施清单事项: one agency's implementation of a catalog entry in a division."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    catalog_entry = ForeignKey(CatalogEntry, null=False, index=True)
    agency = ForeignKey(Agency, null=False, index=True)
    division = ForeignKey(Division, null=False, index=True)
    impl_code = Varchar(length=64, index=True)
    base_code = Varchar(length=40, index=True)
    handling_item = Varchar(length=4, default="00")
    name = Varchar(length=300, index=True)
    item_type = Varchar(length=30, index=True)
    levels = Varchar(length=200)
    status = Varchar(length=20, index=True)
    themes = Varchar(length=500, default="")  # "|theme|theme|"
    service_kind = Varchar(length=40, default="", index=True)
    search_text = Text(default="")  # name, codes, agency, keywords: for search
    draft_version = Integer(null=True, default=None)  # ItemVersion id
    published_version = Integer(null=True, default=None)  # ItemVersion id
    # Bumped by every write to the item, so a save based on an older state is
    # refused instead of silently overwriting someone else's edit.
    lock_version = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ItemVersion(Table, tablename="item_version"):
    """An immutable snapshot of an item's elements."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    item = ForeignKey(Item, null=False, index=True)
    number = Integer()
    document = JSONB()
    note = Varchar(length=500, default="")
    created_by = ForeignKey(User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
