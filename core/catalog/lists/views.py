"""各类清单 as views of the catalog: every list is read off published element documents.

A jurisdiction's reform programme (and the national rule behind it) asks that the
lists a government keeps (行政许可, 容缺受理, 告知承诺, 中介服务, 特殊环节, 进驻事项
负面清单) agree with the catalog on every item's name and type. Rather than
keeping the lists as tables of their own, which could drift, each list is
*computed* from the published version of every item the public may see: an
item is on the 告知承诺 list because its published elements say 实行告知承诺制,
and leaves it the moment a version saying otherwise is published. A draft is
never opened.

Rows are a pure function of an immutable published version, so they are kept
in memory per version id; each request still asks the database which version
of which item is published now.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from qingdan.core.catalog.elements import ElementDocument, Material, TimeLimit
from qingdan.core.catalog.tables import Item, ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import ItemStatus, ItemType, Necessity
from qingdan.core.errors import NotFound
from qingdan.core.hooktypes import CatalogListKind, CatalogListSpec
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.tables import Agency

#: The items a list shows: those the public sees (a suspended item stays on its
#: lists, marked 暂停, as it stays on the portal).
LISTED_STATUSES = (ItemStatus.published.value, ItemStatus.suspended.value)
CHUNK = 500
_CACHE_LIMIT = 100_000

# Column keys every row has; the rest depend on the list.
ITEM = "item"
IMPL_CODE = "impl_code"
AGENCY = "agency"

#: (key, Chinese heading, width in characters for the xlsx) per list, in order.
COLUMNS: dict[CatalogListKind, tuple[tuple[str, str, int], ...]] = {
    CatalogListKind.licensing: (
        (ITEM, "事项名称", 28),
        ("base_code", "基本编码", 14),
        (IMPL_CODE, "实施编码", 30),
        (AGENCY, "实施机构", 24),
        ("levels", "行使层级", 16),
        ("legal_basis", "设定依据", 40),
        ("statutory_limit", "法定办结时限", 14),
        ("promised_limit", "承诺办结时限", 14),
        ("commitment", "是否实行告知承诺制", 10),
    ),
    CatalogListKind.deferrable: (
        (ITEM, "事项名称", 28),
        (IMPL_CODE, "实施编码", 30),
        (AGENCY, "实施机构", 24),
        ("item_type", "事项类型", 10),
        ("main_materials", "主要申请材料", 40),
        ("deferrable_materials", "可容缺受理的材料", 40),
    ),
    CatalogListKind.commitment: (
        (ITEM, "事项名称", 28),
        (IMPL_CODE, "实施编码", 30),
        (AGENCY, "实施机构", 24),
        ("item_type", "事项类型", 10),
        ("commitment_content", "承诺内容", 48),
        ("commitment_liability", "违反承诺的法律责任", 48),
    ),
    CatalogListKind.intermediary: (
        ("service", "中介服务名称", 28),
        (ITEM, "所属事项", 28),
        (IMPL_CODE, "实施编码", 30),
        (AGENCY, "实施机构", 24),
        ("basis", "设定依据", 36),
        ("provider", "中介服务机构", 24),
        ("charged", "是否收费", 8),
        ("fee_standard", "收费标准", 24),
        ("time_limit", "服务时限", 14),
    ),
    CatalogListKind.special_steps: (
        ("step", "特殊环节名称", 20),
        (ITEM, "所属事项", 28),
        (IMPL_CODE, "实施编码", 30),
        (AGENCY, "实施机构", 24),
        ("time_limit", "时限", 18),
        ("counted", "是否计入办理时限", 10),
        ("basis", "设定依据", 36),
    ),
    CatalogListKind.hall_exclusions: (
        (ITEM, "事项名称", 28),
        (IMPL_CODE, "实施编码", 30),
        (AGENCY, "实施机构", 24),
        ("item_type", "事项类型", 10),
        ("reason", "不进驻原因", 36),
    ),
}

#: What a list with no rows says.
EMPTY_TEXT = "未填写"


@dataclass(frozen=True)
class ListRow:
    item_id: int
    suspended: bool
    cells: tuple[str, ...]  # in the order of the list's columns


@dataclass(frozen=True)
class CatalogList:
    """One list as of now: its definition, its headings and its rows."""

    kind: CatalogListKind
    title: str
    public: bool
    basis: str
    headings: tuple[str, ...]
    widths: tuple[int, ...]
    rows: tuple[ListRow, ...]
    items: int  # distinct items on the list
    generated_at: datetime


# Element values as text -------------------------------------------------------------------


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _limit(limit: TimeLimit) -> str:
    from qingdan.core.publishing.guides import time_limit_text

    return "" if limit == TimeLimit() else time_limit_text(limit)


def item_title(doc: ElementDocument) -> str:
    """The item as lists name it: its name, and the handling item where there is one."""
    if doc.handling_item_name and doc.handling_item_name != doc.name:
        return f"{doc.name}({doc.handling_item_name})"
    return doc.name


def _numbered(lines: Iterable[str]) -> str:
    lines = [line for line in lines if line]
    if len(lines) == 1:
        return lines[0]
    return "\n".join(f"{n}.{line}" for n, line in enumerate(lines, 1))


def _deferrable(m: Material) -> str:
    if m.deferral_days:
        return f"{m.name}(补交时限:{m.deferral_days}个工作日)"
    return m.name


def _law(doc: ElementDocument) -> str:
    return _numbered(
        "".join(
            [
                b.law_name if b.law_name.startswith("《") else f"《{b.law_name}》",
                f"({b.document_number})" if b.document_number else "",
                b.article,
            ]
        )
        for b in doc.legal_basis
    )


# One version's rows, per list ---------------------------------------------------------------

Rows = list[dict[str, str]]


def _base(doc: ElementDocument) -> dict[str, str]:
    return {ITEM: item_title(doc), IMPL_CODE: doc.impl_code, AGENCY: doc.agency_name}


def _licensing(doc: ElementDocument) -> Rows:
    if doc.item_type != ItemType.licensing:
        return []
    return [
        _base(doc)
        | {
            "base_code": doc.base_code,
            "levels": "、".join(lv.label for lv in doc.levels),
            "legal_basis": _law(doc),
            "statutory_limit": _limit(doc.statutory_limit),
            "promised_limit": _limit(doc.promised_limit),
            "commitment": _yes(doc.commitment),
        }
    ]


def _deferrable_rows(doc: ElementDocument) -> Rows:
    deferrable = [m for m in doc.materials if m.necessity == Necessity.deferrable]
    if not deferrable:
        return []
    main = [m.name for m in doc.materials if m.necessity == Necessity.required]
    return [
        _base(doc)
        | {
            "item_type": doc.item_type.label,
            "main_materials": _numbered(main),
            "deferrable_materials": _numbered(_deferrable(m) for m in deferrable),
        }
    ]


def _commitment(doc: ElementDocument) -> Rows:
    if not doc.commitment:
        return []
    return [
        _base(doc)
        | {
            "item_type": doc.item_type.label,
            "commitment_content": doc.commitment_content.strip() or EMPTY_TEXT,
            "commitment_liability": doc.commitment_liability.strip() or EMPTY_TEXT,
        }
    ]


def _intermediary(doc: ElementDocument) -> Rows:
    return [
        _base(doc)
        | {
            "service": s.name,
            "basis": s.basis,
            "provider": s.provider,
            "charged": _yes(s.charged),
            "fee_standard": s.fee_standard,
            "time_limit": _limit(s.time_limit),
        }
        for s in doc.intermediary_services
    ]


def _special_steps(doc: ElementDocument) -> Rows:
    return [
        _base(doc)
        | {
            "step": s.name,
            "time_limit": _limit(s.time_limit) or EMPTY_TEXT,
            "counted": _yes(s.counted_in_limit),
            "basis": s.basis,
        }
        for s in doc.special_steps
    ]


def _hall_exclusions(doc: ElementDocument) -> Rows:
    if doc.in_hall:
        return []
    return [
        _base(doc)
        | {
            "item_type": doc.item_type.label,
            "reason": doc.hall_exclusion_reason.strip() or EMPTY_TEXT,
        }
    ]


#: Which rows an element document puts on each list: the whole rule of each list.
RULES: dict[CatalogListKind, Callable[[ElementDocument], Rows]] = {
    CatalogListKind.licensing: _licensing,
    CatalogListKind.deferrable: _deferrable_rows,
    CatalogListKind.commitment: _commitment,
    CatalogListKind.intermediary: _intermediary,
    CatalogListKind.special_steps: _special_steps,
    CatalogListKind.hall_exclusions: _hall_exclusions,
}


def rows_of(doc: ElementDocument) -> dict[CatalogListKind, Rows]:
    """Every list's rows for one element document (lists it is not on are left out)."""
    out = {}
    for kind, rule in RULES.items():
        rows = rule(doc)
        if rows:
            out[kind] = rows
    return out


