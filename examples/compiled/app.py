"""A page with a widget that needs a compiled wheel in the browser, and one that does not.

    fh-anywidget dist examples.compiled.app:app --out build/pyodide-compiled
    uvicorn examples.compiled.app:app
"""

from __future__ import annotations

from pathlib import Path

from fasthtml.common import Div, Titled, fast_app

from examples.compiled.optional import Optional
from examples.compiled.parse import Parse
from examples.compiled.plain import Plain
from fh_anywidget import AnyWidgetHost

ROOT = Path(__file__).resolve().parents[2]

app, rt = fast_app(default_hdrs=False, pico=False, secret_key="fh-anywidget-compiled-example")
host = AnyWidgetHost(app, packages=["ast-serialize==0.13.1"], dist_dir=ROOT / "build" / "pyodide-compiled")


@rt("/")
def index():
    return Titled("A compiled wheel in the browser", Div(host.widget(Parse), id="parse"))


@rt("/plain")
def plain():
    return Titled("No compiled code", Div(host.widget(Plain), id="plain"))


@rt("/optional")
def optional():
    return Titled("Compiled code, optional", Div(host.widget(Optional), id="optional"))
