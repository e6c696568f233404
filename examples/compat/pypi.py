"""More real anywidget widgets from PyPI, beyond wigglystuff and drawdata: the most used
anywidget-based packages, as users make them.

``PYPI`` lists each one checked: how the page makes it, the modes it runs in, and, for those
that cannot run here, why. A package that is pure Python (it and all its dependencies) runs in
both modes: the demo host ships it to the worker (``WORKER_PACKAGES``, in the demo app's
``packages=[...]``). One that needs numpy, pandas, pyarrow, duckdb and friends (compiled, with no
pure-Python wheel for the browser) runs in server mode only; pyproject's test extra installs it.

As in wiggly.py, ``make`` builds the real widget and remembers it under its key, and the page
puts a ``Mirror`` after it: what Python observed of it, and a trait set from Python on request.
Nothing here imports a widget package before a page shows one of its widgets.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anywidget

from . import wiggly

BOTH = ("worker", "server")
SERVER = ("server",)


@dataclass(frozen=True)
class Pypi:
    key: str
    """``module.Name`` as users import it: names the widget in pages, tests and the table."""
    package: str
    """The PyPI distribution, pinned (``name==version``)."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """JSON arguments for the constructor (those that need Python objects are in BUILDERS)."""
    modes: tuple[str, ...] = BOTH
    worker_needs: str = ""
    """Why it is not run in worker mode, when it runs in server mode only."""
    needs: str = ""
    """Why it is not run at all (empty: it runs)."""
    watch: tuple[str, ...] = ()
    """Private traits its front end sets: its Mirror shows those too."""

    @property
    def slug(self) -> str:
        return self.key.replace(".", "-").replace("_", "-")

    @property
    def offline(self) -> bool:
        return not self.needs

    @property
    def target(self) -> str:
        return f"{__name__}:make_{self.key.replace('.', '_')}"

    @property
    def name(self) -> str:
        return self.package.partition("==")[0]

    @property
    def version(self) -> str:
        return self.package.partition("==")[2]


CDN = "its front end imports from a CDN at run time: "
COMPILED = "needs {} (compiled; no pure-Python wheel for the browser): server mode only"
PY312 = "needs Python {} ({}'s Requires-Python), and the server's venv is 3.11"
PYPI: list[Pypi] = [
    # -- pure Python: both modes -------------------------------------------------------------
    Pypi("bitjet.BitView", "bitjet==1.0.0"),  # made by BUILDERS: its data is bytes
    Pypi("mopad.GamepadWidget", "mopad==0.4.0"),
    Pypi("graphviz_anywidget.GraphvizAnyWidget", "graphviz-anywidget==0.8.0",
         {"dot_source": "digraph { alpha -> beta; beta -> gamma; gamma -> alpha; }"}),
    Pypi("markmap_anywidget.MarkmapWidget", "markmap-anywidget==0.3.0",
         {"markdown_content": "# Fruit\n## Apples\n- Cox\n- Gala\n## Pears\n- Conference\n- Comice\n"}),
    # -- compiled dependencies: server mode only --------------------------------------------------
    Pypi("itables.widget.ITable", "itables==2.9.1", modes=SERVER, worker_needs=COMPILED.format("pandas")),
    Pypi("quak.Widget", "quak==0.3.5", modes=SERVER, worker_needs=COMPILED.format("duckdb and pyarrow")),
    Pypi("mosaic_widget.MosaicWidget", "mosaic-widget==0.34.2", modes=SERVER,
         worker_needs=COMPILED.format("duckdb and pyarrow")),
    Pypi("jscatter.Scatter", "jupyter-scatter==1.0.1", modes=SERVER,
         worker_needs=COMPILED.format("numpy, pandas, pyarrow, scipy and matplotlib")),
    Pypi("anyplotlib.Figure", "anyplotlib==0.11.0", modes=SERVER, worker_needs=COMPILED.format("numpy")),
    Pypi("anythreejs.Renderer", "anythreejs==0.3.4", modes=SERVER, worker_needs=COMPILED.format("numpy"),
         watch=("_click_info",)),
    Pypi("pyobsplot.Plot", "pyobsplot==0.5.4", modes=SERVER, worker_needs=COMPILED.format("pandas, polars and pyarrow")),
    Pypi("moutils.Slot", "moutils==0.3.12", modes=SERVER,  # made by BUILDERS: its events are Python callbacks
         worker_needs="needs marimo (a requirement of moutils), which needs msgspec and pyyaml (compiled; no "
                      "pure-Python wheel for the browser): server mode only"),
    Pypi("mowidget.ColorPicker", "mowidget==0.1.6", modes=SERVER,
         worker_needs="needs numpy, a requirement of mowidget though not of this widget (compiled; no pure-Python "
                      "wheel for the browser): server mode only"),
    # -- checked, not run --------------------------------------------------------------------------
    Pypi("lonboard.Map", "lonboard==0.17.0",
         needs=CDN + "parquet-wasm's wasm from cdn.jsdelivr.net as it starts (static/index.js), before it draws "
               "anything; also arro3, geoarrow-rust and pyproj (server mode only)"),
    Pypi("altair.JupyterChart", "altair==6.3.0",
         needs=CDN + "vega-embed and lodash from esm.sh (altair/jupyter/js/index.js)"),
    Pypi("pygwalker.walk", "pygwalker==0.5.0.1",
         needs="not tried here: its Python reports usage to kanaries.net (kanaries-track, segment-analytics-python) "
               "unless configured off, and it needs duckdb, pandas, pyarrow and sqlalchemy (server mode only)"),
    Pypi("leafmap.maplibregl.Map", "leafmap==0.63.1",
         needs="a map of tiles and styles from the internet: its maplibre map (the maplibre package) loads its "
               "default style from basemaps.cartocdn.com; its mapbox map imports mapbox-gl from esm.sh"),
    Pypi("anymap.MapLibreMap", "anymap==0.12.0",
         needs=CDN + "its widgets import plugins from unpkg.com, esm.sh and cdn.skypack.dev (static/*.js); "
               "its maps load their styles and tiles from the internet"),
    Pypi("ipyaladin.Aladin", "ipyaladin==0.8.1", needs=CDN + "aladin-lite from esm.sh (static/widget.js)"),
    Pypi("vitessce.VitessceWidget", "vitessce==3.9.7",
         needs=CDN + "its import map from cdn.vitessce.io or unpkg.com; also " + PY312.format("3.12+", "vitessce 3.9")),
    Pypi("higlass.HiGlassWidget", "higlass-python==1.4.0", needs=CDN + "higlass and uuid from esm.sh (higlass/widget.js)"),
    Pypi("mapwidget.maplibre.Map", "mapwidget==0.2.0", needs=CDN + "maplibre-gl, mapbox-gl and leaflet from esm.sh/unpkg.com "
         "(javascript/*.js)"),
    Pypi("cev.widgets.Embedding", "cev==0.2.2", needs=CDN + "d3 from esm.sh; also numpy<2 and pandas<2"),
    Pypi("d2_widget.Widget", "d2-widget==0.2.0", needs=CDN + "@terrastruct/d2 from esm.sh (static/widget.js)"),
    Pypi("ipymolstar.PDBeMolstar", "ipymolstar==0.1.0",
         needs=CDN + "pdbe-molstar from cdn.jsdelivr.net (static/pdbemolstar.js), and the structures it shows come "
               "from the PDB's servers"),
    Pypi("modraw.Draw", "modraw==0.1.14",
         needs="its bundled tldraw editor's default fonts, icons and translations are on cdn.tldraw.com "
         "(static/draw.js), fetched as it draws"),
    Pypi("tldraw.TldrawWidget", "tldraw==3.0.0",
         needs="its bundled tldraw editor's default fonts, icons and translations are on cdn.tldraw.com "
               "(static/*.js); it also needs marimo and ipykernel"),
    Pypi("anywidget_graph.Graph", "anywidget-graph==0.4.6", needs=PY312.format("3.12+", "anywidget-graph") + "; its embedded database loads "
         "its wasm from cdn.jsdelivr.net (ui/grafeo-embed.js)"),
    Pypi("momatrix.Matrix", "momatrix==0.1.1", needs="marimo and numpy; " + PY312.format("3.13+", "momatrix")),
    Pypi("ipyniivue.NiiVue", "ipyniivue==2.4.4",
         needs="not tried here: it shows NIfTI volumes, loaded by URL or from a file, and none is shipped here; "
               "numpy (server mode only)"),
    Pypi("pyglobegl.GlobeWidget", "pyglobegl==0.9.3",
         needs="not tried here: it needs pillow and pydantic-core (compiled: server mode only); its bundle "
               "imports nothing from a CDN"),
]
BY_KEY = {p.key: p for p in PYPI}
WORKER_PACKAGES = sorted({p.package for p in PYPI if p.offline and "worker" in p.modes})
"""What the demo host ships to the worker for these widgets."""


# -- the widgets whose constructor takes Python objects (data frames, scenes): built here -----

ROWS = [{"name": n, "x": x, "y": y, "kind": k} for n, x, y, k in [
    ("ant", 1.0, 2.0, "insect"), ("bee", 2.0, 3.5, "insect"), ("cat", 3.0, 1.0, "mammal"),
    ("dog", 4.0, 4.0, "mammal"), ("eel", 5.0, 2.5, "fish"), ("fox", 6.0, 3.0, "mammal")]]
"""A small table every data widget shows: six animals with two numbers each."""


def _bitjet(m: Any) -> Any:
    return m.BitView(bytes((i * 37) % 256 for i in range(512)), datawidth=48)


def _frame():
    import pandas as pd  # noqa: PLC0415 (server mode only)

    return pd.DataFrame(ROWS)


def _itable(m: Any) -> Any:
    return m.ITable(_frame(), select=True, caption="Six animals")


def _quak(m: Any) -> Any:
    return m.Widget(_frame())


def _mosaic(m: Any) -> Any:
    spec = {
        "params": {"brush": {"select": "intersect"}},
        "vconcat": [{"plot": [{"mark": "dot", "data": {"from": "animals"}, "x": "x", "y": "y", "r": 6, "fill": "kind"},
                              {"select": "intervalX", "as": "$brush"}],
                     "width": 500, "height": 260}],
    }
    return m.MosaicWidget(spec, data={"animals": _frame()})


def _scatter(m: Any) -> Any:
    return m.Scatter(data=_frame(), x="x", y="y", height=300).widget


PRESSES: list[dict[str, Any]] = []
"""What moutils.Slot's Python callback was called with (its ``on_pointerup``)."""


