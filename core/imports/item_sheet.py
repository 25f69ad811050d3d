"""Bulk editing an agency's items in Excel: download, edit, upload.

The workbook has one row per item on the 事项 sheet (the elements a clerk
keeps current, one column each) and one row per material on the 申请材料
sheet. Each item row carries the item's id and its 版本号 (lock version) at
download: an upload whose item has changed since is refused for that row, as
the editor refuses a save based on an older state.

An upload is checked row by row (every error, with row and column heading, in
Chinese); only a file without errors is applied, in one transaction, as new
draft versions of the items that changed, through the editor's own save
(``edit_draft``: audited with each element's before and after, approvals of a
request under way no longer hold). Codes, name and agency are not editable here.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec

from qingdan.core.audit.services import Actor, record
from qingdan.core.catalog.tables import Item, ItemVersion
from qingdan.core.catalog.validation import validate_document
from qingdan.core.catalog.vocab import (
    Audience,
    CaseType,
    Channel,
    CrossArea,
    ItemStatus,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    MaterialType,
    Necessity,
    OnlineDepth,
    Vocab,
)
from qingdan.core.db import atomic
from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.imports import cells
from qingdan.core.imports.release_format import check_elements
from qingdan.core.imports.releases import file_hash, find_batch, stored_form
from qingdan.core.imports.report import Collector, ImportRefused
from qingdan.core.imports.tables import ImportBatch
from qingdan.core.imports.tasks import chunks
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.tenancy.tables import Agency
from qingdan.core.workflow.permissions import division_codes, holds

ITEMS = "items"
ITEM_SHEET = "事项"
MATERIAL_SHEET = "申请材料"
GUIDE_SHEET = "填写说明"
ID, CODE, NAME, VERSION = "事项ID", "实施编码", "事项名称", "版本号"
SEQ = "序号"
AUTHOR_ROLES = (Role.clerk.value, Role.agency_reviewer.value)


class Field(msgspec.Struct, frozen=True):
    """One editable column: where its value lives in the document and how it reads."""

    heading: str
    path: tuple[str, ...]  # ("statutory_limit", "value")
    kind: str  # text / int / bool / choice / choices / lines
    vocab: type[Vocab] | None = None
    maximum: int = 3650
    width: int = 16


ITEM_FIELDS: tuple[Field, ...] = (
    Field("业务办理项名称", ("handling_item_name",), "text", width=24),
    Field("受理条件", ("acceptance_conditions",), "text", width=48),
    Field("禁止性要求", ("prohibitions",), "text", width=30),
    Field("法定办结时限", ("statutory_limit", "value"), "int"),
    Field("法定时限单位", ("statutory_limit", "unit"), "choice", LimitUnit),
    Field("承诺办结时限", ("promised_limit", "value"), "int"),
    Field("承诺时限单位", ("promised_limit", "unit"), "choice", LimitUnit),
    Field("办件类型", ("case_type",), "choice", CaseType),
    Field("办理形式", ("channels",), "choices", Channel, width=30),
    Field("到办事现场次数", ("visits",), "int", maximum=10),
    Field("必须现场办理原因", ("visits_reason",), "text", width=30),
    Field("网上办理深度", ("online_depth",), "choice", OnlineDepth, width=18),
    Field("网上办理地址", ("online_url",), "text", width=30),
    Field("移动端办理地址", ("mobile_url",), "text", width=30),
    Field("是否进驻政务大厅", ("in_hall",), "bool"),
    Field("是否支持预约办理", ("appointment",), "bool"),
    Field("是否支持物流快递", ("courier",), "bool"),
    Field("是否支持网上支付", ("online_payment",), "bool"),
    Field("是否支持自助终端办理", ("kiosk",), "bool"),
    Field("通办范围", ("cross_area",), "choice", CrossArea),
    Field("是否实行告知承诺制", ("commitment",), "bool"),
    Field("是否收费", ("charged",), "bool"),
    Field("服务对象", ("audience",), "choices", Audience, width=24),
    Field("关键词", ("keywords",), "lines", width=20),
    Field("法律救济", ("legal_remedy",), "text", width=30),
)
MATERIAL_FIELDS: tuple[Field, ...] = (
    Field("材料名称", ("name",), "text", width=36),
    Field("材料类型", ("type",), "choice", MaterialType),
    Field("材料形式", ("form",), "choice", MaterialForm),
    Field("必要性", ("necessity",), "choice", Necessity),
    Field("来源渠道", ("source",), "choice", MaterialSource),
    Field("份数", ("copies",), "int", maximum=100, width=8),
    Field("纸质规格", ("paper_size",), "text", width=10),
    Field("设定依据", ("basis",), "text", width=30),
    Field("填报须知", ("notes",), "text", width=30),
)
#: Where a document error is shown: the column of its element.
ELEMENT_HEADINGS = {f.path[0]: f.heading for f in ITEM_FIELDS if len(f.path) == 1} | {
    "statutory_limit": "法定办结时限",
    "promised_limit": "承诺办结时限",
    "materials": MATERIAL_SHEET,
}
#: What an empty cell means for a field that cannot be empty.
EMPTY = {
    "unit": LimitUnit.working_day.value,
    "cross_area": CrossArea.none.value,
    "type": MaterialType.original.value,
    "form": MaterialForm.either.value,
    "necessity": Necessity.required.value,
    "copies": 1,
}


# Reading and writing one value --------------------------------------------------------------


def _cell_value(field: Field, value: Any) -> Any:
    if field.kind == "int":
        return value if value is not None else ""
    if field.kind == "bool":
        return cells.yes_no(value)
    if field.kind == "choice":
        return cells.label_of(field.vocab, value)
    if field.kind == "choices":
        return cells.labels_of(field.vocab, value)
    if field.kind == "lines":
        return "\n".join(value or [])
    return value or ""


def _read(field: Field, cell: Any) -> Any:
    """The element value of ``cell``; an empty cell empties the element."""
    if field.kind == "int":
        number = cells.integer(cell, 0, field.maximum)
        return EMPTY.get(field.path[-1], 0) if number is None else number
    if field.kind == "bool":
        return bool(cells.boolean(cell))
    if field.kind == "choice":
        return cells.choice(cell, field.vocab) or EMPTY.get(field.path[-1])
    if field.kind == "choices":
        return cells.choice_list(cell, field.vocab)
    if field.kind == "lines":
        return cells.lines(cell)
    return cells.text(cell)


def _get(doc: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = doc
    for key in path:
        value = (value or {}).get(key)
    return value


def _set(doc: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        doc = doc.setdefault(key, {})
    doc[path[-1]] = value


# Who may edit which items --------------------------------------------------------------------


async def editable_agencies(ctx: TenantContext, principal: Principal) -> list[dict[str, Any]]:
    """The agencies whose items the principal edits (as their clerk or reviewer)."""
    ids = sorted(principal.agency_ids(Role.clerk, Role.agency_reviewer))
    if not ids or principal.tenant_id != ctx.tenant_id:
        return []
    return await (
        ctx.scope.select(Agency, Agency.id, Agency.name)
        .where(Agency.id.is_in(ids))
        .order_by(Agency.name)
    )


async def _may_edit(ctx: TenantContext, principal: Principal) -> Callable[[dict], bool]:
    codes = await division_codes(ctx)

    def may(item: dict[str, Any]) -> bool:
        code = codes.get(item["division"], "")
        return any(holds(principal, r, item["agency"], code, codes) for r in AUTHOR_ROLES)

    return may


async def _documents(ctx: TenantContext, items: list[dict]) -> dict[int, dict[str, Any]]:
    """``{item id: its current elements}`` (the draft if any, else the published)."""
    wanted = {
        (i["draft_version"] or i["published_version"]): i["id"]
        for i in items
        if i["draft_version"] or i["published_version"]
    }
    docs: dict[int, dict[str, Any]] = {}
    for part in chunks(list(wanted)):
        rows = (
            await ctx.scope.select(ItemVersion, ItemVersion.id, ItemVersion.document)
            .where(ItemVersion.id.is_in(part))
            .output(load_json=True)
        )
        for row in rows:
            docs[wanted[row["id"]]] = row["document"]
    return docs


_ITEM_COLUMNS = (
    Item.id,
    Item.impl_code,
    Item.name,
    Item.agency,
    Item.division,
    Item.status,
    Item.lock_version,
    Item.draft_version,
    Item.published_version,
)


# Download -----------------------------------------------------------------------------------------


async def export_items(
    ctx: TenantContext, principal: Principal, agency_id: int
) -> tuple[bytes, str]:
    """The agency's items (cancelled ones left out) as a workbook to edit and upload."""
    agency = await ctx.scope.get(Agency, agency_id, "实施机构")
    items = await (
        ctx.scope.select(Item, *_ITEM_COLUMNS)
        .where((Item.agency == agency.id) & (Item.status != ItemStatus.cancelled.value))
        .order_by(Item.impl_code)
    )
    may = await _may_edit(ctx, principal)
    if not may({"agency": agency.id, "division": agency.division}):
        raise PermissionDenied("只有本实施机构的信息员或审核员可以批量编辑事项")
    docs = await _documents(ctx, items)
    data = _workbook(items, docs)
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    return data, f"{agency.name}-事项批量编辑-{stamp}.xlsx"


