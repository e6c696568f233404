"""Widgets inside the FastHTML app, as a visitor uses them (examples/demo/in_app.py and
examples/dashboard): a widget's trait in a form submit, htmx posting on ``fhaw:change``, a response
that drives another widget, routes and observers on the server, bad input, a section swapped in and
out a thousand times, and hx-boost navigation. Both modes unless marked."""

from __future__ import annotations

import json
import time

import pytest
from browser_support import BOOT_MS, STEP_MS, open_demo
from playwright.sync_api import Page, expect

RECORD_EVENTS = """(() => {
  window.__events = [];
  for (const name of ["fhaw:ready", "fhaw:change", "fhaw:message", "fhaw:error"]) {
    document.addEventListener(name, (e) => window.__events.push({ name, detail: JSON.parse(JSON.stringify(e.detail)) }));
  }
})();"""


def events(page: Page, name: str) -> list[dict]:
    return [e["detail"] for e in page.evaluate("() => window.__events") if e["name"] == name]


def open_htmx(page: Page, base_url: str, path: str = "/htmx") -> None:
    page.add_init_script(RECORD_EVENTS)
    open_demo(page, base_url, path)


def test_a_plain_form_submit_carries_the_trait_a_click_set(page: Page, base_url: str) -> None:
    open_htmx(page, base_url)
    counter = page.locator("#plain-section .counter")
    expect(counter.locator(".counter-button")).to_have_text("Count: 2", timeout=BOOT_MS)
    counter.locator(".counter-button").click()
    expect(page.locator("#plain input[name=count]")).to_have_value("3", timeout=STEP_MS)
    page.locator("#plain button[type=submit]").click()
    expect(page.locator("#got")).to_have_text("count=3", timeout=STEP_MS)


def test_a_value_python_refuses_is_taken_back_from_the_view_and_the_form_field(page: Page, base_url: str) -> None:
    """The page applies a set at once; when Python refuses the value, the error shows and Python's
    value comes back, so the form never submits what Python refused."""
    open_htmx(page, base_url)
    counter = page.locator("#plain-section .counter")
    expect(counter.locator(".counter-button")).to_have_text("Count: 2", timeout=BOOT_MS)
    page.evaluate("fhAnywidget.update('count', {value: 'not a number'})")
    expect(page.locator("#plain-section .fh-anywidget-error")).to_contain_text("TraitError", timeout=STEP_MS)
    expect(counter.locator(".counter-button")).to_have_text("Count: 2", timeout=STEP_MS)
    expect(page.locator("#plain input[name=count]")).to_have_value("2")
    page.locator("#plain button[type=submit]").click()
    expect(page.locator("#got")).to_have_text("count=2", timeout=STEP_MS)


def test_fhaw_change_posts_the_new_value_and_the_response_drives_another_widget(page: Page, base_url: str) -> None:
    open_htmx(page, base_url)
    slider = page.locator("#form-section .range-slider")
    chart = page.locator("#chart-section .bar-chart")
    expect(slider).to_have_attribute("data-value", "[2,6]", timeout=BOOT_MS)
    expect(chart).to_have_attribute("data-total", "3", timeout=BOOT_MS)
    expect(page.locator("#filters input[name=range]")).to_have_value("[2,6]")

    slider.locator(".range-high").focus()
    page.keyboard.press("ArrowRight")  # the visitor moves the high handle: [2, 7]
    expect(page.locator("#report-text")).to_have_text("EU: months 2..7, 6 figures", timeout=STEP_MS)
    expect(page.locator("#filters input[name=range]")).to_have_value("[2,7]")
    # host.update("chart", data=...) in the response: Python's observer adds the figures up
    expect(chart).to_have_attribute("data-bars", "6", timeout=STEP_MS)
    expect(chart).to_have_attribute("data-total", "27", timeout=STEP_MS)  # 4+1+5+9+2+6, summed in Python
    expect(chart.locator("div").first).to_have_text("EU, months 2-7")

    page.locator("#filters select").select_option("US")  # a plain field of the same form, then submit
    page.locator("#filters button[type=submit]").click()
    expect(page.locator("#report-text")).to_have_text("US: months 2..7, 6 figures", timeout=STEP_MS)
    expect(chart).to_have_attribute("data-total", "28", timeout=STEP_MS)  # 1+8+2+8+1+8

    changes = events(page, "fhaw:change")
    range_changes = [c for c in changes if c["key"] == "range"]
    assert {"key": "range", "changes": {"value": [2, 7]}} in range_changes
    assert all(not name.startswith("_") for c in changes for name in c["changes"])
    assert {e["key"] for e in events(page, "fhaw:ready")} >= {"range", "chart", "count"}
    expect(page.locator("#form-section .fh-anywidget-error, #chart-section .fh-anywidget-error")).to_have_count(0)