def _slot(m: Any) -> Any:
    return m.Slot(children="<button class='slot-button' type='button'>press me</button>", on_pointerup=PRESSES.append)


def _anyplotlib(m: Any) -> Any:
    import numpy as np  # noqa: PLC0415

    fig, ax = m.subplots(1, 1, figsize=(520, 300))
    x = np.linspace(0, 6.28, 60)
    ax.plot(np.sin(x))
    return fig


def _anythreejs(m: Any) -> Any:
    scene = m.Scene(background="#20242c")
    scene.add(m.Mesh(m.BoxGeometry(1.5, 1.5, 1.5), m.MeshStandardMaterial(color="#ff6600"), name="the box"))
    scene.add(m.AmbientLight(intensity=0.8))
    scene.add(m.DirectionalLight(position=(3, 4, 5), intensity=1.2))
    camera = m.PerspectiveCamera(position=(3, 2, 4))
    return m.Renderer(camera=camera, scene=scene, controls=[m.OrbitControls(controlling=camera)], width=500, height=300)


def _obsplot(m: Any) -> Any:
    plot = m.Plot
    return plot.plot({"marks": [plot.dot(_frame(), {"x": "x", "y": "y", "fill": "kind", "r": 6}),
                                plot.text(_frame(), {"x": "x", "y": "y", "text": "name", "dy": -12})],
                      "width": 500, "height": 260})


