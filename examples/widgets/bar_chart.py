"""A bar chart: ``data`` is a list of numbers (an app's response sets it with ``host.update``);
Python's observer adds them up into ``total``, which the chart shows under its bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

HERE = Path(__file__).parent


class BarChart(anywidget.AnyWidget):
    _esm = HERE / "bar_chart.js"

    data = traitlets.List(traitlets.Float(), default_value=[]).tag(sync=True)
    labels = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    total = traitlets.Float(0).tag(sync=True)
    """Set only by Python: the sum of ``data``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.total = sum(self.data)

    @traitlets.observe("data")
    def _add_up(self, change: dict[str, Any]) -> None:
        self.total = sum(change["new"])
