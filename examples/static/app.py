"""An app made to be exported as a static site (`fh-anywidget build examples.static.app:app`).

It keeps FastHTML's default headers (htmx from a CDN): the export ships a local htmx instead,
and the hx-get button below still works on the exported site with no network.
"""

from __future__ import annotations

from pathlib import Path

from fasthtml.common import H1, A, Button, Div, Main, Nav, P, Title, fast_app

from examples.compat.widgets import CdnImport, CdnWasm
from examples.widgets import Counter, Echo
from fh_anywidget import AnyWidgetHost

ROOT = Path(__file__).resolve().parents[2]

app, rt = fast_app(pico=False, canonical=False, secret_key="fh-anywidget-static-example-has-no-sessions")
host = AnyWidgetHost(app, packages=["drawdata"], dist_dir=ROOT / "build" / "pyodide")


def nav():
    return Nav(A("Home", href="/"), " ", A("Echo", href="/echo"), " ", A("Drawing", href="/drawing"), " ",
               A("Offline", href="/offline"))


@rt("/")
def index():
    return Title("fh-anywidget static site"), Main(
        nav(), H1("A counter on a static site"),
        Div(host.widget(Counter, value=3), id="counter"),
        Button("Say hello (htmx)", hx_get="/hello", hx_target="#hello", id="hello-button"),
        Div(id="hello"),
    )


@rt("/echo")
def echo():
    return Title("fh-anywidget static echo"), Main(nav(), H1("Echo"), Div(host.widget(Echo), id="echo"))


@rt("/drawing")
def drawing():
    """A widget from PyPI whose class reads its front end from its package's files when it is made."""
    return Title("fh-anywidget static drawing"), Main(
        nav(), H1("Draw some points"), Div(host.widget("drawdata:ScatterWidget"), id="scatter"))


@rt("/offline")
def offline():
    """Two widgets whose front ends reach for a CDN: what a visitor sees on a site that runs offline."""
    return Title("fh-anywidget static: widgets that reach for the internet"), Main(
        nav(), H1("Widgets that reach for the internet"),
        P("Their front ends load files from a CDN, which a site that runs offline cannot do: each says which."),
        Div(host.widget(CdnImport), id="cdn-import"), Div(host.widget(CdnWasm), id="cdn-wasm"))


@rt("/hello")
def hello():
    return P("Hello from a static fragment", id="hello-text")
