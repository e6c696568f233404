"""drawdata's ScatterWidget, plus a small widget that shows what Python sees of it.

``scatter()`` makes a ``drawdata.ScatterWidget`` (a PyPI package: the app names it in
``AnyWidgetHost(app, packages=[...])``, so the browser's Python has it; for server mode it is
installed in the server's environment too). Its Python observer counts the drawn points into ``tally``, and every
``PointCount`` widget follows ``tally`` with ``traitlets.dlink``: two widgets talking in Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

HERE = Path(__file__).parent


class Tally(traitlets.HasTraits):
    count = traitlets.Int(0)


tally = Tally()


class PointCount(anywidget.AnyWidget):
    """Shows how many points Python has seen drawn in any ``scatter()`` widget."""

    _esm = HERE / "point_count.js"
    count = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        traitlets.dlink((tally, "count"), (self, "count"))


def scatter(**kwargs: Any) -> anywidget.AnyWidget:
    """A ``drawdata.ScatterWidget`` whose drawn points Python counts."""
    from drawdata import ScatterWidget  # imported here: only pages that show it need drawdata

    widget = ScatterWidget(**kwargs)
    widget.observe(lambda change: setattr(tally, "count", len(change["new"])), names="data")
    return widget
