"""Every table of the app, in dependency order (used for migrations and binding)."""

from piccolo.table import Table


def all_tables() -> list[type[Table]]:
    from qingdan.core.audit.tables import AuditEntry
    from qingdan.core.calendar.tables import CalendarDay, CalendarYear
    from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item, ItemVersion
    from qingdan.core.publishing.tables import (
        GuideFile,
        Publication,
        PublicationChange,
        SearchTerm,
    )
    from qingdan.core.tenancy.tables import Agency, Division, RoleAssignment, Tenant, User
    from qingdan.core.workflow.tables import (
        Attachment,
        ChangeRequest,
        ChangeStep,
        Decision,
        Notice,
        Obligation,
    )

    return [
        Tenant,
        Division,
        Agency,
        User,
        RoleAssignment,
        CatalogEntry,
        CatalogEntryVersion,
        Item,
        ItemVersion,
        AuditEntry,
        CalendarYear,
        CalendarDay,
        ChangeRequest,
        ChangeStep,
        Decision,
        Attachment,
        Obligation,
        Notice,
        GuideFile,
        SearchTerm,
        Publication,
        PublicationChange,
        *_feature_tables(),
    ]


#: Feature modules that own tables; each lists them in its ``TABLES``.
FEATURE_TABLE_MODULES = (
    "qingdan.core.jobs.tables",
    "qingdan.core.checks.tables",
    "qingdan.core.indicators.tables",
    "qingdan.core.campaigns.tables",
    "qingdan.core.bundles.tables",
    "qingdan.core.doorstep.tables",  # 家门口办: created by m0013 with the bundles
    "qingdan.core.imports.tables",
    "qingdan.core.ops.tables",
)


def _feature_tables() -> list[type[Table]]:
    import importlib

    tables: list[type[Table]] = []
    for module in FEATURE_TABLE_MODULES:
        tables.extend(importlib.import_module(module).TABLES)
    return tables
