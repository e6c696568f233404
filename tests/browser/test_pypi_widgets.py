"""More real widgets from PyPI (examples/compat/pypi.py lists them, and why the others do not
run): the pure-Python ones in worker and server mode, those that need numpy, pandas, pyarrow or
duckdb in server mode (their worker cell says why not), on the demo's /compat/pypi page.

For each one: it renders with no error and no request beyond this machine. Then, as a person
would, an interaction in the widget reaches its Python object, and a trait set in Python
changes what the page shows (through each widget's Mirror, as in test_wigglystuff.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from browser_support import STEP_MS, NetworkGuard, booted_page, table_row
from conftest import MODES, RESULTS
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from test_wigglystuff import FAKE_GAMEPAD, Script, _act

from examples.compat import pypi
from examples.compat.pypi import BY_KEY, PYPI

RUN = [p.key for p in PYPI if p.offline]


class PypiPage:
    """The /compat/pypi page of one mode (the interface test_wigglystuff's ``_act`` uses)."""

    def __init__(self, page: Page, mode: str, console: list[str], guard: NetworkGuard) -> None:
        self.page, self.mode, self.console, self.guard = page, mode, console, guard

    def section(self, key: str) -> Locator:
        return self.page.locator(f"#p-{BY_KEY[key].slug}")

    def view(self, key: str) -> Locator:
        """The real widget's own element (markmap's replaces the class the page runtime gave it)."""
        return self.section(key).locator("> .fh-anywidget > div:not(.fh-anywidget-status):not(.fh-anywidget-error)").first

    def mirror(self, key: str) -> Locator:
        return self.section(key).locator(".mirror .fh-anywidget-view")

    def python_saw(self, key: str) -> dict:
        return json.loads(self.mirror(key).get_attribute("data-saw") or "{}")

    def set_in_python(self, key: str, trait: str, value: object) -> None:
        mirror = self.mirror(key)
        mirror.locator(".mirror-trait").fill(trait)
        mirror.locator(".mirror-value").fill(json.dumps(value))
        mirror.locator(".mirror-set").click()

    def expect_saw(self, key: str, pattern: str) -> None:
        """Python observed a change matching ``pattern`` (a regex on the JSON of what it saw)."""
        expect(self.mirror(key)).to_have_attribute("data-saw", re.compile(pattern), timeout=STEP_MS)


def _context(ctx: BrowserContext) -> None:
    ctx.add_init_script(FAKE_GAMEPAD)  # mopad's (no gamepad here)


@pytest.fixture(scope="module", params=MODES)
def pypi_page(request: pytest.FixtureRequest, browser: Browser, server_url: str) -> Iterator[PypiPage]:
    mode = request.param
    url = server_url + ("/server" if mode == "server" else "") + "/compat/pypi"
    with booted_page(browser, url, RESULTS, f"pypi-{mode}", setup=_context) as (page, console, guard):
        yield PypiPage(page, mode, console, guard)


def _runs_here(p: PypiPage, key: str) -> None:
    """Skip, with the reason for the table, a widget that does not run in this mode."""
    entry = BY_KEY[key]
    if p.mode not in entry.modes:
        pytest.skip(entry.worker_needs)


@pytest.fixture(autouse=True)
def _row(request: pytest.FixtureRequest, record_property) -> Iterator[None]:
    yield from table_row(request, record_property, "pypi_page")


@pytest.mark.parametrize("name", RUN)
def test_renders_with_no_error(pypi_page: PypiPage, name: str) -> None:
    _runs_here(pypi_page, name)
    section = pypi_page.section(name)
    expect(section.locator(".fh-anywidget-error")).to_have_count(0)
    view = pypi_page.view(name)
    expect(view).to_have_count(1)
    # it drew something of its own into its element
    assert view.evaluate("el => el.childElementCount + (el.shadowRoot?.childElementCount || 0)") > 0
    expect(pypi_page.mirror(name)).to_have_attribute("data-ready", "yes")


# -- scripted: an interaction reaches Python, a Python change reaches the page ------------

SCRIPTS = {
    "bitjet.BitView": Script([("select", "select[data-role=mode]", "byte")], "mode",
                             ("datawidth", 32), ("[data-role=width-label]", r"^32$"), saw="byte"),
    "mowidget.ColorPicker": Script(("clickat", "canvas.color-canvas", (0.02, 0.5)), "selected_color", None, None,
                                   "its front end never listens for changes: frontend/js/color-picker.js has no model.on",
                                   saw=re.compile(r'"#[ef][0-9a-f]')),  # the left edge of the gradient is red
    "moutils.Slot": Script(("click", "button.slot-button"), "last_event",
                           ("children", "<p class='from-python'>drawn from Python</p>"),
                           ("p.from-python", r"^drawn from Python$"), saw=re.compile(r'\{"name":"pointerup"')),
    "itables.widget.ITable": Script(("click", "tbody tr >> nth=2"), "selected_rows", ("selected_rows", [0, 4]),
                                    ("tbody tr.selected", "2", "count"), saw=[2]),
}


@pytest.mark.parametrize("key", list(SCRIPTS))
def test_an_interaction_reaches_python_and_a_python_change_reaches_the_page(pypi_page: PypiPage, key: str,
                                                                             record_property) -> None:
    script, view = SCRIPTS[key], pypi_page.view(key)
    record_property("feature", f"{key}: {script.row}")
    _runs_here(pypi_page, key)
    if script.act is not None:
        _act(pypi_page, view, script.act)  # type: ignore[arg-type]
        if isinstance(script.saw, re.Pattern):
            value = script.saw.pattern
        else:
            value = "" if script.saw is None else re.escape(json.dumps(script.saw, separators=(",", ":")))
        pypi_page.expect_saw(key, f'"{script.trait}":{value}')
    if script.set_ is None or script.shows is None:
        return
    trait, value = script.set_
    pypi_page.set_in_python(key, trait, value)
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


def test_every_widget_entry_is_pinned_where_it_is_installed() -> None:
    """The versions the pages name are the ones pyproject's test extra installs on the server
    and the demo ships to the worker, so both modes run the same code."""
    import tomllib
    from importlib.metadata import version
    from pathlib import Path

    from examples.demo.app import WIDGET_PACKAGES

    root = Path(__file__).resolve().parents[2]
    extra = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    pins = {re.split(r"[\[=]", s)[0]: s.rpartition("==")[2] for s in extra if "==" in s}
    for entry in PYPI:
        if not entry.offline:
            continue
        assert pins.get(entry.name) == entry.version, f"{entry.package} is not pinned in pyproject's test extra"
        assert version(entry.name) == entry.version, f"{entry.name} {version(entry.name)} installed, {entry.version} named"
        assert (entry.package in WIDGET_PACKAGES) == ("worker" in entry.modes), entry.package


@pytest.mark.feature("mopad.GamepadWidget: interaction (a stand-in gamepad) -> Python -> page")
def test_mopad(pypi_page: PypiPage) -> None:
    """Chromium has no gamepad here: navigator.getGamepads gives a stand-in (test_wigglystuff's
    FAKE_GAMEPAD), whose button 3 the test presses; the widget tells Python. Then Python sets one."""
    key = "mopad.GamepadWidget"
    page, view = pypi_page.page, pypi_page.view(key)
    expect(view).not_to_contain_text("No Gamepad Detected", timeout=STEP_MS)
    page.evaluate("() => { const p = window.__fakePad; p.buttons[3] = { pressed: true, touched: true, value: 1 }; p.timestamp++; }")
    try:
        pypi_page.expect_saw(key, r'"current_button_press":3')
    finally:
        page.evaluate("() => { const p = window.__fakePad; p.buttons[3] = { pressed: false, touched: false, value: 0 }; p.timestamp++; }")
    pypi_page.set_in_python(key, "current_button_press", 7)
    expect(view).to_contain_text("Current button press: 7", timeout=STEP_MS)


@pytest.mark.feature("graphviz_anywidget.GraphvizAnyWidget: Python -> page (a viewer: static/widget.js has no "
                     "model.set; zooming and searching stay in the page)")
def test_graphviz(pypi_page: PypiPage) -> None:
    """Its graph, laid out by Graphviz compiled to wasm inside its bundle: Python gives it a new
    graph in DOT, the page lays out and draws the new nodes."""
    key = "graphviz_anywidget.GraphvizAnyWidget"
    view = pypi_page.view(key)
    expect(view.locator("svg g.node")).to_have_count(3, timeout=STEP_MS)
    expect(view.locator("svg g.node text").first).to_have_text("alpha")
    pypi_page.set_in_python(key, "dot_source", "digraph { north -> south; south -> east; east -> west; west -> north; }")
    expect(view.locator("svg g.node")).to_have_count(4, timeout=STEP_MS)
    expect(view.locator("svg g.node text", has_text="west")).to_have_count(1)


@pytest.mark.feature("markmap_anywidget.MarkmapWidget: Python -> page -> interaction in the page (static/widget.js "
                     "reads the markdown once, at render, and has no model.set: a click folds a branch)")
def test_markmap(pypi_page: PypiPage) -> None:
    """The mind map of the markdown Python gave it; clicking a branch's circle folds it away."""
    key = "markmap_anywidget.MarkmapWidget"
    view = pypi_page.view(key)
    leaves = view.locator("g.markmap-node", has_text="Gala")
    expect(view.locator("g.markmap-node", has_text="Apples")).to_have_count(1, timeout=STEP_MS)
    expect(leaves).to_have_count(1)
    apples = view.locator("g.markmap-node", has_text="Apples").locator("circle").first
    apples.scroll_into_view_if_needed()
    apples.click()
    expect(leaves).to_have_count(0, timeout=STEP_MS)


def _drag(page: Page, box: dict, start: tuple[float, float], end: tuple[float, float], steps: int = 10) -> None:
    page.mouse.move(box["x"] + start[0] * box["width"], box["y"] + start[1] * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + end[0] * box["width"], box["y"] + end[1] * box["height"], steps=steps)
    page.mouse.up()


def _changes(canvas: Locator, page: Page, before: bytes, what: str) -> None:
    """Wait until the canvas looks different from ``before`` (a WebGL canvas has no DOM to read)."""
    for _ in range(60):
        if canvas.screenshot() != before:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"{what} never showed in the canvas")


