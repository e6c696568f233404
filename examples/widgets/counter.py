"""A counter: the page changes ``value``, Python answers with ``parity``.

- a click in the page sets ``value`` (model.set + save_changes);
- the Python observer ``_on_value`` sees it and sets ``parity`` and ``seen_by_python``,
  which travel back to the page;
- the page can also ask Python to change ``value`` itself with a custom message
  (``{"op": "add", "by": 10}`` or ``{"op": "reset"}``), handled by ``_on_msg``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

HERE = Path(__file__).parent


class Counter(anywidget.AnyWidget):
    _esm = HERE / "counter.js"
    _css = HERE / "counter.css"

    value = traitlets.Int(0).tag(sync=True)
    label = traitlets.Unicode("Count").tag(sync=True)
    parity = traitlets.Unicode("").tag(sync=True)
    """Set only by Python: "even" or "odd"."""
    seen_by_python = traitlets.Int(0).tag(sync=True)
    """Set only by Python: how many changes of ``value`` its observer saw."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parity = parity_of(self.value)
        self.seen_by_python = 0  # count the changes made after creation only
        self.on_msg(self._on_msg)

    @traitlets.observe("value")
    def _on_value(self, change: dict[str, Any]) -> None:
        self.parity = parity_of(change["new"])
        self.seen_by_python += 1

    def _on_msg(self, widget: Counter, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("op") == "add":
            self.value += int(content.get("by", 1))
        elif content.get("op") == "reset":
            self.value = 0


def parity_of(n: int) -> str:
    return "even" if n % 2 == 0 else "odd"


def counter_from(start: int = 0, label: str = "Count") -> Counter:
    """A factory function: ``host.widget(counter_from, start=41)`` works like a class."""
    return Counter(value=start, label=f"{label} (from {start})")
