"""Tables of this feature (listed in TABLES, which core/db/registry.py reads).

A snapshot keeps the day's figures with the definitions, targets and the
names of agencies and divisions it used, so a bulletin citing it can be
recomputed from it alone, however the plugin or the organisation change later.
"""

from piccolo.columns import JSONB, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.tenancy.tables import Tenant, User


class IndicatorSnapshot(Table, tablename="indicator_snapshot"):
    """指标快照: one per tenant and day (Asia/Shanghai); the first of the day stays."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    day = Date()
    taken_at = Timestamptz(default=TimestamptzNow())
    # {"config": IndicatorConfig, "agencies": [...], "divisions": [...],
    #  "tenant": {id: [num, den]}, "by_agency": {...}, "by_division": {...}}
    document = JSONB(default={})


class Bulletin(Table, tablename="bulletin"):
    """通报: the agencies a rule named on one snapshot, with the PDF as issued."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    number = Integer()  # 第N期, per tenant
    title = Varchar(length=200)
    snapshot = ForeignKey(IndicatorSnapshot, null=False, index=True)
    data_day = Date()  # the snapshot's day, which the bulletin cites
    rule = JSONB(default={})  # the BulletinRule applied
    named = JSONB(default=[])  # [{agency, name, reasons: [{indicator, ..., text}]}]
    storage_key = Varchar(length=100, default="")
    sha256 = Varchar(length=64, default="")
    size = Integer(default=0)
    # A user removed later must not take the tenant's bulletins with them.
    issued_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    issued_by_name = Varchar(length=100, default="")
    issued_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [IndicatorSnapshot, Bulletin]