def test_a_header_update_drives_a_widget_when_the_response_swaps_nothing(page: Page, base_url: str) -> None:
    open_htmx(page, base_url)
    chart = page.locator("#chart-section .bar-chart")
    expect(chart).to_have_attribute("data-total", "3", timeout=BOOT_MS)
    page.locator("#header-update").click()
    expect(chart).to_have_attribute("data-total", "10", timeout=STEP_MS)
    expect(chart.locator("div").first).to_have_text("From a header")


def test_bad_updates_and_a_binary_field_are_errors_that_name_them_and_break_nothing(page: Page, base_url: str) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_htmx(page, base_url)
    chart = page.locator("#chart-section .bar-chart")
    expect(chart).to_have_attribute("data-total", "3", timeout=BOOT_MS)
    # a field holding bytes: shown in the widget's own element (and fhaw:error), the widget still works
    expect(page.locator("#bytes-field .fh-anywidget-error")).to_contain_text(
        'the trait "payload" holds binary data, which a form field cannot carry', timeout=BOOT_MS)

    page.locator("#bad-key").click()
    page.locator("#bad-trait").click()
    page.locator("#bad-header").click()
    page.wait_for_function("() => window.__events.filter((e) => e.name === 'fhaw:error' && e.detail.source === 'update').length >= 3",
                           timeout=STEP_MS)
    failed = [e for e in events(page, "fhaw:error") if e["source"] == "update"]
    messages = " | ".join(e["error"]["message"] for e in failed)
    assert 'names the widget "no-such-widget", which is not on this page' in messages
    assert 'sets "datta" on the widget "chart", which has no such trait; its traits: data, labels, title, total' in messages
    assert "FHAW-Update header is not JSON" in messages
    assert any("holds binary data" in e["error"]["message"] for e in events(page, "fhaw:error") if e["key"] == "bytes")
    assert sum("applying an update from a response" in line for line in errors) >= 3
    # nothing else broke: the chart is as it was, and still follows the form
    expect(chart).to_have_attribute("data-total", "3")
    page.locator("#filters button[type=submit]").click()
    expect(chart).to_have_attribute("data-total", "21", timeout=STEP_MS)  # EU months 2..6: 4+1+5+9+2, summed by Python


def test_a_route_reads_the_value_a_click_set_and_pushes_html_from_the_server(page: Page, base_url: str, mode: str) -> None:
    if mode != "server":
        pytest.skip("host.instance reaches server-mode widgets only (a worker-mode key is an error, see test_in_app.py)")
    open_htmx(page, base_url)
    counter = page.locator("#server-section .counter")
    expect(counter.locator(".counter-button")).to_have_text("Count: 0", timeout=BOOT_MS)
    counter.locator(".counter-button").click()
    counter.locator(".counter-button").click()
    expect(counter).to_have_attribute("data-seen-by-python", "2", timeout=STEP_MS)
    page.locator("#ask-instance").click()
    expect(page.locator("#instance-text")).to_have_text("the server's widget has value 2", timeout=STEP_MS)
    expect(page.locator("#pushed")).to_have_text("pushed: the server saw 2", timeout=STEP_MS)


def test_the_dashboard_filters_drive_the_table_the_chart_and_the_server_simulation(page: Page, base_url: str) -> None:
    open_htmx(page, base_url, "/dashboard")
    table = page.locator("#sales")
    expect(table).to_have_attribute("data-rows", "6")
    choice = page.locator("#filters-section .choice")
    expect(choice).to_have_attribute("data-value", "EU", timeout=BOOT_MS)
    expect(page.locator("#sim-section .fh-anywidget-view")).to_contain_text("2000 paths for EU", timeout=BOOT_MS)

    choice.get_by_role("button", name="US").click()  # a widget filter: fhaw:change -> hx-post
    expect(page.locator("#sales th").nth(1)).to_have_text("Sales, US", timeout=STEP_MS)
    expect(page.locator("#table-section .bar-chart div").first).to_have_text("Sales by month, US", timeout=STEP_MS)
    # the route set the simulation's region (host.instance); its observer ran numpy and pushed this
    expect(page.locator("#summary")).to_contain_text("US, in 6 months (2000 paths): mean", timeout=STEP_MS)

    months = page.locator("#filters-section .range-slider .range-low")
    months.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(table).to_have_attribute("data-rows", "4", timeout=STEP_MS)  # months 2..5
    expect(page.locator("#table-section .bar-chart")).to_have_attribute("data-bars", "4", timeout=STEP_MS)
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)


