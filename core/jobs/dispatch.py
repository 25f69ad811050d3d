"""Handing jobs to the broker without letting a broker outage break a request.

When Redis is unreachable, ``enqueue`` keeps the job in the ``pending_job``
table (inside the caller's transaction, so it exists exactly when the work
that asked for it does) and the page still answers; ``flush_pending`` sends
the kept jobs once the broker is back, and ``background_delayed`` tells pages
to say that background work is running late.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import dramatiq

logger = logging.getLogger("qingdan.jobs")

#: How long after a failed send pages keep saying background work is delayed.
DELAY_NOTICE_SECONDS = 120
_last_failure: float | None = None


def _broker_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ConnectionError, OSError, TimeoutError]
    try:
        import redis.exceptions

        errors.append(redis.exceptions.RedisError)
    except ImportError:  # pragma: no cover - redis is a dependency
        pass
    return tuple(errors)


def note_broker_failure() -> None:
    global _last_failure
    _last_failure = time.monotonic()


def note_broker_ok() -> None:
    global _last_failure
    _last_failure = None


def background_delayed() -> bool:
    """True while the broker was unreachable in the last couple of minutes."""
    return _last_failure is not None and time.monotonic() - _last_failure < DELAY_NOTICE_SECONDS


async def enqueue(actor: dramatiq.Actor, *args: Any) -> bool:
    """Send ``actor(*args)``; if the broker is down, keep it for later. True if sent."""
    from qingdan.core.ops.metrics import JOBS_DELAYED
    from qingdan.core.ops.tables import PendingJob

    try:
        actor.send(*args)
    except _broker_errors() as exc:
        note_broker_failure()
        JOBS_DELAYED.labels(actor.actor_name).inc()
        logger.warning(
            "后台任务暂存,待消息队列恢复后发送",
            extra={"actor": actor.actor_name, "error": str(exc)[:200]},
        )
        await PendingJob.insert(
            PendingJob(
                actor=actor.actor_name, args=json.dumps(list(args)), last_error=str(exc)[:500]
            )
        )
        return False
    note_broker_ok()
    return True


async def flush_pending(limit: int = 500) -> int:
    """Send kept jobs, oldest first; stop at the first failure. Returns how many went."""
    import qingdan.core.jobs.actors  # noqa: F401 (registers the actors)
    from qingdan.core.jobs.broker import broker
    from qingdan.core.ops.tables import PendingJob

    rows = await PendingJob.select().order_by(PendingJob.id).limit(limit)
    sent = 0
    for row in rows:
        try:
            actor = broker.get_actor(row["actor"])
        except dramatiq.errors.ActorNotFound:
            logger.error("暂存任务的执行器不存在,已丢弃", extra={"actor": row["actor"]})
            await PendingJob.delete().where(PendingJob.id == row["id"])
            continue
        try:
            actor.send(*json.loads(row["args"]))
        except _broker_errors() as exc:
            note_broker_failure()
            await PendingJob.update(
                {PendingJob.attempts: row["attempts"] + 1, PendingJob.last_error: str(exc)[:500]}
            ).where(PendingJob.id == row["id"])
            break
        await PendingJob.delete().where(PendingJob.id == row["id"])
        sent += 1
    if sent:
        note_broker_ok()
        logger.info("暂存的后台任务已发送", extra={"count": sent})
    return sent


async def pending_count() -> int:
    from qingdan.core.ops.tables import PendingJob

    return await PendingJob.count()