def _still(canvas: Locator, page: Page) -> bytes:
    """The canvas once it has stopped changing by itself (so a later change is the test's)."""
    before = canvas.screenshot()
    for _ in range(30):
        page.wait_for_timeout(200)
        now = canvas.screenshot()
        if now == before:
            return now
        before = now
    raise AssertionError("the canvas keeps changing by itself: this check could not tell")


@pytest.mark.feature("quak.Widget: interaction -> Python (its `sql` is read-only: the page sets it, Python "
                     "answers the queries it sends)")
def test_quak(pypi_page: PypiPage) -> None:
    """A click on a column's header sorts the table: the page asks Python's DuckDB for the rows
    again and writes the new query into `sql`; the first row shown is Python's answer."""
    key = "quak.Widget"
    _runs_here(pypi_page, key)
    view = pypi_page.view(key)
    expect(view.locator("tbody tr").first).to_contain_text("ant", timeout=STEP_MS)
    header = view.locator("thead th").nth(3)  # the row number's, name, x, y
    expect(header).to_contain_text("y")
    header.scroll_into_view_if_needed()
    header.hover()  # shows its sort button
    header.locator(".sort-button").click()
    pypi_page.expect_saw(key, r'"sql":".*ORDER BY.*\\"y\\"')
    first = view.locator("tbody tr").first
    expect(first).not_to_contain_text("ant", timeout=STEP_MS)  # ant has y = 2.0: neither the least nor the most