SWAPS = 1000
SWAP_LOOP = """async (count) => {
  const slot = document.getElementById("slot");
  const started = performance.now();
  for (let n = 2; n < count + 2; n++) {
    const ready = new Promise((resolve) => {
      const on = (e) => { if (e.detail.key === `slot-${n}`) { document.removeEventListener("fhaw:ready", on); resolve(); } };
      document.addEventListener("fhaw:ready", on);
    });
    await htmx.ajax("GET", `${location.pathname.replace(/\\/htmx\\/swap$/, "")}/htmx/slot?n=${n}`, { target: "#slot" });
    await ready;
  }
  return performance.now() - started;
}"""


def census(page: Page) -> dict[str, int]:
    box = page.locator("#census-section .fh-anywidget-view > *").first
    before = box.get_attribute("data-seq") or "0"
    page.locator("#census-section .census-ask").click()
    page.wait_for_function(f"() => document.querySelector('#census-section [data-seq]')?.dataset.seq !== '{before}'",
                           timeout=STEP_MS)
    data = page.locator("#census-section [data-seq]")
    counts = {k: int(data.get_attribute(f"data-{k}") or -1) for k in ("widgets", "comms", "live")}
    counts["page_models"] = page.evaluate(f"() => window.fhAnywidget.managers.get({json.dumps(mode_of(page))}).models.size")
    counts["placeholders"] = page.evaluate("() => [...window.fhAnywidget.managers.values()].reduce((n, m) => n + m.placeholders.size, 0)")
    return counts


def mode_of(page: Page) -> str:
    return "server" if "/server/" in page.url else "worker"


def heap_mb(page: Page) -> float:
    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    used = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1e6
    cdp.detach()
    return used


def test_a_thousand_swaps_leave_python_and_the_page_with_what_they_started_with(page: Page, base_url: str, mode: str) -> None:
    open_htmx(page, base_url, "/htmx/swap")
    expect(page.locator("#census-section .census-ask")).to_be_visible(timeout=BOOT_MS)
    page.locator("#swap").click()
    expect(page.locator("#slot-1 .counter-button")).to_have_text("Count: 1", timeout=STEP_MS)
    start, heap_start = census(page), heap_mb(page)
    assert start["widgets"] == 2 and start["placeholders"] == 2, start  # the census and the slot's counter

    took_ms = page.evaluate(SWAP_LOOP, SWAPS)
    expect(page.locator(f"#slot-{SWAPS + 1} .counter-button")).to_have_text(f"Count: {SWAPS + 1}")
    page.wait_for_timeout(2000 + 1500)  # the page closes what it no longer shows after CLOSE_GRACE_MS (web/page/manager.js)
    end, heap_end = census(page), heap_mb(page)
    print(f"\n{mode}: {SWAPS} swaps in {took_ms / 1000:.1f} s ({took_ms / SWAPS:.1f} ms each); census {start} -> {end}; "
          f"JS heap {heap_start:.1f} -> {heap_end:.1f} MB")
    for name in ("widgets", "comms", "page_models", "placeholders"):
        assert end[name] == start[name], (name, start, end)
    if mode == "worker":  # the worker's Python is this page's alone: its ipywidgets registry too
        assert end["live"] == start["live"], (start, end)
    # flat: one module per widget (the leak this caught) grew it by 4 KB a swap, 4 MB here
    assert heap_end - heap_start < 2, (heap_start, heap_end)
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)


