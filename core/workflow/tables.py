"""Change requests, their steps and decisions, attachments, obligations, notices."""

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
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item, ItemVersion
from qingdan.core.tenancy.tables import Agency, Tenant, User


class ChangeRequest(Table, tablename="change_request"):
    """调整申请: one adjustment of an item, or of a catalog entry, walking through
    its approval chain. Exactly one of ``item`` and ``catalog_entry`` is set."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    item = ForeignKey(Item, null=True, index=True)
    agency = ForeignKey(Agency, null=True, index=True)  # the item's agency
    catalog_entry = ForeignKey(CatalogEntry, null=True, index=True)
    # For a catalog entry: the proposed version and the one in use at submission.
    entry_version = ForeignKey(CatalogEntryVersion, null=True)
    entry_base_version = ForeignKey(CatalogEntryVersion, null=True)
    subject_name = Varchar(length=300, default="")  # the item's or entry's name, as submitted
    kind = Varchar(length=20)  # ChangeKind
    status = Varchar(length=20, index=True)  # ChangeStatus
    # The version under review (claim/create/amend); status changes carry the
    # published version they act on.
    version = ForeignKey(ItemVersion, null=True)
    base_version = ForeignKey(ItemVersion, null=True)  # published when submitted
    changed_elements = JSONB(default=[])
    current_step = Integer(default=0)  # position of the active step
    author = ForeignKey(User, null=False)
    reason = Text(default="")
    cancel_basis = Text(default="")  # the repealed or amended law
    document_number = Varchar(length=200, default="")  # the formal document
    effective_date = Date(null=True, default=None)
    chain_basis = Varchar(length=500, default="")
    lock_version = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)


class ChangeStep(Table, tablename="change_step"):
    """One step of a request's chain, copied from the plugin at submission."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    change_request = ForeignKey(ChangeRequest, null=False, index=True)
    position = Integer()
    name = Varchar(length=100)
    role = Varchar(length=40, index=True)
    office = Varchar(length=100, default="")
    deadline_days = Integer(default=5)
    required_attachments = JSONB(default=[])  # [{"kind":..., "label":...}]
    skippable = Boolean(default=False)
    escalate_to = Varchar(length=40, default="")
    basis = Varchar(length=500, default="")
    status = Varchar(length=20, default="pending")  # StepStatus
    started_at = Timestamptz(null=True, default=None)
    due_date = Date(null=True, default=None)
    due_provisional = Boolean(default=False)
    decided_by = ForeignKey(User, null=True)
    decided_at = Timestamptz(null=True, default=None)
    version_seen = ForeignKey(ItemVersion, null=True)  # the exact version approved
    comment = Text(default="")
    reminded_at = Timestamptz(null=True, default=None)
    escalated_at = Timestamptz(null=True, default=None)


class Decision(Table, tablename="decision"):
    """Every transition of a request: who, when, what, why, on which version."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    change_request = ForeignKey(ChangeRequest, null=False, index=True)
    step = ForeignKey(ChangeStep, null=True)
    action = Varchar(length=20)  # submit / approve / return / reject / withdraw / publish ...
    actor = ForeignKey(User, null=True)
    actor_name = Varchar(length=100, default="")
    reason = Text(default="")
    version = ForeignKey(ItemVersion, null=True)
    at = Timestamptz(default=TimestamptzNow())


class Attachment(Table, tablename="attachment"):
    """A file kept with the request (and the version) it belongs to."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    change_request = ForeignKey(ChangeRequest, null=False, index=True)
    version = ForeignKey(ItemVersion, null=True)
    kind = Varchar(length=60, default="other")
    label = Varchar(length=100, default="")
    filename = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    storage_key = Varchar(length=200)
    uploaded_by = ForeignKey(User, null=True)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class Obligation(Table, tablename="obligation"):
    """后续义务: work a change leaves behind, with its due date."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    item = ForeignKey(Item, null=False, index=True)
    change_request = ForeignKey(ChangeRequest, null=True)
    kind = Varchar(length=40)
    title = Varchar(length=200)
    role = Varchar(length=40, index=True)
    agency = ForeignKey(Agency, null=True)  # for obligations of the agency itself
    basis = Varchar(length=500, default="")
    due_date = Date()
    due_provisional = Boolean(default=False)
    status = Varchar(length=20, default="open", index=True)  # open / done
    escalate_to = Varchar(length=40, default="")
    done_by = ForeignKey(User, null=True)
    done_at = Timestamptz(null=True, default=None)
    note = Text(default="")
    reminded_at = Timestamptz(null=True, default=None)
    escalated_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Notice(Table, tablename="notice"):
    """An in-app notification (and, when SMTP is configured, an e-mail)."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    user = ForeignKey(User, null=True, index=True)
    role = Varchar(length=40, default="")  # addressed to everyone holding a role
    agency = ForeignKey(Agency, null=True)
    kind = Varchar(length=40)
    title = Varchar(length=300)
    link = Varchar(length=300, default="")
    dedupe_key = Varchar(length=200)  # unique per tenant: scans run twice send once
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)
    emailed_at = Timestamptz(null=True, default=None)
