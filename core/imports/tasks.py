"""The work a catalog release leaves for the agencies, in bulk.

- 应认领: a new entry becomes a :class:`ClaimTask` for each agency it concerns
  (an agency of a level the entry is exercised at, whose line department the
  release names). When no agency is known, the task waits for 审改机构 to
  assign it, and the assignment is remembered for the department's next entries.
- An entry changed or cancelled from above leaves each implementing agency the
  workflow's own follow-up obligation (``follow_catalog``, the same one a local
  catalog change leaves), met when the item's amendment or cancellation takes
  effect.

Deadlines are working days from ``qingdan_follow_catalog_deadlines``, counted
on the tenant's calendar. A claim task is done as soon as the agency has an
item on the entry, however the item was made.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from qingdan.core.audit.services import Actor, record
from qingdan.core.catalog.codes import DivisionCode
from qingdan.core.catalog.tables import CatalogEntry, Item
from qingdan.core.catalog.validation import element_title
from qingdan.core.catalog.vocab import ItemStatus, Level
from qingdan.core.db import atomic
from qingdan.core.errors import DomainError, PermissionDenied
from qingdan.core.imports.tables import ClaimTask, DepartmentAgency
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role
from qingdan.core.tenancy.tables import Agency
from qingdan.core.workflow import notices
from qingdan.core.workflow.obligations import FOLLOW_CATALOG
from qingdan.core.workflow.tables import Obligation

OPEN, DONE, DISMISSED = "open", "done", "dismissed"
STATUS_LABELS = {OPEN: "待认领", DONE: "已认领", DISMISSED: "已撤销"}
#: Who assigns a claim task no agency was found for, and sees every task.
ASSIGN_ROLES = (Role.reform_office, Role.tenant_admin, Role.data_center)
#: The level of an agency is the level of its division.
LEVEL_OF_DIVISION = {
    "province": Level.provincial,
    "city": Level.municipal,
    "county": Level.county,
    "township": Level.township,
    "village": Level.village,
}
IN_CHUNK = 900  # ids per IN (...) list: well under both engines' parameter limits


def chunks(values: list[Any], size: int = IN_CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Which agencies an entry concerns ---------------------------------------------------------

_PROVINCE = re.compile(r"^.{2,7}?(省|自治区)")
_SUFFIX = re.compile(r"(委员会|办公室|管理局|局|厅|委|办|中心)$")


def department_core(department: str) -> str:
    """``甘肃省市场监督管理局`` → ``市场监督管理``: the words a local agency's name shares."""
    core = _PROVINCE.sub("", department.strip())
    stripped = _SUFFIX.sub("", core)
    return stripped if len(stripped) >= 2 else core


def department_parts(department: str) -> list[str]:
    return [p.strip() for p in re.split(r"[、,,;;/]", department or "") if p.strip()]


class AgencyInfo(msgspec.Struct, frozen=True):
    id: int
    name: str
    level: str


async def tenant_agencies(ctx: TenantContext) -> list[AgencyInfo]:
    """Active agencies with the level of their division."""
    rows = await ctx.scope.select(
        Agency, Agency.id, Agency.name, Agency.division.code.as_alias("division_code")
    ).where(Agency.active == True)  # noqa: E712 (piccolo expression)
    return [
        AgencyInfo(
            id=r["id"],
            name=r["name"],
            level=LEVEL_OF_DIVISION[DivisionCode.parse(r["division_code"]).level].value,
        )
        for r in rows
    ]


async def department_map(ctx: TenantContext) -> dict[str, set[int]]:
    rows = await ctx.scope.select(
        DepartmentAgency, DepartmentAgency.department, DepartmentAgency.agency
    )
    mapping: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        mapping[r["department"]].add(r["agency"])
    return mapping


def concerned_agencies(
    department: str,
    levels: list[str],
    agencies: list[AgencyInfo],
    mapping: dict[str, set[int]],
) -> list[AgencyInfo]:
    """The agencies that must claim an entry of ``department`` exercised at ``levels``.

    A department the tenant has assigned before goes to the agencies it was
    assigned to; otherwise to agencies whose name contains the department's
    words. An agency of a level the entry is not exercised at never claims it.
    """
    at_level = [a for a in agencies if a.level in levels]
    found: dict[int, AgencyInfo] = {}
    for part in department_parts(department):
        mapped = mapping.get(part)
        if mapped:
            found |= {a.id: a for a in at_level if a.id in mapped}
            continue
        core = department_core(part)
        if len(core) >= 2:
            found |= {a.id: a for a in at_level if core in a.name}
    return sorted(found.values(), key=lambda a: a.id)