def test_hx_boost_navigation_keeps_the_booted_worker_or_socket(page: Page, base_url: str, mode: str) -> None:
    workers: list[str] = []
    sockets: list[str] = []
    page.on("worker", lambda w: workers.append(w.url))
    page.on("websocket", lambda ws: sockets.append(ws.url))
    open_htmx(page, base_url, "/htmx/boost-a")
    expect(page.locator("#on-a .counter-button")).to_have_text("Count: 10", timeout=BOOT_MS)
    started = time.monotonic()
    page.locator("#to-b").click()
    expect(page.locator("#on-b .counter-button")).to_have_text("Count: 20", timeout=STEP_MS)
    took = time.monotonic() - started
    assert page.url.endswith("/htmx/boost-b")
    page.locator("#on-b .counter-button").click()
    expect(page.locator("#on-b .counter")).to_have_attribute("data-parity", "odd", timeout=STEP_MS)
    print(f"\n{mode}: page B's widget drawn {took * 1000:.0f} ms after the click (hx-boost)")
    if mode == "worker":
        assert len([w for w in workers if "worker.js" in w]) == 1, workers  # no second boot
    else:
        assert len([s for s in sockets if s.endswith("/ws") or "/ws?" in s]) == 1, sockets
    page.go_back()  # back to page A, from htmx's history
    expect(page.locator("#on-a .counter-button")).to_have_text("Count: 10", timeout=STEP_MS)
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)


@pytest.mark.worker_only
def test_pushed_html_without_htmx_swaps_the_out_of_band_elements_by_id(page: Page, base_url: str) -> None:
    open_htmx(page, base_url, "/htmx/boost-a")
    result = page.evaluate("""async () => {
      const runtime = [...document.scripts].find((s) => s.src.includes("/page/runtime.js")).src;
      const { swapOutOfBand } = await import(runtime.replace("runtime.js", "htmx-bridge.js"));
      document.body.insertAdjacentHTML("beforeend", '<div id="x">old</div><div id="y"><i>old</i></div>');
      const problems = swapOutOfBand(document,
        '<div id="x" hx-swap-oob="true">new x</div><p id="z">no oob</p><div id="y" hx-swap-oob="innerHTML"><b>new y</b></div>' +
        '<div id="gone" hx-swap-oob="true">?</div><div id="x" hx-swap-oob="beforeend">?</div>', null);
      return { problems, x: document.getElementById("x").outerHTML, y: document.getElementById("y").innerHTML,
               z: document.getElementById("z") };
    }""")
    assert result["x"] == '<div id="x">new x</div>'
    assert result["y"] == "<b>new y</b>"
    assert result["z"] is None
    assert result["problems"] == [
        '<p id="z"> has no hx-swap-oob; only out-of-band elements are swapped in',
        'no element with id "gone" on the page to swap <div> into',
        'hx-swap-oob="beforeend" needs htmx on the page (without it: "true" or "innerHTML")',
    ]


def test_an_update_element_anywhere_in_the_page_applies_but_nothing_inside_hx_disable_acts(page: Page, base_url: str) -> None:
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    open_htmx(page, base_url)
    chart = page.locator("#chart-section .bar-chart")
    expect(chart).to_have_attribute("data-total", "3", timeout=BOOT_MS)
    page.evaluate("""() => {
      document.body.insertAdjacentHTML("beforeend", '<div hx-disable id="ugc"></div>');
      document.getElementById("ugc").insertAdjacentHTML("beforeend",
        `<template data-fh-anywidget-update='{"key":"chart","state":{"data":[9,9,9]}}'></template>`);
      document.body.insertAdjacentHTML("beforeend",
        `<template data-fh-anywidget-update='{"key":"chart","state":{"title":"from the app"}}'></template>`);
      // a visitor's HTML holding a copy of a real placeholder
      const holder = document.querySelector("#chart-section .fh-anywidget[data-fh-anywidget]");
      const copy = document.createElement("div");
      copy.id = "ugc-placeholder";
      copy.className = "fh-anywidget";
      copy.setAttribute("data-fh-anywidget", holder.getAttribute("data-fh-anywidget"));
      document.getElementById("ugc").append(copy);
    }""")
    expect(chart.locator("div").first).to_have_text("from the app", timeout=STEP_MS)
    page.wait_for_timeout(500)
    expect(chart).to_have_attribute("data-total", "3")  # the update inside hx-disable did nothing
    assert any("an update element inside hx-disable was ignored" in w for w in warnings)
    expect(page.locator("#ugc-placeholder *")).to_have_count(0)  # not started: no view, no status
    expect(page.locator(".bar-chart")).to_have_count(1)
    assert any("a widget placeholder inside hx-disable was not started" in w for w in warnings)
    assert page.locator("template[data-fh-anywidget-update]").count() == 0  # applied (or refused) and removed


