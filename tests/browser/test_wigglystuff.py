"""Real widgets from PyPI: drawdata's, and every wigglystuff widget whose front end runs
offline (examples/compat/wiggly.py lists them all, and why the others do not), installed as
users install them (pinned in the demo app's packages and in pyproject's test extra), in worker
and in server mode.

For each one: it renders with no error. For the scripted ones, also: a user interaction
reaches Python, and a Python change reaches the page (through each widget's Mirror, which shows
what Python observed and sets a trait from Python when asked).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import anywidget
import pytest
from browser_support import STEP_MS, NetworkGuard, booted_page, table_row
from conftest import MODES, RESULTS
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from examples.compat.wiggly import BY_KEY, WIGGLY

OFFLINE = [w.key for w in WIGGLY if w.offline]
FAKE_GAMEPAD = """
(() => {  // a stand-in gamepad: navigator.getGamepads() gives it; a test presses its buttons
  const pad = { id: "fh-anywidget test pad", index: 0, connected: true, mapping: "standard", timestamp: 0,
    axes: [0, 0, 0, 0], buttons: Array.from({ length: 17 }, () => ({ pressed: false, touched: false, value: 0 })) };
  window.__fakePad = pad;
  navigator.getGamepads = () => [pad, null, null, null];
})();
"""
PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="


class WigglyPage:
    def __init__(self, page: Page, mode: str, console: list[str], guard: NetworkGuard) -> None:
        self.page, self.mode, self.console, self.guard = page, mode, console, guard

    def section(self, key: str) -> Locator:
        return self.page.locator(f"#w-{BY_KEY[key].slug}")

    def view(self, key: str) -> Locator:
        """The real widget's own element (the first placeholder of its section)."""
        return self.page.locator(f"#w-{BY_KEY[key].slug} > .fh-anywidget .fh-anywidget-view")

    def mirror(self, key: str) -> Locator:
        return self.page.locator(f"#w-{BY_KEY[key].slug} .mirror .fh-anywidget-view")

    def python_saw(self, name: str) -> dict:
        return json.loads(self.mirror(name).get_attribute("data-saw") or "{}")

    def set_in_python(self, name: str, trait: str, value: object) -> None:
        mirror = self.mirror(name)
        mirror.locator(".mirror-trait").fill(trait)
        mirror.locator(".mirror-value").fill(json.dumps(value))
        mirror.locator(".mirror-set").click()


def _wiggly_context(ctx: BrowserContext) -> None:
    ctx.grant_permissions(["clipboard-read", "clipboard-write"])  # CopyToClipboard's button
    ctx.add_init_script(FAKE_GAMEPAD)  # GamepadWidget's (no gamepad here)


# a playing camera preview (WebcamCapture, Chromium's fake camera) makes full-page screenshots fail
STOP_CAMERAS = "document.querySelectorAll('video').forEach(v => { v.srcObject?.getTracks().forEach(t => t.stop()); v.srcObject = null; })"


@pytest.fixture(scope="module", params=MODES)
def wiggly(request: pytest.FixtureRequest, browser: Browser, server_url: str) -> Iterator[WigglyPage]:
    mode = request.param
    url = server_url + ("/server" if mode == "server" else "") + "/compat/wigglystuff"
    with booted_page(browser, url, RESULTS, f"wigglystuff-{mode}", setup=_wiggly_context,
                     before_screenshot=STOP_CAMERAS) as (page, console, guard):
        yield WigglyPage(page, mode, console, guard)


@pytest.fixture(autouse=True)
def _row(request: pytest.FixtureRequest, record_property) -> Iterator[None]:
    yield from table_row(request, record_property, "wiggly")


@pytest.mark.parametrize("name", OFFLINE)
def test_renders_with_no_error(wiggly: WigglyPage, name: str) -> None:
    section = wiggly.section(name)
    expect(section.locator(".fh-anywidget-error")).to_have_count(0)
    view = wiggly.view(name)
    expect(view).to_have_count(1)
    # it drew something of its own into its element
    assert view.evaluate("el => el.childElementCount + el.shadowRoot?.childElementCount || el.childElementCount") > 0
    expect(wiggly.mirror(name)).to_have_attribute("data-ready", "yes")


# -- scripted: an interaction reaches Python, a Python change reaches the page ------------