# Reading the published catalog ---------------------------------------------------------------

# version id → that version's rows per list (a published version never changes)
_ROWS: dict[int, dict[CatalogListKind, Rows]] = {}


def _remember(version_id: int, rows: dict[CatalogListKind, Rows]) -> None:
    if len(_ROWS) >= _CACHE_LIMIT:
        _ROWS.clear()
    _ROWS[version_id] = rows


async def _load(ctx: TenantContext, versions: set[int]) -> None:
    missing = sorted(versions - _ROWS.keys())
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start : start + CHUNK]
        found = (
            await ctx.scope.select(ItemVersion, ItemVersion.id, ItemVersion.document)
            .where(ItemVersion.id.is_in(chunk) & ItemVersion.published_at.is_not_null())
            .output(load_json=True)
        )
        for r in found:
            _remember(r["id"], rows_of(validate_document(r["document"])))


def list_specs(ctx: TenantContext, *, public_only: bool = False) -> list[CatalogListSpec]:
    """The lists the tenant keeps (its plugin's choice), or only its public ones."""
    specs = ctx.plugin.catalog_lists(ctx.settings)
    return [s for s in specs if s.public or not public_only]


def spec_for(ctx: TenantContext, kind: str, *, public_only: bool = False) -> CatalogListSpec:
    """One list's definition; NotFound if the tenant does not keep it (or, for the
    public, does not publish it)."""
    for spec in list_specs(ctx, public_only=public_only):
        if spec.kind.value == kind:
            return spec
    raise NotFound("清单")


