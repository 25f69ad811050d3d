"""Tenants and who is who inside them.

Every tenant-owned table carries a ``tenant`` foreign key and is only read or
written through :class:`qingdan.core.tenancy.scope.TenantScope`.
"""

from piccolo.columns import (
    JSONB,
    Boolean,
    ForeignKey,
    LazyTableReference,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Tenant(Table, tablename="tenant"):
    """One jurisdiction's deployment, bound to exactly one jurisdiction plugin."""

    slug = Varchar(length=40, unique=True)
    name = Varchar(length=100)
    plugin = Varchar(length=100)  # entry-point name in qingdan.jurisdictions
    division_code = Varchar(length=12)
    settings = JSONB(default={})  # the plugin's settings, validated by its schema
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Division(Table, tablename="division"):
    """市 → 县(区) → 乡镇(街道) → 村(社区); 12-digit 行政区划代码."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    code = Varchar(length=12, index=True)
    name = Varchar(length=100)
    level = Varchar(length=20)  # city / county / township / village
    parent = ForeignKey(LazyTableReference("Division", module_path=__name__), null=True)


class Agency(Table, tablename="agency"):
    """实施机构: implements items; has a 统一社会信用代码."""

    tenant = ForeignKey(Tenant, null=False, index=True)
    name = Varchar(length=200, index=True)
    uscc = Varchar(length=18)
    nature = Varchar(length=20)  # AgencyNature
    division = ForeignKey(Division, null=False, index=True)
    parent = ForeignKey(LazyTableReference("Agency", module_path=__name__), null=True)
    active = Boolean(default=True)


class User(Table, tablename="app_user"):
    """A person who signs in. ``tenant`` is empty only for platform admins."""

    tenant = ForeignKey(Tenant, null=True, index=True)
    username = Varchar(length=60)
    display_name = Varchar(length=100)
    password_hash = Varchar(length=200)
    email = Varchar(length=200, default="")  # for notices by e-mail, when SMTP is set up
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class RoleAssignment(Table, tablename="role_assignment"):
    """A role held in the whole tenant, one division, or one agency."""

    tenant = ForeignKey(Tenant, null=True, index=True)
    user = ForeignKey(User, null=False, index=True)
    role = Varchar(length=40)
    division = ForeignKey(Division, null=True)
    agency = ForeignKey(Agency, null=True)