@pytest.mark.feature("wigglystuff.ColorPicker: interaction -> Python -> page")
def test_color_picker(wiggly: WigglyPage) -> None:
    view = wiggly.view("wigglystuff.ColorPicker")
    color = view.locator("input.colorpicker-input")
    expect(color).to_have_value("#336699")
    color.fill("#12ab34")  # what choosing a colour does: sets the value, fires input
    expect(wiggly.mirror("wigglystuff.ColorPicker")).to_have_attribute("data-saw", re.compile(r'"color":"#12ab34"'), timeout=STEP_MS)
    wiggly.set_in_python("wigglystuff.ColorPicker", "color", "#ff0000")
    expect(color).to_have_value("#ff0000", timeout=STEP_MS)
    expect(view.locator(".colorpicker-label")).to_have_text("#ff0000")


@pytest.mark.feature("wigglystuff.Slider2D: interaction -> Python -> page")
def test_slider2d(wiggly: WigglyPage) -> None:
    view = wiggly.view("wigglystuff.Slider2D")
    canvas = view.locator("canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    # drag the puck to the upper right quarter
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    wiggly.page.mouse.move(cx, cy)
    wiggly.page.mouse.down()
    wiggly.page.mouse.move(cx + 60, cy - 60, steps=6)
    wiggly.page.mouse.up()
    mirror = wiggly.mirror("wigglystuff.Slider2D")
    expect(mirror).to_have_attribute("data-saw", re.compile(r'"x":0\.\d+'), timeout=STEP_MS)
    saw = wiggly.python_saw("wigglystuff.Slider2D")
    assert saw["x"] > 0 and saw["y"] > 0, saw  # y is up in the widget's coordinates
    wiggly.set_in_python("wigglystuff.Slider2D", "x", -0.5)
    expect(view).to_contain_text("X: -0.50", timeout=STEP_MS)


@dataclass(frozen=True)
class Script:
    """One widget's check both ways: ``act`` as a person would (``("drag", selector, (fx, fy),
    (tx, ty))`` in fractions of the element's box, ``("click", selector)``, ``("clickat",
    selector, (fx, fy))``, ``("dblclick", selector)``, ``("hover", selector)``, ``("select",
    selector, option)``, ``("press", selector, key)``, ``("fill", selector, text)``, or a list of
    these, done in order); Python must then see ``trait`` change (to ``saw``, a JSON value, when
    given; a compiled regex matches the start of its JSON). Then Python sets ``set_`` (trait, value), and ``shows`` must appear: (selector,
    regex) on the element's text, or (selector, regex, "value") on an input's value, or
    (selector, regex, "attr:NAME") on an attribute, or (selector, "N", "count") for N elements."""

    act: tuple | list | None
    trait: str
    set_: tuple[str, object] | None
    shows: tuple[str, str] | tuple[str, str, str] | None
    why_one_way: str = ""
    """Why one direction cannot be checked (the widget's own front end has no such path)."""
    saw: object = None

    @property
    def row(self) -> str:
        if self.act is None:
            return f"Python -> page ({self.why_one_way or 'the widget takes no input'})"
        if self.set_ is None:
            return f"interaction -> Python ({self.why_one_way})"
        return "interaction -> Python -> page"


SCRIPTS = {
    "wigglystuff.Knob": Script(("drag", "svg", (0.85, 0.5), (0.85, 0.1)), "value", ("value", 75), (".knob-value", r"^75")),
    "wigglystuff.CircularSlider": Script(("drag", "svg.circular-slider-svg", (0.95, 0.5), (0.5, 0.02)), "value",
                                         ("value", 30), (".circular-slider-label", r"^30")),
    "wigglystuff.Fader": Script(("drag", "svg", (0.5, 0.9), (0.5, 0.4)), "value", ("value", 64), (".fader-value", r"^64")),
    "wigglystuff.TangleSlider": Script(("drag", ".tangle-value", (0.5, 0.5), (6.0, 0.5)), "amount", ("amount", 42),
                                       (".tangle-value", r"42")),
    "wigglystuff.TangleChoice": Script(("click", ".tangle-value"), "choice", ("choice", "blue"), (".tangle-value", r"^blue$")),
    "wigglystuff.Matrix": Script(("drag", ".matrix-element >> nth=0", (0.5, 0.5), (4.0, 0.5)), "matrix", None, None,
                                 "its front end never listens for changes: static/matrix.js has no model.on"),
    "wigglystuff.TangleSelect": Script(("select", "select", "green"), "choice", ("choice", "blue"),
                                       ("select option:checked", r"^blue$")),
    "wigglystuff.KeystrokeWidget": Script(("press", "[role=button]", "Shift+K"), "last_key",
                                          ("last_key", {"key": "q", "code": "KeyQ"}), ("[role=button]", r"^q$")),
    "wigglystuff.SortableList": Script(("dragto", ".list-item >> nth=0", ".list-item >> nth=2"), "value",
                                       ("value", ["xray", "yankee"]), (".item-label >> nth=0", r"^xray$")),
    "wigglystuff.HoverSlider": Script(("drag", ".hover-slider-track", (0.1, 0.5), (0.7, 0.5)), "value", ("value", 80),
                                      (".hover-slider-readout", r"80")),
    "wigglystuff.CircularRangeSlider": Script(("drag", "svg", (0.95, 0.5), (0.5, 0.02)), "value", ("value", [10, 90]),
                                              (".circular-slider-label", r"^10 – 90$")),
    "wigglystuff.ProgressBar": Script(None, "", ("value", 42), ("div", r"42")),
    "wigglystuff.HTMLRefreshWidget": Script(None, "", ("html", "<b class='from-python'>hello from Python</b>"),
                                            ("b.from-python", r"^hello from Python$")),
    "wigglystuff.PlaySlider": Script(("press", "input[type=range]", "ArrowRight"), "value", ("value", 37),
                                     (".play-slider-label", r"^37")),
    "wigglystuff.AnnotationWidget": Script(("fill", "input.annotation-note-input", "a note typed here"), "note",
                                           ("note", "a note from Python"),
                                           ("input.annotation-note-input", r"^a note from Python$", "value"),
                                           saw="a note typed here"),
    "wigglystuff.CubeWidget": Script(("click", ".axis-label-bg"), "locked_order", ("locked_order", ["x", "y"]),
                                     (".state-display", r"^2 axes locked$")),
    "wigglystuff.EnvConfig": Script([("fill", "input.env-input", "s3cret"), ("press", "input.env-input", "Enter")],
                                    "all_valid", ("variables", [{"name": "API_KEY", "status": "invalid",
                                                                 "error": "rejected in Python", "has_validator": True}]),
                                    (".env-error-text", r"^rejected in Python$", "attr:title"), saw=True),
    "wigglystuff.ImageRefreshWidget": Script(None, "", ("src", PIXEL), ("img", r"^data:image/gif;base64,", "attr:src"),
                                             "static: its front end only shows `src` (html.py has no model.set)"),
    "wigglystuff.AsyncFlow": Script(None, "", ("events", [
        {"t_ms": 0, "coro": "fetch_rows", "event": "spawn", "task": "Task-1", "line": 1, "detail": ""},
        {"t_ms": 4, "coro": "fetch_rows", "event": "done", "task": "Task-1", "line": 3, "detail": ""}]),
        (".af-coro", r"fetch_rows"), "a viewer: static/asyncflow.js has no model.set"),
    "wigglystuff.ApiDoc": Script(None, "", ("doc", {"kind": "function", "name": "frobnicate", "module": "demo",
                                                    "docstring": "Frobnicates.", "signature": "(x)", "parameters": []}),
                                 (".ad-title", r"frobnicate"), "a viewer: static/api-doc.js has no model.set"),
    "wigglystuff.ModuleTreeWidget": Script(None, "", ("tree", {"name": "net", "type": "Sequential", "children": [],
                                                               "params": [], "total_param_count": 1200}),
                                           (".mt-type", r"^Sequential$"), "a viewer: static/moduletree.js has no model.set"),
    "wigglystuff.NestedTable": Script(("click", ".name-label >> text=apples"), "selected_path",
                                      ("data", {"name": "all", "children": [{"name": "zucchini", "value": 9}]}),
                                      (".name-label >> text=zucchini", r"^zucchini$")),
    "wigglystuff.TextCompare": Script(("hover", ".text-compare-match"), "selected_match",
                                      ("text_a", "entirely new words from Python"),
                                      (".text-compare-panel", r"entirely new words from Python"), saw=0),
    "wigglystuff.TangleDistribution": Script(("drag", ".tangle-value", (0.5, 0.5), (6.0, 0.5)), "params",
                                             ("params", {"loc": 4.0, "scale": 1.0}), (".tangle-value", r"4\.00")),
    "wigglystuff.BezierCurve": Script(("dblclick", ".bezier-curve-point"), "points",  # a double click removes a point
                                      ("points", [{"x": 0.1, "y": 0.1}, {"x": 0.3, "y": 0.8}, {"x": 0.5, "y": 0.2},
                                                  {"x": 0.7, "y": 0.8}, {"x": 0.9, "y": 0.1}]),
                                      (".bezier-curve-point", "5", "count"),
                                      saw=[{"x": 0.25, "y": 0.9}, {"x": 0.75, "y": 0.9}, {"x": 0.9, "y": 0.2}]),
    "wigglystuff.CurveEditor": Script(("click", ".curve-editor-point >> nth=2"), "selected_index",
                                      ("points", [{"x": 0.0, "y": 0.5}, {"x": 0.5, "y": 0.9}, {"x": 1.0, "y": 0.5}]),
                                      (".curve-editor-point", "3", "count"), saw=2),
    "wigglystuff.GridDraw": Script(("clickat", "svg.gd-canvas", (0.5, 0.5)), "dots", ("theme", "dark"),
                                   (".griddraw", r"^dark$", "attr:data-theme")),
    "wigglystuff.GraphWidget": Script(("click", ".graph-widget-node >> nth=0"), "selected_nodes",
                                      ("nodes", [{"name": n, "id": n} for n in ("a", "b", "c", "zeta")]),
                                      (".graph-widget-node", "4", "count"), saw=["a"]),
    "wigglystuff.MidiButton": Script(("click", ".midi-button"), "press_timestamp", ("label", "Drum"),
                                     (".midi-button-face", r"^Drum$")),
    "wigglystuff.WebcamCapture": Script(("click", "button.webcam-capture__button"), "image_base64",  # Chromium's fake camera
                                        ("error", "camera unplugged (set in Python)"),
                                        (".webcam-capture__status", r"camera unplugged \(set in Python\)"),
                                        saw=re.compile(r'"data:image/')),
    "wigglystuff.EdgeDraw": Script([("click", ".node >> nth=0"), ("click", ".node >> nth=1")], "links",  # one, then the other
                                   ("links", [{"source": "a", "target": "c"}, {"source": "b", "target": "c"}]),
                                   (".link", "2", "count")),
    "wigglystuff.ParallelCoordinates": Script(("drag", "g.pplot-brush rect.overlay", (0.5, 0.05), (0.5, 0.6)), "brush_extents",
                                              ("data", [{"gamma": 1, "delta": 2}, {"gamma": 2, "delta": 1}]),
                                              (".label-name >> text=gamma", r"^gamma$")),
    "wigglystuff.TangleFunction": Script([("click", ".tangle-fn__val[data-name=units]"),  # a click opens its editor
                                          ("fill", "input.tangle-fn__editor", "200"),
                                          ("press", "input.tangle-fn__editor", "Enter")], "values",
                                         ("values", {"price": 4.0, "units": 7}),
                                         (".tangle-fn__val[data-name=units]", r"^7$"), saw=re.compile(r'\{"price":4(\.0)?,"units":200\}')),
    "wigglystuff.StateViewer": Script(("click", "button.sv-btn[title^='Next step']"), "step", ("step", 3),
                                      (".sv-counter", r"^4 / \d+$"), saw=1),
    "wigglystuff.LiveEdit": Script(None, "", ("code", "def count_up():\n    total = 10\n    return total\n"),
                                   (".liveedit-line >> nth=1", r"total = 10"),
                                   "a viewer: static/liveedit.js has no model.set (Python re-runs the code it is given)"),
    "wigglystuff.Treemap": Script(("clickat", "canvas", (0.25, 0.5)), "clicked_path",
                                  ("data", {"name": "world", "children": [{"name": "x", "value": 1}]}),
                                  (".wiggly-treemap-path", r"world")),
}


def _act(wiggly: WigglyPage, view: Locator, act: tuple | list) -> None:
    if isinstance(act, list):
        for step in act:
            _act(wiggly, view, step)
        return
    kind, selector = act[0], act[1]
    target = view.locator(selector).first
    target.scroll_into_view_if_needed()
    if kind == "click":
        target.click()
    elif kind == "clickat":
        box = target.bounding_box()
        assert box is not None, f"{selector} has no box"
        wiggly.page.mouse.click(box["x"] + act[2][0] * box["width"], box["y"] + act[2][1] * box["height"])
    elif kind == "dblclick":
        target.dblclick()
    elif kind == "hover":
        target.hover()
    elif kind == "fill":
        target.fill(act[2])
    elif kind == "select":
        target.select_option(act[2])
    elif kind == "press":
        target.focus()
        target.press(act[2])
    elif kind == "dragto":
        target.drag_to(view.locator(act[2]).first)
    elif kind == "drag":
        box = target.bounding_box()
        assert box is not None, f"{selector} has no box"
        (fx, fy), (tx, ty) = act[2], act[3]
        mouse = wiggly.page.mouse
        mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        mouse.down()
        mouse.move(box["x"] + tx * box["width"], box["y"] + ty * box["height"], steps=10)
        mouse.up()
    else:
        raise ValueError(f"unknown action {kind!r}")


@pytest.mark.parametrize("key", list(SCRIPTS))
def test_an_interaction_reaches_python_and_a_python_change_reaches_the_page(wiggly: WigglyPage, key: str,
                                                                             record_property) -> None:
    script, view = SCRIPTS[key], wiggly.view(key)
    record_property("feature", f"{key}: {script.row}")
    if script.act is not None:
        _act(wiggly, view, script.act)
        if isinstance(script.saw, re.Pattern):
            value = script.saw.pattern
        else:
            value = "" if script.saw is None else re.escape(json.dumps(script.saw, separators=(",", ":")))
        expect(wiggly.mirror(key)).to_have_attribute("data-saw", re.compile(f'"{script.trait}":{value}'), timeout=STEP_MS)
    if script.set_ is None or script.shows is None:
        return
    trait, value = script.set_
    wiggly.set_in_python(key, trait, value)
    selector, pattern, *how = script.shows
    shown = view.locator(selector).first
    if how == ["count"]:
        expect(view.locator(selector)).to_have_count(int(pattern), timeout=STEP_MS)
    elif how == ["value"]:
        expect(shown).to_have_value(re.compile(pattern), timeout=STEP_MS)
    elif how and how[0].startswith("attr:"):
        expect(shown).to_have_attribute(how[0][5:], re.compile(pattern), timeout=STEP_MS)
    else:
        expect(shown).to_have_text(re.compile(pattern), timeout=STEP_MS)


@pytest.mark.feature("wigglystuff.HoverZoom: Python -> page -> interaction -> Python")
def test_hover_zoom(wiggly: WigglyPage) -> None:
    """Its constructor turns an image into a data URL with PIL (not pure Python): Python sets the
    trait instead, the page shows it, and hovering it tells Python the zoomed crop."""
    key = "wigglystuff.HoverZoom"
    view = wiggly.view(key)
    wiggly.set_in_python(key, "image", PIXEL)
    image = view.locator("img").first
    expect(image).to_have_attribute("src", PIXEL, timeout=STEP_MS)
    image.scroll_into_view_if_needed()
    box = image.bounding_box()
    assert box is not None and box["width"] > 0
    wiggly.page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.8, steps=4)
    expect(wiggly.mirror(key)).to_have_attribute("data-saw", re.compile(r'"_crop":\[0\.[1-9]'), timeout=STEP_MS)