@pytest.mark.feature("mosaic_widget.MosaicWidget: interaction -> Python -> page")
def test_mosaic(pypi_page: PypiPage) -> None:
    """Brushing an interval of its plot updates the `brush` selection, which the page reports to
    Python in `params`; Python then gives it a new spec, which the page draws."""
    key = "mosaic_widget.MosaicWidget"
    _runs_here(pypi_page, key)
    view = pypi_page.view(key)
    svg = view.locator("svg").first
    expect(svg).to_be_visible(timeout=STEP_MS)
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    assert box is not None
    _drag(pypi_page.page, box, (0.3, 0.5), (0.7, 0.5))
    pypi_page.expect_saw(key, r'"params":\{"brush":\{.*"predicate":".*\\"x\\" BETWEEN')
    pypi_page.set_in_python(key, "spec", {"plot": [{"mark": "dot", "data": {"from": "animals"}, "x": "x", "y": "y"}],
                                          "xLabel": "x, set in Python"})
    expect(view.locator("svg text", has_text="x, set in Python")).to_have_count(1, timeout=STEP_MS)


@pytest.mark.feature("jscatter.Scatter: interaction -> Python -> page")
def test_jscatter(pypi_page: PypiPage) -> None:
    """With its lasso tool, a loop drawn around the plot selects the points inside it: Python
    sees them in `selection` (a numpy array: the Mirror shows its repr); Python then clears it,
    and the WebGL canvas shows that."""
    key = "jscatter.Scatter"
    _runs_here(pypi_page, key)
    page, view = pypi_page.page, pypi_page.view(key)
    canvas = view.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    view.locator("button[title='Activate lasso selection']").click()
    loop = [(0.03, 0.03), (0.97, 0.03), (0.97, 0.97), (0.03, 0.97), (0.03, 0.05)]
    px, py = loop[0]
    page.mouse.move(box["x"] + loop[0][0] * box["width"], box["y"] + loop[0][1] * box["height"])
    page.mouse.down()
    for fx, fy in loop[1:]:
        for i in range(1, 13):  # a hand's pace: the lasso samples the pointer over time
            page.mouse.move(box["x"] + (px + (fx - px) * i / 12) * box["width"],
                            box["y"] + (py + (fy - py) * i / 12) * box["height"])
            page.wait_for_timeout(15)
        px, py = fx, fy
    page.mouse.up()
    pypi_page.expect_saw(key, r'"selection":"array\(\[\d+(, \d+)+\]')
    before = _still(canvas, page)
    pypi_page.set_in_python(key, "selection", [])
    _changes(canvas, page, before, "the selection cleared in Python")


