"""Ping: the smallest widget that does a round trip through Python, for scripts/bench.

- the page sets ``n``; Python's observer sets ``echo = n`` (one round trip per change);
- custom messages move big buffers: ``{"op": "sink"}`` with buffers (page -> Python, Python
  answers ``{"op": "sunk", "bytes": N}``), ``{"op": "prepare", "bytes": N}`` then
  ``{"op": "source"}`` (Python -> page: one buffer of N bytes);
- ``{"op": "echo", "on": bool}`` turns ipywidgets' ``echo_update`` on or off (the worker has it
  off), so the bench can time round trips both ways in one page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

HERE = Path(__file__).parent


class Ping(anywidget.AnyWidget):
    _esm = HERE / "ping.js"

    n = traitlets.Int(0).tag(sync=True)
    echo = traitlets.Int(0).tag(sync=True)
    """Set only by Python: the last ``n`` it saw."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._prepared = b""
        self.on_msg(self._on_msg)

    @traitlets.observe("n")
    def _on_n(self, change: dict[str, Any]) -> None:
        self.echo = change["new"]

    def _on_msg(self, widget: Ping, content: dict[str, Any], buffers: list[memoryview]) -> None:
        op = content.get("op")
        if op == "sink":
            self.send({"op": "sunk", "bytes": sum(b.nbytes for b in buffers)})
        elif op == "prepare":
            self._prepared = bytes(int(content["bytes"]))
            self.send({"op": "prepared"})
        elif op == "source":
            self.send({"op": "sourced"}, buffers=[self._prepared])
        elif op == "echo":  # scripts/bench measures round trips with ipywidgets' echo_update on and off
            from ipywidgets.widgets import widget

            widget.JUPYTER_WIDGETS_ECHO = bool(content.get("on"))
            self.send({"op": "echo", "on": widget.JUPYTER_WIDGETS_ECHO})
