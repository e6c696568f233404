"""A static export (`fh-anywidget build`) served by `python -m http.server` under a sub-path:
widgets render and round-trip, htmx works from its local copy, a second visit works with the
file server stopped, a new build takes over, and file:// shows how to serve the folder."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser_support import BOOT_MS, STEP_MS, NetworkGuard, booted_page
from conftest import CHROMIUM, CHROMIUM_FLAGS
from playwright.sync_api import Browser, Page, Playwright, expect

from examples.compat.widgets import CDN_MODULE, CDN_WASM, OUTSIDE_URLS
from fh_anywidget.export import SW_FILE

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results"
BASE = "/my-repo/"
APP = "examples.static.app:app"


def build(out: Path) -> None:
    subprocess.run([sys.executable, "-m", "fh_anywidget", "build", APP, "--out", str(out), "--base-url", BASE],
                   cwd=ROOT, check=True, capture_output=True)


class FileServer:
    """`python -m http.server` serving `root` on a fixed loopback port; stop() and start() again."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log = root.parent / f"{root.name}-http.log"  # its access log: what crossed the network
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
                                          "--directory", str(self.root)], stdout=log, stderr=log)
        for _ in range(100):
            try:
                httpx.get(self.url + BASE, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("python -m http.server did not start")

    def gets(self) -> list[str]:
        """The paths of every GET the server answered so far, in order."""
        return re.findall(r'"GET (\S+) HTTP', self.log.read_text()) if self.log.exists() else []

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileServer]:
    root = tmp_path_factory.mktemp("static-root")
    build(root / BASE.strip("/"))
    server = FileServer(root)
    server.start()
    yield server
    server.stop()


def transferred(page: Page) -> dict[str, int]:
    """Counts the bytes each response took over the network (not those a service worker answered)."""
    totals = {"network": 0, "service_worker": 0, "precache": 0}

    def add(request) -> None:
        response = request.response()
        if response is None:
            return
        sizes = request.sizes()
        size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        if getattr(request, "service_worker", None) is not None:
            totals["precache"] += max(size, 0)  # fetched by the service worker itself (its install)
        else:
            totals["service_worker" if response.from_service_worker else "network"] += max(size, 0)

    page.context.on("requestfinished", add)
    return totals


def counter_round_trip(page: Page) -> None:
    counter = page.locator("#counter .counter")
    button = counter.locator(".counter-button")
    expect(button).to_have_text("Count: 3", timeout=BOOT_MS)
    button.click()
    expect(button).to_have_text("Count: 4")
    expect(counter).to_have_attribute("data-seen-by-python", "1", timeout=STEP_MS)  # set by the worker's Python
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)


def test_an_exported_site_works_under_a_sub_path_then_offline(site: FileServer, page: Page, network_guard: NetworkGuard) -> None:
    cold = transferred(page)
    page.goto(site.url + BASE)
    counter_round_trip(page)
    page.locator("#hello-button").click()  # htmx, from the site's own copy
    expect(page.locator("#hello #hello-text")).to_have_text("Hello from a static fragment", timeout=STEP_MS)
    page.wait_for_function("navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready.then(() => true)")
    page.evaluate("navigator.serviceWorker.ready")
    cold_bytes = dict(cold)
    warm_online = transferred(page)
    page.goto(site.url + BASE)  # a second visit, file server still up
    counter_round_trip(page)
    warm_online_bytes = dict(warm_online)

    site.stop()
    try:
        with pytest.raises(httpx.HTTPError):
            httpx.get(site.url + BASE, timeout=2)  # the file server is really gone
        warm = transferred(page)
        warm.update(network=0, service_worker=0, precache=0)
        page.goto(site.url + BASE)
        counter_round_trip(page)
        page.screenshot(path=str(RESULTS / "export-offline.png"))
        page.goto(site.url + BASE + "echo/")  # a page not visited before: precached
        expect(page.locator("#echo .fh-anywidget-status")).to_be_hidden(timeout=BOOT_MS)
        expect(page.locator("#echo .fh-anywidget-error")).to_have_count(0)
        page.screenshot(path=str(RESULTS / "export-offline-echo.png"))
        page.goto(site.url + BASE)
        page.locator("#hello-button").click()
        expect(page.locator("#hello #hello-text")).to_have_text("Hello from a static fragment", timeout=STEP_MS)
    finally:
        site.start()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "export-bytes.json").write_text(json.dumps({"cold": cold_bytes, "warm_online": warm_online_bytes, "warm_offline": dict(warm)}, indent=1))
    assert cold_bytes["network"] > 1_000_000  # the cold load really downloaded Python
    assert sum(warm_online_bytes.values()) < 100_000  # a warm visit fetches the page (through the worker), not Python
    assert warm["network"] == 0  # the server was stopped: everything came from the service worker


def test_a_pypi_widget_that_reads_its_package_files_works_on_an_exported_site(site: FileServer, page: Page) -> None:
    """drawdata's ScatterWidget reads its front end from its package's data files when it is made,
    before the worker has them: on a static site their pack comes gzipped, and the worker gunzips it
    then and there, inside Python's open. A visit that starts on this page takes that path."""
    page.goto(site.url + BASE + "drawing/")
    canvas = page.locator("#scatter svg.dd-scatter-svg")
    expect(canvas).to_be_visible(timeout=BOOT_MS)
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 3, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 10, steps=8)
    page.mouse.up()
    expect(page.locator("#scatter circle.drawn").first).to_be_attached(timeout=STEP_MS)
    RESULTS.mkdir(exist_ok=True)
    page.screenshot(path=str(RESULTS / "export-drawing.png"))


