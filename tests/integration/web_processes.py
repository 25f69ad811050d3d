"""Real web processes of the app for the concurrency and fault suites.

Each process is ``uvicorn`` serving ``create_app()`` on a free port, on the
test session's database, with the test kit's sample plugin installed (the
tenants of ``make_tenant()`` are bound to it). A browser is an ``httpx``
client with its own cookies, logged in as one user.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from qingdan.core.testing import PASSWORD

CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')

SERVE = """
import sys, uvicorn
from qingdan.core.testing import use_sample_plugin
from qingdan.web.app import create_app
use_sample_plugin()
# A long keep-alive: a browser may open its page, then act seconds later.
uvicorn.run(
    create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
    timeout_keep_alive=300,
)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _start(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """One web process, answering /healthz; a port taken meanwhile is tried again."""
    for _ in range(3):
        port = free_port()
        log = tempfile.TemporaryFile()
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(port)],
            env=os.environ | env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as probe:
            for _ in range(1200):
                if proc.poll() is not None:
                    break
                try:
                    if (await probe.get(f"{url}/healthz")).status_code == 200:
                        proc.log = log  # type: ignore[attr-defined]
                        return proc, url
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.seek(0)
        output = log.read().decode(errors="replace")
        if "address already in use" not in output:
            raise AssertionError(f"the web process did not start:\n{output[-3000:]}")
    raise AssertionError("no free port for the web process")


@asynccontextmanager
async def web_processes(count: int = 1, **env: str) -> AsyncIterator[list[str]]:
    """``count`` web processes (their environment: this one's plus ``env``); yields
    their base URLs once each answers /healthz."""
    started = await asyncio.gather(*(_start(env) for _ in range(count)), return_exceptions=True)
    procs = [s[0] for s in started if not isinstance(s, BaseException)]
    try:
        for s in started:
            if isinstance(s, BaseException):
                raise s
        yield [url for _, url in started]
    except BaseException:
        # What the web processes logged goes with the failure (pytest shows stderr).
        for proc in procs:
            proc.log.seek(0)
            sys.stderr.write(proc.log.read().decode(errors="replace")[-5000:])
        raise
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def csrf_of(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


async def log_in(client: httpx.AsyncClient, slug: str, username: str) -> None:
    page = await client.get(f"/t/{slug}/login")
    assert page.status_code == 200, page.text[:300]
    r = await client.post(
        f"/t/{slug}/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:300]


@asynccontextmanager
async def browsers(
    slug: str, urls: list[str], usernames: list[str]
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """A logged-in browser per user, spread over the web processes."""
    clients = [
        httpx.AsyncClient(base_url=urls[n % len(urls)], timeout=60) for n in range(len(usernames))
    ]
    try:
        for client, username in zip(clients, usernames, strict=True):
            await log_in(client, slug, username)
        yield clients
    finally:
        for client in clients:
            await client.aclose()
