"""The network rows of scripts/bench (`scripts/bench --network`): a cold first answer over an
emulated link, memory-snapshot boot against the plain boot, alternating in one run.

Each visit is a fresh browser context (empty HTTP cache, empty OPFS) whose page has Chromium's
DevTools network emulation (``Network.emulateNetworkConditions``: the latency is added to each
request, the throughput is shared by all of the page's requests, the worker's own fetches
included). It measures, from navigation start:

  first_answer_ms   Python's answer to the first click is on the page (the bench's Ping widget
                    clicks itself; on the demo's /counter page the bench clicks the counter)
  critical_bytes    bytes (bodies as sent, headers too) of the responses that had finished by then
  total_bytes       the same once the network is idle (what the visit downloads in the end)
  before / after    which files finished before the first answer, and which after

Rows are medians of `runs` visits per boot and link; `ratio` is snapshot / plain. The `*_proxy`
rows put the same visits through the throttling proxy of bench_link.py instead of DevTools'
emulation (which costs time of its own, see there): the same link, as a network has it.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import bench_link
from playwright.sync_api import Browser, Request

LINKS = (("10mbit_60ms", 10, 60), ("40mbit_40ms", 40, 40))
"""(name, Mbit/s both ways, round-trip latency in ms)."""
IDLE_MS = 2000
"""The network counts as idle when no request is in flight and none started or ended for this long."""
TIMEOUT_MS = 240_000
AFTER_MS = 60_000
"""How long a visit may go on after its first answer, at most, for the files that come later."""

# Installed before the page's own scripts: clicks the demo counter once it is drawn, and notes
# when Python's answer reached the page (the bench's Ping widget notes its own in window.fhBench).
ANSWER_WATCH = """
window.fhNetAnswerMs = null;
const watch = () => {
  if (window.fhNetAnswerMs !== null) return;
  const bench = window.fhBench;
  if (bench && bench.firstAnswerMs !== null && bench.firstAnswerMs !== undefined) {
    window.fhNetAnswerMs = bench.firstAnswerMs;
    return;
  }
  const counter = document.querySelector("#counter .counter");
  if (!counter) return;
  if (counter.dataset.seenByPython === "1") {
    window.fhNetAnswerMs = performance.now();
    return;
  }
  const button = counter.querySelector(".counter-button");
  if (button && !counter.dataset.fhNetClicked) {
    counter.dataset.fhNetClicked = "1";
    button.click();
  }
};
new MutationObserver(watch).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
"""


def _name(url: str) -> str:
    path = urlsplit(url).path
    return path.rsplit("/", 1)[-1] or path


def visit(browser: Browser, url: str, mbit: float, rtt_ms: float, *, emulate: bool = True) -> dict[str, Any]:
    """One cold visit over the emulated link (`emulate`: DevTools' emulation; else `url` is
    already through a link of its own, bench_link.throttled)."""
    context = browser.new_context()
    context.add_init_script(ANSWER_WATCH)
    finished: list[tuple[float, int, str]] = []
    last_event = [time.monotonic()]
    in_flight: set[Request] = set()

    def started(request: Request) -> None:
        in_flight.add(request)
        last_event[0] = time.monotonic()

    def ended(request: Request) -> None:
        in_flight.discard(request)
        last_event[0] = time.monotonic()

    def done(request: Request) -> None:
        ended(request)
        sizes = request.sizes()
        timing = request.timing
        end = timing["startTime"] + max(timing["responseEnd"], 0)
        finished.append((end, sizes["responseBodySize"] + sizes["responseHeadersSize"], _name(request.url)))
        last_event[0] = time.monotonic()

    context.on("requestfinished", done)
    context.on("requestfailed", ended)
    context.on("request", started)
    page = context.new_page()
    if emulate:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        rate = mbit * 1e6 / 8
        cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": rtt_ms, "downloadThroughput": rate,
                                                      "uploadThroughput": rate})  # fmt: skip
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_function("window.fhNetAnswerMs !== null", timeout=TIMEOUT_MS, polling=50)
    answer_ms, origin = page.evaluate("[window.fhNetAnswerMs, performance.timeOrigin]")
    answered_at = origin + answer_ms
    deadline = time.monotonic() + AFTER_MS / 1000
    while (in_flight or time.monotonic() - last_event[0] < IDLE_MS / 1000) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    context.close()
    before = [(size, name) for end, size, name in finished if end <= answered_at]
    after = [(size, name) for end, size, name in finished if end > answered_at]
    return {
        "first_answer_ms": answer_ms, "critical_bytes": sum(s for s, _ in before),
        "total_bytes": sum(s for s, _ in before) + sum(s for s, _ in after),
        "before": sorted(before, reverse=True), "after": sorted(after, reverse=True),
    }  # fmt: skip


def rows(browser: Browser, page_url: str, label: str, runs: int, links: tuple[tuple[str, float, float], ...],
         say: Callable[[str], None], *, proxy: bool = False) -> dict[str, Any]:
    """Snapshot and plain visits of `page_url`, alternating, `runs` of each per link; through
    DevTools' emulation, or (`proxy`) through the throttling proxy of bench_link.py."""
    out: dict[str, Any] = {}
    for link, mbit, rtt in links:
        with contextlib.ExitStack() as stack:
            url = page_url
            if proxy:
                parts = urlsplit(page_url)
                port = stack.enter_context(bench_link.throttled(parts.port or 80, mbit, rtt))
                url = parts._replace(netloc=f"127.0.0.1:{port}").geturl()
            out[f"{label}_{link}"] = _row(browser, url, runs, mbit, rtt, not proxy, f"{label} {link}", say)
    return out