# Creating the tasks of a release ---------------------------------------------------------


class NewEntry(msgspec.Struct, frozen=True):
    entry_id: int
    name: str
    levels: list[str]
    department: str


async def create_claim_tasks(
    ctx: TenantContext, batch_id: int, batch_number: int, entries: list[NewEntry]
) -> dict[str, Any]:
    """One task per new entry and agency it concerns (or one for 审改机构 to assign)."""
    from qingdan.core.calendar.services import load_calendar

    if not entries:
        return {"tasks": 0, "unassigned": 0, "by_agency": {}}
    deadlines = ctx.plugin.follow_catalog_deadlines(ctx.settings)
    calendar = await load_calendar(ctx.tenant_id)
    due = calendar.add_working_days(datetime.now(UTC), deadlines.claim_days)
    basis = (
        f"上级基本目录第{batch_number}批新增事项({deadlines.basis},{deadlines.claim_days}个工作日)"
    )
    agencies = await tenant_agencies(ctx)
    mapping = await department_map(ctx)
    implemented = await _implemented(ctx, [e.entry_id for e in entries])
    rows: list[dict[str, Any]] = []
    by_agency: dict[int, int] = defaultdict(int)
    unassigned = 0
    for entry in entries:
        done = implemented.get(entry.entry_id, set())
        concerned = concerned_agencies(entry.department, entry.levels, agencies, mapping)
        # An agency already implementing the entry (one issued again) claims nothing.
        targets = [a for a in concerned if a.id not in done]
        common = {
            "batch": batch_id,
            "catalog_entry": entry.entry_id,
            "department": entry.department[:100],
            "due_date": due.due,
            "due_provisional": due.provisional,
            "basis": basis[:500],
            "status": OPEN,
        }
        if not concerned and not done:
            rows.append(common | {"agency": None})
            unassigned += 1
        for agency in targets:
            rows.append(common | {"agency": agency.id})
            by_agency[agency.id] += 1
    await ctx.scope.insert_many(ClaimTask, rows)
    for agency_id, count in by_agency.items():
        await notices.notify_role(
            ctx,
            role=Role.clerk.value,
            agency_id=agency_id,
            kind="claim_task",
            title=f"上级基本目录第{batch_number}批: {count}个新事项待认领({due.label}前)",
            link=f"/t/{ctx.slug}/imports/tasks",
            dedupe_key=f"claim_tasks:{batch_id}:{agency_id}",
        )
    if unassigned:
        await notices.notify_role(
            ctx,
            role=Role.reform_office.value,
            agency_id=None,
            kind="claim_task",
            title=f"上级基本目录第{batch_number}批: {unassigned}个新事项未找到实施机构,请分派",
            link=f"/t/{ctx.slug}/imports/tasks?assign=1",
            dedupe_key=f"claim_tasks:{batch_id}:unassigned",
        )
    return {"tasks": len(rows), "unassigned": unassigned, "by_agency": dict(by_agency)}


async def _implemented(ctx: TenantContext, entry_ids: list[int]) -> dict[int, set[int]]:
    implemented: dict[int, set[int]] = defaultdict(set)
    for part in chunks(entry_ids):
        for row in await ctx.scope.select(Item, Item.catalog_entry, Item.agency).where(
            Item.catalog_entry.is_in(part) & (Item.status != ItemStatus.cancelled.value)
        ):
            implemented[row["catalog_entry"]].add(row["agency"])
    return implemented


class FollowEntry(msgspec.Struct, frozen=True):
    entry_id: int
    name: str
    cancelled: bool
    changed_elements: list[str] = []