def _workbook(items: list[dict], docs: dict[int, dict]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = ITEM_SHEET
    fixed = [(ID, 10), (CODE, 34), (NAME, 30), (VERSION, 8)]
    headings = [h for h, _ in fixed] + [f.heading for f in ITEM_FIELDS]
    sheet.append(headings)
    grey = PatternFill("solid", fgColor="DDDDDD")
    wrap = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, (_, width) in enumerate(fixed, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width
        sheet.cell(row=1, column=n).fill = grey
    for n, field in enumerate(ITEM_FIELDS, start=len(fixed) + 1):
        sheet.column_dimensions[get_column_letter(n)].width = field.width
    for item in items:
        doc = docs.get(item["id"], {})
        sheet.append(
            [item["id"], item["impl_code"], item["name"], item["lock_version"]]
            + [_cell_value(f, _get(doc, f.path)) for f in ITEM_FIELDS]
        )
    for row in sheet.iter_rows(min_row=2):
        for cell in row[: len(fixed)]:
            cell.fill = grey
        for cell in row[len(fixed) :]:
            cell.alignment = wrap
    _dropdowns(sheet, ITEM_FIELDS, len(fixed), len(items) + 200, DataValidation)
    sheet.freeze_panes = "E2"

    materials = book.create_sheet(MATERIAL_SHEET)
    mfixed = [(ID, 10), (CODE, 34), (NAME, 30), (SEQ, 6)]
    materials.append([h for h, _ in mfixed] + [f.heading for f in MATERIAL_FIELDS])
    for cell in materials[1]:
        cell.font = Font(bold=True)
    for n, (_, width) in enumerate(mfixed, start=1):
        materials.column_dimensions[get_column_letter(n)].width = width
    for n, field in enumerate(MATERIAL_FIELDS, start=len(mfixed) + 1):
        materials.column_dimensions[get_column_letter(n)].width = field.width
    count = 0
    for item in items:
        for seq, material in enumerate(docs.get(item["id"], {}).get("materials") or [], 1):
            materials.append(
                [item["id"], item["impl_code"], item["name"], seq]
                + [_cell_value(f, _get(material, f.path)) for f in MATERIAL_FIELDS]
            )
            count += 1
    _dropdowns(materials, MATERIAL_FIELDS, len(mfixed), count + 500, DataValidation)
    materials.freeze_panes = "E2"

    guide = book.create_sheet(GUIDE_SHEET)
    for line in GUIDE_LINES:
        guide.append([line])
    guide.column_dimensions["A"].width = 100
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _dropdowns(sheet, fields, offset, rows, validation_class) -> None:
    """A list to pick from for every single-choice column (Excel's 数据验证)."""
    from openpyxl.utils import get_column_letter

    for n, field in enumerate(fields, start=offset + 1):
        if field.kind not in ("choice", "bool"):
            continue
        options = ["是", "否"] if field.kind == "bool" else list(cells.LABELS[field.vocab].values())
        formula = '"' + ",".join(options) + '"'
        if len(formula) > 255:  # Excel's limit for a list written in place
            continue
        letter = get_column_letter(n)
        check = validation_class(type="list", formula1=formula, allow_blank=True)
        check.error = f"请从下拉列表中选择{field.heading}"
        check.add(f"{letter}2:{letter}{rows + 1}")
        sheet.add_data_validation(check)


GUIDE_LINES = (
    "事项批量编辑说明",
    "1. “事项”工作表每行一个事项;灰色的事项ID、实施编码、事项名称、版本号请勿修改。",
    "2. 版本号是下载时事项的版本:上传时若事项已被他人修改,该行将被拒绝,请重新下载后再编辑。",
    "3. 单元格留空表示清空该要素;是/否类要素填“是”或“否”;多个取值用顿号“、”分隔;关键词每行一个。",
    "4. “申请材料”工作表每行一份材料,按事项ID归属、按序号排序;上传后该事项的申请材料以本表为准。"
    "删除整张“申请材料”工作表则不修改任何事项的材料。",
    "5. 上传时逐行检查,有任何错误则全部不导入,并列出每一处错误(行号、列名、原因);"
    "全部正确时,有改动的事项各保存为一个新的草稿版本。",
)


# Upload -------------------------------------------------------------------------------------------


class BulkOutcome(msgspec.Struct, kw_only=True):
    applied: bool
    message: str
    batch_id: int | None = None
    batch_number: int | None = None
    changed: list[int] = []  # item ids that got a new draft
    unchanged: int = 0


def _headers(
    row: tuple, known: set[str], required: tuple[str, ...], collector: Collector, where: str = ""
) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, cell in enumerate(row or ()):
        heading = cells.text(cell).replace("*", "")
        if heading in known:
            if heading in columns:
                collector.add(1, f"{where}{heading}", "该列重复出现")
            columns[heading] = i
    for heading in required:
        if heading not in columns:
            collector.add(1, f"{where}{heading}", "缺少该列(请使用下载的文件编辑)")
    return columns


async def import_items(
    ctx: TenantContext,
    principal: Principal,
    data: bytes,
    filename: str,
    *,
    via: str = "web",
) -> BulkOutcome:
    """Apply an edited workbook (see the module docstring); raises ImportRefused."""
    sha256 = file_hash(data)
    earlier = await find_batch(ctx, sha256, ITEMS)
    if earlier is not None:
        return BulkOutcome(
            applied=False,
            message=f"该文件已作为第{earlier['number']}批导入过,本次未作任何更改。",
            batch_id=earlier["id"],
            batch_number=earlier["number"],
        )
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise ImportRefused([_error(0, "", "不是有效的 Excel(.xlsx)文件")]) from None
    collector = Collector("行")
    try:
        if ITEM_SHEET not in book.sheetnames:
            collector.add(0, "", f"文件中没有“{ITEM_SHEET}”工作表,请使用下载的文件编辑")
            collector.refuse_if_any()
        item_rows = list(book[ITEM_SHEET].iter_rows(values_only=True))
        material_rows = (
            list(book[MATERIAL_SHEET].iter_rows(values_only=True))
            if MATERIAL_SHEET in book.sheetnames
            else None
        )
    finally:
        book.close()
    plan = await _plan(ctx, principal, item_rows, material_rows, collector)
    collector.refuse_if_any()
    if not plan:
        unchanged = sum(1 for r in item_rows[1:] if any(cells.text(v) for v in r))
        return BulkOutcome(
            applied=False,
            message=f"文件中的{unchanged}个事项与系统中一致,没有需要保存的修改,本次未作任何更改。",
            unchanged=unchanged,
        )
    return await _apply(
        ctx, principal, plan, sha256=sha256, filename=filename, via=via, rows=len(item_rows) - 1
    )


def _error(row: int, column: str, message: str):
    from qingdan.core.imports.report import RowError

    return RowError(row=row, column=column, message=message)


class _Edit(msgspec.Struct, kw_only=True):
    row: int
    item_id: int
    agency: int
    lock: int
    document: dict[str, Any]


async def _plan(
    ctx: TenantContext,
    principal: Principal,
    item_rows: list[tuple],
    material_rows: list[tuple] | None,
    collector: Collector,
) -> list[_Edit]:
    if not item_rows:
        collector.add(0, "", f"“{ITEM_SHEET}”工作表是空的")
        return []
    known = {ID, CODE, NAME, VERSION} | {f.heading for f in ITEM_FIELDS}
    columns = _headers(item_rows[0], known, (ID, VERSION), collector)
    if collector:
        return []
    wanted: dict[int, int] = {}  # item id -> row
    parsed: list[tuple[int, int, tuple]] = []
    for number, values in enumerate(item_rows[1:], start=2):
        if not any(cells.text(v) for v in values):
            continue

        def cell(h: str, values: tuple = values) -> Any:
            return values[columns[h]] if columns[h] < len(values) else None

        try:
            item_id = cells.integer(cell(ID), 1, 2**31 - 1)
        except cells.CellError as exc:
            collector.add(number, ID, str(exc))
            continue
        if item_id is None:
            collector.add(number, ID, "必须填写(请勿修改下载文件中的事项ID)")
            continue
        if item_id in wanted:
            collector.add(number, ID, f"与第{wanted[item_id]}行是同一个事项")
            continue
        wanted[item_id] = number
        parsed.append((number, item_id, values))
    items = {}
    for part in chunks(list(wanted)):
        for row in await ctx.scope.select(Item, *_ITEM_COLUMNS).where(Item.id.is_in(part)):
            items[row["id"]] = row
    may = await _may_edit(ctx, principal)
    docs = await _documents(ctx, list(items.values()))
    materials = _materials(material_rows, set(wanted), collector) if material_rows else None
    edits: list[_Edit] = []
    for number, item_id, values in parsed:
        item = items.get(item_id)
        if item is None or not may(item):
            collector.add(number, ID, f"事项{item_id}不存在,或不属于您可编辑的实施机构")
            continue

        def cell(h: str, values: tuple = values) -> Any:
            return values[columns[h]] if columns[h] < len(values) else None

        try:
            version = cells.integer(cell(VERSION), 0, 2**31 - 1)
        except cells.CellError as exc:
            collector.add(number, VERSION, str(exc))
            continue
        if version != item["lock_version"]:
            collector.add(
                number,
                VERSION,
                f"“{item['name']}”在下载后已被修改(下载时版本{version},现为版本"
                f"{item['lock_version']}),为免覆盖他人的修改,该行未导入;请重新下载后再编辑",
            )
            continue
        if item["status"] == ItemStatus.cancelled.value:
            collector.add(number, ID, f"“{item['name']}”已取消,不能再编辑")
            continue
        current = docs.get(item_id) or {}
        document = msgspec.json.decode(msgspec.json.encode(current))  # a deep copy
        bad = False
        for field in ITEM_FIELDS:
            if field.heading not in columns:
                continue  # a column removed from the sheet leaves its element as it is
            try:
                _set(document, field.path, _read(field, cell(field.heading)))
            except cells.CellError as exc:
                collector.add(number, field.heading, str(exc))
                bad = True
        if materials is not None:
            document["materials"], errors = materials.get(item_id, ([], False))
            bad = bad or errors
        if bad:
            continue
        problems = check_elements(document, ELEMENT_HEADINGS)
        for column, message in problems:
            collector.add(number, column, message)
        if problems:
            continue
        if stored_form(validate_document(document)) == stored_form(validate_document(current)):
            continue
        edits.append(
            _Edit(
                row=number,
                item_id=item_id,
                agency=item["agency"],
                lock=item["lock_version"],
                document=document,
            )
        )
    return edits


def _materials(
    rows: list[tuple], items: set[int], collector: Collector
) -> dict[int, tuple[list[dict], bool]]:
    """``{item id: (its materials in 序号 order, whether a row had an error)}``."""
    where = f"{MATERIAL_SHEET}·"
    if not rows:
        return {}
    known = {ID, CODE, NAME, SEQ} | {f.heading for f in MATERIAL_FIELDS}
    columns = _headers(rows[0], known, (ID, "材料名称"), collector, where)
    if any(e.column.startswith(where) for e in collector.errors):
        return {i: ([], True) for i in items}
    found: dict[int, list[tuple[float, int, dict]]] = defaultdict(list)
    errors: set[int] = set()
    for number, values in enumerate(rows[1:], start=2):
        if not any(cells.text(v) for v in values):
            continue

        def cell(h: str, values: tuple = values) -> Any:
            return values[columns[h]] if h in columns and columns[h] < len(values) else None

        try:
            item_id = cells.integer(cell(ID), 1, 2**31 - 1)
        except cells.CellError as exc:
            collector.add(number, f"{where}{ID}", str(exc))
            continue
        if item_id not in items:
            collector.add(number, f"{where}{ID}", "该事项不在“事项”工作表中")
            continue
        material: dict[str, Any] = {}
        bad = False
        for field in MATERIAL_FIELDS:
            if field.heading not in columns:
                continue
            try:
                value = _read(field, cell(field.heading))
            except cells.CellError as exc:
                collector.add(number, f"{where}{field.heading}", str(exc))
                bad = True
                continue
            if value not in (None, ""):
                material[field.path[0]] = value
        if not material.get("name") and not bad:
            collector.add(number, f"{where}材料名称", "必须填写")
            bad = True
        if bad:
            errors.add(item_id)
            continue
        try:
            seq = float(cells.text(cell(SEQ)) or number)
        except ValueError:
            collector.add(number, f"{where}{SEQ}", "应为数字")
            errors.add(item_id)
            continue
        found[item_id].append((seq, number, material))
    return {
        i: ([m for _, _, m in sorted(found.get(i, []), key=lambda x: x[:2])], i in errors)
        for i in items
    }


async def _apply(
    ctx: TenantContext,
    principal: Principal,
    edits: list[_Edit],
    *,
    sha256: str,
    filename: str,
    via: str,
    rows: int,
) -> BulkOutcome:
    from qingdan.core.workflow.services import edit_draft

    agencies = sorted({e.agency for e in edits})
    actor = Actor(principal.user_id, principal.display_name)
    try:
        async with atomic():
            for edit in edits:
                await edit_draft(ctx, principal, edit.item_id, edit.document, edit.lock)
            last = (
                await ctx.scope.select(ImportBatch, ImportBatch.number)
                .where(ImportBatch.kind == ITEMS)
                .order_by(ImportBatch.number, ascending=False)
                .first()
            )
            number = (last["number"] + 1) if last else 1
            counts = {"changed": len(edits), "unchanged": rows - len(edits)}
            summary = f"批量编辑第{number}批: {len(edits)}个事项保存为新的草稿版本"
            batch = await ctx.scope.insert(
                ImportBatch,
                kind=ITEMS,
                number=number,
                filename=filename[:255],
                file_format="xlsx",
                sha256=sha256,
                via=via,
                agency=agencies[0] if len(agencies) == 1 else None,
                created_by=principal.user_id,
                counts=counts,
                summary=summary,
            )
            await record(
                ctx.tenant_id,
                actor,
                "items.bulk_edit",
                "import_batch",
                batch.id,
                summary,
                {"file": filename, "sha256": sha256, "items": [e.item_id for e in edits]},
            )
    except ConflictError as exc:
        # Someone saved one of the items between the check and now: nothing is kept.
        raise ImportRefused([_error(0, VERSION, exc.message)]) from None
    except DomainError as exc:
        if isinstance(exc, ImportRefused):
            raise
        raise ImportRefused([_error(0, "", exc.message)]) from None
    return BulkOutcome(
        applied=True,
        message=summary + "。",
        batch_id=batch.id,
        batch_number=number,
        changed=[e.item_id for e in edits],
        unchanged=counts["unchanged"],
    )
