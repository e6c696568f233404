"""What the browser tests share besides fixtures: timeouts and page helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Page, Request

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

