"""The fh-anywidget benchmark (run it as `scripts/bench [--runs N] [--json PATH]`).

Serves examples/bench/app.py with uvicorn on 127.0.0.1 and drives Debian's Chromium (headless,
through Playwright; no browser is downloaded). Every figure is the median of `--runs` runs, each in
a fresh browser context (its own profile: empty HTTP cache), all in this one process:

  tti_cold_ms       navigation -> Python's answer to the widget's first click is on the page
                    (the Ping widget clicks itself once rendered), memory-snapshot boot
  tti_warm_ms       the same, second visit in the same context (HTTP cache warm), once the first
                    visit has finished its background work (keeping its unpacked snapshot)
  naive_ms          the same page booting Python the plain way (?fh-anywidget-snapshot=off:
                    loadPyodide + install the wheels + import)
  tti_ratio         tti_cold_ms / naive_ms
  pyodide_boot_ms   a bare loadPyodide() in a module worker of the same browser (cold context)
  rtt_p50_us/p99    model.set + save_changes -> Python observer -> change back on the page
  rtt_echo_p50_us   the same with ipywidgets' echo_update turned on again in the worker (alternating)
  postmessage_rtt_p50_us   a bare worker echo in the same page, its round trips alternating with
                    the widget's (so both see the same machine); rtt_ratio = rtt_p50 / that
  rtt_worker_us     the worker's share of a round trip: the update's arrival in the worker to
                    Python's answer posted (the worker's own clock, fhAnywidgetWorker.messageTimes,
                    over a block of round trips right after the others); rtt_python_us: Python's
                    share of that (the kernel, ipywidgets, the widget's observer; not the posting)
  js_to_py_MBps, py_to_js_MBps   one 64 MiB buffer through the widget protocol (custom messages)
  bare_js_to_worker_MBps, bare_worker_to_js_MBps   the same buffer to/from a bare worker
  cold_bytes        bytes on the wire for the cold /tti load, up to the first answer (bodies as
                    served: brotli or gzip); cold_total_bytes: the whole visit's, the files the
                    worker fetches after the first answer included

MB here is 2**20 bytes. Targets are printed beside the figures; nothing is asserted.

`--network` adds the rows of scripts/bench_network.py: cold first answers over emulated links
(10 Mbit/s / 60 ms and 40 Mbit/s / 40 ms), snapshot against plain boot alternating, with the
bytes received before the first answer; on the bench page, and on the demo's /counter page (its
own dist, with drawdata and wigglystuff) at 10 Mbit/s / 60 ms; and the bench page's rows again
through a throttling proxy (scripts/bench_link.py) instead of DevTools' emulation, `bench_proxy_*`.
`--network-only` runs just those.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.request import urlopen

from playwright.sync_api import Browser, Request, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("FHAW_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
MB = 1 << 20
BUFFER = 64 * MB
RTT_COUNT, RTT_WARMUP = 1000, 50
TIMEOUT_MS = 180_000
KEPT = "kept the unpacked memory snapshot in this browser"
KEPT_WAIT_MS = 15_000
TARGETS: dict[str, tuple[str, float]] = {
    "tti_cold_ms": ("<=", 1500), "tti_warm_ms": ("<=", 1000), "tti_ratio": ("<=", 0.15), "rtt_ratio": ("<=", 3),
    "rtt_p50_us": ("<=", 300),
    "py_to_js_MBps": (">=", 1000), "js_to_py_MBps": (">=", 1000),
}  # fmt: skip
ORDER = [
    "tti_cold_ms", "tti_warm_ms", "naive_ms", "tti_ratio", "pyodide_boot_ms", "rtt_p50_us", "rtt_p99_us", "rtt_echo_p50_us",
    "rtt_worker_us", "rtt_python_us", "postmessage_rtt_p50_us", "rtt_ratio", "js_to_py_MBps", "py_to_js_MBps",
    "bare_js_to_worker_MBps", "bare_worker_to_js_MBps", "cold_bytes", "cold_total_bytes",
]  # fmt: skip


# ---------------------------------------------------------------- the server


@contextmanager
def server(app: str = "examples.bench.app:app", ready_path: str = "/bare") -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"bench: the bench server exited with code {proc.returncode}")
            try:
                with urlopen(url + ready_path, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("bench: the bench server did not answer within 60 s") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---------------------------------------------------------------- one run of each measurement


def wire_bytes(requests: list[Request]) -> int:
    total = 0
    for request in requests:
        sizes = request.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
    return total


def first_answer(page: Any, url: str) -> tuple[float, dict[str, Any]]:
    """Open the /tti page; ms from navigation start to Python's first answer, and the boot timings."""
    page.goto(url)
    page.wait_for_function("window.fhBench && window.fhBench.firstAnswerMs !== null", timeout=TIMEOUT_MS, polling=50)
    ms = page.evaluate("window.fhBench.firstAnswerMs")
    timings = page.evaluate("window.fhAnywidget.manager.timings")
    return ms, timings


