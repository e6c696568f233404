"""The names of the fh-anywidget protocol, defined once (mirrored by web/shared/protocol.js).

See docs/protocol.md. Every message is a JSON-able ``dict`` plus a list of binary buffers.
The comm messages carry exactly the ``data`` of the Jupyter widget messages, protocol v2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypedDict

PROTOCOL_VERSION: Final = "2.1.0"
"""The Jupyter widget message protocol version that comm_open metadata announces."""

WIDGET_TARGET: Final = "jupyter.widget"

# message types, page -> Python
CREATE: Final = "create"
COMM_MSG: Final = "comm_msg"
COMM_CLOSE: Final = "comm_close"
ACK: Final = "ack"
"""Server mode: the page has received Python's custom messages up to ``oseq`` (see OSEQ)."""
# message types, Python -> page
COMM_OPEN: Final = "comm_open"
CREATED: Final = "created"
ERROR: Final = "error"
# worker-only messages (the worker's own JavaScript)
BOOT: Final = "boot"
STATUS: Final = "status"
READY: Final = "ready"
# server mode (docs/protocol.md, "Server transport")
DEGRADED: Final = "degraded"
"""Server mode, Python -> page: ``{"type": "degraded", "degraded": bool, "message": str}``: the server
cannot reach its broker (Redis) for now (true), or can again (false). The page stays usable."""
OSEQ: Final = "oseq"
"""Server mode: the number Python gives each custom message it sends a page; held until acknowledged."""
SWAP: Final = "swap"
"""Server mode: HTML for the page to swap in out of band (``host.push``), ``{type, html}``."""
NBUFFERS: Final = "nbuffers"
"""The field of a message that counts its buffers, when a frame carries several (see :func:`frame`)."""

# data.method values of comm_msg
UPDATE: Final = "update"
ECHO_UPDATE: Final = "echo_update"
REQUEST_STATE: Final = "request_state"
CUSTOM: Final = "custom"

# the worker's envelope: the keys of what one postMessage between the page and the worker carries
# (built by the worker's JavaScript; Python's frames leave as {text, buffers}): {msg, buffers},
# {text, buffers}, {recycle}
ENVELOPE_MSG: Final = "msg"
ENVELOPE_TEXT: Final = "text"
ENVELOPE_BUFFERS: Final = "buffers"
ENVELOPE_RECYCLE: Final = "recycle"

# the page in the FastHTML app (docs/protocol.md, "In the app"): the header naming a page's server
# side on its htmx requests, the response header and the element carrying `host.update`s
PAGE_HEADER: Final = "FHAW-Page"
UPDATE_HEADER: Final = "FHAW-Update"
UPDATE_ATTR: Final = "data-fh-anywidget-update"

PAGE_TO_PYTHON: Final = frozenset({CREATE, COMM_MSG, COMM_CLOSE})
PAGE_METHODS: Final = frozenset({UPDATE, REQUEST_STATE, CUSTOM})


def frame(items: Sequence[tuple[str, int]]) -> str:
    """The text of one frame carrying messages sent together: ``items`` are (JSON object text,
    number of buffers). One message stays an object; several become a JSON array. A message with
    buffers says how many (``nbuffers``); the frame's buffers follow in message order.
    Mirrored by ``unframe`` in web/shared/protocol.js."""
    texts = [with_nbuffers(text, n) for text, n in items]
    return texts[0] if len(texts) == 1 else "[" + ",".join(texts) + "]"


def with_nbuffers(text: str, n: int) -> str:
    """A message's JSON object text, announcing its ``n`` buffers (unchanged when ``n`` is 0)."""
    if not n:
        return text
    return f'{{"{NBUFFERS}":{n},{text[1:]}' if text != "{}" else f'{{"{NBUFFERS}":{n}}}'


class ErrorInfo(TypedDict):
    type: str
    message: str
    traceback: str


Message = dict[str, Any]
"""A protocol message: a dict with a ``type`` key (see docs/protocol.md)."""
