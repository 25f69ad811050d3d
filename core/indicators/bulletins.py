"""Bulletins (通报): the agencies the jurisdiction's rule names, with the numbers
behind each name, issued as a PDF that cites the snapshot it was made from.

``named_agencies`` is a pure function of a snapshot document and a rule: the
bulletin stores both the rule it applied and the snapshot it read, so anyone
can recompute the list and find the same names (``recheck``).
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from typing import Any

import msgspec

from qingdan.core.audit.services import Actor, record
from qingdan.core.db import atomic
from qingdan.core.errors import ConflictError, DomainError, PermissionDenied
from qingdan.core.hooktypes import BulletinCriterion, BulletinRule
from qingdan.core.indicators.compute import SHANGHAI
from qingdan.core.indicators.figures import Figures, worse_than_threshold
from qingdan.core.indicators.snapshots import _is_unique_violation, get_snapshot
from qingdan.core.indicators.tables import Bulletin
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.schemas import Principal, Role

#: Who issues bulletins and reads them (督查: 审改机构, 大数据中心, the city itself).
BULLETIN_ROLES = (Role.tenant_admin, Role.data_center, Role.reform_office)


class Reason(msgspec.Struct, frozen=True, kw_only=True):
    """Why an agency is named: the criterion, and the numbers that meet it."""

    indicator: str
    indicator_name: str
    kind: str  # threshold / target / bottom
    reason: str  # the rule's words: 网办率排名靠后
    value: float | None
    value_text: str  # 45.0%
    fraction: str  # 9/20: the numerator and denominator behind the value
    detail: str  # 排名第12/14(后3名) · 低于100.0% · 目标90.0%,差23.3个百分点


class NamedAgency(msgspec.Struct, frozen=True, kw_only=True):
    agency: int
    name: str
    reasons: tuple[Reason, ...]


def _criterion_hits(figures: Figures, c: BulletinCriterion) -> dict[int, Reason]:
    indicator = figures.config.get(c.indicator)

    def reason(fig: Any, detail: str) -> Reason:
        return Reason(
            indicator=indicator.id,
            indicator_name=indicator.name,
            kind=c.kind,
            reason=c.reason,
            value=fig.value,
            value_text=fig.text,
            fraction=fig.fraction_text,
            detail=detail,
        )

    hits: dict[int, Reason] = {}
    if c.kind == "bottom":
        ranking = figures.ranking(indicator)
        ranked = sum(1 for r in ranking if r.rank is not None)
        for r in ranking:
            # Among the worst ``count`` (ties included), and not as good as the best.
            if r.rank is not None and r.behind < c.count and r.ahead > 0:
                tied = ranked - r.ahead - r.behind > 1
                place = f"排名第{r.rank}/{ranked}" + ("(并列)" if tied else "")
                hits[r.agency_id] = reason(r.figure, f"{place},在后{c.count}名之内")
        return hits
    if c.kind == "threshold":
        limit = float(c.threshold or 0)
        word = "低于" if indicator.higher_is_better else "高于"
        limit_text = figures.amount_text(indicator, limit).replace("个百分点", "%")
        detail = f"{word}{limit_text}"
    else:
        target = figures.config.target(indicator.id)
        if target is None:
            return hits
        limit = target.value
        detail = ""
    for agency in figures.agencies:
        fig = figures.figure(indicator, "agency", agency["id"])
        if fig.value is None or not worse_than_threshold(indicator, fig.value, limit):
            continue
        if c.kind == "target":
            target_text = figures.amount_text(indicator, limit).replace("个百分点", "%")
            short = abs(fig.value - limit)
            detail = f"未达到目标{target_text},差{figures.amount_text(indicator, short)}"
        hits[agency["id"]] = reason(fig, detail)
    return hits


def named_agencies(document: dict[str, Any], rule: BulletinRule) -> list[NamedAgency]:
    """The agencies ``rule`` names on the snapshot ``document``, in the snapshot's order."""
    figures = Figures(document)
    reasons: dict[int, list[Reason]] = {}
    for criterion in rule.criteria:
        for agency_id, reason in _criterion_hits(figures, criterion).items():
            reasons.setdefault(agency_id, []).append(reason)
    return [
        NamedAgency(agency=a["id"], name=a["name"], reasons=tuple(reasons[a["id"]]))
        for a in figures.agencies
        if a["id"] in reasons
    ]


# Issuing --------------------------------------------------------------------------------------


def may_issue(principal: Principal) -> bool:
    """Tenant-wide holders of a bulletin role (a county office sees only its county)."""
    return any(
        g.role in BULLETIN_ROLES and g.division_id is None and g.agency_id is None
        for g in principal.grants
    )


def _check(principal: Principal) -> None:
    if not may_issue(principal):
        raise PermissionDenied("只有租户管理员、审改机构和大数据中心可以签发和查阅通报")


async def list_bulletins(ctx: TenantContext, principal: Principal) -> list[dict[str, Any]]:
    _check(principal)
    return (
        await ctx.scope.select(
            Bulletin,
            Bulletin.id,
            Bulletin.number,
            Bulletin.title,
            Bulletin.snapshot,
            Bulletin.data_day,
            Bulletin.named,
            Bulletin.size,
            Bulletin.issued_by_name,
            Bulletin.issued_at,
        )
        .order_by(Bulletin.number, ascending=False)
        .output(load_json=True)
    )


