"""A sine wave computed by numpy on the server: a server-mode widget (``mode="server"``).

- Python fills ``samples`` (a ``traitlets.Bytes`` trait) with ``float32`` values made by numpy;
  they reach the page as one binary buffer, which the view reads through a ``Float32Array``;
- the page sets ``frequency``; the observer recomputes the wave and its ``stats``;
- the page sends ``{"op": "sum"}`` with a ``Float32Array`` buffer; Python answers with numpy's sum
  and the values doubled, as a buffer again.

numpy does not need to exist in the browser: this widget only ever runs in server mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

HERE = Path(__file__).parent


class NumpyWave(anywidget.AnyWidget):
    _esm = HERE / "numpy_wave.js"

    frequency = traitlets.Int(1).tag(sync=True)
    """Set by the page: periods shown."""
    points = traitlets.Int(64).tag(sync=True)
    samples = traitlets.Bytes(b"").tag(sync=True)
    """Set by Python: ``points`` float32 values of sin(2 pi frequency x), x in [0, 1)."""
    stats = traitlets.Dict({}).tag(sync=True)
    """Set by Python: ``{points, frequency, max, sum}`` of ``samples``, computed by numpy."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._compute()
        self.on_msg(self._on_msg)

    @traitlets.observe("frequency", "points")
    def _on_change(self, change: dict[str, Any]) -> None:
        self._compute()

    def _compute(self) -> None:
        x = np.arange(self.points, dtype=np.float64) / self.points
        wave = np.sin(2 * np.pi * self.frequency * x).astype(np.float32)
        self.samples = wave.tobytes()
        self.stats = {"points": int(wave.size), "frequency": self.frequency,
                      "max": round(float(wave.max()), 4), "sum": round(float(wave.sum()), 4)}

    def _on_msg(self, widget: NumpyWave, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("op") != "sum" or not buffers:
            return
        values = np.frombuffer(buffers[0], dtype=np.float32)
        self.send({"op": "sum", "n": int(values.size), "sum": float(values.sum())}, buffers=[(values * 2).tobytes()])