def title_of(spec: CatalogListSpec) -> str:
    return spec.title or spec.kind.label


@dataclass(frozen=True)
class Snapshot:
    """The items published now (id, version, status, agency) and the agencies' names."""

    live: list[dict]
    agencies: dict[int, str]


async def snapshot(ctx: TenantContext) -> Snapshot:
    live = await ctx.scope.select(
        Item, Item.id, Item.published_version, Item.status, Item.agency
    ).where(Item.published_version.is_not_null() & Item.status.is_in(list(LISTED_STATUSES)))
    await _load(ctx, {r["published_version"] for r in live})
    agencies = {r["id"]: r["name"] for r in await ctx.scope.select(Agency, Agency.id, Agency.name)}
    return Snapshot(live=live, agencies=agencies)


async def build_list(
    ctx: TenantContext, spec: CatalogListSpec, q: str = "", now: Snapshot | None = None
) -> CatalogList:
    """The list ``spec`` names, from the items published now; ``q`` keeps rows whose
    item name (or, for the per-service lists, the service or step) holds every word."""
    now = now or await snapshot(ctx)
    live, agencies = now.live, now.agencies
    columns = COLUMNS[spec.kind]
    keys = [key for key, _, _ in columns]
    words = q.split()
    found: list[tuple[tuple, ListRow]] = []
    for r in live:
        for position, row in enumerate(_ROWS.get(r["published_version"], {}).get(spec.kind, [])):
            row = row | {AGENCY: row[AGENCY] or agencies.get(r["agency"], "")}
            searched = " ".join(row.get(k, "") for k in (ITEM, "service", "step"))
            if not all(w in searched for w in words):
                continue
            cells = tuple(row.get(k, "") for k in keys)
            # By agency and item; an item's services and steps in the order it lists them.
            order = (row[AGENCY], row[ITEM], row[IMPL_CODE], r["id"], position)
            found.append(
                (
                    order,
                    ListRow(
                        item_id=r["id"],
                        suspended=r["status"] == ItemStatus.suspended.value,
                        cells=cells,
                    ),
                )
            )
    found.sort(key=lambda pair: pair[0])
    rows = tuple(row for _, row in found)
    return CatalogList(
        kind=spec.kind,
        title=title_of(spec),
        public=spec.public,
        basis=spec.basis,
        headings=tuple(title for _, title, _ in columns),
        widths=tuple(width for _, _, width in columns),
        rows=rows,
        items=len({row.item_id for row in rows}),
        generated_at=datetime.now(UTC),
    )


async def all_lists(ctx: TenantContext, *, public_only: bool = False) -> list[CatalogList]:
    """Every list the tenant keeps (or publishes), read from one look at the catalog."""
    now = await snapshot(ctx)
    return [
        await build_list(ctx, spec, now=now) for spec in list_specs(ctx, public_only=public_only)
    ]