async def get_bulletin(ctx: TenantContext, principal: Principal, bulletin_id: int) -> dict:
    _check(principal)
    return await ctx.scope.get_row(Bulletin, bulletin_id, "通报")


async def read_pdf(
    ctx: TenantContext, principal: Principal, bulletin_id: int
) -> tuple[dict, bytes]:
    from qingdan.core import files

    row = await get_bulletin(ctx, principal, bulletin_id)
    return row, files.read(row["storage_key"])


async def recheck(ctx: TenantContext, principal: Principal, bulletin_id: int) -> bool:
    """Recompute the names from the cited snapshot with the stored rule: the same?"""
    row = await get_bulletin(ctx, principal, bulletin_id)
    snapshot = await get_snapshot(ctx, row["snapshot"])
    rule = msgspec.convert(row["rule"], BulletinRule)
    again = msgspec.json.decode(msgspec.json.encode(named_agencies(snapshot["document"], rule)))
    return again == row["named"]


async def issue_bulletin(
    ctx: TenantContext, principal: Principal, snapshot_id: int
) -> dict[str, Any]:
    """Issue the next bulletin from the snapshot ``snapshot_id`` by the tenant's rule."""
    _check(principal)
    snapshot = await get_snapshot(ctx, snapshot_id)
    figures = Figures(snapshot["document"])
    rule = ctx.plugin.indicators(ctx.settings).bulletin
    named = named_agencies(snapshot["document"], rule)
    issued_at = datetime.now(UTC)
    for _attempt in range(3):
        number = await _next_number(ctx)
        pdf = await asyncio.to_thread(
            render_bulletin_pdf,
            tenant_name=ctx.name,
            number=number,
            rule=rule,
            figures=figures,
            snapshot_id=snapshot["id"],
            named=named,
            issued_at=issued_at,
        )
        try:
            return await _store(ctx, principal, snapshot, rule, named, number, pdf, issued_at)
        except Exception as exc:
            if not _is_unique_violation(exc):
                raise
            # another bulletin took the number: take the next one
    raise ConflictError("通报编号冲突,请稍后重试")


async def _next_number(ctx: TenantContext) -> int:
    last = (
        await ctx.scope.select(Bulletin, Bulletin.number)
        .order_by(Bulletin.number, ascending=False)
        .first()
    )
    return (last["number"] + 1) if last else 1


async def _store(
    ctx: TenantContext,
    principal: Principal,
    snapshot: dict[str, Any],
    rule: BulletinRule,
    named: list[NamedAgency],
    number: int,
    pdf: bytes,
    issued_at: datetime,
) -> dict[str, Any]:
    from qingdan.core import files

    stored = files.store(f"通报第{number}期.pdf", pdf)
    actor = Actor(principal.user_id, principal.display_name)
    async with atomic():
        row = await ctx.scope.insert(
            Bulletin,
            number=number,
            title=rule.title,
            snapshot=snapshot["id"],
            data_day=snapshot["day"],
            rule=msgspec.to_builtins(rule),
            named=msgspec.to_builtins(named),
            storage_key=stored.storage_key,
            sha256=stored.sha256,
            size=stored.size,
            issued_by=principal.user_id,
            issued_by_name=principal.display_name,
            issued_at=issued_at,
        )
        names = "、".join(n.name for n in named) or "无"
        await record(
            ctx.tenant_id,
            actor,
            "bulletin.issue",
            "bulletin",
            row.id,
            f"签发{rule.title}第{number}期(数据日期{snapshot['day']}):通报{len(named)}个实施机构:{names}",
            {"snapshot": snapshot["id"], "number": number, "named": [n.agency for n in named]},
        )
    return await ctx.scope.get_row(Bulletin, row.id, "通报")


# The PDF ---------------------------------------------------------------------------------------

_LOCK = threading.Lock()


def render_bulletin_html(
    *,
    tenant_name: str,
    number: int,
    rule: BulletinRule,
    figures: Figures,
    snapshot_id: int,
    named: list[NamedAgency],
    issued_at: datetime,
) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    from qingdan.core.publishing.guides import template_dir

    env = Environment(
        loader=FileSystemLoader(template_dir()),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tenant_rows = []
    for fig in figures.figures():
        g = figures.gap(fig)
        tenant_rows.append((fig, g))
    return env.get_template("indicators/bulletin_pdf.html").render(
        tenant_name=tenant_name,
        number=number,
        rule=rule,
        figures=figures,
        tenant_rows=tenant_rows,
        snapshot_id=snapshot_id,
        named=named,
        issued_day=issued_at.astimezone(SHANGHAI).date(),
        taken_at=figures.taken_at.astimezone(SHANGHAI),
        kinds={"threshold": "低于/高于阈值", "target": "未达到目标", "bottom": "排名靠后"},
    )


def render_bulletin_pdf(**kwargs: Any) -> bytes:
    """The bulletin as an A4 PDF, set in the guides' CJK fonts (Noto Serif/Sans CJK SC)."""
    from qingdan.core.publishing import guides

    if not guides.cjk_font_installed():
        raise DomainError("未安装中文字体(Debian: fonts-noto-cjk),不能生成通报PDF")
    from weasyprint import HTML

    html = render_bulletin_html(**kwargs)
    # WeasyPrint shares Pango and fontconfig state: one render at a time, with the guides.
    lock = getattr(guides, "_RENDER_LOCK", _LOCK)
    with lock:
        return HTML(string=html).write_pdf()
