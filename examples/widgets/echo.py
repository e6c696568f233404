"""Bytes both ways, through a synced trait and through custom messages.

- the page sets ``payload`` (a ``traitlets.Bytes`` trait: it travels as a binary buffer);
  Python's observer answers with ``digest`` (its sha256, hex) and ``reversed_payload`` (bytes);
- the page sends ``{"op": "reverse"}`` with binary buffers; Python answers with a custom
  message of its own carrying each buffer reversed, via ``send(content, buffers=[...])``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import anywidget
import traitlets

HERE = Path(__file__).parent


class Echo(anywidget.AnyWidget):
    _esm = HERE / "echo.js"
    _css = HERE / "echo.css"

    payload = traitlets.Bytes(b"").tag(sync=True)
    """Set by the page."""
    digest = traitlets.Unicode("").tag(sync=True)
    """Set by Python: sha256 of ``payload``, hex."""
    reversed_payload = traitlets.Bytes(b"").tag(sync=True)
    """Set by Python: ``payload`` reversed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    @traitlets.observe("payload")
    def _on_payload(self, change: dict[str, Any]) -> None:
        data = bytes(change["new"])
        self.digest = hashlib.sha256(data).hexdigest()
        self.reversed_payload = data[::-1]

    def _on_msg(self, widget: Echo, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("op") != "reverse":
            return
        received = [bytes(b) for b in buffers]
        self.send(
            {"op": "reversed", "lengths": [len(b) for b in received], "sha256": [hashlib.sha256(b).hexdigest() for b in received]},
            buffers=[b[::-1] for b in received],
        )
