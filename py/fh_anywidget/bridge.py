"""Inside the browser worker: connect a :class:`~fh_anywidget.kernel.Kernel` to web/worker.js.

Only imported in Pyodide (it needs ``pyodide.ffi``). Buffers leave as fresh ``Uint8Array``s whose
``ArrayBuffer``s the worker transfers to the page; they arrive as ``ArrayBuffer``s, copied once
into Python memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyodide.ffi import to_js  # type: ignore[import-not-found]

from .kernel import Kernel


def start(post: Any) -> Callable[[str, Any], None]:
    """Make the worker's kernel; ``post(text, buffers)`` is the worker's JS sender.

    Returns the function the worker calls with each message from the page.
    """

    def send(text: str, buffers: list[memoryview]) -> None:
        post(text, to_js([to_js(b) for b in buffers]))

    kernel = Kernel(send)

    def handle(text: str, js_buffers: Any) -> None:
        kernel.handle_json(text, [memoryview(b.to_bytes()) for b in js_buffers])

    return handle
