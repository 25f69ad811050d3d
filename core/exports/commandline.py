"""``qingdan export``: an export written straight to a file, without the job queue.

Filters are given the way a person knows them (an agency's name or 统一社会信用代码,
a division's name or 12-digit code, a type's Chinese name or code name), and
anything unknown is refused with a Chinese message naming the option. The
file appears whole or not at all: it is written beside the target and renamed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from qingdan.core.catalog.vocab import ItemType
from qingdan.core.errors import DomainError, NotFound
from qingdan.core.exports.services import export_to
from qingdan.core.exports.spec import ExportSpec, check_spec
from qingdan.core.tenancy.context import TenantContext, load_context
from qingdan.core.tenancy.tables import Agency, Division


async def _one(ctx: TenantContext, table: type, conditions: list, what: str, given: str) -> int:
    rows = []
    for condition in conditions:
        rows = await ctx.scope.select(table, table.id).where(condition)
        if rows:
            break
    if not rows:
        raise DomainError(f"{what}“{given}”不存在", what)
    if len(rows) > 1:
        raise DomainError(f"{what}“{given}”不唯一,请改用编码", what)
    return rows[0]["id"]


async def resolve_agency(ctx: TenantContext, given: str) -> int:
    """An agency by id, 统一社会信用代码 or exact name."""
    text = given.strip()
    conditions = [Agency.uscc == text.upper(), Agency.name == text]
    if text.isdigit() and len(text) < 10:
        conditions.insert(0, Agency.id == int(text))
    return await _one(ctx, Agency, conditions, "实施机构", given)


async def resolve_division(ctx: TenantContext, given: str) -> int:
    """A division by 行政区划代码, id or exact name."""
    text = given.strip()
    conditions = [Division.code == text, Division.name == text]
    if text.isdigit() and len(text) < 10:
        conditions.insert(0, Division.id == int(text))
    return await _one(ctx, Division, conditions, "行政区划", given)


def resolve_item_type(given: str) -> str:
    """An item type by code name (licensing) or Chinese name (行政许可)."""
    text = given.strip()
    for member in ItemType:
        if text in (member.value, member.label):
            return member.value
    names = "、".join(m.label for m in ItemType)
    raise DomainError(f"事项类型“{given}”不存在(可选:{names})", "事项类型")


async def export_file(
    slug: str,
    fmt: str,
    output: Path,
    *,
    list_kind: str | None = None,
    agency: str | None = None,
    item_type: str | None = None,
    division: str | None = None,
) -> int:
    """Export the tenant's published list to ``output``; returns the rows written.

    Without ``list_kind``: the items, or the catalog for CPSV-AP (its only list).
    """
    spec = check_spec(
        ExportSpec(
            list=list_kind or ("catalog" if fmt == "cpsv-ap" else "items"),
            format=fmt,
            item_type=resolve_item_type(item_type) if item_type else "",
            sort="impl_code",
        )
    )
    try:
        ctx = await load_context(slug=slug)
    except NotFound:
        raise DomainError(f"租户“{slug}”不存在(可用 qingdan tenant list 查看)", "tenant") from None
    if agency:
        spec.agency_id = await resolve_agency(ctx, agency)
    if division:
        spec.division_id = await resolve_division(ctx, division)
    target = output.expanduser().resolve()
    if not target.parent.is_dir():
        raise DomainError(f"输出目录“{target.parent}”不存在", "output")
    fd, tmp = tempfile.mkstemp(prefix=".qingdan-export-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            count = await export_to(ctx, spec, out)
        # mkstemp makes the file private; give it the permissions a new file gets.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
