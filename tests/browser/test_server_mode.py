"""What only server mode has: numpy on the server, one widget shared by every visitor, a page
that survives its socket, and worker and server widgets side by side."""

from __future__ import annotations

import httpx
from browser_support import STEP_MS
from playwright.sync_api import Browser, BrowserContext, Page, expect

SERVER_MS = 15_000
"""Server mode boots nothing in the browser: a widget is there as soon as its socket is."""


def test_a_numpy_buffer_made_on_the_server_renders_and_round_trips(page: Page, server_url: str) -> None:
    page.goto(server_url + "/server-only/wave")
    wave = page.locator("#wave .wave")
    expect(wave).to_have_attribute("data-points", "64", timeout=SERVER_MS)
    expect(wave).to_have_attribute("data-quarter", "1.000")  # sin(pi/2), a float32 from numpy
    wave.locator(".wave-faster").click()  # frequency 2: the observer recomputes with numpy
    expect(wave).to_have_attribute("data-stats-frequency", "2", timeout=STEP_MS)
    expect(wave).to_have_attribute("data-quarter", "0.000", timeout=STEP_MS)
    wave.locator(".wave-sum").click()  # a Float32Array to numpy and back, doubled
    expect(wave).to_have_attribute("data-sum", "7", timeout=STEP_MS)
    expect(wave).to_have_attribute("data-doubled", "3,5,6")


def test_two_browsers_on_an_app_scope_widget_see_each_others_changes(
    browser: Browser, context: BrowserContext, server_url: str
) -> None:
    other = browser.new_context()  # another visitor: its own cookies, its own session
    try:
        one, two = context.new_page(), other.new_page()
        for p in (one, two):
            p.goto(server_url + "/server-only/board")
        a, b = one.locator("#board .counter"), two.locator("#board .counter")
        expect(a.locator(".counter-button")).to_be_visible(timeout=SERVER_MS)
        expect(b.locator(".counter-button")).to_be_visible(timeout=SERVER_MS)
        start = int(a.get_attribute("data-value") or "0")
        a.locator(".counter-button").click()
        expect(b).to_have_attribute("data-value", str(start + 1), timeout=STEP_MS)
        b.locator(".counter-button").click()
        b.locator(".counter-button").click()
        expect(a).to_have_attribute("data-value", str(start + 3), timeout=STEP_MS)
        b.locator(".counter-add").click()  # a change made in Python reaches both
        expect(a).to_have_attribute("data-value", str(start + 13), timeout=STEP_MS)
        expect(b).to_have_attribute("data-value", str(start + 13), timeout=STEP_MS)
    finally:
        other.close()


def test_a_page_shows_a_dropped_socket_keeps_what_was_clicked_offline_and_resumes(page: Page, server_url: str) -> None:
    page.goto(server_url + "/server-only/mixed")
    server = page.locator("#on-server .counter")
    expect(server.locator(".counter-button")).to_have_text("Count: 2", timeout=SERVER_MS)
    server.locator(".counter-button").click()
    expect(server).to_have_attribute("data-seen-by-python", "1", timeout=STEP_MS)

    httpx.post(server_url + "/server-only/drop", params={"hold": 3}, timeout=10)  # server side
    notice = page.locator("#on-server .fh-anywidget-offline")
    expect(notice).to_contain_text("Connection to the server lost", timeout=STEP_MS)
    server.locator(".counter-button").click()  # while offline: kept, sent when back
    server.locator(".counter-button").click()
    expect(server.locator(".counter-button")).to_have_text("Count: 5")

    expect(notice).to_be_hidden(timeout=STEP_MS)
    # the same Python object: it saw the click from before the drop and both from during it
    expect(server).to_have_attribute("data-seen-by-python", "3", timeout=STEP_MS)
    expect(server).to_have_attribute("data-parity", "odd")
    server.locator(".counter-add").click()
    expect(server.locator(".counter-button")).to_have_text("Count: 15", timeout=STEP_MS)
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)


def test_worker_and_server_widgets_work_side_by_side(page: Page, server_url: str) -> None:
    page.goto(server_url + "/server-only/mixed")
    on_server, in_worker = page.locator("#on-server .counter"), page.locator("#in-worker .counter")
    expect(on_server.locator(".counter-button")).to_have_text("Count: 2", timeout=SERVER_MS)
    on_server.locator(".counter-button").click()
    expect(on_server).to_have_attribute("data-parity", "odd", timeout=STEP_MS)
    expect(in_worker.locator(".counter-button")).to_have_text("Count: 1", timeout=120_000)
    in_worker.locator(".counter-button").click()
    expect(in_worker).to_have_attribute("data-parity", "even", timeout=STEP_MS)
