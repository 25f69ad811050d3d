"""The generated PDFs of published guides: one row per published item version and kind;
and the public search index of published versions (:class:`SearchTerm`).

The PDF itself is in the file store (core/files.py) under its SHA-256; the row
says which version and which kind it is, so every published version's guide
stays downloadable after later versions are published.
"""

from piccolo.columns import ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.catalog.tables import Item, ItemVersion
from qingdan.core.tenancy.tables import Tenant


class GuideFile(Table, tablename="guide_file"):
    """办事指南PDF: ``kind`` is "screen" (the download) or "print" (the hall's copy,
    with a QR code). At most one per (tenant, version, kind)."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    item = ForeignKey(Item, null=False, index=True)
    version = ForeignKey(ItemVersion, null=False, index=True)
    kind = Varchar(length=10)
    storage_key = Varchar(length=100)
    sha256 = Varchar(length=64)
    size = Integer()
    created_at = Timestamptz(default=TimestamptzNow())


class SearchTerm(Table, tablename="search_term"):
    """One line of the public search index of an item's published version
    (core/publishing/search.py). Rebuilt whole for an item when a version is
    published; never holds anything of a draft.

    ``kind`` says what ``term`` is: "word" (a segmented word of the searchable
    text, with its ``weight``), "facet" (a browse value such as
    ``item_type:licensing``) or "name" (the item's published name, one per item).
    """

    tenant = ForeignKey(Tenant, null=False, index=True)
    item = ForeignKey(Item, null=False, index=True)
    version = ForeignKey(ItemVersion, null=False, index=True)
    kind = Varchar(length=10)
    term = Varchar(length=300, index=True)
    weight = Integer(default=0)
