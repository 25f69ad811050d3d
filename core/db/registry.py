"""Every table of the app, in dependency order (used for migrations and binding)."""

from piccolo.table import Table


def all_tables() -> list[type[Table]]:
    from qingdan.core.audit.tables import AuditEntry
    from qingdan.core.calendar.tables import CalendarDay, CalendarYear
    from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion, Item, ItemVersion
    from qingdan.core.publishing.tables import GuideFile, SearchTerm
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
    ]
