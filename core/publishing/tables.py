"""The generated PDFs of published guides: one row per published item version and kind;
the public search index of published versions (:class:`SearchTerm`); and the
numbered publications of the catalog with their announcements
(:class:`Publication`, :class:`PublicationChange`).

The PDF itself is in the file store (core/files.py) under its SHA-256; the row
says which version and which kind it is, so every published version's guide
stays downloadable after later versions are published.
"""

from piccolo.columns import JSONB, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.catalog.tables import Item, ItemVersion
from qingdan.core.tenancy.tables import Tenant, User


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


class Publication(Table, tablename="publication"):
    """公布: a numbered, dated snapshot of the tenant's published catalog.

    ``number`` runs 1, 2, 3 ... per tenant with no gap (a unique index on
    (tenant, number) refuses a second row of the same number when two are
    issued at once; the loser retries with the next). ``snapshot`` holds what
    was published at that moment: ``{"entries": {entry id: version id},
    "items": {item id: [version id, status]}}`` (ids as JSON keys). The
    announcement (公告) is in :class:`PublicationChange`, written with it;
    neither changes afterwards. Only the announcement PDF, rendered on first
    download, is recorded later (``pdf_key``, ``pdf_sha256``).
    """

    tenant = ForeignKey(Tenant, null=False, index=True)
    number = Integer()
    uid = Varchar(length=36)  # a UUID: the Atom entry id, stable whatever the host
    issued_at = Timestamptz(default=TimestamptzNow())
    # A user leaving does not take the record with them.
    issued_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    issued_by_name = Varchar(length=100, default="")
    kind = Varchar(length=20, default="manual")  # manual, or scheduled (the job)
    note = Varchar(length=500, default="")
    previous = Integer(null=True, default=None)  # the id of the publication before it
    snapshot = JSONB()
    entries = Integer(default=0)  # catalog entries in use
    items = Integer(default=0)  # items the public sees
    added = Integer(default=0)
    changed = Integer(default=0)
    cancelled = Integer(default=0)
    pdf_key = Varchar(length=100, default="")
    pdf_sha256 = Varchar(length=64, default="")


class PublicationChange(Table, tablename="publication_change"):
    """One line of a publication's announcement (公告).

    ``subject`` is "entry" (a catalog entry) or "item"; ``change`` is "added",
    "changed" or "cancelled". For a change, ``elements`` lists what changed:
    ``[{"element", "title", "kind", "before", "after"}]`` (element-level, from
    core/catalog/diff.py; a status change is the element "status"). Name,
    code and agency are copied as they were, so the record stays readable
    after the item changes again.
    """

    tenant = ForeignKey(Tenant, null=False, index=True)
    publication = ForeignKey(Publication, null=False, index=True)
    subject = Varchar(length=10)
    subject_id = Integer()
    change = Varchar(length=10)
    name = Varchar(length=300)
    code = Varchar(length=64, default="")
    item_type = Varchar(length=30, default="")
    agency_name = Varchar(length=200, default="")
    before_version = Integer(null=True, default=None)
    after_version = Integer(null=True, default=None)
    before_status = Varchar(length=20, default="")
    after_status = Varchar(length=20, default="")
    elements = JSONB()
    summary = Varchar(length=1000, default="")