def run_tti(browser: Browser, base: str) -> dict[str, Any]:
    context = browser.new_context()
    finished: list[Request] = []
    context.on("requestfinished", lambda r: finished.append(r))  # the worker's requests too
    warnings: list[str] = []
    kept: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: m.type == "warning" and warnings.append(m.text))
    page.on("console", lambda m: KEPT in m.text and kept.append(m.text))
    cold, timings = first_answer(page, base + "/tti")
    cold_bytes = wire_bytes(finished)
    # the first visit ends once the page has finished its work: the worker keeps its unpacked
    # snapshot in this browser (OPFS) in the background, after the first answer
    for _ in range(KEPT_WAIT_MS // 50):
        if kept:
            break
        page.wait_for_timeout(50)
    cold_total_bytes = wire_bytes(finished)
    page.close()
    page = context.new_page()
    warm, warm_timings = first_answer(page, base + "/tti")
    context.close()
    return {"tti_cold_ms": cold, "tti_warm_ms": warm, "cold_bytes": cold_bytes, "cold_total_bytes": cold_total_bytes,
            "timings": timings,
            "warm_timings": warm_timings, "warnings": warnings, "kept": bool(kept)}  # fmt: skip


def run_naive(browser: Browser, base: str) -> dict[str, Any]:
    context = browser.new_context()
    page = context.new_page()
    ms, timings = first_answer(page, base + "/tti?fh-anywidget-snapshot=off")
    context.close()
    return {"naive_ms": ms, "naive_timings": timings}


def run_transfers(browser: Browser, base: str) -> dict[str, Any]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/ping")
    page.wait_for_function("window.fhBench !== undefined", timeout=TIMEOUT_MS, polling=50)
    isolated = page.evaluate("crossOriginIsolated")  # 5 µs timers, not 100 µs (examples/bench/app.py)
    page.wait_for_function("window.fhBare !== undefined", timeout=TIMEOUT_MS)
    # widget and bare-echo round trips alternate, one of each at a time, so both see the same
    # machine; and the widget's again with ipywidgets' echo_update on (as before the worker turned it off)
    rtt, bare_rtt, echo_rtt = page.evaluate("""async ([warmup, n]) => {
        const widget = [], bare = [], echo = [];
        for (let i = 0; i < warmup + n; i++) {
            const [w] = await window.fhBench.rtt(1);
            const [b] = await window.fhBare.rtt(1);
            await window.fhBench.setEcho(true);
            const [e] = await window.fhBench.rtt(1);
            await window.fhBench.setEcho(false);
            if (i >= warmup) { widget.push(w); bare.push(b); echo.push(e); }
        }
        return [widget, bare, echo];
    }""", [RTT_WARMUP, RTT_COUNT])
    # the shares of a round trip: a block of plain widget round trips (no echo switching in between:
    # the worker counts every message, web/worker/timings.js), still alternating with the bare echo
    worker = next(w for w in page.workers if w.evaluate("typeof fhAnywidgetWorker !== 'undefined'"))
    worker.evaluate("fhAnywidgetWorker.clearMessageTimes()")
    page.evaluate("""async (n) => {
        for (let i = 0; i < n; i++) { await window.fhBench.rtt(1); await window.fhBare.rtt(1); }
    }""", min(RTT_COUNT, 500))  # the worker keeps the last 512
    shares = worker.evaluate("fhAnywidgetWorker.messageTimes()")
    page.evaluate("(b) => window.fhBench.toPython(b)", BUFFER)  # warm-up: first big allocations
    to_py = page.evaluate("(b) => window.fhBench.toPython(b)", BUFFER)
    page.evaluate("(b) => window.fhBench.fromPython(b)", BUFFER)
    from_py = page.evaluate("(b) => window.fhBench.fromPython(b)", BUFFER)
    page.close()
    page = context.new_page()
    page.goto(base + "/bare")
    page.wait_for_function("window.fhBare !== undefined", timeout=TIMEOUT_MS)
    page.evaluate("(b) => window.fhBare.toWorker(b)", BUFFER)
    to_worker = page.evaluate("(b) => window.fhBare.toWorker(b)", BUFFER)
    page.evaluate("(b) => window.fhBare.fromWorker(b)", BUFFER)
    from_worker = page.evaluate("(b) => window.fhBare.fromWorker(b)", BUFFER)
    context.close()
    rate = lambda ms: BUFFER / MB / (ms / 1000)  # noqa: E731
    return {
        "rtt_p50_us": percentile(rtt, 50), "rtt_p99_us": percentile(rtt, 99), "rtt_echo_p50_us": percentile(echo_rtt, 50),
        "postmessage_rtt_p50_us": percentile(bare_rtt, 50),
        "rtt_worker_us": shares["worker_us"]["p50"], "rtt_python_us": shares["python_us"]["p50"],
        "js_to_py_MBps": rate(to_py), "py_to_js_MBps": rate(from_py),
        "bare_js_to_worker_MBps": rate(to_worker), "bare_worker_to_js_MBps": rate(from_worker),
        "isolated": isolated,
    }  # fmt: skip


def run_pyodide_boot(browser: Browser, base: str) -> dict[str, Any]:
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/bare")
    page.wait_for_function("window.fhBare !== undefined", timeout=TIMEOUT_MS)
    ms = page.evaluate("() => window.fhBare.boot()")
    context.close()
    return {"pyodide_boot_ms": ms}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# ---------------------------------------------------------------- the whole bench


def network(runs: int, say: Callable[[str], None]) -> dict[str, Any]:
    import bench_network  # noqa: PLC0415 - beside this script

    out: dict[str, Any] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            with server() as base:
                out.update(bench_network.rows(browser, base + "/tti", "bench", runs, bench_network.LINKS, say))
                out.update(bench_network.rows(browser, base + "/tti", "bench_proxy", runs, bench_network.LINKS, say, proxy=True))
            with server("examples.demo.app:app", "/counter") as base:
                out.update(bench_network.rows(browser, base + "/counter", "demo", runs, bench_network.LINKS[:1], say))
        finally:
            browser.close()
    return out


def bench(runs: int, say: Callable[[str], None]) -> dict[str, Any]:
    steps = [("tti", run_tti), ("naive", run_naive), ("transfers", run_transfers), ("pyodide boot", run_pyodide_boot)]
    results: list[dict[str, Any]] = []
    with server() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            for i in range(runs):
                result: dict[str, Any] = {}
                for name, step in steps:
                    t = time.perf_counter()
                    result.update(step(browser, base))
                    say(f"run {i + 1}/{runs}: {name} ({time.perf_counter() - t:.1f} s)")
                results.append(result)
        finally:
            browser.close()
    figures = {key: statistics.median(r[key] for r in results) for key in ORDER if key not in ("tti_ratio", "rtt_ratio")}
    figures["tti_ratio"] = figures["tti_cold_ms"] / figures["naive_ms"]
    figures["rtt_ratio"] = figures["rtt_p50_us"] / figures["postmessage_rtt_p50_us"]
    warnings = sorted({w for r in results for w in r["warnings"]})
    return {
        **{key: round(figures[key], 3) for key in ORDER},
        "runs": runs,
        "targets": {key: f"{op} {value}" for key, (op, value) in TARGETS.items()},
        "machine": machine(),
        "boot_timings": [r["timings"] for r in results],
        "warm_boot_timings": [r["warm_timings"] for r in results],
        "naive_timings": [r["naive_timings"] for r in results],
        "page_warnings": warnings,
        "timer_resolution_us": 5 if all(r["isolated"] for r in results) else 100,
        "per_run": [{k: v for k, v in r.items() if k in ORDER} for r in results],
    }


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_avg": os.getloadavg(), "platform": platform.platform(), "chromium": CHROMIUM}


def bench_network_table(report: dict[str, Any]) -> str:
    import bench_network  # noqa: PLC0415

    load = ", ".join(f"{x:.2f}" for x in report["machine"]["load_avg"])
    return bench_network.table(report["network"]) + f"\n({report['machine']['cpus']} CPUs, load average {load})"


def table(report: dict[str, Any]) -> str:
    lines = [f"{'figure':<26}{'median':>14}  {'target':<10}", "-" * 54]
    for key in ORDER:
        value = report[key]
        shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"
        target = ""
        if key in TARGETS:
            op, goal = TARGETS[key]
            met = value <= goal if op == "<=" else value >= goal
            target = f"{op} {goal:g} {'ok' if met else 'MISSED'}"
        lines.append(f"{key:<26}{shown:>14}  {target}")
    server = report.get("server") or {}
    for key, value in server.items():
        if isinstance(value, (int, float)):
            target = " <= 2 " + ("ok" if value <= 2 else "MISSED") if key in ("ws_rtt_ratio", "ws_rtt_loop_ratio") else ""
            lines.append(f"{key:<26}{value:>14,.2f}  {target.strip()}")
    if server.get("ws_capacity_steps"):
        steps = ", ".join(f"{s['pages']}: {s['p99_ms']} ms" for s in server["ws_capacity_steps"])
        lines.append(f"(server capacity, p99 round trip by concurrent pages at 10 updates/s: {steps})")
    lines.append(f"(page timers: {report['timer_resolution_us']} µs; {report['runs']} runs each; {report['machine']['cpus']} CPUs, load average "
                 f"{', '.join(f'{x:.2f}' for x in report['machine']['load_avg'])})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="runs per figure, median reported (default: %(default)s)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument("--no-server", dest="server", action="store_false", help="skip the server-mode rows (scripts/bench_server.py)")
    parser.add_argument("--quick-server", action="store_true", help="fewer samples and capacity steps in the server-mode rows")
    parser.add_argument("--network", action="store_true", help="add the emulated-network rows (scripts/bench_network.py)")
    parser.add_argument("--network-only", action="store_true", help="run only the emulated-network rows")
    parser.add_argument("--network-runs", type=int, default=3, help="visits per boot and link in the network rows (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"bench: Chromium is missing at {CHROMIUM}: apt-get install -y chromium (never `playwright install`)")
    say = lambda message: print(f"bench: {message}", file=sys.stderr)  # noqa: E731
    if args.network_only:
        report = {"network": network(args.network_runs, say), "machine": machine()}
        print(bench_network_table(report))
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
            print(f"wrote {args.json}")
        return 0
    report = bench(args.runs, say)
    if args.network:
        report["network"] = network(args.network_runs, say)
    if args.server:
        import bench_server  # noqa: PLC0415 - beside this script

        print("bench: server mode (raw protocol clients on loopback)", file=sys.stderr)
        report["server"] = bench_server.run(quick=args.quick_server)
    print(table(report))
    if report.get("network"):
        print(bench_network_table(report))
    if report["page_warnings"]:
        print("page warnings:\n  " + "\n  ".join(report["page_warnings"]))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
