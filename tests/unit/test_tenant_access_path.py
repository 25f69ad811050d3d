"""Tenant data is only reached through TenantScope.

A query written straight on a tenant table (``Item.select()``) would skip the
tenant filter; this test finds any such call in core/ and web/, so a new
route or service cannot bypass the scope unnoticed.
"""

import re
from pathlib import Path

import pytest

from qingdan.core.db.registry import all_tables
from qingdan.core.tenancy.scope import NotFound, TenantRequired, TenantScope, is_tenant_owned

ROOT = Path(__file__).resolve().parents[2]
# Identity and audit tables are read across tenants on purpose (sign-in finds
# the user by tenant slug; the audit chain is per tenant by construction).
CROSS_TENANT_ALLOWED = {"Tenant", "User", "RoleAssignment", "AuditEntry"}
SCOPED = sorted(
    t.__name__
    for t in all_tables()
    if is_tenant_owned(t) and t.__name__ not in CROSS_TENANT_ALLOWED
)
DIRECT = re.compile(
    r"\b(" + "|".join(SCOPED) + r")\.(select|objects|update|delete|count|exists|insert|raw)\("
)


def test_scoped_tables_are_the_catalog_and_organisation_tables():
    assert {"Item", "ItemVersion", "CatalogEntry", "Agency", "Division"} <= set(SCOPED)


def test_no_direct_queries_on_tenant_tables_outside_the_scope():
    offenders = []
    for path in [*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("web").rglob("*.py")]:
        if path.name == "scope.py" or "migrations" in path.parts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if DIRECT.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "query tenant tables through TenantScope:\n" + "\n".join(offenders)


@pytest.mark.parametrize("bad", [None, 0, -1, "1", True, 1.0])
def test_a_scope_cannot_be_made_without_a_tenant(bad):
    with pytest.raises(TenantRequired):
        TenantScope(bad)


async def test_scope_refuses_untenanted_tables_and_foreign_tenant_writes():
    from qingdan.core.catalog.tables import Item
    from qingdan.core.tenancy.tables import Tenant

    scope = TenantScope(1)
    with pytest.raises(TenantRequired):
        scope.select(Tenant)
    with pytest.raises(TenantRequired, match="其他租户"):
        await scope.insert(Item, tenant=2, name="x")
    with pytest.raises(NotFound):
        await scope.get(Item, "1")  # not an int id: refused before any query
