"""Messages as JSON text: one encoder for every message; NaN and infinities become null."""

from __future__ import annotations

import json
import math
from typing import Any


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    iso = getattr(value, "isoformat", None)
    if callable(iso):
        return iso()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"[fh-anywidget] cannot send a {type(value).__name__} to the page: {value!r:.80}. "
                    "Synced traits must hold JSON values (dict, list, str, number, bool, None) or bytes")


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_json_default, allow_nan=False)
"""One encoder for every message (``json.dumps`` with options builds a new one per call)."""


def to_json(msg: dict[str, Any]) -> str:
    """Encode a message as JSON the page can parse (NaN and infinities become null, as in JSON)."""
    try:
        return _ENCODER.encode(msg)
    except ValueError:
        return _ENCODER.encode(_finite(msg))


