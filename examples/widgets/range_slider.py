"""A range slider: ``value`` is ``[low, high]``, set by dragging either handle (or the arrow keys).

Python keeps the pair in order (a low handle dragged past the high one swaps them) and counts what
it saw in ``seen_by_python``: a form field holding ``value`` carries what Python agreed to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

HERE = Path(__file__).parent


class RangeSlider(anywidget.AnyWidget):
    _esm = HERE / "range_slider.js"
    _css = HERE / "range_slider.css"

    value = traitlets.List(traitlets.Float(), default_value=[0.0, 10.0], minlen=2, maxlen=2).tag(sync=True)
    min = traitlets.Float(0).tag(sync=True)
    max = traitlets.Float(10).tag(sync=True)
    step = traitlets.Float(1).tag(sync=True)
    label = traitlets.Unicode("").tag(sync=True)
    seen_by_python = traitlets.Int(0).tag(sync=True)

    @traitlets.validate("value")
    def _ordered(self, proposal: dict[str, Any]) -> list[float]:
        low, high = proposal["value"]
        return [min(low, high), max(low, high)]

    @traitlets.observe("value")
    def _count(self, change: dict[str, Any]) -> None:
        self.seen_by_python += 1
