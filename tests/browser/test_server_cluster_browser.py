"""Server mode on two processes sharing a real redis-server, in real browsers: two visitors on
different processes see each other's changes on a ``scope="app"`` widget, and a page shows that
the broker is away, keeps what is clicked meanwhile, and goes on when it is back
(tests/cluster_support.py starts the processes; tests/cluster_app.py is the app)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import STEP_MS
from playwright.sync_api import Browser, BrowserContext, expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the cluster's support
from cluster_support import REDIS_SERVER, AppProcess, RedisServer  # noqa: E402

pytestmark = pytest.mark.skipif(not Path(REDIS_SERVER).exists(), reason="redis-server is not installed (scripts/test installs it)")

SERVER_MS = 20_000


@pytest.fixture
def two_processes(tmp_path) -> Iterator[tuple[RedisServer, AppProcess, AppProcess]]:
    redis = RedisServer(tmp_path).start()
    log = tmp_path / "observer.log"
    apps: list[AppProcess] = []
    try:
        apps = [AppProcess(redis.url, log, tmp_path / f"app{i}.log") for i in range(2)]
        yield redis, apps[0], apps[1]
    finally:
        for app in apps:
            app.stop()
        redis.stop()


def test_two_browsers_on_different_processes_share_an_app_widget_and_ride_out_a_broker_outage(
    browser: Browser, context: BrowserContext, two_processes
) -> None:
    redis, a, b = two_processes
    other = browser.new_context()  # another visitor, on the other process
    try:
        one, two = context.new_page(), other.new_page()
        one.goto(a.base + "/")
        two.goto(b.base + "/")
        board_a, board_b = one.locator(".counter"), two.locator(".counter")
        expect(board_a.locator(".counter-button")).to_have_text("Count: 0", timeout=SERVER_MS)
        expect(board_b.locator(".counter-button")).to_have_text("Count: 0", timeout=SERVER_MS)
        board_a.locator(".counter-button").click()
        expect(board_b).to_have_attribute("data-value", "1", timeout=STEP_MS)
        board_b.locator(".counter-add").click()  # Python runs once, and both pages see what it set
        expect(board_a).to_have_attribute("data-value", "11", timeout=STEP_MS)
        expect(board_a).to_have_attribute("data-parity", "odd", timeout=STEP_MS)

        redis.stop()
        notice = two.locator(".fh-anywidget-offline")  # in each of its placeholders
        expect(notice.first).to_contain_text("cannot reach its broker", timeout=SERVER_MS)
        board_b.locator(".counter-button").click()  # kept on process B meanwhile
        redis.start()
        expect(notice).to_have_count(0, timeout=SERVER_MS)
        expect(board_a).to_have_attribute("data-value", "12", timeout=SERVER_MS)
        expect(board_b).to_have_attribute("data-value", "12", timeout=STEP_MS)
    finally:
        other.close()