def test_a_first_visit_downloads_each_file_once(site: FileServer, playwright: Playwright, tmp_path: Path) -> None:
    """With a real (disk-backed) profile, the service worker's precache takes what the page has just
    loaded from the browser's HTTP cache: the snapshot, the wasm and the rest cross the network
    once, not once for the page and again for the offline copy."""
    guard = NetworkGuard()
    ctx = playwright.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                         headless=True, args=CHROMIUM_FLAGS)
    try:
        # the guard records and fails outside requests, but routes none: Playwright turns the
        # browser's HTTP cache off in a context that routes requests (and the suite runs in unshare -n)
        ctx.on("request", guard.record)
        page = ctx.pages[0] if ctx.pages else ctx.new_page()
        start = len(site.gets())
        page.goto(site.url + BASE)
        counter_round_trip(page)
        page.evaluate("navigator.serviceWorker.ready")  # active: its install (the precache) is done
        precached = page.evaluate("caches.keys().then(ks => caches.open(ks[0])).then(c => c.keys()).then(rs => rs.map(r => r.url))")
        gets = site.gets()[start:]
        page.goto(site.url + BASE)  # a second visit: the page is asked for (network first), nothing else
        counter_round_trip(page)
        # the browser's own asks: the favicon, and the update check of the service worker on a
        # navigation (its script and the module it imports, from the network: updateViaCache "imports")
        own = {"/favicon.ico", BASE + SW_FILE, *[p for p in gets if p.endswith("/sw.js")]}
        second = [p for p in site.gets()[start + len(gets):] if p not in own]
    finally:
        ctx.close()
    guard.check()

    def size(path: str) -> int:
        file = site.root / path.lstrip("/")
        file = file / "index.html" if file.is_dir() else file
        return file.stat().st_size if file.is_file() else 0

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "export-bytes-disk-profile.json").write_text(json.dumps({
        "site_bytes": sum(f.stat().st_size for f in (site.root / BASE.strip("/")).rglob("*") if f.is_file()),
        "cold": {"requests": len(gets), "bytes": sum(size(p) for p in gets)},
        "warm": {"requests": len(second), "bytes": sum(size(p) for p in second), "paths": second}}, indent=1))
    # the page at most (the HTTP cache may still hold it fresh), and the browser's own update check
    # of the service worker after a navigation (its script, and its module when the script is
    # unchanged: how a new build takes over, see the next test); nothing of the site itself
    update_check = {BASE + "fhaw-sw.js"} | {p for p in second if p.startswith(BASE + "_fhaw/web-") and p.endswith("/sw.js")}
    assert set(second) <= {BASE} | update_check, second
    big = ["pyodide.asm.wasm", "snapshot.bin.gz", "site-packages.pack.gz", "site-packages-sources.pack.gz", "python_stdlib.zip",
           "pyodide.asm.mjs"]
    for name in big:
        assert any(url.endswith("/" + name) for url in precached), f"{name} is not in the offline copy"
        assert sum(path.endswith("/" + name) for path in gets) == 1, (name, [p for p in gets if p.endswith(name)])


def test_a_new_build_takes_over_on_the_next_visit(site: FileServer, page: Page, tmp_path: Path) -> None:
    page.goto(site.url + BASE)
    counter_round_trip(page)
    page.evaluate("navigator.serviceWorker.ready")
    old = page.evaluate("caches.keys()")
    assert len(old) == 1 and old[0].startswith("fh-anywidget-")
    # a new build: the page's text changes, and so does the precache version
    target = site.root / BASE.strip("/")
    index = target / "index.html"
    index.write_text(index.read_text().replace("A counter on a static site", "A counter, build two"))
    sw = target / "fhaw-sw.js"
    sw.write_text(sw.read_text().replace('"version": "', '"version": "b2'))
    page.goto(site.url + BASE)
    expect(page.locator("h1")).to_have_text("A counter, build two")
    counter_round_trip(page)
    page.wait_for_function("caches.keys().then(k => k.length === 1 && k[0].startsWith('fh-anywidget-b2'))", timeout=STEP_MS)


def test_an_exported_page_opened_from_file_says_to_serve_it_over_http(site: FileServer, browser: Browser) -> None:
    context = browser.new_context()  # the guard's context refuses file: URLs; file:// makes no network request
    page = context.new_page()
    page.goto((site.root / BASE.strip("/") / "index.html").as_uri())
    message = page.locator(".fh-anywidget-file-message")
    expect(message).to_contain_text("must be served over HTTP")
    expect(message).to_contain_text("python3 -m http.server 8000")
    expect(page.locator("#counter .fh-anywidget-error")).to_contain_text("served over HTTP")
    page.screenshot(path=str(RESULTS / "export-file-url.png"))
    context.close()


def test_an_exported_page_names_the_outside_url_a_widget_failed_to_load(site: FileServer, browser: Browser) -> None:
    """A static site's pages have no HTTP headers of the app's, so no report-only policy: the page
    runtime learns the URL from the failed request's Resource Timing entry instead."""
    with booted_page(browser, site.url + BASE + "offline/", RESULTS, "export-offline-widgets",
                     expected_outside=OUTSIDE_URLS) as (page, console, guard):
        for section, url, verb in (("cdn-import", CDN_MODULE, "imports"), ("cdn-wasm", CDN_WASM, "fetches")):
            message = page.locator(f"#{section} .fh-anywidget-error-message")
            expect(message).to_contain_text(f"this widget's front end {verb} {url} from the internet", timeout=STEP_MS)
            expect(message).to_contain_text("this site runs offline")
            page.locator(f"#{section}").screenshot(path=str(RESULTS / f"export-{section}.png"))
        assert sorted(set(guard.tried)) == sorted(OUTSIDE_URLS)
        assert not [line for line in console if "Content Security Policy" in line], "the page has no policy"
