"""Writing and verifying the audit log.

Entries are appended inside the caller's transaction, numbered per tenant and
chained by hash: each entry's hash covers its content and the previous hash,
so a changed or deleted entry breaks :func:`verify_chain`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import msgspec

from qingdan.core.audit.tables import AuditEntry


class Actor(msgspec.Struct, frozen=True):
    """Who did it: a user, or the system (a job, the demo loader, an import)."""

    user_id: int | None
    name: str

    @classmethod
    def system(cls, name: str = "系统") -> Actor:
        return cls(None, name)


def _digest(prev_hash: str, payload: dict[str, Any]) -> str:
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _payload(entry: dict[str, Any]) -> dict[str, Any]:
    at = entry["at"]
    if isinstance(at, datetime):
        at = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "tenant": entry["tenant"],
        "seq": entry["seq"],
        "at": at,
        "actor": entry["actor"],
        "actor_name": entry["actor_name"],
        "action": entry["action"],
        "object_type": entry["object_type"],
        "object_id": entry["object_id"],
        "summary": entry["summary"],
        "data": entry["data"],
    }


def _tenant_clause(tenant_id: int | None):
    return AuditEntry.tenant.is_null() if tenant_id is None else AuditEntry.tenant == tenant_id


async def record(
    tenant_id: int | None,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: int | None,
    summary: str,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the change it records."""
    from qingdan.core.db import atomic

    async with atomic():  # joins the caller's transaction
        await _hold_chain(tenant_id)
        return await _append(tenant_id, actor, action, object_type, object_id, summary, data)


#: First key of the advisory lock that orders a chain's appends (second: the tenant).
_CHAIN_LOCK = 0x0A0D17


async def _hold_chain(tenant_id: int | None) -> None:
    """Hold the tenant's chain until the transaction ends (PostgreSQL).

    Each entry hashes the one before it, so two transactions appending to the
    same chain must take turns: without this both would read the same last
    entry and the second would fail on the (tenant, seq) index as a server
    error. SQLite needs nothing: its writers already take turns (BEGIN IMMEDIATE).
    """
    from qingdan.core.db import is_sqlite

    if not is_sqlite():
        await AuditEntry.raw("SELECT pg_advisory_xact_lock({}, {})", _CHAIN_LOCK, tenant_id or 0)


async def _append(
    tenant_id: int | None,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: int | None,
    summary: str,
    data: dict[str, Any] | None,
) -> AuditEntry:
    last = (
        await AuditEntry.select(AuditEntry.seq, AuditEntry.hash)
        .where(_tenant_clause(tenant_id))
        .order_by(AuditEntry.seq, ascending=False)
        .first()
    )
    seq = (last["seq"] + 1) if last else 1
    prev_hash = last["hash"] if last else ""
    # Milliseconds only: the value read back from either engine must hash the same.
    now = datetime.now(UTC)
    at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    entry = {
        "tenant": tenant_id,
        "seq": seq,
        "at": at,
        "actor": actor.user_id,
        "actor_name": actor.name,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "summary": summary[:500],
        "data": json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
    }
    row = AuditEntry(
        **{k: v for k, v in entry.items()},
        prev_hash=prev_hash,
        hash=_digest(prev_hash, _payload(entry)),
    )
    await row.save()
    return row


class ChainReport(msgspec.Struct):
    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str = ""


async def verify_chain(tenant_id: int | None) -> ChainReport:
    rows = (
        await AuditEntry.select()
        .where(_tenant_clause(tenant_id))
        .order_by(AuditEntry.seq)
        .output(load_json=True)
    )
    prev = ""
    for i, row in enumerate(rows, start=1):
        if row["seq"] != i:
            return ChainReport(False, len(rows), row["seq"], "序号不连续(有条目被删除)")
        if row["prev_hash"] != prev or _digest(prev, _payload(row)) != row["hash"]:
            return ChainReport(False, len(rows), row["seq"], "哈希不符(条目被改动)")
        prev = row["hash"]
    return ChainReport(True, len(rows))


async def entries_for(tenant_id: int, object_type: str, object_id: int) -> list[dict[str, Any]]:
    return (
        await AuditEntry.select()
        .where(
            (AuditEntry.tenant == tenant_id)
            & (AuditEntry.object_type == object_type)
            & (AuditEntry.object_id == object_id)
        )
        .order_by(AuditEntry.seq)
        .output(load_json=True)
    )
