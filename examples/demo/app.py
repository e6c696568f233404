"""The fh-anywidget demo: the example widgets on ordinary FastHTML pages.

Run it with ``./scripts/demo`` (builds the browser's Python distribution first if needed), or
``fh-anywidget dist examples.demo.app:app && uvicorn examples.demo.app:app`` from the repo root.
Each page below is also one scenario of the browser tests in tests/browser/.
"""

from __future__ import annotations

import contextvars
from pathlib import Path

from fasthtml.common import H1, H2, A, Button, Form, Li, Link, Main, Nav, P, Section, Style, Title, Ul, fast_app

import examples.dashboard.app
from examples.compat import pages as compat
from examples.demo import in_app
from examples.widgets import Counter, Echo, Failing, FragileCounter, LateImport, PointCount, counter_from, scatter
from fh_anywidget import AnyWidgetHost

ROOT = Path(__file__).resolve().parents[2]

# default_hdrs=False: FastHTML's default headers load htmx and Pico from CDNs, and these pages
# must work with no network at all. The demo keeps no sessions: a fixed key spares writing .sesskey.
app, rt = fast_app(default_hdrs=False, pico=False, canonical=False, secret_key="fh-anywidget-demo-has-no-sessions")
# The real PyPI widgets that the pages use (drawdata's scatter, examples/compat's wigglystuff page,
# and the pure-Python ones of its /compat/pypi page), pinned so that the browser's Python and the
# server's (pyproject's test extra) agree.
WIDGET_PACKAGES = ["drawdata==0.5.2", "wigglystuff==0.5.36", *compat.pypi.WORKER_PACKAGES]
host = AnyWidgetHost(app, packages=WIDGET_PACKAGES, dist_dir=ROOT / "build" / "pyodide")
app.hdrs = [*app.hdrs, host.htmx_script()]  # htmx, pinned, from the host (FastHTML's default is a CDN)

# Every page is served twice: as written (worker mode), and under /server with every widget in
# server mode, its Python in this process. The browser tests run each scenario in both.
MODE = contextvars.ContextVar("demo_mode", default="worker")
SERVER_ROOT = "/server"


