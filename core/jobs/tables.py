"""Tables of this feature (listed in TABLES, which core/db/registry.py reads)."""

from piccolo.columns import ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.tenancy.tables import Tenant, User


class JobRun(Table, tablename="job_run"):
    """One run of a background job a user started (an export, an import...), with
    its progress for the run page and, once done, its result file.

    The result itself is in the file store (core/files.py layout) under
    ``result_key``; ``result_name`` is what the download is called.
    """

    tenant = ForeignKey(Tenant, null=False, index=True)
    kind = Varchar(length=40, index=True)  # "export", "catalog_import", "publication", ...
    title = Varchar(length=200)  # Chinese, shown to the user
    status = Varchar(length=20, default="queued")  # queued / running / done / failed
    done = Integer(default=0)
    total = Integer(default=0)
    message = Text(default="")
    result_key = Varchar(length=100, default="")
    result_name = Varchar(length=200, default="")
    result_url = Varchar(length=500, default="")
    # A user removed later must not take the tenant's run history with them.
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    started_at = Timestamptz(null=True, default=None)
    finished_at = Timestamptz(null=True, default=None)
    # Last start or progress: a run that stops moving lost its worker (the page says so).
    updated_at = Timestamptz(null=True, default=None)


TABLES: list[type[Table]] = [JobRun]
