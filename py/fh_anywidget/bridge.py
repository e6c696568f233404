"""Inside the browser worker: connect a :class:`~fh_anywidget.kernel.Kernel` to web/worker.js.

Only imported in Pyodide (it needs ``pyodide.ffi``). Buffers leave as fresh ``Uint8Array``s whose
``ArrayBuffer``s the worker transfers to the page; they arrive as ``ArrayBuffer``s, copied once
into Python memory.

What Python sends while it handles one message from the page (an ``echo_update`` and the changes
its observers made, say) leaves in one ``postMessage`` when the handler returns: one wake-up of
the page instead of several. A handler that runs long sends what it has every
:data:`FLUSH_SECONDS`, so progress still shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pyodide.ffi import to_js  # type: ignore[import-not-found]

from .kernel import Kernel
from .protocol import frame

FLUSH_SECONDS = 0.02


def start(post: Any) -> Callable[[str, Any], None]:
    """Make the worker's kernel; ``post(text, buffers)`` is the worker's JS sender (``text`` is
    one frame: a message, or an array of messages, see :func:`fh_anywidget.protocol.frame`).

    Returns the function the worker calls with each message from the page.
    """
    outbox: list[tuple[str, list[memoryview]]] = []
    batching = False
    since = 0.0

    def flush() -> None:
        if outbox:
            items = outbox[:]
            outbox.clear()
            post(frame([(text, len(buffers)) for text, buffers in items]),
                 to_js([to_js(b) for _, buffers in items for b in buffers]))

    def send(text: str, buffers: list[memoryview]) -> None:
        nonlocal since
        if not outbox:
            since = time.monotonic()
        outbox.append((text, buffers))
        if not batching or time.monotonic() - since > FLUSH_SECONDS:
            flush()

    kernel = Kernel(send)

    def handle(text: str, js_buffers: Any) -> None:
        nonlocal batching
        batching = True
        try:
            kernel.handle_json(text, [memoryview(b.to_bytes()) for b in js_buffers] if js_buffers.length else [])
        finally:
            batching = False
            flush()

    return handle
