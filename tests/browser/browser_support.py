"""What the browser tests share besides fixtures: timeouts and page helpers."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Request, Route

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
    """Every request of one browser context; anything not local is aborted and remembered.

    ``expected``: outside URLs that the page is meant to try (fixtures that show what a visitor
    with no network sees). They are aborted too, as "internet disconnected", but do not fail
    the test; ``tried`` lists them."""

    seen: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    reported: int = 0
    expected: frozenset[str] = frozenset()
    tried: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.seen.append(request.url)
        if request.url in self.expected:
            self.tried.append(request.url)
        elif not is_local(request.url):
            self.outside.append(request.url)

    def abort(self, route: Route) -> None:
        """Fail an outside request: an expected one as a visitor's offline browser would."""
        route.abort("internetdisconnected" if route.request.url in self.expected else "blockedbyclient")

    def guard(self, ctx: BrowserContext) -> None:
        """Record every request of ``ctx`` (its workers' too) and fail every outside one."""
        ctx.on("request", self.record)
        ctx.route(lambda u: not is_local(u), self.abort)

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
                before_screenshot: str = "",
                expected_outside: Collection[str] = ()) -> Iterator[tuple[Page, list[str], NetworkGuard]]:
    """A page of its own context at ``url``, guarded (outside requests fail and are recorded),
    once the runtime says every widget is drawn; yields (page, console lines, guard). At the
    end its full-page screenshot and console go to ``results/<name>.png`` and ``.log``.
    ``setup`` prepares the context (permissions, init scripts); ``before_screenshot`` is page
    script run first (e.g. to stop a camera preview, which makes full-page screenshots fail);
    ``expected_outside``: the outside URLs the page is meant to try (see NetworkGuard)."""
    guard = NetworkGuard(expected=frozenset(expected_outside))
    ctx = browser.new_context(viewport={"width": 1100, "height": 900})
    if setup:
        setup(ctx)
    guard.guard(ctx)
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


def table_row(request: Any, record_property: Callable[[str, str], None], page_fixture: str) -> Iterator[None]:
    """For an autouse fixture of a compat test file: names the test's row in the JUnit report
    that scripts/compat reads (its ``feature`` marker, else ``"<name>: renders"`` for a test
    parametrized by widget ``name``), and, after the test, fails it if the page of
    ``page_fixture`` reached beyond this machine."""
    marker = request.node.get_closest_marker("feature")
    if marker:
        record_property("feature", "|".join(marker.args))
    elif "name" in request.fixturenames:
        record_property("feature", f"{request.getfixturevalue('name')}: renders")
    yield
    if page_fixture in request.fixturenames:
        request.getfixturevalue(page_fixture).guard.check()
