"""Browser tests: the real app served by `qingdan demo` in a subprocess, driven
by Playwright in Debian's Chromium (/usr/bin/chromium, or QINGDAN_CHROMIUM)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

CHROMIUM = os.environ.get("QINGDAN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    """`qingdan demo` on a fresh data dir and a free port; its base URL.

    ``QINGDAN_E2E_URL`` points the tests at a demo server already running
    instead (while writing a test; the journeys expect fresh demo data).
    """
    if not os.path.exists(CHROMIUM):
        if os.environ.get("QINGDAN_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium is required but not found at {CHROMIUM}")
        pytest.skip("Chromium not installed (apt-get install chromium)")
    if os.environ.get("QINGDAN_E2E_URL"):
        yield os.environ["QINGDAN_E2E_URL"].rstrip("/")
        return
    data_dir = tempfile.mkdtemp(prefix="qingdan-e2e-")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QINGDAN_")}
    env["QINGDAN_SECRET_KEY"] = "e2e-secret"
    log = open(os.path.join(data_dir, "server.log"), "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qingdan.cli", "demo", "--data-dir", data_dir, "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(open(log.name).read()[-3000:])
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            break
        except OSError:
            time.sleep(0.3)
    else:
        proc.terminate()
        raise RuntimeError("the demo server did not start in 120 s")
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    log.close()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
async def browser(server):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        await b.close()


@pytest.fixture
async def page(browser):
    context = await browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = await context.new_page()
    yield page
    await context.close()


@pytest.fixture
def login(server):
    """``await login(page, slug, username)`` signs in through the login form."""

    async def sign_in(page, slug: str, username: str, password: str = "qingdan-demo"):
        await page.goto(f"{server}/t/{slug}/login")
        await page.get_by_label("用户名").fill(username)
        await page.get_by_label("密码").fill(password)
        await page.get_by_role("button", name="登录").click()
        await page.wait_for_load_state("networkidle")

    return sign_in