class ServerModePrefix:
    """ASGI middleware: "/server/x" is page "/x" with server-mode widgets."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == SERVER_ROOT or path.startswith(SERVER_ROOT + "/")):
            token = MODE.set("server")
            try:
                await self.app({**scope, "path": path[len(SERVER_ROOT):] or "/"}, receive, send)
            finally:
                MODE.reset(token)
        else:
            await self.app(scope, receive, send)


app.add_middleware(ServerModePrefix)


def widget(target, **kwargs):
    """``host.widget`` in the mode of the page being rendered."""
    return host.widget(target, mode=MODE.get(), **kwargs)


def root() -> str:
    return SERVER_ROOT if MODE.get() == "server" else ""

CSS = Style("""
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; }
section { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 1rem 1rem; margin: 1rem 0; }
h1 { font-size: 1.4rem; }
h2 { font-size: 1.1rem; margin: 0.3rem 0 0.6rem; }
nav a { margin-right: 1rem; }
""")

PAGES = {
    "/": "Everything",
    "/counter": "Counter",
    "/echo": "Bytes and messages",
    "/shared": "Two views, one model",
    "/errors": "Errors",
    "/drawing": "drawdata",
    "/late-import": "A late import",
    "/compat": "Conformance",
    "/compat/wigglystuff": "wigglystuff",
    "/compat/pypi": "More PyPI widgets",
    "/htmx": "Widgets and HTMX",
    "/dashboard": "Dashboard",
}


def page(title: str, *sections):
    nav = Nav(*[A(name, href=root() + path) for path, name in PAGES.items()])
    return Title(f"fh-anywidget demo: {title}"), Link(rel="icon", href="data:,"), CSS, Main(nav, H1(title), *sections)


def counter_section():
    return Section(H2("Counter: a click reaches a Python observer"), widget(Counter, value=3), id="counter")


def factory_section():
    return Section(H2("A factory function: counter_from(start=41)"), widget(counter_from, start=41), id="factory")


def echo_section():
    return Section(H2("Echo: bytes both ways"), widget(Echo), id="echo")


def drawing_sections():
    return (
        Section(H2("drawdata's ScatterWidget (from PyPI, running in the browser)"),
                widget(scatter, width=600, height=300), id="scatter"),
        Section(H2("What Python sees of it"), widget(PointCount), id="point-count"),
    )


@rt("/")
def index():
    return page("Everything", counter_section(), factory_section(), echo_section(), *drawing_sections(),
                P("More: ", Ul(*[Li(A(name, href=root() + path)) for path, name in PAGES.items() if path != "/"])))


@rt("/counter")
def counter_page():
    return page("Counter", counter_section(), factory_section())


@rt("/echo")
def echo_page():
    return page("Bytes and messages", echo_section())


@rt("/shared")
def shared_page():
    return page(
        "Two views, one model",
        Section(H2("View 1 of key 'shared'"), widget(Counter, key="shared", value=0), id="view-1"),
        Section(H2("View 2 of key 'shared'"), widget(Counter, key="shared", value=0), id="view-2"),
    )


@rt("/errors")
def errors_page():
    return page(
        "Errors",
        Section(H2("Failing: raises in __init__"), widget(Failing), id="failing"),
        Section(H2("FragileCounter: its observer raises from value 1 on"), widget(FragileCounter), id="fragile"),
        Section(H2("A healthy neighbour"), widget(Counter, value=0), id="neighbour"),
    )


@rt("/drawing")
def drawing_page():
    return page("drawdata", *drawing_sections())


@rt("/late-import")
def late_import_page(module: str = "wcwidth"):
    # ?module=colorsys: a standard library module (the worker writes the stdlib's zip late too)
    return page("A late import", Section(H2("LateImport: imports a module no widget needed before"),
                                         widget(LateImport, module=module), id="late"))


in_app.mount(rt, host, widget, page, root, MODE.get)
examples.dashboard.app.mount(rt, host, widget, page, root)


# -- the compatibility suite (examples/compat, tests/browser/test_compat.py) -------------

compat.mount_static(app)


def origin(req) -> str:
    return f"{req.url.scheme}://{req.url.netloc}"


@rt("/compat")
def compat_page(req):
    return page("Conformance: one widget per feature of the anywidget contract", *compat.fixture_sections(widget, origin(req)))


@rt("/compat/many")
def compat_many_page():
    return page(f"{compat.MANY} widgets on one page", *compat.many_sections(widget))


@rt("/compat/wigglystuff")
def compat_wiggly_page(only: str = ""):
    """Every wigglystuff and drawdata widget that runs offline (``?only=wigglystuff.Knob,...`` for some)."""
    names = [n for n in only.split(",") if n] or None
    return page("wigglystuff and drawdata (from PyPI)", *compat.wiggly_sections(widget, names))


@rt("/compat/pypi")
def compat_pypi_page(only: str = ""):
    """More real widgets from PyPI (examples/compat/pypi.py): in worker mode the pure-Python ones,
    in server mode all that run offline (``?only=bitjet.BitView,...`` for some)."""
    names = [n for n in only.split(",") if n] or None
    return page("More widgets from PyPI", *compat.pypi_sections(widget, MODE.get(), names))


@rt("/compat/hmr")
def compat_hmr_page():
    """Hot reload in development (run the app with ANYWIDGET_HMR=1): edit the file named below."""
    from examples.compat.hmr import HMR_FILE, DevReload

    return page("Hot reload in development (ANYWIDGET_HMR=1)",
                Section(H2(f"Edit {HMR_FILE}: the page follows"), widget(DevReload), id="f-hmr", data_path=str(HMR_FILE)))


# -- server mode only -------------------------------------------------------------------

@rt("/server-only/wave")
def wave_page():
    from examples.widgets.numpy_wave import NumpyWave  # numpy: on the server only

    return page("numpy on the server", Section(H2("NumpyWave: float32 samples made by numpy"),
                                                 host.widget(NumpyWave, mode="server", points=64), id="wave"))


@rt("/server-only/board")
def board_page():
    return page("One counter for every visitor (scope='app')",
                Section(H2("Everyone who opens this page clicks the same counter"),
                        host.widget(Counter, mode="server", scope="app", key="board", value=0), id="board"))


@rt("/server-only/mixed")
def mixed_page():
    return page("Worker and server widgets on one page",
                Section(H2("In the browser (worker)"), host.widget(Counter, value=1), id="in-worker"),
                Section(H2("On the server"), host.widget(Counter, mode="server", value=2), id="on-server"),
                Form(Button("Drop every server socket for 2 s"), method="post", action="/server-only/drop"))


@rt("/server-only/drop")
async def drop(hold: float = 2.0):
    """Close every server-mode socket and refuse new ones for ``hold`` seconds: the pages show
    that they are offline, reconnect, and resume (the browser tests use this)."""
    closed = await host.server.disconnect_all(hold_seconds=min(max(hold, 0.0), 10.0))
    return P(f"Closed {closed} socket(s).")
