"""A tenant with its plugin and settings: what a service needs to apply rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from qingdan.core.catalog.codes import CodeFormat
from qingdan.core.errors import NotFound
from qingdan.core.hooktypes import Taxonomies
from qingdan.core.plugins import Plugin, get_registry
from qingdan.core.tenancy.scope import TenantScope
from qingdan.core.tenancy.tables import Tenant


@dataclass(frozen=True)
class TenantContext:
    tenant: dict[str, Any]
    scope: TenantScope
    plugin: Plugin
    settings: msgspec.Struct

    @property
    def tenant_id(self) -> int:
        return self.scope.tenant_id

    @property
    def slug(self) -> str:
        return self.tenant["slug"]

    @property
    def name(self) -> str:
        return self.tenant["name"]

    def code_format(self) -> CodeFormat:
        return self.plugin.code_format(self.settings)

    def taxonomies(self) -> Taxonomies:
        return self.plugin.taxonomies(self.settings)


async def load_context(*, tenant_id: int | None = None, slug: str | None = None) -> TenantContext:
    query = Tenant.select().where(Tenant.active == True)  # noqa: E712 (piccolo expression)
    if tenant_id is not None:
        query = query.where(Tenant.id == tenant_id)
    elif slug is not None:
        query = query.where(Tenant.slug == slug)
    else:
        raise NotFound("租户")
    row = await query.first().output(load_json=True)
    if row is None:
        raise NotFound("租户")
    plugin = get_registry().get(row["plugin"])
    return TenantContext(
        tenant=row,
        scope=TenantScope(row["id"]),
        plugin=plugin,
        settings=plugin.settings(row["settings"] or {}),
    )