@pytest.mark.feature("drawdata.BarWidget: interaction -> Python (its front end never listens for changes: "
                     "static/bar_widget.js has no model.on)")
def test_drawdata_bars(wiggly: WigglyPage) -> None:
    """A press in the chart raises the bar under the pointer; Python sees that bar's new value.
    (The widget sends all its bars, zeros, once it has drawn: the check is for a raised one.)"""
    key = "drawdata.BarWidget"
    svg = wiggly.view(key).locator("svg").first
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    assert box is not None
    wiggly.page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.35)
    wiggly.page.mouse.down()
    wiggly.page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.35, steps=4)
    wiggly.page.mouse.up()
    wiggly.page.wait_for_function(
        "sel => (JSON.parse(document.querySelector(sel).dataset.saw || '{}').data || []).some(d => d.value > 0.3)",
        arg=f"#w-{BY_KEY[key].slug} .mirror .fh-anywidget-view", timeout=STEP_MS)


@pytest.mark.parametrize("key", ["wigglystuff.DriverTour", "wigglystuff.CellTour"])
def test_tours(wiggly: WigglyPage, key: str, record_property) -> None:
    """Python gives the tour its steps (CellTour's own steps point at marimo's notebook cells, so
    the test sets them in DriverTour's form, which CellTour keeps); starting it and moving on
    reach Python."""
    record_property("feature", f"{key}: Python -> page -> interaction -> Python")
    wiggly.set_in_python(key, "steps", [{"popover": {"title": "Set in Python", "description": "step one"}},
                                        {"popover": {"title": "The second step", "description": "step two"}}])
    start = wiggly.view(key).locator(".driver-tour-start-button")
    title = wiggly.page.locator(".driver-popover-title")
    try:
        for _ in range(20):  # nothing shows the steps before the tour starts; the new steps redraw the button
            try:
                start.click(timeout=2000)
                if title.is_visible() and title.inner_text() == "Set in Python":
                    break
            except PlaywrightError:
                pass
            wiggly.page.keyboard.press("Escape")
            wiggly.page.wait_for_timeout(100)
        expect(title).to_have_text("Set in Python", timeout=STEP_MS)
        expect(wiggly.mirror(key)).to_have_attribute("data-saw", re.compile(r'"active":true'), timeout=STEP_MS)
        wiggly.page.locator(".driver-popover-next-btn").click()
        expect(title).to_have_text("The second step", timeout=STEP_MS)
        expect(wiggly.mirror(key)).to_have_attribute("data-saw", re.compile(r'"current_step":1'), timeout=STEP_MS)
    finally:
        wiggly.page.keyboard.press("Escape")  # the tour's overlay would cover the next tests' widgets


