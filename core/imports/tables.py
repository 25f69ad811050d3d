"""Tables of this feature (listed in TABLES, which core/db/registry.py reads).

An import is a numbered batch (``ImportBatch``): a catalog release from above
or an agency's bulk edit of its items. A release leaves one ``ReleaseChange``
per entry it added, changed or cancelled, and a ``ClaimTask`` (应认领) per
agency a new entry concerns. Amend and cancel tasks on existing items are the
workflow's own follow-up obligations (``follow_catalog``), not a table here.
"""

from piccolo.columns import (
    JSONB,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.catalog.tables import CatalogEntry, Item
from qingdan.core.tenancy.tables import Agency, Tenant, User


class ImportBatch(Table, tablename="import_batch"):
    """一批导入: numbered per tenant and kind, with its source, file and outcome."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    kind = Varchar(length=20, index=True)  # "release" (上级基本目录) / "items" (批量编辑事项)
    number = Integer()  # 第N批, per tenant and kind
    source = Varchar(length=20, default="")  # national / provincial (a release)
    mode = Varchar(length=20, default="")  # full / increment (a release)
    title = Varchar(length=300, default="")  # the release's own name
    document_number = Varchar(length=200, default="")  # 发布文号
    issued_on = Date(null=True, default=None)
    filename = Varchar(length=255, default="")
    file_format = Varchar(length=10, default="")  # xlsx / json
    sha256 = Varchar(length=64, index=True)
    via = Varchar(length=20, default="web")  # web / cli / api / job
    agency = ForeignKey(Agency, null=True)  # the agency of a bulk edit
    # A user removed later must not take the tenant's import history with them.
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    counts = JSONB(default={})  # {"new": n, "changed": n, "cancelled": n, ...}
    summary = Text(default="")


class ReleaseChange(Table, tablename="release_change"):
    """One catalog entry a release added, changed (which elements) or cancelled."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    batch = ForeignKey(ImportBatch, null=False, index=True)
    catalog_entry = ForeignKey(CatalogEntry, null=False, index=True)
    kind = Varchar(length=20)  # new / changed / cancelled
    base_code = Varchar(length=40)
    name = Varchar(length=300)
    changed_elements = JSONB(default=[])
    before_version = Integer(null=True, default=None)  # CatalogEntryVersion ids
    after_version = Integer(null=True, default=None)


class ClaimTask(Table, tablename="claim_task"):
    """应认领: a new entry from above an agency must claim by its due date.

    ``agency`` is empty while no agency of the tenant is known to concern the
    entry; 审改机构 then assigns it. The task is done once the agency has an
    item on the entry (however it was created).
    """

    tenant = ForeignKey(Tenant, null=False, index=True)
    batch = ForeignKey(ImportBatch, null=False, index=True)
    catalog_entry = ForeignKey(CatalogEntry, null=False, index=True)
    agency = ForeignKey(Agency, null=True, index=True)
    department = Varchar(length=100, default="")  # 主管部门 as the release names it
    due_date = Date()
    due_provisional = Boolean(default=False)
    basis = Varchar(length=500, default="")
    status = Varchar(length=20, default="open", index=True)  # open / done / dismissed
    item = ForeignKey(Item, null=True)
    done_at = Timestamptz(null=True, default=None)
    note = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    # Set by the deadline scan, so a reminder and an escalation go out once.
    reminded_at = Timestamptz(null=True, default=None)
    escalated_at = Timestamptz(null=True, default=None)


class DepartmentAgency(Table, tablename="department_agency"):
    """主管部门对应: the tenant's agency that takes up a department's new entries.

    Learnt when 审改机构 assigns a claim task; it wins over matching by name.
    """

    tenant = ForeignKey(Tenant, null=False, index=True)
    department = Varchar(length=100)
    agency = ForeignKey(Agency, null=False, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiToken(Table, tablename="api_token"):
    """A tenant's token for the integration API, acting in one role.

    Only the SHA-256 of the token is kept; the token itself is shown once.
    """

    tenant = ForeignKey(Tenant, null=False, index=True)
    name = Varchar(length=100)
    role = Varchar(length=40)
    prefix = Varchar(length=16)  # the token's first characters, to tell tokens apart
    token_hash = Varchar(length=64, index=True)
    created_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    revoked_by = ForeignKey(User, null=True, on_delete=OnDelete.set_null)


TABLES: list[type[Table]] = [
    ImportBatch,
    ReleaseChange,
    ClaimTask,
    DepartmentAgency,
    ApiToken,
]
