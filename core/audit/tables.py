"""The append-only audit log, hash-chained per tenant so tampering shows."""

from piccolo.columns import JSONB, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.tenancy.tables import Tenant, User


class AuditEntry(Table, tablename="audit_entry"):
    tenant = ForeignKey(Tenant, null=True, index=True)
    seq = Integer()  # per tenant; unique (tenant, seq) keeps the chain linear
    at = Timestamptz(default=TimestamptzNow())
    actor = ForeignKey(User, null=True)
    actor_name = Varchar(length=100, default="")
    action = Varchar(length=60, index=True)
    object_type = Varchar(length=40, index=True)
    object_id = Integer(null=True, index=True)
    summary = Varchar(length=500, default="")
    data = JSONB(default={})
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64)
