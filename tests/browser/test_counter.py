"""The Counter example (examples/widgets/counter.py): page -> Python -> page."""

from __future__ import annotations

import pytest
from browser_support import BOOT_MS, STEP_MS, open_demo
from playwright.sync_api import Page, expect


def test_a_counter_renders_with_its_initial_value_and_python_state(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/counter")
    counter = page.locator("#counter .counter")
    expect(counter.locator(".counter-button")).to_have_text("Count: 3", timeout=BOOT_MS)
    expect(counter).to_have_attribute("data-parity", "odd")  # computed by Python in __init__
    expect(page.locator("#counter .fh-anywidget-status")).to_be_hidden()
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)


def test_a_click_reaches_a_python_observer_and_the_page_shows_its_result(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/counter")
    counter = page.locator("#counter .counter")
    button = counter.locator(".counter-button")
    expect(button).to_have_text("Count: 3", timeout=BOOT_MS)
    expect(counter).to_have_attribute("data-seen-by-python", "0")

    button.click()
    expect(button).to_have_text("Count: 4")
    # parity and seen_by_python are set only by the @observe("value") observer in the worker
    expect(counter).to_have_attribute("data-parity", "even", timeout=STEP_MS)
    expect(counter).to_have_attribute("data-seen-by-python", "1", timeout=STEP_MS)

    button.click()
    expect(counter).to_have_attribute("data-parity", "odd", timeout=STEP_MS)
    expect(counter).to_have_attribute("data-seen-by-python", "2", timeout=STEP_MS)
    expect(counter.locator(".counter-seen")).to_have_text("Python saw 2 change(s)")


def test_a_python_side_change_updates_the_page(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/counter")
    counter = page.locator("#counter .counter")
    expect(counter.locator(".counter-button")).to_have_text("Count: 3", timeout=BOOT_MS)

    counter.locator(".counter-add").click()  # a custom message; Python does value += 10
    expect(counter.locator(".counter-button")).to_have_text("Count: 13", timeout=STEP_MS)
    expect(counter).to_have_attribute("data-parity", "odd")

    counter.locator(".counter-reset").click()  # Python sets value = 0
    expect(counter.locator(".counter-button")).to_have_text("Count: 0", timeout=STEP_MS)
    expect(counter).to_have_attribute("data-parity", "even", timeout=STEP_MS)
    expect(counter).to_have_attribute("data-seen-by-python", "2")


def test_a_factory_function_makes_a_widget_like_a_class_does(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/counter")
    made = page.locator("#factory .counter")
    expect(made.locator(".counter-button")).to_have_text("Count (from 41): 41", timeout=BOOT_MS)
    made.locator(".counter-button").click()
    expect(made).to_have_attribute("data-parity", "even", timeout=STEP_MS)
    # the two widgets of the page are separate models
    expect(page.locator("#counter .counter .counter-button")).to_have_text("Count: 3")


@pytest.mark.worker_only
def test_the_worker_keeps_how_long_each_message_took_for_its_console(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/counter")
    counter = page.locator("#counter .counter")
    button = counter.locator(".counter-button")
    expect(button).to_have_text("Count: 3", timeout=BOOT_MS)
    worker = next(w for w in page.workers if w.evaluate("typeof fhAnywidgetWorker !== 'undefined'"))
    worker.evaluate("fhAnywidgetWorker.clearMessageTimes()")
    assert worker.evaluate("fhAnywidgetWorker.messageTimes().count") == 0

    for seen in ("1", "2", "3"):
        button.click()
        expect(counter).to_have_attribute("data-seen-by-python", seen, timeout=STEP_MS)
    times = worker.evaluate("fhAnywidgetWorker.messageTimes()")
    assert times["count"] == 3, times  # one update per click
    # the demo is not cross-origin isolated: its clocks step by 100 µs, so a share may read 0,
    # but no share exceeds the whole, and an update through ipywidgets is not instant
    worker_us, python_us, post_us = (times[share] for share in ("worker_us", "python_us", "post_us"))
    assert 0 < worker_us["max"] < 5_000_000, times  # µs, not ms or s
    assert python_us["max"] <= worker_us["max"] and post_us["max"] <= worker_us["max"], times
    assert python_us["max"] > 0, times
