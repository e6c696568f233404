"""Cold time to first answer and cold bytes: a worker-mode widget that imports a compiled wheel
(examples/compiled/app.py `/`: ast-serialize, installed by the worker after the snapshot's
restore), one that does not in the same dist (`/plain`), and that one from a dist without the
wheel (examples/compiled/baseline.py). Medians of --runs fresh browser contexts, alternating.

    fh-anywidget dist examples.compiled.app:app --out build/pyodide-compiled
    fh-anywidget dist examples.compiled.baseline:app --out build/pyodide-compiled-baseline
    .venv/bin/python scripts/measure_compiled.py [--runs 5]

Nothing is asserted; figures vary 10-20% between runs on a shared machine."""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import urlopen

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
PAGES = {"/": ("#parse", "parsed: "), "/plain": ("#plain", "counted: "), "baseline /plain": ("#plain", "counted: ")}


def one_visit(browser, url: str, selector: str, answer: str) -> tuple[float, int]:
    context = browser.new_context()
    sizes: list[int] = []
    context.on("requestfinished", lambda r: sizes.append(r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"]))
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.locator(f"{selector} .parse-result").filter(has_text="not parsed yet").wait_for(timeout=180_000)
    page.locator(f"{selector} .parse-button").click()
    page.locator(f"{selector} .parse-result").filter(has_text=answer).wait_for(timeout=60_000)
    elapsed = (time.perf_counter() - start) * 1000
    page.wait_for_timeout(500)
    context.close()
    return elapsed, sum(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    servers, bases = [], {}
    for app in ("examples.compiled.app:app", "examples.compiled.baseline:app"):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        servers.append(subprocess.Popen([sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port",
                                         str(port), "--log-level", "warning"], cwd=ROOT))  # fmt: skip
        bases[app] = f"http://127.0.0.1:{port}"
    urls = {"/": bases["examples.compiled.app:app"] + "/", "/plain": bases["examples.compiled.app:app"] + "/plain",
            "baseline /plain": bases["examples.compiled.baseline:app"] + "/plain"}
    try:
        for url in urls.values():
            for _ in range(100):
                try:
                    urlopen(url, timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
        results: dict[str, list[tuple[float, int]]] = {path: [] for path in PAGES}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=FLAGS)
            for name in PAGES:  # warm the servers' caches, not the browser's
                one_visit(browser, urls[name], *PAGES[name])
            for _ in range(args.runs):
                for name, (selector, answer) in PAGES.items():
                    results[name].append(one_visit(browser, urls[name], selector, answer))
            browser.close()
        for name, runs in results.items():
            ms = statistics.median(r[0] for r in runs)
            mb = statistics.median(r[1] for r in runs) / 1e6
            print(f"{name:16} cold first answer {ms:6.0f} ms (runs: {', '.join(f'{r[0]:.0f}' for r in runs)}), "
                  f"cold bytes {mb:.2f} MB")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