def _row(browser: Browser, page_url: str, runs: int, mbit: float, rtt: float, emulate: bool, name: str,
         say: Callable[[str], None]) -> dict[str, Any]:
    """One row: `runs` snapshot and plain visits of `page_url`, alternating."""
    plain_url = page_url + ("&" if "?" in page_url else "?") + "fh-anywidget-snapshot=off"
    visits: dict[str, list[dict[str, Any]]] = {"snapshot": [], "plain": []}
    for i in range(runs):
        order = [("snapshot", page_url), ("plain", plain_url)]
        for boot, url in order if i % 2 == 0 else order[::-1]:
            t = time.perf_counter()
            visits[boot].append(visit(browser, url, mbit, rtt, emulate=emulate))
            say(f"network {name} {boot} {i + 1}/{runs}: first answer {visits[boot][-1]['first_answer_ms']:,.0f} ms "
                f"({time.perf_counter() - t:.1f} s)")
    row: dict[str, Any] = {"mbit": mbit, "rtt_ms": rtt, "runs": runs, "link_model": "devtools" if emulate else "proxy"}
    for boot, done in visits.items():
        for key in ("first_answer_ms", "critical_bytes", "total_bytes"):
            row[f"{boot}_{key}"] = statistics.median(v[key] for v in done)
        row[f"{boot}_per_run_ms"] = [round(v["first_answer_ms"]) for v in done]
        row[f"{boot}_files"] = {"before": done[-1]["before"], "after": done[-1]["after"]}
    row["ratio"] = row["snapshot_first_answer_ms"] / row["plain_first_answer_ms"]
    return row


def table(network: dict[str, Any]) -> str:
    lines = [f"{'network row':<26}{'snapshot ms':>12}{'plain ms':>10}{'ratio':>7}{'critical MB':>13}{'total MB':>10}"
             f"{'plain MB':>10}", "-" * 88]  # fmt: skip
    for name, row in network.items():
        lines.append(f"{name:<26}{row['snapshot_first_answer_ms']:>12,.0f}{row['plain_first_answer_ms']:>10,.0f}"
                     f"{row['ratio']:>7.2f}{row['snapshot_critical_bytes'] / 1e6:>13.2f}{row['snapshot_total_bytes'] / 1e6:>10.2f}"
                     f"{row['plain_total_bytes'] / 1e6:>10.2f}")  # fmt: skip
    for name, row in network.items():
        files = row["snapshot_files"]
        show = lambda items: ", ".join(f"{n} {s / 1e6:.2f}" for s, n in items if s >= 20_000) or "-"  # noqa: E731
        lines.append(f"({name}, snapshot boot, files of 20 KB+ in MB: before the first answer: {show(files['before'])}; "
                     f"after: {show(files['after'])})")
    return "\n".join(lines)
