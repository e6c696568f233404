"""Widgets in the FastHTML app, measured (issue: widgets in forms, htmx and routes), both modes:

- ``change_to_swap_ms``: from a widget change on the page (the visitor moves a slider: ``input`` on
  its range input, ``model.set`` + ``save_changes``) to htmx's swap of the response it triggered
  (``hx-trigger="fhaw:change"`` with no delay: ``fhaw:change`` -> POST -> ``htmx:afterSwap``);
- ``boost_ms`` / ``full_nav_ms``: from a click on a link to the next page's widget drawn
  (``fhaw:ready``), with ``hx-boost`` and as a full navigation (the worker boots again, from this
  browser's copy of the snapshot), alternating;
- ``swaps``: 1,000 htmx swaps of a section holding a widget: the JS heap after a GC, and what Python
  holds (the census widget), before and after.

Serves the demo (examples/demo/app.py) on 127.0.0.1 and drives headless Chromium with one profile
per mode. Medians of the runs; the machine is shared, so compare within one run. Usage:
``.venv/bin/python scripts/bench_app.py [--runs N] [--json PATH]`` (scripts/test's setup builds the
demo's distribution; run it offline with ``unshare -n`` if you like: it needs only loopback).
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
from test_htmx import SWAP_LOOP, census, heap_mb  # noqa: E402 - the same loop and probes as the test

CHROMIUM = "/usr/bin/chromium"

CHANGE_TO_SWAP = """async (runs) => {
  const input = document.querySelector("#latency .range-high");
  const out = [];
  for (let i = 0; i < runs; i++) {
    const swapped = new Promise((resolve) => document.addEventListener("htmx:afterSwap", resolve, { once: true }));
    const t0 = performance.now();
    input.value = String(10 + (i % 900));
    input.dispatchEvent(new Event("input", { bubbles: true }));
    await swapped;
    out.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 30));
  }
  return out;
}"""

READY_AFTER = """(selector) => new Promise((resolve) => {
  const t0 = performance.now();
  document.addEventListener("fhaw:ready", () => resolve(performance.now() - t0), { once: true });
  document.querySelector(selector).click();
})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_drawn(page: Page, selector: str) -> None:
    page.locator(selector).wait_for(timeout=120_000)




def measure(page: Page, base: str, runs: int) -> dict:
    out: dict = {}
    page.goto(base + "/htmx/latency")
    wait_drawn(page, "#latency .range-slider")
    page.evaluate(CHANGE_TO_SWAP, 5)  # warm up
    times = page.evaluate(CHANGE_TO_SWAP, runs * 10)
    out["change_to_swap_ms"] = {"p50": round(statistics.median(times), 1),
                                "p90": round(sorted(times)[int(len(times) * 0.9)], 1), "n": len(times)}

    boost, full = [], []
    page.goto(base + "/htmx/boost-a")
    wait_drawn(page, "#on-a .counter-button")
    for i in range(runs):
        # alternate: a boosted click to the other page, then a full navigation to it
        target = "#to-b" if i % 2 == 0 else "#to-a"
        boost.append(page.evaluate(READY_AFTER, target))
        other = "/htmx/boost-a" if i % 2 == 0 else "/htmx/boost-b"
        t0 = time.monotonic()
        page.goto(base + other)
        wait_drawn(page, "#on-a .counter-button" if other.endswith("-a") else "#on-b .counter-button")
        full.append((time.monotonic() - t0) * 1000)
    out["boost_ms"] = round(statistics.median(boost), 1)
    out["full_nav_ms"] = round(statistics.median(full), 1)
    out["boost_ratio"] = round(out["boost_ms"] / out["full_nav_ms"], 3)

    page.goto(base + "/htmx/swap")
    wait_drawn(page, "#census-section .census-ask")
    page.locator("#swap").click()
    wait_drawn(page, "#slot-1 .counter-button")
    before, heap_before = census(page), heap_mb(page)
    took = page.evaluate(SWAP_LOOP, 1000)
    page.wait_for_timeout(3500)
    after, heap_after = census(page), heap_mb(page)
    out["swaps"] = {"n": 1000, "ms_each": round(took / 1000, 1), "heap_mb": [round(heap_before, 2), round(heap_after, 2)],
                    "python_widgets": [before["widgets"], after["widgets"]], "page_models": [before["page_models"], after["page_models"]]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "examples.demo.app:app", "--host", "127.0.0.1",
                               "--port", str(port), "--log-level", "warning"], cwd=ROOT)
    results = {}
    try:
        time.sleep(3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            for mode, prefix in (("worker", ""), ("server", "/server")):
                ctx = browser.new_context()
                results[mode] = measure(ctx.new_page(), f"http://127.0.0.1:{port}{prefix}", args.runs)
                ctx.close()
            browser.close()
    finally:
        server.terminate()
        server.wait()
    for mode, r in results.items():
        s = r["swaps"]
        print(f"{mode:6}  change->swap p50 {r['change_to_swap_ms']['p50']} ms (p90 {r['change_to_swap_ms']['p90']}, "
              f"n={r['change_to_swap_ms']['n']})  |  next page: hx-boost {r['boost_ms']} ms vs full navigation "
              f"{r['full_nav_ms']} ms (ratio {r['boost_ratio']})  |  1,000 swaps ({s['ms_each']} ms each): heap "
              f"{s['heap_mb'][0]} -> {s['heap_mb'][1]} MB, Python widgets {s['python_widgets'][0]} -> "
              f"{s['python_widgets'][1]}, page models {s['page_models'][0]} -> {s['page_models'][1]}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