async def create_follow_ups(
    ctx: TenantContext, batch_id: int, batch_number: int, entries: list[FollowEntry]
) -> dict[str, Any]:
    """The follow-up obligation of every item on a changed or cancelled entry."""
    from qingdan.core.calendar.services import load_calendar

    if not entries:
        return {"obligations": 0, "by_agency": {}}
    deadlines = ctx.plugin.follow_catalog_deadlines(ctx.settings)
    calendar = await load_calendar(ctx.tenant_id)
    now = datetime.now(UTC)
    amend_due = calendar.add_working_days(now, deadlines.amend_days)
    cancel_due = calendar.add_working_days(now, deadlines.cancel_days)
    by_entry = {e.entry_id: e for e in entries}
    rows: list[dict[str, Any]] = []
    by_agency: dict[int, list[Any]] = defaultdict(list)
    for part in chunks(list(by_entry)):
        items = await ctx.scope.select(Item, Item.id, Item.agency, Item.catalog_entry).where(
            Item.catalog_entry.is_in(part) & (Item.status != ItemStatus.cancelled.value)
        )
        for item in items:
            entry = by_entry[item["catalog_entry"]]
            what = "取消" if entry.cancelled else "变更"
            due = cancel_due if entry.cancelled else amend_due
            days = deadlines.cancel_days if entry.cancelled else deadlines.amend_days
            changed = "、".join(element_title(k) or k for k in entry.changed_elements)
            detail = f",变更要素: {changed}" if changed else ""
            rows.append(
                {
                    "item": item["id"],
                    "change_request": None,
                    "kind": FOLLOW_CATALOG,
                    "title": f"基本目录已{what},请相应{what}实施清单",
                    "role": Role.clerk.value,
                    "agency": item["agency"],
                    "basis": (
                        f"上级基本目录第{batch_number}批{what}“{entry.name}”{detail}"
                        f"({deadlines.basis},{days}个工作日)"
                    )[:500],
                    "due_date": due.due,
                    "due_provisional": due.provisional,
                    "status": "open",
                    "escalate_to": Role.reform_office.value,
                }
            )
            by_agency[item["agency"]].append(due)
    await ctx.scope.insert_many(Obligation, rows)
    for agency_id, dues in by_agency.items():
        first = min(dues, key=lambda d: d.due)
        await notices.notify_role(
            ctx,
            role=Role.clerk.value,
            agency_id=agency_id,
            kind="obligation",
            title=(
                f"上级基本目录第{batch_number}批: {len(dues)}个实施清单事项须按基本目录调整"
                f"({first.label}前)"
            ),
            link=f"/t/{ctx.slug}/obligations",
            dedupe_key=f"follow_catalog:{batch_id}:{agency_id}",
        )
    return {"obligations": len(rows), "by_agency": {k: len(v) for k, v in by_agency.items()}}


async def dismiss_claim_tasks(ctx: TenantContext, entry_ids: list[int], note: str) -> None:
    """Open tasks of entries cancelled from above no longer need claiming."""
    for part in chunks(entry_ids):
        await ctx.scope.update(
            ClaimTask, {ClaimTask.status: DISMISSED, ClaimTask.note: note[:500]}
        ).where(ClaimTask.catalog_entry.is_in(part) & (ClaimTask.status == OPEN))


# Reading and working the tasks -----------------------------------------------------------------


async def sync_claim_tasks(ctx: TenantContext) -> int:
    """Mark done every open task whose agency now has an item on the entry."""
    tasks = await ctx.scope.select(
        ClaimTask, ClaimTask.id, ClaimTask.catalog_entry, ClaimTask.agency
    ).where((ClaimTask.status == OPEN) & ClaimTask.agency.is_not_null())
    if not tasks:
        return 0
    items: dict[tuple[int, int], dict[str, Any]] = {}
    for part in chunks(sorted({t["catalog_entry"] for t in tasks})):
        for row in await ctx.scope.select(
            Item, Item.id, Item.catalog_entry, Item.agency, Item.created_at
        ).where(Item.catalog_entry.is_in(part)):
            items.setdefault((row["catalog_entry"], row["agency"]), row)
    done = 0
    for task in tasks:
        item = items.get((task["catalog_entry"], task["agency"]))
        if item is None:
            continue
        await ctx.scope.update(
            ClaimTask,
            {
                ClaimTask.status: DONE,
                ClaimTask.item: item["id"],
                ClaimTask.done_at: item["created_at"],
            },
        ).where((ClaimTask.id == task["id"]) & (ClaimTask.status == OPEN))
        done += 1
    return done


class ClaimScan(msgspec.Struct):
    reminded: int = 0
    overdue: int = 0
    escalated: int = 0


