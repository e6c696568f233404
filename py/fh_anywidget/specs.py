"""What ``host.widget(...)`` and ``host.update(...)`` accept, and the error that says what they do not."""

from __future__ import annotations

import math
from typing import Any


class WidgetSpecError(ValueError):
    """``host.widget(...)`` was given something it cannot put on a page; the message says why."""


def check_kwargs(target: str, kwargs: dict[str, Any]) -> None:
    """Refuse, naming the argument, anything the page cannot carry to the browser's Python."""
    for name, value in kwargs.items():
        problem = json_problem(value)
        if problem:
            raise WidgetSpecError(
                f"[fh-anywidget] host.widget({target}, {name}=...): {problem}. Widget arguments travel to the browser as "
                "JSON: pass dict, list, str, int, float, bool or None, and build richer values inside the widget")


def json_problem(value: Any, where: str = "the value") -> str | None:
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where} is {value!r}, which JSON cannot hold"
    if isinstance(value, (list, tuple)):
        return next((p for i, v in enumerate(value) if (p := json_problem(v, f"{where}[{i}]"))), None)
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                return f"{where} has the key {k!r}, but JSON object keys must be strings"
            if (p := json_problem(v, f"{where}[{k!r}]")):
                return p
        return None
    return f"{where} is a {type(value).__name__} ({value!r:.60}), which is not JSON"
