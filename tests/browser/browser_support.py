"""What the browser tests share besides fixtures: timeouts and page helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Request

BOOT_MS = 120_000
"""The first widget of a page waits for Pyodide to boot in a fresh worker (10-16 s seen on
2 cores, more under load) — generous, so a slow machine is not a failure."""
STEP_MS = 30_000
"""One round trip page -> worker Python -> page, once Python is up."""
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def is_local(url: str) -> bool:
    """True for the URLs a page may load: this machine (loopback), data: and blob:."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") in LOCAL_HOSTS


@dataclass
class NetworkGuard:
    """Every request of one browser context; anything not local is aborted and remembered."""

    seen: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    reported: int = 0

    def record(self, request: Request) -> None:
        self.seen.append(request.url)
        if not is_local(request.url):
            self.outside.append(request.url)

    def check(self) -> None:
        """Raise for the outside requests not reported yet."""
        new, self.reported = self.outside[self.reported :], len(self.outside)
        if new:
            listed = "\n  ".join(new)
            raise AssertionError(f"the page tried to reach beyond this machine ({len(new)} request(s)):\n  {listed}")


def open_demo(page: Page, base_url: str, path: str) -> Page:
    page.goto(base_url + path)
    return page



def wait_ready(page: Page, timeout: float = BOOT_MS) -> None:
    """Wait until the page runtime says every widget of the page is drawn."""
    page.evaluate("() => { window.fhAnywidget.ready.then(() => { window.__pageReady = true; }); }")
    page.wait_for_function("() => window.__pageReady === true", timeout=timeout)


@contextlib.contextmanager
def booted_page(browser: Browser, url: str, results: Path, name: str,
                setup: Callable[[BrowserContext], None] | None = None,
                before_screenshot: str = "") -> Iterator[tuple[Page, list[str], NetworkGuard]]:
    """A page of its own context at ``url``, guarded (outside requests fail and are recorded),
    once the runtime says every widget is drawn; yields (page, console lines, guard). At the
    end its full-page screenshot and console go to ``results/<name>.png`` and ``.log``.
    ``setup`` prepares the context (permissions, init scripts); ``before_screenshot`` is page
    script run first (e.g. to stop a camera preview, which makes full-page screenshots fail)."""
    guard = NetworkGuard()
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    if setup:
        setup(ctx)
    ctx.on("request", guard.record)
    ctx.route(lambda u: not is_local(u), lambda route: route.abort("blockedbyclient"))
    page = ctx.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(f"console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    page.goto(url)
    try:
        wait_ready(page, BOOT_MS * 2)
        yield page, console, guard
    finally:
        results.mkdir(exist_ok=True)
        try:
            if before_screenshot:
                page.evaluate(before_screenshot)
            page.screenshot(path=str(results / f"{name}.png"), full_page=True)
        finally:
            (results / f"{name}.log").write_text("\n".join(console) + "\n")
            ctx.close()
