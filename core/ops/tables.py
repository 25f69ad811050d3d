"""Tables of the operations module (listed in TABLES, which core/db/registry.py reads)."""

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class PendingJob(Table, tablename="pending_job"):
    """A job the broker could not take (Redis down), kept to be sent when it is back.

    Platform-wide, not a tenant's row: the arguments are ids the actor itself
    scopes to their tenant.
    """

    actor = Varchar(length=100)
    args = Text(default="[]")  # JSON list
    attempts = Integer(default=0)
    last_error = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [PendingJob]
