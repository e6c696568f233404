"""The Echo example (examples/widgets/echo.py): custom messages and binary data both ways,
compared byte for byte."""

from __future__ import annotations

import hashlib
import json
import random

from browser_support import BOOT_MS, STEP_MS, open_demo
from playwright.sync_api import Page, expect

# every byte value, in a shuffled order, then a run of zeros (a NUL must survive too)
PAYLOAD = bytes(random.Random(7).sample(range(256), 256)) + b"\x00" * 8


def boot_echo(page: Page, base_url: str):
    open_demo(page, base_url, "/echo")
    echo = page.locator("#echo .echo")
    expect(echo.locator(".echo-set")).to_be_visible(timeout=BOOT_MS)
    echo.locator(".echo-input").fill(PAYLOAD.hex())
    return echo


def test_a_bytes_trait_set_in_the_page_reaches_python_and_python_bytes_come_back(page: Page, base_url: str) -> None:
    echo = boot_echo(page, base_url)
    echo.locator(".echo-set").click()
    expect(echo).to_have_attribute("data-sent-hex", PAYLOAD.hex())
    # Python's observer computes sha256 of what it received and sets a Bytes trait of its own
    expect(echo).to_have_attribute("data-digest", hashlib.sha256(PAYLOAD).hexdigest(), timeout=STEP_MS)
    expect(echo).to_have_attribute("data-reversed-hex", PAYLOAD[::-1].hex(), timeout=STEP_MS)


def test_custom_messages_with_buffers_go_both_ways_byte_for_byte(page: Page, base_url: str) -> None:
    echo = boot_echo(page, base_url)
    echo.locator(".echo-send").click()  # model.send({op: "reverse"}, undefined, [payload, payload+payload])
    sent = [PAYLOAD, PAYLOAD + PAYLOAD]
    expect(echo).to_have_attribute("data-reply-hex", ",".join(b[::-1].hex() for b in sent), timeout=STEP_MS)
    reply = json.loads(echo.get_attribute("data-reply-content") or "{}")
    assert reply == {
        "op": "reversed",
        "lengths": [len(b) for b in sent],
        "sha256": [hashlib.sha256(b).hexdigest() for b in sent],
    }


def test_a_custom_message_from_the_page_makes_python_change_a_trait(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/counter")
    counter = page.locator("#counter .counter")
    expect(counter.locator(".counter-button")).to_have_text("Count: 3", timeout=BOOT_MS)
    counter.locator(".counter-add").click()
    counter.locator(".counter-add").click()
    expect(counter.locator(".counter-button")).to_have_text("Count: 23", timeout=STEP_MS)