@pytest.mark.feature("wigglystuff.TraceView: Python -> page -> interaction -> Python")
def test_trace_view(wiggly: WigglyPage) -> None:
    """Python gives it spans, the page draws them; clicking a span's row selects it in Python."""
    key = "wigglystuff.TraceView"
    span = {"span_id": "a1", "parent_id": None, "trace_id": "t1", "name": "load_rows", "service": None,
            "kind": "internal", "start_ms": 0.0, "end_ms": 12.0, "status": "ok", "status_message": "",
            "attributes": {}, "events": [], "links": []}
    wiggly.set_in_python(key, "spans", [span])
    view = wiggly.view(key)
    expect(view.locator(".tv-name").first).to_contain_text("load_rows", timeout=STEP_MS)
    view.locator('[data-action="select"][data-span="a1"]').first.click()
    expect(wiggly.mirror(key)).to_have_attribute("data-saw", re.compile(r'"selected_span_id":"a1"'), timeout=STEP_MS)


@pytest.mark.feature("wigglystuff.ThreeWidget: Python -> page (a viewer: static/three-widget.js has no model.set; "
                     "dragging turns the camera in the page only)")
def test_three_widget(wiggly: WigglyPage) -> None:
    """Points set in Python appear in its WebGL canvas: the canvas, still before, looks different after."""
    key = "wigglystuff.ThreeWidget"
    canvas = wiggly.view(key).locator("canvas").first
    canvas.scroll_into_view_if_needed()
    before = canvas.screenshot()
    wiggly.page.wait_for_timeout(300)
    assert canvas.screenshot() == before, "the canvas changes by itself: this check could not tell"
    wiggly.set_in_python(key, "data", [{"x": x / 2, "y": 0.0, "z": 0.0, "color": "tomato", "size": 0.6} for x in range(-4, 5)])
    for _ in range(50):
        if canvas.screenshot() != before:
            break
        wiggly.page.wait_for_timeout(100)
    else:
        raise AssertionError("the points set in Python never showed in the canvas")


