"""Notices by e-mail, when ``QINGDAN_SMTP_URL`` is configured (in-app always).

Each notice is mailed once to every user it reaches who has an address;
``emailed_at`` marks it, so a second run sends nothing more.
"""

from __future__ import annotations

import asyncio
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlparse

from qingdan.core.config import Settings, get_settings
from qingdan.core.tenancy.context import TenantContext
from qingdan.core.tenancy.tables import RoleAssignment, User
from qingdan.core.workflow.tables import Notice


def _recipients_query(tenant_id: int, notice: dict) -> object:
    if notice["user"] is not None:
        return User.select(User.email).where(
            (User.id == notice["user"]) & (User.tenant == tenant_id) & (User.active == True)  # noqa: E712
        )
    clause = (RoleAssignment.tenant == tenant_id) & (RoleAssignment.role == notice["role"])
    if notice["agency"] is not None:
        clause = clause & (RoleAssignment.agency == notice["agency"])
    return RoleAssignment.select(RoleAssignment.user.email.as_alias("email")).where(
        clause & (RoleAssignment.user.active == True)  # noqa: E712
    )


def _send(settings: Settings, messages: list[EmailMessage]) -> None:
    url = urlparse(settings.smtp_url or "")
    options = parse_qs(url.query)
    host, port = url.hostname or "localhost", url.port or 25
    smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with smtp_class(host, port, timeout=30) as smtp:
        if options.get("starttls", ["0"])[0] in ("1", "true"):
            smtp.starttls()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        for message in messages:
            smtp.send_message(message)


async def send_pending(ctx: TenantContext, settings: Settings | None = None) -> int:
    """Mail every notice not yet mailed; returns how many messages were sent."""
    settings = settings or get_settings()
    if not settings.smtp_url:
        return 0
    pending = await ctx.scope.select(Notice).where(Notice.emailed_at.is_null()).order_by(Notice.id)
    sent = 0
    for notice in pending:
        rows = await _recipients_query(ctx.tenant_id, notice)
        addresses = sorted({r["email"] for r in rows if r["email"]})
        messages = []
        for address in addresses:
            message = EmailMessage()
            message["From"] = settings.mail_from
            message["To"] = address
            message["Subject"] = f"[清单·{ctx.name}] {notice['title']}"
            message.set_content(
                f"{notice['title']}\n\n{settings.public_url}{notice['link']}\n\n"
                "(本邮件由政务服务事项管理平台自动发送)"
            )
            messages.append(message)
        if messages:
            await asyncio.to_thread(_send, settings, messages)
            sent += len(messages)
        await ctx.scope.update(Notice, {Notice.emailed_at: datetime.now(UTC)}).where(
            Notice.id == notice["id"]
        )
    return sent