async def scan_claim_tasks(
    ctx: TenantContext, calendar: Any, day: date, remind_within: int
) -> ClaimScan:
    """The deadline scan's part for claim tasks: remind an agency before its tasks
    are due, flag them when overdue and tell 审改机构 once.

    Tasks of one batch, agency and due date share one notice (a release can
    leave an agency hundreds of entries). An unassigned task is 审改机构's own
    work: it is told when the task is late, and nobody above it is.
    """
    await sync_claim_tasks(ctx)  # a task claimed since it was issued is not late
    rows = await ctx.scope.select(
        ClaimTask,
        ClaimTask.id,
        ClaimTask.agency,
        ClaimTask.due_date,
        ClaimTask.reminded_at,
        ClaimTask.escalated_at,
        ClaimTask.batch,
        ClaimTask.batch.number.as_alias("batch_number"),
        ClaimTask.agency.name.as_alias("agency_name"),
    ).where(ClaimTask.status == OPEN)
    groups: dict[tuple[int, int | None, date], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["batch"], row["agency"], row["due_date"])].append(row)
    scan = ClaimScan()
    link = f"/t/{ctx.slug}/imports/tasks"
    for (batch, agency, due), tasks in groups.items():
        first = tasks[0]
        what = f"上级基本目录第{first['batch_number']}批{len(tasks)}个新事项"
        role = Role.clerk.value if agency is not None else Role.reform_office.value
        key = f"{batch}:{agency or 'unassigned'}:{due}"
        if due < day:
            scan.overdue += len(tasks)
            late = "未认领" if agency is not None else "未分派"
            async with atomic():
                await notices.notify_role(
                    ctx,
                    role=role,
                    agency_id=agency,
                    kind="overdue",
                    title=f"已逾期: {what}{late},应于{due}前认领",
                    link=link if agency is not None else f"{link}?assign=1",
                    dedupe_key=f"claim_overdue:{key}",
                )
                fresh = [t["id"] for t in tasks if t["escalated_at"] is None]
                if agency is None or not fresh:
                    continue
                await notices.notify_role(
                    ctx,
                    role=Role.reform_office.value,
                    agency_id=None,
                    kind="escalation",
                    title=f"督办: {first['agency_name']}逾期未认领{what},应于{due}前认领",
                    link=f"{link}?status=open",
                    dedupe_key=f"claim_escalate:{key}",
                )
                for part in chunks(fresh):
                    await ctx.scope.update(ClaimTask, {ClaimTask.escalated_at: _now()}).where(
                        ClaimTask.id.is_in(part)
                    )
                scan.escalated += len(fresh)
            continue
        unreminded = [t["id"] for t in tasks if t["reminded_at"] is None]
        if unreminded and calendar.working_days_between(day, due) <= remind_within:
            async with atomic():
                sent = await notices.notify_role(
                    ctx,
                    role=role,
                    agency_id=agency,
                    kind="due_soon",
                    title=f"即将到期: {what}待认领,请于{due}前认领",
                    link=link,
                    dedupe_key=f"claim_remind:{key}",
                )
                for part in chunks(unreminded):
                    await ctx.scope.update(ClaimTask, {ClaimTask.reminded_at: _now()}).where(
                        ClaimTask.id.is_in(part)
                    )
            scan.reminded += int(sent)
    return scan


def _now() -> datetime:
    return datetime.now(UTC)


def may_assign(principal: Principal) -> bool:
    return principal.has_role(*ASSIGN_ROLES)