BUILDERS: dict[str, Callable[[Any], Any]] = {
    "bitjet.BitView": _bitjet,
    "itables.widget.ITable": _itable,
    "quak.Widget": _quak,
    "mosaic_widget.MosaicWidget": _mosaic,
    "jscatter.Scatter": _scatter,
    "moutils.Slot": _slot,
    "anyplotlib.Figure": _anyplotlib,
    "anythreejs.Renderer": _anythreejs,
    "pyobsplot.Plot": _obsplot,
}


def make(key: str, **kwargs: Any) -> anywidget.AnyWidget:
    """The widget ``key`` ("module.Name"), made with ``kwargs`` (or by BUILDERS) and remembered
    for its Mirror (in wiggly's table, which Mirror reads)."""
    module_name, _, name = key.rpartition(".")
    module = importlib.import_module(module_name)  # only when a page shows one
    widget = BUILDERS[key](module) if key in BUILDERS else getattr(module, name)(**kwargs)
    wiggly._live[key] = widget
    return widget


def _factory(entry: Pypi):
    def factory(**kwargs: Any) -> anywidget.AnyWidget:
        return make(entry.key, **kwargs)

    factory.__name__ = factory.__qualname__ = entry.target.partition(":")[2]
    factory.__module__ = __name__
    return factory


for _p in PYPI:
    globals()[_p.target.partition(":")[2]] = _factory(_p)


class Mirror(wiggly.Mirror):
    """wiggly's Mirror, for the widgets of this module."""

    def _entry(self, name: str) -> Any:
        return BY_KEY[name]
