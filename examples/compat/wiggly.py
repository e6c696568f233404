"""Every widget of wigglystuff and drawdata (PyPI packages, pinned in the demo app), as users
make them.

``WIGGLY`` lists each one: how the page makes it, and, for those whose front end needs the
internet, why (they are listed, not run: the pages must work with no network). ``make`` builds
the real widget and remembers it under its name; ``Mirror`` shows what Python sees of it (every
synced trait change Python observed) and sets a trait of it from Python when the page asks, so
the tests can check both directions without knowing the widget's insides.

The remembered widgets live in a module-level dict: in worker mode each page has its own Python;
in server mode every page shares this process, so the newest page's widget of a name wins (fine
for the tests, which open one page at a time).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anywidget
import traitlets

_live: dict[str, Any] = {}


@dataclass(frozen=True)
class Wiggly:
    name: str
    """The class name in its package."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """JSON arguments for the constructor."""
    needs: str = ""
    """Why it is not run, when it is not (empty: it runs offline)."""
    package: str = "wigglystuff"
    watch: tuple[str, ...] = ()
    """Private traits its front end sets (``_crop``...): its Mirror shows those too."""

    @property
    def key(self) -> str:
        """``package.Class``: names the widget in pages, tests and the table."""
        return f"{self.package}.{self.name}"

    @property
    def slug(self) -> str:
        return self.key.replace(".", "-")

    @property
    def offline(self) -> bool:
        return not self.needs

    @property
    def target(self) -> str:
        return f"{__name__}:make_{self.package}_{self.name}"


CDN = "its front end imports from a CDN at run time: "
WIGGLY: list[Wiggly] = [
    Wiggly("ScatterWidget", package="drawdata"),
    Wiggly("BarWidget", package="drawdata"),
    Wiggly("AnnotationWidget"),
    Wiggly("AltairWidget", needs=CDN + "vega-embed from cdn.jsdelivr.net (static/altair-widget.js)"),
    Wiggly("ApiDoc"),
    Wiggly("AsyncFlow"),
    Wiggly("BezierCurve"),
    Wiggly("CellTour"),
    Wiggly("ChartMultiSelect", needs="a matplotlib figure (its required `fig`); matplotlib is not a pure-Python package"),
    Wiggly("ChartPuck", needs="a matplotlib figure (its required `fig`); matplotlib is not a pure-Python package"),
    Wiggly("ChartSelect", needs="a matplotlib figure (its required `fig`); matplotlib is not a pure-Python package"),
    Wiggly("CircularRangeSlider"),
    Wiggly("CircularSlider"),
    Wiggly("ColorPicker", {"color": "#336699"}),
    Wiggly("CopyToClipboard", {"text_to_copy": "hello"}),
    Wiggly("CubeWidget"),
    Wiggly("CurveEditor"),
    Wiggly("DriverTour"),
    Wiggly("EdgeDraw", {"names": ["a", "b", "c"]}),
    Wiggly("EnvConfig", {"variables": ["API_KEY"]}),
    Wiggly("EsmWidget", needs=CDN + "its example module imports motion from cdn.jsdelivr.net (static/esm-widget.js)"),
    Wiggly("Excalidraw", needs=CDN + "Excalidraw from esm.sh and its CSS from unpkg.com (static/excalidraw.js)"),
    Wiggly("Fader"),
    Wiggly("FloatingPanel", needs="not an anywidget widget but a marimo display helper (floating_panel.py returns marimo HTML): it needs a marimo notebook"),
    Wiggly("FormulaAnimation", needs=CDN + "KaTeX from cdn.jsdelivr.net (static/formula-animation.js)"),
    Wiggly("FramePlayer", needs="image frames (its required `frames`, PIL images); Pillow is not a pure-Python package"),
    Wiggly("GamepadWidget"),
    Wiggly("GraphWidget", {"nodes": ["a", "b", "c"], "edges": [["a", "b"], ["b", "c"]]}),
    Wiggly("GridDraw"),
    Wiggly("HeatmapSelect", needs="a numpy/PIL image (its required `image`); not a pure-Python package"),
    Wiggly("Hint", needs="not an anywidget widget but a marimo display helper (hint.py returns marimo HTML): it needs a marimo notebook"),
    Wiggly("HoverSlider"),
    Wiggly("HoverZoom", watch=("_crop",)),  # an image given to its constructor goes through PIL: the test sets it later
    Wiggly("HTMLRefreshWidget"),
    Wiggly("ImageRefreshWidget"),
    Wiggly("KeystrokeWidget"),
    Wiggly("Knob"),
    Wiggly("LiveEdit"),  # made by BUILDERS: it traces a run of a function
    Wiggly("ManimWeb", needs=CDN + "manim-web from cdn.jsdelivr.net (static/manim-web.js)"),
    Wiggly("Matrix", {"rows": 2, "cols": 2}),
    Wiggly("MidiButton"),
    Wiggly("ModuleTreeWidget"),
    Wiggly("Neo4jWidget", needs="a running Neo4j database (its required driver or uri)"),
    Wiggly("NestedTable", {"data": {"name": "fruit", "children": [{"name": "apples", "value": 3},
                                                                {"name": "pears", "value": 2}]}}),
    Wiggly("ObservablePlot", needs=CDN + "d3 and @observablehq/plot from cdn.jsdelivr.net (static/observable-plot.js)"),
    Wiggly("Paint", needs="Pillow at import of its Python (PIL); not a pure-Python package"),
    Wiggly("ParallelCoordinates", {"data": [{"alpha": 1, "beta": 5, "kind": "x"}, {"alpha": 3, "beta": 2, "kind": "y"},
                                            {"alpha": 2, "beta": 4, "kind": "x"}, {"alpha": 5, "beta": 1, "kind": "y"}]}),
    Wiggly("Pip"),  # made by BUILDERS: its child is another widget
    Wiggly("PlaySlider"),
    Wiggly("ProgressBar"),
    Wiggly("RidgelineChart", needs="a pandas DataFrame (its required `df`); pandas is not a pure-Python package"),
    Wiggly("ScatterLog", needs=CDN + "it is an AltairWidget: its first chart imports vega-embed from cdn.jsdelivr.net "
           "(static/altair-widget.js; an empty one renders offline, a chart does not)"),
    Wiggly("ScatterWidget"),  # drawdata's, re-exported
    Wiggly("Slider2D"),
    Wiggly("SortableList", {"value": ["apple", "banana", "cherry"]}),
    Wiggly("SplineDraw", needs="numpy: its Python fits the curve with numpy after every stroke (spline_draw.py, "
           "_update_curve); numpy is not a pure-Python package"),
    Wiggly("StateViewer"),  # made by BUILDERS: it steps through a function
    Wiggly("TangleChoice", {"choices": ["red", "green", "blue"]}),
    Wiggly("TangleDistribution"),
    Wiggly("TangleFunction"),  # made by BUILDERS: it calls a function
    Wiggly("TangleLatex", needs=CDN + "KaTeX from cdn.jsdelivr.net (static/latex-tangle.js)"),
    Wiggly("TangleSelect", {"choices": ["red", "green", "blue"]}),
    Wiggly("TangleSlider"),
    Wiggly("TextCompare", {"text_a": "the quick brown fox jumps over the lazy dog",
                           "text_b": "a quick brown fox jumps over a sleeping cat"}),
    Wiggly("ThreeWidget"),
    Wiggly("TraceView"),
    Wiggly("Treemap", {"data": {"name": "all", "children": [{"name": "a", "value": 3},
                                                            {"name": "b", "children": [{"name": "c", "value": 2}]}]}}),
    Wiggly("WebcamCapture"),
    Wiggly("WebkitSpeechToTextWidget", needs="Chrome's webkitSpeechRecognition (static/talk-widget.js) sends the "
           "microphone's audio to Google's speech service: it needs the internet at run time"),
    Wiggly("WidgetDAG", needs="not an anywidget widget but a marimo display helper (widget_dag.py returns marimo HTML): it needs a marimo notebook"),
]
BY_KEY = {w.key: w for w in WIGGLY}


def count_up() -> int:
    """A small function with its source in a file, for the widgets that run one (StateViewer,
    LiveEdit, TangleFunction's sibling)."""
    total = 0
    for i in range(4):
        total += i
    return total


def revenue(price: float = 4.0, units: int = 120) -> float:
    """What TangleFunction calls when a number is dragged."""
    return price * units


BUILDERS: dict[str, Callable[[Any], Any]] = {
    # widgets whose constructor takes Python objects (a function, a child widget), not JSON
    "wigglystuff.TangleFunction": lambda m: m.TangleFunction(revenue),
    "wigglystuff.Pip": lambda m: m.Pip(child=m.ProgressBar(value=30)),
    "wigglystuff.StateViewer": lambda m: m.StateViewer(count_up),
    "wigglystuff.LiveEdit": lambda m: m.LiveEdit.inspect_run(count_up),
}


def make(key: str, **kwargs: Any) -> anywidget.AnyWidget:
    """The widget ``key`` ("package.Class"), made with ``kwargs`` (or by BUILDERS) and
    remembered for ``Mirror``."""
    package, _, name = key.partition(".")
    module = importlib.import_module(package)  # only when a page shows one
    widget = BUILDERS[key](module) if key in BUILDERS else getattr(module, name)(**kwargs)
    _live[key] = widget
    return widget


def _factory(entry: Wiggly):
    def factory(**kwargs: Any) -> anywidget.AnyWidget:
        return make(entry.key, **kwargs)

    factory.__name__ = factory.__qualname__ = entry.target.partition(":")[2]
    factory.__module__ = __name__
    return factory


for _w in WIGGLY:
    globals()[_w.target.partition(":")[2]] = _factory(_w)


def _jsonable(value: Any) -> Any:
    """What the Mirror shows of a value: JSON, with long strings (a captured image's data URL) cut short."""
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return repr(value)[:200]


class Mirror(anywidget.AnyWidget):
    """Shows the changes Python observed on the widget ``name`` ("package.Class"); on request, sets
    one of its traits from Python."""

    _esm = """
export default {
  render({ model, el }) {
    el.innerHTML = `<div class="mirror-saw"></div>
      <input class="mirror-trait" placeholder="trait"> <input class="mirror-value" placeholder="JSON value">
      <button class="mirror-set" type="button">set in Python</button>`;
    el.querySelector(".mirror-set").addEventListener("click", () => {
      const trait = el.querySelector(".mirror-trait").value;
      const value = JSON.parse(el.querySelector(".mirror-value").value);
      model.send({ op: "set", trait, value });
    });
    const show = () => {
      el.dataset.saw = JSON.stringify(model.get("saw"));
      el.querySelector(".mirror-saw").textContent = `Python saw: ${el.dataset.saw}`;
    };
    model.on("change:saw", show);
    el.dataset.ready = "yes";
    show();
  },
};
"""
    name = traitlets.Unicode("").tag(sync=True)
    saw = traitlets.Dict().tag(sync=True)
    """The newest value of each trait that changed in Python after creation."""

    def __init__(self, name: str = "", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        target = _live.get(name)
        if target is None:
            raise LookupError(f"no widget {name!r} on this page: put {self._entry(name).target} before its Mirror")
        names = [n for n in target.traits(sync=True) if not n.startswith("_") and n not in ("layout", "tabbable", "tooltip")]
        names += list(self._entry(name).watch)
        target.observe(self._on_change, names=names)
        self.on_msg(self._on_msg)

    def _entry(self, name: str) -> Any:
        """The list entry of the widget ``name`` (its target, its private traits to watch)."""
        return BY_KEY[name]

    def _on_change(self, change: dict[str, Any]) -> None:
        self.saw = {**self.saw, change["name"]: _jsonable(change["new"])}

    def _on_msg(self, widget: Any, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("op") == "set":
            setattr(_live[self.name], content["trait"], content["value"])
