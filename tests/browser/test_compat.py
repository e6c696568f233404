"""The conformance suite: one fixture widget per feature of the anywidget contract
(examples/compat/widgets.py, shown on /compat), checked in a real browser in worker and in
server mode. Each test's ``feature`` marker names its row in docs/compat.md (scripts/compat).

The /compat page boots once per mode (a module-scoped page); each test then uses only its
own fixture's section, as a person would: click, look at what the widget shows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import BOOT_MS, STEP_MS, NetworkGuard, booted_page, table_row, wait_ready
from conftest import MODES, RESULTS
from playwright.sync_api import Browser, Locator, Page, expect

from examples.compat.pages import FAILING
from examples.compat.widgets import CDN_MODULE, CDN_WASM, OUTSIDE_URLS

GREEN, BLUE = "rgb(0, 128, 0)", "rgb(0, 0, 255)"


class CompatPage:
    """The /compat page of one mode, booted, with its console lines."""

    def __init__(self, page: Page, mode: str, console: list[str], guard: NetworkGuard) -> None:
        self.page, self.mode, self.console, self.guard = page, mode, console, guard

    def view(self, name: str) -> Locator:
        """The element fixture ``name`` renders into."""
        return self.page.locator(f"#f-{name} .fh-anywidget-view")

    def errors(self, name: str) -> Locator:
        return self.page.locator(f"#f-{name} .fh-anywidget-error")


@pytest.fixture(scope="module", params=MODES)
def compat(request: pytest.FixtureRequest, browser: Browser, server_url: str) -> Iterator[CompatPage]:
    mode = request.param
    url = server_url + ("/server" if mode == "server" else "") + "/compat"
    # two fixtures try the internet on purpose (OUTSIDE_URLS): those requests fail as offline
    with booted_page(browser, url, RESULTS, f"compat-{mode}", expected_outside=OUTSIDE_URLS) as (page, console, guard):
        yield CompatPage(page, mode, console, guard)


@pytest.fixture(autouse=True)
def _feature_row(request: pytest.FixtureRequest, record_property) -> Iterator[None]:
    yield from table_row(request, record_property, "compat")


def round_trip(view: Locator) -> None:
    """Click the fixture's button: the page sets ``value`` (+1), Python's observer answers with
    ``seen = value * 10``, which the page shows."""
    before = int(re.sub(r"\D", "", view.locator(".bump").inner_text()) or 0)
    view.locator(".bump").click()
    expect(view.locator(".seen")).to_have_text(f"python saw {(before + 1) * 10}", timeout=STEP_MS)


def no_errors(c: CompatPage, name: str) -> None:
    expect(c.errors(name)).to_have_count(0)


# -- module shapes ----------------------------------------------------------------------

@pytest.mark.feature("default export object")
def test_default_export_object(compat: CompatPage) -> None:
    view = compat.view("object")
    expect(view).to_have_attribute("data-rendered", "object")
    round_trip(view)
    no_errors(compat, "object")


@pytest.mark.feature("default export (async) factory")
def test_default_export_async_factory_is_called_once_per_model(compat: CompatPage) -> None:
    view = compat.view("factory")
    expect(view).to_have_attribute("data-factory-calls", "1")
    round_trip(view)


@pytest.mark.feature("legacy named render (works, warns once)")
def test_legacy_named_render_works_and_warns_once(compat: CompatPage) -> None:
    for name in ("legacy-1", "legacy-2"):
        view = compat.view(name)
        expect(view).to_have_attribute("data-rendered", "legacy")
        round_trip(view)
    warnings = [line for line in compat.console if "export function render" in line and "deprecated" in line]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("console.warning")


@pytest.mark.feature("async render")
def test_async_render_is_awaited(compat: CompatPage) -> None:
    view = compat.view("async-render")
    expect(view).to_have_attribute("data-phase", "rendered")
    round_trip(view)
    no_errors(compat, "async-render")


@pytest.mark.feature("initialize (once per model, before render)")
def test_initialize_runs_once_per_model_before_every_render(compat: CompatPage) -> None:
    first, second = compat.view("initialize"), compat.view("initialize-2")  # two views, one key
    for view in (first, second):
        expect(view).to_have_attribute("data-initialize-calls", "1")
    order = (second.get_attribute("data-order") or "").split(",")
    assert order[0] == "initialize" and order.count("initialize") == 1 and order.count("render") >= 2, order
    first.locator(".bump").click()  # Python sets seen; initialize's own listener sees it
    expect(second).to_have_attribute("data-initialize-saw-changes", "1", timeout=STEP_MS)


@pytest.mark.feature("initialize exports (via host.getWidget)")
def test_initialize_exports_reach_a_parent_through_host_get_widget(compat: CompatPage) -> None:
    view = compat.view("composition")
    expect(view).to_have_attribute("data-exports", json.dumps({"answer": 42, "kind": "child-exports"}, separators=(",", ":")))


# -- lifecycle --------------------------------------------------------------------------

def compat_log(c: CompatPage, tag: str) -> list[str]:
    return c.page.evaluate("(tag) => (window.compatLog ?? {})[tag] ?? []", tag)


def listener_count(c: CompatPage, model_id: str) -> int:
    return c.page.evaluate(
        """([mode, id]) => {
             const manager = window.fhAnywidget.managers.get(mode);
             const model = manager && manager.models.get(id);
             return model ? model.listenerCount() : -1;
           }""",
        [c.mode, model_id],
    )


@pytest.mark.feature("widget removed from the DOM: cleanup runs, no leak")
def test_removing_a_widget_from_the_page_runs_its_cleanup_and_drops_its_listeners(compat: CompatPage) -> None:
    view = compat.view("lifecycle")
    round_trip(view)
    model_id = view.get_attribute("data-model-id") or ""
    with_view = listener_count(compat, model_id)
    assert compat_log(compat, "removed") == ["render"]
    compat.page.evaluate("() => document.getElementById('f-lifecycle').remove()")
    compat.page.wait_for_function("() => (window.compatLog.removed ?? []).includes('render-cleanup')", timeout=STEP_MS)
    assert compat_log(compat, "removed") == ["render", "render-cleanup"]
    # the view's two listeners are gone, and the placeholder's own two (its form fields and fhaw:*
    # events); initialize's (one, plus the binding's own) stay with the model for now
    assert listener_count(compat, model_id) == with_view - 4, (with_view, listener_count(compat, model_id))
    # no placeholder shows it any more: after the grace the page closes it, in Python too, and
    # initialize's cleanup runs
    compat.page.wait_for_function("() => (window.compatLog.removed ?? []).includes('initialize-cleanup')", timeout=STEP_MS)
    assert listener_count(compat, model_id) == -1  # the model is gone from the page


@pytest.mark.feature("cleanup on view removal")
def test_cleanup_runs_on_view_removal(compat: CompatPage) -> None:
    # the same fixture as above, run by itself so that the row stands alone in the table
    if compat.page.locator("#f-lifecycle").count() == 0:
        assert "render-cleanup" in compat_log(compat, "removed")
        return
    compat.page.evaluate("() => document.getElementById('f-lifecycle').remove()")
    compat.page.wait_for_function("() => (window.compatLog.removed ?? []).includes('render-cleanup')", timeout=STEP_MS)


@pytest.mark.feature("cleanup on _esm change", "hot reload of _esm (Python re-sends it)")
def test_replacing_esm_cleans_up_the_old_module_and_renders_the_new_one_in_place(compat: CompatPage) -> None:
    view = compat.view("hot")
    expect(view).to_have_attribute("data-version", "1")
    round_trip(view)
    view.locator(".reload").click()  # Python sets _esm to hot_v2.js's text, as anywidget's HMR does
    expect(view).to_have_attribute("data-version", "2", timeout=STEP_MS)
    log = compat.page.evaluate("() => window.compatHot ?? []")
    assert "v1-render-cleanup" in log and "v1-initialize-cleanup" in log, log
    heard_before = log.count("v1-listener")
    view.locator(".bump").click()  # state survived the reload: value 1 -> 2
    expect(view).to_have_attribute("data-seen", "20", timeout=STEP_MS)
    assert compat.page.evaluate("() => window.compatHot.filter((x) => x === 'v1-listener').length") == heard_before
    no_errors(compat, "hot")


@pytest.mark.feature("messages queued until initialize completes")
def test_messages_sent_while_initialize_runs_wait_for_it(compat: CompatPage) -> None:
    view = compat.view("queue")
    view.locator(".look").click()
    expect(view).to_have_attribute("data-received", "custom:early change:early-update")


# -- events -----------------------------------------------------------------------------

@pytest.mark.feature("change:x callback arguments (model, value)")
def test_change_x_gets_the_model_and_the_new_value(compat: CompatPage) -> None:
    view = compat.view("events")
    view.locator(".bump").click()
    expect(view).to_have_attribute("data-args", json.dumps({"first_is_model": True, "value": 1}, separators=(",", ":")),
                                   timeout=STEP_MS)


@pytest.mark.feature("change (any attribute)")
def test_change_fires_once_per_update(compat: CompatPage) -> None:
    view = compat.view("events")
    start = int(view.get_attribute("data-changes") or 0)
    view.locator(".bump").click()  # Python changes two traits in one update
    expect(view).to_have_attribute("data-changes", str(start + 1), timeout=STEP_MS)


@pytest.mark.feature("off with wildcards")
def test_off_with_wildcards(compat: CompatPage) -> None:
    view = compat.view("events")
    view.locator(".read").click()
    count = int(view.get_attribute("data-count") or 0)
    view.locator(".bump").click()
    # off(null, a) removed a from every event, off("change:other") removed c: only b is left
    expect(view).to_have_attribute("data-fired", ",".join(["b"] * (count + 1)), timeout=STEP_MS)
    fired, changes = view.get_attribute("data-fired"), view.get_attribute("data-changes")
    view.locator(".off-all").click()  # off(): everything this view registered
    view.locator(".bump").click()
    view.locator(".read").click()
    expect(view).to_have_attribute("data-count", str(count + 2), timeout=STEP_MS)  # Python did bump...
    expect(view).to_have_attribute("data-fired", fired or "")  # ...but no listener of the view heard it
    expect(view).to_have_attribute("data-changes", changes or "")


# -- binary data ------------------------------------------------------------------------

@pytest.mark.feature("msg:custom with buffers both ways")
def test_custom_messages_carry_buffers_both_ways(compat: CompatPage) -> None:
    view = compat.view("custom")
    view.locator(".send").click()
    expect(view).to_have_attribute("data-reply", "ff020100,302010", timeout=STEP_MS)
    expect(view).to_have_attribute("data-kinds", "DataView,DataView")
    expect(view).to_have_attribute("data-lengths", "[4,3]")


@pytest.mark.feature("nested buffer_paths (dict values, list elements)")
def test_nested_buffers_in_dict_values_and_list_elements_both_ways(compat: CompatPage) -> None:
    view = compat.view("nested")
    got = json.loads(view.get_attribute("data-from-python") or "{}")
    assert got == {"dict_value": "0102", "list_0": "03", "list_1": 5, "list_2": "0405", "text": "t"}
    view.locator(".send").click()
    expect(view).to_have_attribute("data-python-saw", "x.y=0a0b l0=0c l1=s l2=0d0e0f", timeout=STEP_MS)


@pytest.mark.feature("traitlets.Bytes")
def test_a_bytes_trait_goes_both_ways(compat: CompatPage) -> None:
    view = compat.view("bytes")
    view.locator(".send").click()
    expect(view).to_have_attribute("data-reply", "fe00030201", timeout=STEP_MS)
    expect(view).to_have_attribute("data-reply-kind", "DataView")


@pytest.mark.feature("trait with echo_update=False")
def test_a_trait_with_echo_update_false_reaches_python_and_is_not_echoed(compat: CompatPage) -> None:
    view = compat.view("echo")
    view.locator(".set").click()
    view.locator(".report").click()
    expect(view).to_have_attribute("data-report", re.compile(r".+"), timeout=STEP_MS)
    report = json.loads(view.get_attribute("data-report") or "{}")
    assert report["received"] == {"plain": 7, "quiet": 8}
    if compat.mode == "worker":
        assert report["echoed"] == [], report  # the worker's Python sends no echo_update at all
    else:
        assert "plain" in report["echoed"] and "quiet" not in report["echoed"], report
    assert json.loads(view.get_attribute("data-page") or "{}") == {"plain": 7, "quiet": 8}


# -- commands ---------------------------------------------------------------------------

@pytest.mark.feature("experimental.invoke with @command")
def test_invoke_calls_a_python_command_with_buffers(compat: CompatPage) -> None:
    view = compat.view("invoke")
    view.locator(".add").click()
    expect(view).to_have_attribute("data-response", json.dumps({"sum": 5, "got": ["070809"]}, separators=(",", ":")),
                                   timeout=STEP_MS)
    expect(view).to_have_attribute("data-buffers", "DataView:cafe")


@pytest.mark.feature("experimental.invoke timeout")
def test_invoke_rejects_after_its_timeout(compat: CompatPage) -> None:
    view = compat.view("invoke")
    view.locator(".slow").click()  # Python answers after 600 ms; the page gives it 200 ms
    expect(view).to_have_attribute("data-slow", re.compile(r"^rejected:.*no response in 200 ms"), timeout=STEP_MS)
    assert 150 <= int(view.get_attribute("data-slow-ms") or 0) < 600
    compat.page.wait_for_timeout(800)  # the late answer arrives and must change nothing
    expect(view).to_have_attribute("data-slow", re.compile(r"^rejected:"))
    no_errors(compat, "invoke")


# -- widgets that are not ipywidgets ----------------------------------------------------

@pytest.mark.feature("MimeBundleDescriptor (psygnal evented dataclass)")
def test_mime_bundle_descriptor(compat: CompatPage) -> None:
    round_trip(compat.view("descriptor"))
    no_errors(compat, "descriptor")


@pytest.mark.feature("@anywidget.experimental.widget")
def test_experimental_widget_decorator(compat: CompatPage) -> None:
    round_trip(compat.view("decorated"))
    no_errors(compat, "decorated")


@pytest.mark.feature("@anywidget.experimental.dataclass")
def test_experimental_dataclass(compat: CompatPage) -> None:
    round_trip(compat.view("dataclass"))
    no_errors(compat, "dataclass")


# -- composition ------------------------------------------------------------------------

@pytest.mark.feature("0.11 composition (WidgetTrait, host.getModel, host.getWidget)")
def test_composition_parent_renders_its_child_and_follows_it(compat: CompatPage) -> None:
    view = compat.view("composition")
    expect(view).to_have_attribute("data-ref", "anywidget:<id>")
    child_button = view.locator(".child-slot .child-bump")
    expect(child_button).to_have_text("child value 0")
    child_button.click()
    expect(child_button).to_have_text("child value 1", timeout=STEP_MS)
    expect(view).to_have_attribute("data-child-value", "1", timeout=STEP_MS)  # host.getModel's listener
    expect(view).to_have_attribute("data-total", "101", timeout=STEP_MS)  # Python's observer of the child


# -- where _esm and _css come from ------------------------------------------------------

@pytest.mark.feature("_esm as Path")
def test_esm_given_as_a_path(compat: CompatPage) -> None:
    round_trip(compat.view("object"))  # Probe's _esm is Path("esm/probe.js")


@pytest.mark.feature("_esm as inline text")
def test_esm_given_as_inline_text(compat: CompatPage) -> None:
    view = compat.view("inline")
    expect(view).to_have_attribute("data-rendered", "inline")
    round_trip(view)


@pytest.mark.feature("_esm as URL")
def test_esm_given_as_a_url(compat: CompatPage) -> None:
    view = compat.view("url")
    expect(view).to_have_attribute("data-loaded-from", "url")
    round_trip(view)


def css_swaps(c: CompatPage, kind: str) -> None:
    view = c.view(f"css-{kind}")
    probe = view.locator(f".css-probe-{kind}")
    expect(probe).to_have_css("color", GREEN, timeout=STEP_MS)
    view.locator(".swap").click()  # Python assigns a new _css
    expect(probe).to_have_css("color", BLUE, timeout=STEP_MS)
    # the old sheet was replaced, not left beside the new one
    sheets = c.page.locator("[data-fh-anywidget-css]")
    texts = [sheets.nth(i).evaluate("e => e.textContent + (e.href || '')") for i in range(sheets.count())]
    mine = [t for t in texts if f".css-probe-{kind} " in t or (kind == "url" and "/url_v" in t)]
    assert len(mine) == 1 and (BLUE in mine[0] or mine[0].endswith("url_v2.css")), texts


@pytest.mark.feature("_css inline, live replacement")
def test_css_inline_and_replaced(compat: CompatPage) -> None:
    css_swaps(compat, "inline")


@pytest.mark.feature("_css as Path, live replacement")
def test_css_path_and_replaced(compat: CompatPage) -> None:
    css_swaps(compat, "path")


@pytest.mark.feature("_css as URL, live replacement")
def test_css_url_and_replaced(compat: CompatPage) -> None:
    css_swaps(compat, "url")


@pytest.mark.feature("a widget that overrides layout")
def test_a_widget_that_overrides_layout(compat: CompatPage) -> None:
    view = compat.view("layout")
    expect(view).to_have_attribute("data-layout", '"own layout"')
    round_trip(view)
    no_errors(compat, "layout")


# -- the order of construction, initialize and render ------------------------------------

def bars(view: Locator) -> Locator:
    return view.locator(".bars .bar")


@pytest.mark.feature("first render sees traits set after super().__init__()")
def test_the_first_render_sees_traits_the_constructor_set_after_opening_the_comm(compat: CompatPage) -> None:
    view = compat.view("late-data")
    expect(view).to_have_attribute("data-first-render", "[3,1,4,1,5]")
    expect(bars(view)).to_have_count(5)
    view.scroll_into_view_if_needed()
    view.screenshot(path=str(RESULTS / f"late-data-{compat.mode}.png"))
    bars(view).nth(2).click()  # the page sets picked; Python answers with note
    expect(view.locator(".note")).to_have_text("python saw bar 2 = 4", timeout=STEP_MS)
    no_errors(compat, "late-data")


@pytest.mark.feature("first render sees what a factory set after making the widget")
def test_the_first_render_sees_what_a_factory_set_before_returning_the_widget(compat: CompatPage) -> None:
    view = compat.view("late-factory")
    expect(view).to_have_attribute("data-first-render", "[2,7,1,8]")
    bars(view).nth(1).click()
    expect(view.locator(".note")).to_have_text("python saw bar 1 = 7", timeout=STEP_MS)
    no_errors(compat, "late-factory")


@pytest.mark.feature("a render that awaits Python's reply to model.send")
def test_a_render_that_awaits_a_reply_from_python_draws_it(compat: CompatPage) -> None:
    view = compat.view("render-asks")
    expect(view.locator("table.rows tr")).to_have_count(2, timeout=STEP_MS)
    expect(view.locator("table.rows")).to_contain_text("grace")
    expect(view).to_have_attribute("data-rows", "2")
    no_errors(compat, "render-asks")


@pytest.mark.feature("an initialize that awaits experimental.invoke")
def test_an_initialize_that_awaits_invoke_gets_the_response_and_the_update_before_it(compat: CompatPage) -> None:
    view = compat.view("initialize-invokes")
    expect(view.locator("ul.rows li")).to_have_text(["row 0", "row 1", "row 2"], timeout=STEP_MS)
    expect(view).to_have_attribute("data-loaded-at-initialize", "3")  # Python's update came first
    no_errors(compat, "initialize-invokes")


def test_no_fixture_shows_an_error_and_the_console_has_no_page_errors(compat: CompatPage) -> None:
    failing = ", ".join(f"#f-{name}" for name in FAILING)  # those fail on purpose (below)
    expect(compat.page.locator(f"section:not({failing}) .fh-anywidget-error")).to_have_count(0)
    expect(compat.page.locator(".fh-anywidget-error")).to_have_count(len(FAILING))
    assert not [line for line in compat.console if line.startswith("pageerror")], compat.console


# -- a front end that reaches for the internet: the error says what and why -------------------

def offline_error(c: CompatPage, name: str, url: str, verb: str) -> None:
    """Fixture ``name``'s element shows one error that names ``url`` and says the site runs offline,
    and the console says the same; the request was made, and failed."""
    errors = c.errors(name)
    expect(errors).to_have_count(1, timeout=STEP_MS)
    message = errors.locator(".fh-anywidget-error-message")
    expect(message).to_contain_text(f"this widget's front end {verb} {url} from the internet", timeout=STEP_MS)
    expect(message).to_contain_text("this site runs offline: nothing is fetched from the internet at run time")
    expect(message).to_contain_text("_esm")  # what to do
    c.page.locator(f"#f-{name}").screenshot(path=str(RESULTS / f"compat-{name}-{c.mode}.png"))
    c.page.wait_for_function("() => true")  # let the console events of the page arrive
    lines = [line for line in c.console if line.startswith("console.error") and url in line]
    assert any("this site runs offline" in line for line in lines), c.console
    assert url in c.guard.tried, c.guard.tried


@pytest.mark.feature("a CDN import in _esm fails offline: the error names the URL")
def test_a_cdn_import_in_the_esm_shows_the_url_and_that_the_site_runs_offline(compat: CompatPage) -> None:
    offline_error(compat, "offline-import", CDN_MODULE, "imports")


@pytest.mark.feature("a fetch of a CDN file in render fails offline: the error names the URL")
def test_a_cdn_fetch_in_render_shows_the_url_and_that_the_site_runs_offline(compat: CompatPage) -> None:
    offline_error(compat, "offline-wasm", CDN_WASM, "fetches")


# -- many widgets: a page of their own ---------------------------------------------------

@pytest.mark.feature("50 widgets on one page")
def test_fifty_widgets_on_one_page_all_render_and_the_last_one_reaches_python(page: Page, base_url: str) -> None:
    page.goto(base_url + "/compat/many")
    wait_ready(page)
    expect(page.locator("section.many .fh-anywidget-view .bump")).to_have_count(50)
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)
    last = page.locator("#many-49 .fh-anywidget-view")
    expect(last.locator(".bump")).to_have_text("value 49")
    round_trip(last)
    round_trip(page.locator("#many-0 .fh-anywidget-view"))


# -- hot reload in development: anywidget's own file watching ------------------------------

@pytest.mark.feature("hot reload of _esm in development (ANYWIDGET_HMR=1, file watching)")
def test_editing_the_esm_file_in_development_updates_the_page(page: Page, base_url: str) -> None:
    # the suite's server runs with ANYWIDGET_HMR=1 (conftest.py): anywidget watches the file on the
    # server; server mode reloads from Python, worker mode through the host's relay (dev.py)
    page.goto(base_url + "/compat/hmr")
    view = page.locator("#f-hmr .fh-anywidget-view")
    expect(view).to_have_attribute("data-version", "1", timeout=BOOT_MS)
    round_trip(view)
    path = Path(page.locator("#f-hmr").get_attribute("data-path") or "")
    assert path.is_file(), path
    text = path.read_text()
    path.write_text(text.replace('"1"', '"2"').replace("version 1", "version 2"))
    try:
        expect(view).to_have_attribute("data-version", "2", timeout=STEP_MS)
        expect(view.locator("b")).to_have_text("version 2")
        expect(view.locator(".bump")).to_have_text("value 1")  # the model's state survived
        round_trip(view)  # and Python still answers
    finally:
        path.write_text(text)  # the next mode starts from version 1
