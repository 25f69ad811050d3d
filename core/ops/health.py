"""Readiness: can this process reach what it needs (the database, Redis if configured)?"""

from __future__ import annotations

import asyncio
import time

import msgspec

from qingdan.core.config import Settings

CHECK_TIMEOUT_S = 2.0


class Check(msgspec.Struct, frozen=True):
    name: str
    ok: bool
    detail: str = ""
    ms: float = 0.0


async def _timed(name: str, probe) -> Check:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure means not ready; say which
        detail = str(exc)[:200] or type(exc).__name__
        return Check(name, False, detail, round((time.perf_counter() - started) * 1000, 1))
    return Check(name, True, "", round((time.perf_counter() - started) * 1000, 1))


async def check_database() -> Check:
    from qingdan.core.db import get_engine

    async def probe() -> None:
        await get_engine().run_ddl("SELECT 1")

    return await _timed("database", probe)


async def check_redis(url: str) -> Check:
    async def probe() -> None:
        import redis.asyncio

        client = redis.asyncio.from_url(
            url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S
        )
        try:
            await client.ping()
        finally:
            await client.aclose()

    return await _timed("redis", probe)


async def readiness(settings: Settings) -> list[Check]:
    """Every dependency's check; Redis only when the deployment uses it."""
    checks = [check_database()]
    if settings.redis_url:
        checks.append(check_redis(settings.redis_url))
    return list(await asyncio.gather(*checks))
