"""Tables of this feature (listed in TABLES, which core/db/registry.py reads).

A bundle (一件事一次办) names its items; it keeps no copy of their elements.
Its guide is built, whenever it is read, from the items' published versions,
so a bundle is never out of step with its items and a draft never shows.
"""

from piccolo.columns import JSONB, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.catalog.tables import Item
from qingdan.core.tenancy.tables import Agency, Tenant


class Bundle(Table, tablename="bundle"):
    """一件事: several items applied for with one form and one set of materials."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    # The plugin's code for a bundle it defines (企业开办 → enterprise_opening),
    # or one made from the name for a bundle the tenant adds; unique per tenant.
    code = Varchar(length=60)
    name = Varchar(length=200)
    audience = Varchar(length=30, default="")  # enterprise / natural_person / "" (either)
    description = Text(default="")
    # 牵头部门: the agency answering for the bundle; an agency closed later
    # leaves the bundle without one rather than taking it along.
    lead_agency = ForeignKey(Agency, null=True, on_delete=OnDelete.set_null)
    form = JSONB(default=[])  # 一表申请: the fields of the one form (core/bundles/schemas.py)
    status = Varchar(length=20, default="draft", index=True)  # draft / published
    revision = Integer(default=0)  # how many times it was published (第N版)
    lock_version = Integer(default=0)  # bumped by every write: racing edits are refused
    published_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class BundleItem(Table, tablename="bundle_item"):
    """One item of a bundle, in the order the bundle's guide lists it."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    bundle = ForeignKey(Bundle, null=False, index=True)
    item = ForeignKey(Item, null=False, index=True)
    position = Integer(default=0)


TABLES: list[type[Table]] = [Bundle, BundleItem]
