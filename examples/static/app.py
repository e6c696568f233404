"""An app made to be exported as a static site (`fh-anywidget build examples.static.app:app`).

It keeps FastHTML's default headers (htmx from a CDN): the export ships a local htmx instead,
and the hx-get button below still works on the exported site with no network.
"""

from __future__ import annotations

from pathlib import Path

from fasthtml.common import H1, A, Button, Div, Main, Nav, P, Title, fast_app

from examples.widgets import Counter, Echo
from fh_anywidget import AnyWidgetHost

ROOT = Path(__file__).resolve().parents[2]

app, rt = fast_app(pico=False, canonical=False, secret_key="fh-anywidget-static-example-has-no-sessions")
host = AnyWidgetHost(app, packages=["drawdata"], dist_dir=ROOT / "build" / "pyodide")


def nav():
    return Nav(A("Home", href="/"), " ", A("Echo", href="/echo"))


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


@rt("/hello")
def hello():
    return P("Hello from a static fragment", id="hello-text")