@pytest.mark.feature("wigglystuff.GamepadWidget: interaction (a stand-in gamepad) -> Python -> page")
def test_gamepad(wiggly: WigglyPage) -> None:
    """Chromium has no gamepad here: navigator.getGamepads gives a stand-in (FAKE_GAMEPAD), whose
    button 3 the test presses; the widget reports the press to Python. Then Python sets one."""
    key = "wigglystuff.GamepadWidget"
    view = wiggly.view(key)
    wiggly.page.evaluate("() => { const p = window.__fakePad; p.buttons[3] = { pressed: true, touched: true, value: 1 }; p.timestamp++; }")
    try:
        expect(wiggly.mirror(key)).to_have_attribute("data-saw", re.compile(r'"current_button_press":3'), timeout=STEP_MS)
    finally:
        wiggly.page.evaluate("() => { const p = window.__fakePad; p.buttons[3] = { pressed: false, touched: false, value: 0 }; p.timestamp++; }")
    wiggly.set_in_python(key, "current_button_press", 7)
    expect(view).to_contain_text("Current button press: 7", timeout=STEP_MS)


@pytest.mark.feature("wigglystuff.CopyToClipboard: Python -> page -> interaction (clipboard)")
def test_copy_to_clipboard(wiggly: WigglyPage) -> None:
    """Its button copies `text_to_copy` to the clipboard: nothing goes back to Python
    (static/copybutton.js has no model.set), so Python sets the text and a click copies it."""
    key = "wigglystuff.CopyToClipboard"
    wiggly.set_in_python(key, "text_to_copy", "set in Python, copied by a click")
    button = wiggly.view(key).locator("button.copy-button")
    button.scroll_into_view_if_needed()
    copied = ""
    for _ in range(20):  # nothing on the page shows the text: click until the change has crossed
        button.click()
        expect(button).to_contain_text("Copied!", timeout=STEP_MS)
        copied = wiggly.page.evaluate("navigator.clipboard.readText()")
        if copied == "set in Python, copied by a click":
            break
        wiggly.page.wait_for_timeout(100)
    assert copied == "set in Python, copied by a click"