def test_markup_a_widget_draws_in_its_own_element_neither_starts_widgets_nor_updates_them(page: Page, base_url: str) -> None:
    open_htmx(page, base_url)
    chart = page.locator("#chart-section .bar-chart")
    expect(chart).to_have_attribute("data-total", "3", timeout=BOOT_MS)
    title = chart.locator("div").first.text_content()
    # what a view showing user HTML would draw: a copy of a real placeholder, and an update
    page.evaluate("""() => {
      const holder = document.querySelector("#chart-section .fh-anywidget[data-fh-anywidget]");
      const copy = document.createElement("div");
      copy.id = "drawn-placeholder";
      copy.className = "fh-anywidget";
      copy.setAttribute("data-fh-anywidget", holder.getAttribute("data-fh-anywidget"));
      const drawn = document.createElement("div");
      drawn.id = "drawn";
      drawn.append(copy);
      drawn.insertAdjacentHTML("beforeend",
        `<template data-fh-anywidget-update='{"key":"chart","state":{"title":"from a view"}}'></template>`);
      document.querySelector("#chart-section .bar-chart").append(drawn);
    }""")
    page.wait_for_timeout(500)
    expect(chart.locator("div").first).to_have_text(title or "")
    expect(page.locator("#drawn template[data-fh-anywidget-update]")).to_have_count(1)  # not taken
    expect(page.locator("#drawn-placeholder *")).to_have_count(0)  # nothing mounted, not even a status
    expect(page.locator(".bar-chart")).to_have_count(1)
    # the same update, where the app's HTML is, applies
    page.evaluate("() => document.body.append(document.querySelector('#drawn template'))")
    expect(chart.locator("div").first).to_have_text("from a view", timeout=STEP_MS)


@pytest.mark.worker_only
def test_a_placeholder_naming_a_callable_that_is_no_widget_is_refused_by_the_worker(page: Page, base_url: str) -> None:
    """HTML the app let through (a visitor's, past a sanitizer that keeps classes and data
    attributes) names what the worker's Python calls: only widgets and the app's own code run."""
    open_htmx(page, base_url)
    chart = page.locator("#chart-section .bar-chart")
    expect(chart).to_have_attribute("data-total", "3", timeout=BOOT_MS)
    page.evaluate("""() => {
      const spec = JSON.parse(document.querySelector("#chart-section .fh-anywidget[data-fh-anywidget]").dataset.fhAnywidget);
      const forge = (id, changes) => {
        const el = document.createElement("div");
        el.id = id;
        el.className = "fh-anywidget";
        el.setAttribute("data-fh-anywidget", JSON.stringify({ ...spec, key: id, ...changes }));
        document.body.append(el);
      };
      forge("forged", { target: "pyodide.code:run_js", kwargs: { code: "self.fhForged = 1" } });
      // the chart's own class (allowed), given front-end code by the HTML
      forge("forged-esm", { kwargs: { ...spec.kwargs, _esm: "export default { render() { window.fhForgedEsm = 1; } }" } });
      // and an update in the app's HTML that would change the chart's front-end code
      document.body.insertAdjacentHTML("beforeend",
        `<template data-fh-anywidget-update='{"key":"chart","state":{"_esm":"export default { render() { window.fhForgedEsm = 2; } }"}}'></template>`);
    }""")
    expect(page.locator("#forged-esm .fh-anywidget-error")).to_contain_text(
        "set _esm: a page's HTML does not give a widget its front-end code", timeout=STEP_MS)
    error = page.locator("#forged .fh-anywidget-error")
    expect(error).to_contain_text("is neither a widget class nor a class or function of the app's own modules", timeout=STEP_MS)
    expect(error).to_contain_text("'pyodide.code:run_js'")
    worker = next(w for w in page.workers if w.evaluate("typeof fhAnywidgetWorker !== 'undefined'"))
    assert worker.evaluate("typeof self.fhForged") == "undefined"  # the code never ran
    page.wait_for_timeout(500)
    assert page.evaluate("typeof window.fhForgedEsm") == "undefined"  # nor the front-end code
    expect(chart).to_have_attribute("data-total", "3")  # the chart still draws with its own
    expect(page.locator("#chart-section .fh-anywidget-error")).to_have_count(0)
