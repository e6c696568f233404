"""The guard that every browser test relies on: a request beyond this machine is blocked and
recorded (and then fails the test that made it)."""

from __future__ import annotations

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
