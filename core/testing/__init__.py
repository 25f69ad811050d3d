"""The test kit: what core's tests and a plugin's own tests use.

``build_tenant`` makes a working tenant (divisions, agencies, users with every
role, a catalog entry) bound to any installed plugin, so a vendor can run the
platform's behaviour against their own jurisdiction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qingdan.core.audit.services import Actor
from qingdan.core.catalog.codes import USCC, DivisionCode
from qingdan.core.catalog.services import create_catalog_entry
from qingdan.core.catalog.tables import CatalogEntry
from qingdan.core.db import atomic
from qingdan.core.plugins import Registry, get_registry, load_plugin, set_registry
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.context import TenantContext, load_context
from qingdan.core.tenancy.schemas import Role
from qingdan.core.tenancy.tables import Agency, Division

from . import sample_plugin
from .conformance import CheckItem, ConformanceReport, assert_conforms, check_plugin

PASSWORD = "test-password-1"
SYSTEM = Actor.system("测试")


def registry_with_sample() -> Registry:
    """The installed plugins plus the sample plugin (as ``sample``)."""
    sample = load_plugin("sample", sample_plugin, version="0.0-test")
    return get_registry().with_plugin(sample)


def use_sample_plugin() -> None:
    set_registry(registry_with_sample())


def sample_entry_document(base_code: str = "000101001", name: str = "样例许可事项") -> dict:
    return {
        "name": name,
        "base_code": base_code,
        "item_type": "licensing",
        "levels": ["municipal", "county"],
        "legal_basis": [
            {"law_name": "中华人民共和国行政许可法", "article": "第十二条"},
        ],
        "acceptance_conditions": "申请人具备相应条件。",
        "statutory_limit": {"value": 20, "unit": "working_day"},
        "promised_limit": {"value": 10, "unit": "working_day"},
        "case_type": "promised",
        "channels": ["counter", "online_pc"],
        "online_depth": "III",
        "materials": [
            {"name": "申请书", "type": "form", "source": "applicant", "necessity": "required"}
        ],
    }


@dataclass
class TenantFixture:
    ctx: TenantContext
    city_division_id: int
    county_division_id: int
    agency_ids: list[int]
    entry_id: int
    users: dict[str, int] = field(default_factory=dict)  # role name -> user id

    @property
    def tenant_id(self) -> int:
        return self.ctx.tenant_id

    @property
    def slug(self) -> str:
        return self.ctx.slug


async def build_tenant(plugin: str = "sample", slug: str = "sample") -> TenantFixture:
    registry = get_registry()
    if plugin not in registry.names() and plugin == "sample":
        use_sample_plugin()
        registry = get_registry()
    # One transaction: a test suite builds a tenant per test, and some thirty
    # commits each would cost more than the test itself.
    async with atomic():
        return await _build_tenant(registry.get(plugin).jurisdiction, plugin, slug)


async def _build_tenant(jurisdiction: Any, plugin: str, slug: str) -> TenantFixture:
    tenant = await tenancy.create_tenant(SYSTEM, slug, f"{jurisdiction.name}({slug})", plugin)
    ctx = await load_context(tenant_id=tenant.id)
    scope = ctx.scope
    city = await scope.objects(Division).where(Division.parent.is_null()).first()
    city_code = DivisionCode.parse(city.code)
    county_code = city_code.value[:4] + "02" + "000000"
    if city_code.level != "city":
        county_code = city_code.value[:6] + "001000"
    county = await tenancy.add_division(scope, SYSTEM, county_code, "样例县", city.code)
    agency_ids = []
    for i, (name, division) in enumerate(
        [("市场监督管理局", city), ("卫生健康局", city), ("县市场监督管理局", county)]
    ):
        uscc = USCC.compose("1", "1", division.code[:6], f"{tenant.id % 1000:03d}{i:05d}")
        agency = await tenancy.add_agency(scope, SYSTEM, f"{slug}{name}", uscc.value, division.id)
        agency_ids.append(agency.id)
    entry = await create_catalog_entry(ctx, SYSTEM, sample_entry_document())
    users: dict[str, int] = {}
    for role in Role:
        if role == Role.platform_admin:
            continue
        user = await tenancy.create_user(tenant.id, SYSTEM, f"{role.value}", role.label, PASSWORD)
        agency_id = agency_ids[0] if role in (Role.clerk, Role.agency_reviewer) else None
        await tenancy.grant_role(tenant.id, SYSTEM, user.id, role, agency_id=agency_id)
        users[role.value] = user.id
    return TenantFixture(
        ctx=ctx,
        city_division_id=city.id,
        county_division_id=county.id,
        agency_ids=agency_ids,
        entry_id=entry.id,
        users=users,
    )


#: The place elements a claimed sample item still lacks before it can be submitted.
SAMPLE_PLACE = {
    "agency_name": "样例市场监督管理局",
    "process": [{"name": "受理"}, {"name": "审查"}, {"name": "决定"}],
    "locations": [{"name": "样例市政务服务中心", "address": "样例路1号"}],
    "consultation": [{"kind": "phone", "value": "0000-1234567"}],
    "complaints": [{"kind": "phone", "value": "12345"}],
    "result": {"name": "许可证", "type": "licence"},
}


async def submitted_claim(t: TenantFixture):
    """The first agency's clerk claims the sample entry, fills it in and submits it.

    Returns (item, change request).
    """
    from qingdan.core.catalog.services import get_item
    from qingdan.core.catalog.validation import dump_document
    from qingdan.core.hooktypes import ChangeKind
    from qingdan.core.workflow import services as wf

    clerk = await tenancy.load_principal(t.users["clerk"])
    item = await wf.claim(t.ctx, clerk, t.entry_id, t.agency_ids[0])
    detail = await get_item(t.ctx, item.id)
    doc = dump_document(detail.draft) | SAMPLE_PLACE
    await wf.edit_draft(t.ctx, clerk, item.id, doc, detail.item["lock_version"])
    cr = await wf.submit(t.ctx, clerk, item.id, ChangeKind.claim, "认领上级下发事项")
    return item, cr


__all__ = [
    "PASSWORD",
    "SAMPLE_PLACE",
    "SYSTEM",
    "Agency",
    "CatalogEntry",
    "CheckItem",
    "ConformanceReport",
    "TenantFixture",
    "assert_conforms",
    "build_tenant",
    "check_plugin",
    "registry_with_sample",
    "sample_entry_document",
    "submitted_claim",
    "use_sample_plugin",
]
