"""Tables of this feature (listed in TABLES, which core/db/registry.py reads).

``quality_finding`` keeps every finding a check made on an item: open until a
later check no longer finds it (``resolved_at`` set), so open findings persist
until they are fixed and their history stays. At most one finding per item,
rule and element is open at a time (a partial unique index, m0010b).
``check_run`` records each tenant-wide check and what it reported.
"""

from piccolo.columns import JSONB, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.catalog.tables import Item
from qingdan.core.tenancy.tables import Agency, Tenant, User


class QualityFinding(Table, tablename="quality_finding"):
    """A rule failing on an item (质检问题), from first found until resolved."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    item = ForeignKey(Item, null=False, index=True)
    agency = ForeignKey(Agency, null=False, index=True)  # the item's, for counts by agency
    rule_id = Varchar(length=80)
    severity = Varchar(length=10)  # block / warn
    element = Varchar(length=60)  # ElementDocument field
    message = Text(default="")
    first_found = Timestamptz(default=TimestamptzNow())
    last_seen = Timestamptz(default=TimestamptzNow())
    resolved_at = Timestamptz(null=True, default=None)


class CheckRun(Table, tablename="check_run"):
    """One tenant-wide quality check: when, why, what it found."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    trigger = Varchar(length=20)  # manual / schedule / cli
    # A user removed later must not take the tenant's check history with them.
    started_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    started_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)
    items_checked = Integer(default=0)
    new_findings = Integer(default=0)
    resolved_findings = Integer(default=0)
    open_block = Integer(default=0)
    open_warn = Integer(default=0)
    disagreements = JSONB(default=[])  # the cross-division disagreements it found


TABLES: list[type[Table]] = [QualityFinding, CheckRun]
