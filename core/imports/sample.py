"""Release files the platform writes: the sample release (from the demo's national
catalog) and a tenant's own catalog in the release format.

``qingdan catalog sample --format xlsx|json`` writes the sample; it imports
cleanly into any tenant (tests/integration/test_catalog_import.py), so it is
both the format's reference and a starting point to fill in. A tenant's
catalog exported the same way can be edited in Excel and imported again as a
release: what changed comes back as changes, under the same rules.
"""

from __future__ import annotations

from datetime import date

from qingdan.core.catalog.tables import CatalogEntry, CatalogEntryVersion
from qingdan.core.catalog.vocab import ItemStatus
from qingdan.core.demo.catalog import PLACE_ELEMENTS, load_national_catalog
from qingdan.core.errors import DomainError
from qingdan.core.imports import tasks
from qingdan.core.imports.release_format import (
    SOURCES,
    ExportEntry,
    ReleaseMeta,
    write_json,
    write_xlsx,
)
from qingdan.core.tenancy.context import TenantContext

FORMATS = ("xlsx", "json")

#: The line department (主管部门) of each sector of the demo catalog, written the
#: way agencies are named, so the sample's new entries find their agencies.
DEPARTMENTS: dict[str, str] = {
    "market": "市场监督管理局",
    "health": "卫生健康委员会",
    "transport": "交通运输厅",
    "housing": "住房和城乡建设厅",
    "natural_resources": "自然资源厅",
    "ecology": "生态环境厅",
    "education": "教育厅",
    "civil_affairs": "民政厅",
    "human_resources": "人力资源和社会保障厅",
    "public_security": "公安厅",
    "culture_tourism": "文化和旅游厅",
    "agriculture": "农业农村厅",
    "water": "水利厅",
    "emergency": "应急管理厅",
    "commerce": "商务厅",
    "medical_security": "医疗保障局",
    "forestry": "林业和草原局",
    "justice": "司法厅",
    "veterans": "退役军人事务厅",
    "development_reform": "发展和改革委员会",
}


def _write(meta: ReleaseMeta, entries: list[ExportEntry], fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise DomainError(f"格式应为 xlsx 或 json,而不是“{fmt}”", "format")
    return write_xlsx(meta, entries) if fmt == "xlsx" else write_json(meta, entries)


def sample_release(fmt: str = "xlsx") -> tuple[bytes, str]:
    """The demo's national catalog as a provincial release (增量), with file name."""
    meta = ReleaseMeta(
        source="provincial",
        mode="increment",
        title="政务服务事项基本目录(样例)",
        document_number="样例〔2026〕1号",
        issued_on=date(2026, 11, 1),
    )
    entries = [
        ExportEntry(
            base_code=e.base_code,
            elements={k: v for k, v in e.elements.items() if k not in PLACE_ELEMENTS},
            department=DEPARTMENTS.get(e.sector, ""),
        )
        for e in load_national_catalog()
    ]
    return _write(meta, entries, fmt), f"基本目录样例.{fmt}"


async def export_catalog(
    ctx: TenantContext, fmt: str = "xlsx", source: str = "provincial"
) -> tuple[bytes, str]:
    """The tenant's entries in use from ``source``, as a full release to edit and re-import."""
    if source not in SOURCES:
        raise DomainError("来源应为 national(国家)或 provincial(省级)", "source")
    rows = await (
        ctx.scope.select(CatalogEntry, CatalogEntry.base_code, CatalogEntry.current_version)
        .where(
            (CatalogEntry.source == source)
            & (CatalogEntry.status == ItemStatus.published.value)
            & CatalogEntry.current_version.is_not_null()
        )
        .order_by(CatalogEntry.base_code)
    )
    documents: dict[int, dict] = {}
    for part in tasks.chunks([r["current_version"] for r in rows]):
        for v in (
            await ctx.scope.select(
                CatalogEntryVersion, CatalogEntryVersion.id, CatalogEntryVersion.document
            )
            .where(CatalogEntryVersion.id.is_in(part))
            .output(load_json=True)
        ):
            documents[v["id"]] = v["document"]
    entries = [
        ExportEntry(base_code=r["base_code"], elements=documents[r["current_version"]])
        for r in rows
    ]
    meta = ReleaseMeta(
        source=source,
        mode="full",
        title=f"{ctx.name}基本目录({SOURCES[source]},导出)",
        issued_on=date.today(),
    )
    return _write(meta, entries, fmt), f"{ctx.slug}-基本目录-{SOURCES[source]}.{fmt}"