@pytest.mark.parametrize("key", ["drawdata.ScatterWidget", "wigglystuff.ScatterWidget"])
def test_drawdata_scatter(wiggly: WigglyPage, key: str, record_property) -> None:
    record_property("feature", f"{key}: interaction -> Python -> page")
    svg = wiggly.view(key).locator("svg.dd-scatter-svg")
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 3, box["y"] + box["height"] / 2
    wiggly.page.mouse.move(x, y)
    wiggly.page.mouse.down()
    wiggly.page.mouse.move(x + 60, y + 20, steps=8)
    wiggly.page.mouse.up()
    drawn = wiggly.view(key).locator("circle.drawn")
    expect(drawn.first).to_be_attached(timeout=STEP_MS)
    n = drawn.count()
    expect(wiggly.mirror(key)).to_have_attribute("data-saw", re.compile(r'"data":\['), timeout=STEP_MS)
    wiggly.page.wait_for_function(
        "([sel, n]) => (JSON.parse(document.querySelector(sel).dataset.saw).data || []).length === n",
        arg=[f"#w-{BY_KEY[key].slug} .mirror .fh-anywidget-view", n], timeout=STEP_MS)
    wiggly.set_in_python(key, "data", [{"x": 100, "y": 100, "color": "#ff0000", "label": "a", "batch": 0}])
    expect(drawn).to_have_count(1, timeout=STEP_MS)