@pytest.mark.feature("anyplotlib.Figure: interaction -> Python -> page")
def test_anyplotlib(pypi_page: PypiPage) -> None:
    """A click in the plot reaches Python as a pointer event (`event_json`); Python then makes
    the figure narrower, and the page draws it so."""
    key = "anyplotlib.Figure"
    _runs_here(pypi_page, key)
    page, view = pypi_page.page, pypi_page.view(key)
    canvas = view.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 400
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    pypi_page.expect_saw(key, r'"event_json":"\{.*\\"event_type\\":\\"pointer_(down|up)\\"')
    pypi_page.set_in_python(key, "fig_width", 320)
    page.wait_for_function("el => el.getBoundingClientRect().width < 330", arg=canvas.element_handle(), timeout=STEP_MS)


@pytest.mark.feature("anythreejs.Renderer: interaction -> Python -> page")
def test_anythreejs(pypi_page: PypiPage) -> None:
    """A click on the box (three.js, WebGL) picks it: Python sees the object clicked; Python then
    resizes the renderer, and the canvas follows."""
    key = "anythreejs.Renderer"
    _runs_here(pypi_page, key)
    page, view = pypi_page.page, pypi_page.view(key)
    canvas = view.locator("canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    pypi_page.expect_saw(key, r'"_click_info":\{.*"point"')
    pypi_page.set_in_python(key, "width", 360)
    page.wait_for_function("el => Math.round(el.getBoundingClientRect().width) === 360", arg=canvas.element_handle(),
                           timeout=STEP_MS)


@pytest.mark.feature("pyobsplot.Plot: Python -> page (a viewer: static/static-widget.js has no model.set)")
def test_pyobsplot(pypi_page: PypiPage) -> None:
    """Observable Plot's chart of the table Python gave it (as Arrow); Python gives it a new
    spec, which the page draws."""
    key = "pyobsplot.Plot"
    _runs_here(pypi_page, key)
    view = pypi_page.view(key)
    expect(view.locator("svg text", has_text="fox")).to_have_count(1, timeout=STEP_MS)
    text = {"pyobsplot-type": "function", "module": "Plot", "method": "text",
            "args": [[{"x": 1, "y": 1, "t": "drawn from Python"}], {"x": "x", "y": "y", "text": "t"}]}
    pypi_page.set_in_python(key, "spec", {"marks": [text]})
    expect(view.locator("svg text", has_text="drawn from Python")).to_have_count(1, timeout=STEP_MS)
    expect(view.locator("svg text", has_text="fox")).to_have_count(0)
