"""Two host.widget(...) calls with one key on one page: one model, two views."""

from __future__ import annotations

from browser_support import BOOT_MS, STEP_MS, open_demo
from playwright.sync_api import Page, expect


def test_two_views_of_one_keyed_model_stay_in_sync(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/shared")
    one, two = page.locator("#view-1 .counter"), page.locator("#view-2 .counter")
    expect(one.locator(".counter-button")).to_have_text("Count: 0", timeout=BOOT_MS)
    expect(two.locator(".counter-button")).to_have_text("Count: 0", timeout=BOOT_MS)

    one.locator(".counter-button").click()
    expect(two.locator(".counter-button")).to_have_text("Count: 1", timeout=STEP_MS)
    expect(two).to_have_attribute("data-parity", "odd", timeout=STEP_MS)

    two.locator(".counter-button").click()
    two.locator(".counter-button").click()
    expect(one.locator(".counter-button")).to_have_text("Count: 3", timeout=STEP_MS)

    two.locator(".counter-add").click()  # a change made in Python reaches both views
    expect(one.locator(".counter-button")).to_have_text("Count: 13", timeout=STEP_MS)
    expect(two.locator(".counter-button")).to_have_text("Count: 13", timeout=STEP_MS)
    # one model: its observer saw each change once, not once per view
    expect(one).to_have_attribute("data-seen-by-python", "4", timeout=STEP_MS)
    expect(two).to_have_attribute("data-seen-by-python", "4", timeout=STEP_MS)
