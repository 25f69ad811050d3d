"""``qingdan demo``: one tenant per installed plugin that has demo data.

The plugin supplies its divisions, agencies and halls; core adds the
national catalog (core/demo/data/catalog.json), an item for each entry an
agency's sectors cover at its level, and a demo user for every role. Loading
is idempotent: a tenant whose slug exists is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qingdan.core.audit.services import Actor
from qingdan.core.catalog.codes import USCC, DivisionCode
from qingdan.core.catalog.services import create_catalog_entry, create_item, publish_draft
from qingdan.core.catalog.vocab import ItemType, Level
from qingdan.core.db import atomic
from qingdan.core.demo.catalog import DemoEntry, entry_document, load_national_catalog
from qingdan.core.hooktypes import DemoDataset, DemoHall
from qingdan.core.plugins import Plugin, Registry
from qingdan.core.tenancy import services as tenancy
from qingdan.core.tenancy.context import TenantContext, load_context
from qingdan.core.tenancy.schemas import Role
from qingdan.core.tenancy.tables import Tenant, User

DEMO_PASSWORD = "qingdan-demo"
LOADER = Actor.system("演示数据")

#: Demo accounts of every tenant: username, display name, role, acts for the first agency.
DEMO_USERS: tuple[tuple[str, str, Role, bool], ...] = (
    ("admin", "租户管理员", Role.tenant_admin, False),
    ("reform", "审改机构审核人", Role.reform_office, False),
    ("legal", "司法行政审核人", Role.legal_reviewer, False),
    ("data", "大数据中心", Role.data_center, False),
    ("hall", "政务服务中心", Role.service_center, False),
    ("clerk", "信息员", Role.clerk, True),
    ("reviewer", "审核员", Role.agency_reviewer, True),
)

_LEVEL_OF_DIVISION = {
    "city": Level.municipal,
    "county": Level.county,
    "township": Level.township,
    "village": Level.village,
}


@dataclass
class DemoSummary:
    slug: str
    name: str
    created: bool
    agencies: int = 0
    entries: int = 0
    items: int = 0
    bundles: int = 0  # 一件事一次办 set up from the plugin's demo data
    users: list[str] = field(default_factory=list)


def _hall_for(dataset: DemoDataset, division_code: str) -> DemoHall | None:
    halls = {h.division_code: h for h in dataset.halls}
    code = DivisionCode.parse(division_code)
    # The agency's own division's hall, else the nearest one above it.
    for n in (12, 9, 6, 4, 2):
        candidate = code.value[:n].ljust(12, "0")
        if candidate in halls:
            return halls[candidate]
    return dataset.halls[0] if dataset.halls else None


def _place_elements(
    dataset: DemoDataset, entry: DemoEntry, agency_name: str, division_code: str
) -> dict:
    hall = _hall_for(dataset, division_code)
    place: dict = {}
    if hall is not None:
        place["locations"] = [
            {
                "name": f"{hall.name}{agency_name}窗口",
                "address": hall.address,
                "hours": hall.hours,
                "phone": hall.phone,
            }
        ]
        place["consultation"] = [
            {"kind": "phone", "value": hall.phone or "12345"},
            {"kind": "address", "value": f"{hall.name}咨询服务台"},
        ]
        place["complaints"] = [
            {"kind": "phone", "value": hall.complaint_phone},
            {"kind": "address", "value": f"{hall.name}投诉受理窗口"},
        ]
    channels = entry.elements.get("channels") or []
    if dataset.online_portal and any(c.startswith("online") for c in channels):
        place["online_url"] = dataset.online_portal
    themes = dataset.themes_by_sector.get(entry.sector)
    if themes:
        place["themes"] = list(themes)
    return place


async def load_tenant(plugin: Plugin, entries: list[DemoEntry]) -> DemoSummary:
    dataset = plugin.demo_dataset()
    jurisdiction = plugin.jurisdiction
    summary = DemoSummary(slug=jurisdiction.slug, name=jurisdiction.name, created=False)
    if dataset is None or await Tenant.exists().where(Tenant.slug == jurisdiction.slug):
        return summary
    summary.created = True
    async with atomic():
        tenant = await tenancy.create_tenant(
            LOADER, jurisdiction.slug, jurisdiction.name, plugin.name
        )
        ctx = await load_context(tenant_id=tenant.id)
        division_ids = await _load_divisions(ctx, dataset, jurisdiction.division_code)
        agencies = await _load_agencies(ctx, dataset, division_ids)
        summary.agencies = len(agencies)
        summary.entries, summary.items = await _load_items(ctx, dataset, entries, agencies)
        from qingdan.core.bundles.demo import seed_bundles

        summary.bundles = await seed_bundles(ctx, dataset, LOADER)
        summary.users = await _load_users(ctx, agencies)
        # The portal's search index of the published demo items.
        from qingdan.core.publishing.search import reindex_tenant

        await reindex_tenant(ctx)
    return summary


async def _load_divisions(
    ctx: TenantContext, dataset: DemoDataset, root_code: str
) -> dict[str, int]:
    ids = {d["code"]: d["id"] for d in await tenancy.list_divisions(ctx.scope)}
    pending = [d for d in dataset.divisions if d.code not in ids]
    # Parents first, whatever order the plugin listed them in.
    pending.sort(key=lambda d: d.code.rstrip("0").__len__())
    for d in pending:
        parent = d.parent_code or root_code
        division = await tenancy.add_division(ctx.scope, LOADER, d.code, d.name, parent)
        ids[division.code] = division.id
    return ids


async def _load_agencies(
    ctx: TenantContext, dataset: DemoDataset, division_ids: dict[str, int]
) -> list[dict]:
    created: list[dict] = []
    by_name: dict[str, int] = {}
    for a in dataset.agencies:
        code = DivisionCode.parse(a.division_code)
        uscc = USCC.compose("1", "1", code.value[:6], a.org_code)
        agency = await tenancy.add_agency(
            ctx.scope,
            LOADER,
            a.name,
            uscc.value,
            division_ids[code.value],
            nature=a.nature,
            parent_id=by_name.get(a.parent) if a.parent else None,
        )
        by_name[a.name] = agency.id
        created.append(
            {
                "id": agency.id,
                "name": a.name,
                "sectors": a.sectors,
                "division_code": code.value,
                "level": _LEVEL_OF_DIVISION.get(code.level, Level.municipal),
            }
        )
    return created


async def _load_items(
    ctx: TenantContext, dataset: DemoDataset, entries: list[DemoEntry], agencies: list[dict]
) -> tuple[int, int]:
    allowed_types = set(ctx.plugin.item_types(ctx.settings))
    covered_levels = set(ctx.plugin.jurisdiction.levels)
    sectors = {s for a in agencies for s in a["sectors"]}
    entry_ids: dict[str, int] = {}
    for entry in entries:
        if entry.sector not in sectors:
            continue
        if ItemType(entry.elements["item_type"]) not in allowed_types:
            continue
        if not covered_levels.intersection(Level(lv) for lv in entry.levels):
            continue
        doc = entry_document(entry)
        created = await create_catalog_entry(ctx, LOADER, doc, source="provincial")
        entry_ids[entry.base_code] = created.id
    items = 0
    for agency in agencies:
        for entry in entries:
            if entry.base_code not in entry_ids or entry.sector not in agency["sectors"]:
                continue
            if agency["level"].value not in entry.levels:
                continue
            doc = entry_document(
                entry, **_place_elements(dataset, entry, agency["name"], agency["division_code"])
            )
            item = await create_item(
                ctx, LOADER, entry_id=entry_ids[entry.base_code], agency_id=agency["id"],
                document=doc,
            )
            await publish_draft(ctx, LOADER, item.id)
            items += 1
    return len(entry_ids), items


async def _load_users(ctx: TenantContext, agencies: list[dict]) -> list[str]:
    names = []
    first_agency = agencies[0]["id"] if agencies else None
    for username, display, role, for_agency in DEMO_USERS:
        if await User.exists().where((User.tenant == ctx.tenant_id) & (User.username == username)):
            continue
        user = await tenancy.create_user(ctx.tenant_id, LOADER, username, display, DEMO_PASSWORD)
        await tenancy.grant_role(
            ctx.tenant_id, LOADER, user.id, role,
            agency_id=first_agency if for_agency else None,
        )
        names.append(username)
    return names


async def ensure_platform_admin() -> bool:
    if await User.exists().where(User.tenant.is_null() & (User.username == "platform")):
        return False
    user = await tenancy.create_user(None, LOADER, "platform", "平台管理员", DEMO_PASSWORD)
    await tenancy.grant_role(None, LOADER, user.id, Role.platform_admin)
    return True


async def load_demo(registry: Registry) -> list[DemoSummary]:
    entries = load_national_catalog()
    summaries = [
        await load_tenant(plugin, entries)
        for plugin in registry
        if plugin.demo_dataset() is not None
    ]
    await ensure_platform_admin()
    return summaries
