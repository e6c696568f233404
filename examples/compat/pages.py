"""The pages that show the conformance fixtures; the demo app (examples/demo/app.py) mounts them.

``/compat`` shows one section per fixture (id ``f-<name>``), ``/compat/many`` fifty widgets,
``/compat/wigglystuff`` the real widgets from PyPI, ``/compat/pypi`` more of them
(examples/compat/pypi.py; in worker mode only those that are pure Python), and ``/compat/static/<file>`` serves the
module and style sheets that some fixtures load by URL.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from fasthtml.common import H2, Div, Section
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from . import pypi
from . import widgets as w
from .wiggly import WIGGLY, Mirror

Widget = Callable[..., Any]
"""``widget(target, **kwargs)``: the app's ``host.widget`` in the mode of the page."""

# (section name, title, target, kwargs); kwargs may name "{base}", the page's origin
FIXTURES: list[tuple[str, str, Any, dict[str, Any]]] = [
    ("object", "default export object", w.Probe, {}),
    ("factory", "default export async factory", w.FactoryProbe, {}),
    ("legacy-1", "legacy named render (1)", w.LegacyProbe, {}),
    ("legacy-2", "legacy named render (2, same module: no second warning)", w.LegacyProbe, {}),
    ("async-render", "async render", w.AsyncRenderProbe, {}),
    ("initialize", "initialize, once per model (view 1)", w.InitializeProbe, {"key": "init"}),
    ("initialize-2", "initialize, once per model (view 2)", w.InitializeProbe, {"key": "init"}),
    ("inline", "_esm as inline text", w.InlineProbe, {}),
    ("url", "_esm as a URL", w.UrlProbe, {"base": "{base}"}),
    ("lifecycle", "cleanup when the view leaves the page", w.Lifecycle, {"tag": "removed"}),
    ("hot", "_esm replaced by Python (hot reload)", w.HotReload, {}),
    ("queue", "messages queued until initialize finished", w.QueuedMessages, {}),
    ("events", "change:x, change, off with wildcards", w.Events, {}),
    ("custom", "msg:custom with buffers", w.CustomBuffers, {}),
    ("nested", "nested buffer_paths", w.NestedBuffers, {}),
    ("bytes", "traitlets.Bytes", w.BytesTrait, {}),
    ("echo", "echo_update=False", w.EchoFlags, {}),
    ("invoke", "experimental.invoke and @command", w.Commands, {}),
    ("descriptor", "MimeBundleDescriptor (psygnal dataclass)", w.DescriptorCounter, {}),
    ("decorated", "@anywidget.experimental.widget (traitlets.HasTraits)", w.DecoratedCounter, {}),
    ("dataclass", "@anywidget.experimental.dataclass", w.DataclassCounter, {}),
    ("composition", "0.11 composition: WidgetTrait, host.getModel, host.getWidget", w.Parent, {}),
    ("css-inline", "_css inline", w.CssInline, {}),
    ("css-path", "_css as a Path", w.CssPath, {}),
    ("css-url", "_css as a URL", w.CssUrl, {"base": "{base}"}),
    ("layout", "a class that overrides layout", w.OwnLayout, {}),
    ("late-data", "first render sees traits set after super().__init__()", w.LateData, {}),
    ("late-factory", "first render sees what a factory set after making the widget", w.late_data_factory, {}),
    ("render-asks", "a render that awaits Python's reply to model.send", w.RenderAsks, {}),
    ("initialize-invokes", "an initialize that awaits experimental.invoke", w.InitializeInvokes, {}),
    # these two fail by design (they reach for the internet): their errors must say so
    ("offline-import", "an _esm that imports a module from a CDN (fails offline)", w.CdnImport, {}),
    ("offline-wasm", "a render that fetches a wasm file from a CDN (fails offline)", w.CdnWasm, {}),
]
FAILING = ("offline-import", "offline-wasm")
"""The sections whose widgets fail on purpose: every other fixture shows no error."""
MANY = 50
STATIC_DIRS = (w.ESM, w.CSS)


def _fill(kwargs: dict[str, Any], base: str) -> dict[str, Any]:
    return {k: (base if v == "{base}" else v) for k, v in kwargs.items()}


def fixture_sections(widget: Widget, base: str) -> list[Any]:
    return [Section(H2(title), widget(target, **_fill(kwargs, base)), id=f"f-{name}")
            for name, title, target, kwargs in FIXTURES]


def many_sections(widget: Widget) -> list[Any]:
    return [Section(widget(w.Probe, value=i), id=f"many-{i}", cls="many") for i in range(MANY)]


def wiggly_sections(widget: Widget, keys: list[str] | None = None) -> list[Any]:
    """Each real widget that runs offline (or those of ``keys``), each followed by its Python mirror."""
    chosen = [e for e in WIGGLY if e.offline and (keys is None or e.key in keys)]
    return [Section(H2(e.key), widget(e.target, **e.kwargs), Div(widget(Mirror, args={"name": e.key}), cls="mirror"),
                    id=f"w-{e.slug}") for e in chosen]


def pypi_sections(widget: Widget, mode: str, keys: list[str] | None = None) -> list[Any]:
    """Each widget of pypi.py that runs in ``mode`` (or those of ``keys``), each followed by its Mirror."""
    chosen = [e for e in pypi.PYPI if e.offline and mode in e.modes and (keys is None or e.key in keys)]
    return [Section(H2(e.key), widget(e.target, **e.kwargs), Div(widget(pypi.Mirror, args={"name": e.key}), cls="mirror"),
                    id=f"p-{e.slug}") for e in chosen]


def mount_static(app: Any) -> None:
    """Serve esm/ and css/ under ``STATIC`` (first in the routes: FastHTML's own static-file
    route would otherwise take every ``*.js`` and ``*.css`` path)."""
    app.router.routes.insert(0, Route(w.STATIC + "/{name}", lambda request: static_file(request.path_params["name"])))


def static_file(name: str) -> Response:
    """esm/ and css/ files by name, for the fixtures that load them by URL."""
    for folder in STATIC_DIRS:
        path = folder / name
        if Path(name).name == name and path.is_file():
            media = "text/javascript" if name.endswith(".js") else "text/css"
            return FileResponse(path, media_type=media)
    return PlainTextResponse(f"no compat file {name!r}", status_code=404)
