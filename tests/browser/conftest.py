"""Fixtures of the browser suite: one demo server per session, a fresh browser context per
test, and a network guard that fails any test whose page reached beyond this machine.

Chromium is Debian's (/usr/bin/chromium), driven by Playwright from PyPI; no browser is
ever downloaded. Screenshots and page logs of every test land in test-results/.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from browser_support import NetworkGuard
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
DIST = ROOT / "build" / "pyodide"
CHROMIUM = os.environ.get("FHAW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # a fake camera, allowed without a prompt (wigglystuff's WebcamCapture)
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
]  # fmt: skip
SERVER_START_SECONDS = 60
APP = os.environ.get("FHAW_TEST_APP", "examples.demo.app:app")
"""The app the suite serves: the demo, or (for debugging) another module:attr with the same pages."""


# -- the demo server --------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(app: str, log_name: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`app` ('module:attr') served by uvicorn on a free loopback port, its log in test-results/."""
    RESULTS.mkdir(exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = RESULTS / log_name
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )  # fmt: skip
        try:
            _wait_for_server(server, url, log_path)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """The demo app (examples/demo/app.py) served by uvicorn on a free loopback port."""
    if not (DIST / "fh-anywidget.json").is_file():
        pytest.fail(f"the demo's Python distribution is missing ({DIST}); build it with "
                    "`.venv/bin/fh-anywidget dist examples.demo.app:app` or run scripts/test", pytrace=False)
    # ANYWIDGET_HMR: development hot reload (test_compat.py)
    with serving(APP, "server.log", env={"ANYWIDGET_HMR": "1"}) as url:
        yield url


MODES = ("worker", "server")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "worker_only: a scenario that only worker mode has (skipped in server mode)")
    config.addinivalue_line("markers", "feature(*rows): the rows of docs/compat.md this test decides (scripts/compat)")


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    """Every browser test runs twice: widgets in the browser's worker, and on the server."""
    if request.param == "server" and request.node.get_closest_marker("worker_only"):
        pytest.skip("worker mode only")
    return request.param


@pytest.fixture
def base_url(server_url: str, mode: str) -> str:
    """Where the demo's pages are in this mode: the demo serves each page under /server too,
    with every widget in server mode."""
    return server_url + ("/server" if mode == "server" else "")


def _wait_for_server(server: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the demo server exited with code {server.returncode}:\n{log_path.read_text()}", pytrace=False)
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the demo server did not answer at {url} within {SERVER_START_SECONDS} s:\n{log_path.read_text()}",
                pytrace=False)


# -- the browser ------------------------------------------------------------------

@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: `apt-get install -y chromium chromium-driver` "
                    "(scripts/test does it); never `playwright install`", pytrace=False)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def network_guard() -> NetworkGuard:
    return NetworkGuard()


@pytest.fixture
def context(browser: Browser, network_guard: NetworkGuard) -> Iterator[BrowserContext]:
    """A fresh context (its own profile: no cache, no storage) guarded against outside requests."""
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    network_guard.guard(ctx)  # sees the Web Worker's requests too
    yield ctx
    ctx.close()
    network_guard.check()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page whose console and errors go to test-results/<test>.log, and whose final look
    goes to test-results/<test>.png, pass or fail."""
    page = context.new_page()
    lines: list[str] = []
    page.on("console", lambda m: lines.append(f"console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: lines.append(f"pageerror: {e}"))
    page.on("worker", lambda w: lines.append(f"worker started: {w.url}"))
    page.on("requestfailed", lambda r: lines.append(f"request failed: {r.url} ({r.failure})"))
    yield page
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    RESULTS.mkdir(exist_ok=True)
    try:
        page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
    finally:
        (RESULTS / f"{name}.log").write_text("\n".join(lines) + "\n")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Fail the test itself (not only its teardown) when its page reached beyond this machine."""
    result = yield
    guard = getattr(item, "funcargs", {}).get("network_guard")
    if isinstance(guard, NetworkGuard):
        guard.check()
    return result