def test_every_wigglystuff_and_drawdata_widget_is_listed() -> None:
    """A new release with a new widget must be listed (run or explained), not skipped silently."""
    import drawdata
    import wigglystuff

    for module in (wigglystuff, drawdata):
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        classes = {n for n in names if isinstance(getattr(module, n), type) and issubclass(getattr(module, n), anywidget.AnyWidget)}
        listed = {w.name for w in WIGGLY if w.package == module.__name__}
        assert classes - listed == set(), module.__name__


@pytest.mark.feature("wigglystuff.Pip: interaction -> Python -> page (its child, another widget, in a "
                     "picture-in-picture window and back)")
def test_pip(wiggly: WigglyPage) -> None:
    """Its button moves the child widget (a ProgressBar, through host.getWidget) into a
    picture-in-picture window: Python sees `floating`; Python setting it back closes the window
    and the child is drawn in the page again."""
    key = "wigglystuff.Pip"
    view = wiggly.view(key)
    pop = view.locator("button.pip-pop")
    expect(view.locator(".pip-stage")).to_contain_text("30", timeout=STEP_MS)  # the child, drawn in place
    pop.scroll_into_view_if_needed()
    expect(pop).to_be_enabled()  # Chromium has documentPictureInPicture
    pop.click()
    expect(view.locator(".pip-root")).to_have_class(re.compile(r"\bpip-is-floating\b"), timeout=STEP_MS)
    expect(wiggly.mirror(key)).to_have_attribute("data-saw", re.compile(r'"floating":true'), timeout=STEP_MS)
    wiggly.set_in_python(key, "floating", False)
    expect(view.locator(".pip-root")).not_to_have_class(re.compile(r"\bpip-is-floating\b"), timeout=STEP_MS)
    expect(view.locator(".pip-stage")).to_contain_text("30", timeout=STEP_MS)
