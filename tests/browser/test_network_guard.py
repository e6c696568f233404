"""The guard that every browser test relies on: a request beyond this machine is blocked and
recorded (and then fails the test that made it)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from browser_support import NetworkGuard, open_demo
from playwright.sync_api import Page


@pytest.mark.worker_only  # the guard itself: once is enough
def test_the_network_guard_blocks_and_records_a_request_beyond_this_machine(
    page: Page, base_url: str, network_guard: NetworkGuard
) -> None:
    open_demo(page, base_url, "/echo")
    outcome = page.evaluate(
        "fetch('https://fh-anywidget.invalid/probe.js').then(() => 'loaded', () => 'blocked')"
    )
    assert outcome == "blocked"
    assert network_guard.outside == ["https://fh-anywidget.invalid/probe.js"]
    with pytest.raises(AssertionError, match="beyond this machine"):
        network_guard.check()
    assert all(url.startswith(base_url) for url in network_guard.seen if url not in network_guard.outside)


def test_outside_urls_a_page_is_expected_to_try_are_listed_apart_and_every_other_one_still_fails() -> None:
    guard = NetworkGuard(expected=frozenset({"https://cdn.example/lib.js"}))
    for url in ("https://cdn.example/lib.js", "http://127.0.0.1:5001/page", "https://cdn.example/lib.js?v=2"):
        guard.record(SimpleNamespace(url=url))  # type: ignore[arg-type]
    assert guard.tried == ["https://cdn.example/lib.js"]
    with pytest.raises(AssertionError, match=r"lib\.js\?v=2"):
        guard.check()