async def list_tasks(
    ctx: TenantContext,
    principal: Principal,
    *,
    status: str = OPEN,
    batch_id: int | None = None,
    unassigned_only: bool = False,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The claim tasks the principal sees: a clerk those of their agencies; 审改机构,
    大数据中心 and the tenant administrator all of them. Soonest due first."""
    await sync_claim_tasks(ctx)
    query = ctx.scope.select(
        ClaimTask,
        *ClaimTask.all_columns(),
        ClaimTask.catalog_entry.name.as_alias("entry_name"),
        ClaimTask.catalog_entry.base_code.as_alias("base_code"),
        ClaimTask.catalog_entry.levels.as_alias("entry_levels"),
        ClaimTask.agency.name.as_alias("agency_name"),
        ClaimTask.batch.number.as_alias("batch_number"),
    )
    if status:
        query = query.where(ClaimTask.status == status)
    if batch_id is not None:
        query = query.where(ClaimTask.batch == batch_id)
    if unassigned_only:
        query = query.where(ClaimTask.agency.is_null())
    if not may_assign(principal):
        mine = sorted(principal.agency_ids(Role.clerk, Role.agency_reviewer))
        if not mine:
            return []
        query = query.where(ClaimTask.agency.is_in(mine))
    rows = await query.order_by(ClaimTask.due_date).order_by(ClaimTask.id).limit(limit)
    timing = await _due_timing(ctx)
    for row in rows:
        row["status_label"] = STATUS_LABELS.get(row["status"], row["status"])
        late, soon = timing(row["due_date"]) if row["status"] == OPEN else (False, False)
        row["overdue"], row["due_soon"] = late, soon
    return rows


async def open_task_groups(ctx: TenantContext, principal: Principal) -> list[dict[str, Any]]:
    """The principal's open claim tasks, one row per batch, agency and due date,
    soonest first: a clerk's agencies, and for 审改机构 the unassigned ones."""
    await sync_claim_tasks(ctx)
    mine = sorted(principal.agency_ids(Role.clerk))
    clause = ClaimTask.agency.is_in(mine) if mine else None
    if principal.has_role(Role.reform_office):
        unassigned = ClaimTask.agency.is_null()
        clause = unassigned if clause is None else clause | unassigned
    if clause is None:
        return []
    rows = await (
        ctx.scope.select(
            ClaimTask,
            ClaimTask.batch,
            ClaimTask.agency,
            ClaimTask.due_date,
            ClaimTask.due_provisional,
            ClaimTask.batch.number.as_alias("batch_number"),
            ClaimTask.agency.name.as_alias("agency_name"),
        )
        .where((ClaimTask.status == OPEN) & clause)
        .order_by(ClaimTask.due_date)
        .order_by(ClaimTask.batch)
    )
    groups: dict[tuple[int, int | None, date], dict[str, Any]] = {}
    for row in rows:
        key = (row["batch"], row["agency"], row["due_date"])
        group = groups.setdefault(key, row | {"count": 0})
        group["count"] += 1
    return list(groups.values())


async def _due_timing(ctx: TenantContext):
    # The inbox's own reading of a due date (已逾期 / 即将到期), imported here
    # because the inbox lists claim tasks too.
    from qingdan.core.workflow.inbox import due_timing

    return await due_timing(ctx)


async def assign_task(
    ctx: TenantContext,
    principal: Principal,
    task_id: int,
    agency_id: int,
    remember: bool = True,
) -> ClaimTask:
    """审改机构 gives an unassigned task to an agency (and, with ``remember``, the
    department's next new entries too)."""
    if not may_assign(principal):
        raise PermissionDenied("只有审改机构、大数据中心或租户管理员可以分派认领任务")
    task = await ctx.scope.get(ClaimTask, task_id, "认领任务")
    if task.status != OPEN or task.agency is not None:
        raise DomainError("该认领任务已分派或已办结")
    agency = await ctx.scope.get(Agency, agency_id, "实施机构")
    entry = await ctx.scope.get(CatalogEntry, task.catalog_entry, "基本目录事项")
    actor = Actor(principal.user_id, principal.display_name)
    async with atomic():
        taken = (
            await ctx.scope.update(ClaimTask, {ClaimTask.agency: agency.id})
            .where((ClaimTask.id == task.id) & ClaimTask.agency.is_null())
            .returning(ClaimTask.id)
        )
        if not taken:
            raise DomainError("该认领任务已被他人分派,请刷新页面")
        task.agency = agency.id
        department = task.department.strip()
        if remember and department:
            for part in department_parts(department):
                exists = await ctx.scope.count(DepartmentAgency).where(
                    (DepartmentAgency.department == part) & (DepartmentAgency.agency == agency.id)
                )
                if not exists:
                    await ctx.scope.insert(DepartmentAgency, department=part, agency=agency.id)
        await record(
            ctx.tenant_id,
            actor,
            "claim_task.assign",
            "catalog_entry",
            entry.id,
            f"分派认领任务: {entry.name} → {agency.name}",
            {"task": task.id, "agency": agency.id, "department": department, "remember": remember},
        )
        await notices.notify_role(
            ctx,
            role=Role.clerk.value,
            agency_id=agency.id,
            kind="claim_task",
            title=f"新分派的认领任务: {entry.name}({task.due_date}前)",
            link=f"/t/{ctx.slug}/imports/tasks",
            dedupe_key=f"claim_task_assigned:{task.id}",
        )
    return task
