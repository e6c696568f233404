"""Widgets that fail on purpose, to show where Python errors go: into the widget's own
element on the page (with the traceback), while the widgets around it keep working."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .counter import Counter

HERE = Path(__file__).parent


class Failing(anywidget.AnyWidget):
    """Raises while it is being made, before it has a model, so it never renders."""

    _esm = HERE / "failing.js"

    def __init__(self, **kwargs: Any) -> None:
        raise ValueError("Failing widget refused to start (this error is on purpose)")


class FragileCounter(Counter):
    """A Counter whose Python observer raises once ``value`` reaches ``limit``."""

    limit = traitlets.Int(1).tag(sync=True)

    @traitlets.observe("value")
    def _refuse(self, change: dict[str, Any]) -> None:
        if change["new"] >= self.limit:
            raise ValueError(f"FragileCounter observer refused value {change['new']} (this error is on purpose)")
