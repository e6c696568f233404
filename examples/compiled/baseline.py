"""The `/plain` page of app.py from a dist without the compiled wheel: what scripts/measure_compiled.py
measures a widget that imports compiled code against.

    fh-anywidget dist examples.compiled.baseline:app --out build/pyodide-compiled-baseline
"""

from __future__ import annotations

from pathlib import Path

from fasthtml.common import Div, Titled, fast_app

from examples.compiled.plain import Plain
from fh_anywidget import AnyWidgetHost

ROOT = Path(__file__).resolve().parents[2]

app, rt = fast_app(default_hdrs=False, pico=False, secret_key="fh-anywidget-compiled-baseline")
host = AnyWidgetHost(app, dist_dir=ROOT / "build" / "pyodide-compiled-baseline")


@rt("/plain")
def plain():
    return Titled("No compiled code", Div(host.widget(Plain), id="plain"))
