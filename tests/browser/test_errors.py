"""Python errors show in the failing widget's own element; the widgets around it go on working."""

from __future__ import annotations

from browser_support import BOOT_MS, STEP_MS, open_demo
from playwright.sync_api import Page, expect


def test_a_widget_that_raises_in_init_shows_its_traceback_while_its_neighbour_works(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/errors")
    error = page.locator("#failing .fh-anywidget-error")
    expect(error).to_contain_text("ValueError", timeout=BOOT_MS)
    expect(error).to_contain_text("Failing widget refused to start (this error is on purpose)")
    # in server mode too: the suite serves the demo in development (ANYWIDGET_HMR=1), where
    # server_tracebacks is on (a production server sends none: tests/test_server.py)
    expect(error).to_contain_text("Traceback")
    expect(error).to_contain_text("failing.py")  # the traceback names the widget's own file
    expect(error).not_to_contain_text("endpoint.py")  # and starts in it, not in the server's own frames
    expect(page.locator("#failing .fh-anywidget-status")).to_be_hidden()

    neighbour = page.locator("#neighbour .counter")
    neighbour.locator(".counter-button").click()
    expect(neighbour).to_have_attribute("data-parity", "odd", timeout=STEP_MS)
    expect(page.locator("#neighbour .fh-anywidget-error")).to_have_count(0)


def test_an_observer_that_raises_shows_the_traceback_in_its_own_widget(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/errors")
    fragile = page.locator("#fragile .counter")
    expect(fragile.locator(".counter-button")).to_have_text("Count: 0", timeout=BOOT_MS)
    expect(page.locator("#fragile .fh-anywidget-error")).to_have_count(0)

    fragile.locator(".counter-button").click()
    error = page.locator("#fragile .fh-anywidget-error")
    expect(error).to_contain_text("FragileCounter observer refused value 1 (this error is on purpose)", timeout=STEP_MS)
    expect(error).to_contain_text("ValueError")
    expect(error).to_contain_text("Traceback")
    expect(page.locator("#neighbour .fh-anywidget-error")).to_have_count(0)
    expect(page.locator("#failing .fh-anywidget-error")).to_have_count(1)  # only its own

    neighbour = page.locator("#neighbour .counter")
    neighbour.locator(".counter-button").click()
    neighbour.locator(".counter-button").click()
    expect(neighbour).to_have_attribute("data-seen-by-python", "2", timeout=STEP_MS)
