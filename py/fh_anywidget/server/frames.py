"""A page's WebSocket frames, turned into messages: a text frame holding one message (with
``"nbuffers": N``) and the N binary frames that follow it (docs/protocol.md, "Server transport").
What breaks those rules is refused with a reason, and reading goes on. Sizes are counted in
bytes; a message over its limit is refused as soon as it is over, and the rest of its frames are
dropped unread, so that a page can never make the server hold more than one message's limit."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ..kernel import protocol as P

Refuse = Callable[[Mapping[str, Any], str], None]
"""``refuse(message, reason)``: answer a message (``{}`` when there is none) that breaks the rules."""
Complete = tuple[dict[str, Any], list[bytes]]


class FrameReader:
    """Assembles one page's messages from its frames, in order."""

    def __init__(self, refuse: Refuse, *, max_frame_bytes: int, max_message_bytes: int, max_buffers: int) -> None:
        self._refuse = refuse
        self.max_frame_bytes = max_frame_bytes
        self.max_message_bytes = max_message_bytes
        self.max_buffers = max_buffers
        self._pending: dict[str, Any] | None = None  # a message waiting for its binary frames
        self._buffers: list[bytes] = []
        self._bytes = 0  # of the pending message so far
        self._skipping = 0  # binary frames of a refused message still to come: dropped unread

    def text(self, text: str) -> Complete | None:
        """A text frame: the message it completes (one with no buffers), if any."""
        self._skipping = 0
        if self._pending is not None:
            self._refuse(self._pending, f"a message announced {self._pending[P.NBUFFERS]} binary frame(s) but the "
                         f"next message came after {len(self._buffers)}; it was dropped")
            self._reset()
        msg = self._parse(text)
        if msg is None:
            return None
        if msg[P.NBUFFERS]:
            self._pending = msg
            return None
        return msg, []

    def binary(self, data: bytes) -> Complete | None:
        """A binary frame: the message it completes (its last buffer), if any."""
        if self._skipping:
            self._skipping -= 1
            return None
        pending = self._pending
        if pending is None:
            self._refuse({}, f"a binary frame ({len(data)} bytes) came with no message announcing it; it was dropped")
            return None
        self._bytes += len(data)
        if len(data) > self.max_frame_bytes or self._bytes > self.max_message_bytes:
            what = (f"a buffer of {len(data)} bytes is over the limit of {self.max_frame_bytes} bytes "
                    "(AnyWidgetHost(..., server_max_frame_bytes=...))" if len(data) > self.max_frame_bytes else
                    f"a message of over {self._bytes} bytes is over the limit of {self.max_message_bytes} bytes "
                    "(AnyWidgetHost(..., server_max_message_bytes=...))")
            self._skipping = pending[P.NBUFFERS] - len(self._buffers) - 1
            self._reset()
            self._refuse(pending, f"{what}; the message was dropped")
            return None
        self._buffers.append(data)
        if len(self._buffers) < pending[P.NBUFFERS]:
            return None
        buffers = self._buffers
        self._reset()
        return pending, buffers

    def _reset(self) -> None:
        self._pending, self._buffers, self._bytes = None, [], 0

    def _parse(self, text: str) -> dict[str, Any] | None:
        size = utf8_size(text)
        if size > self.max_frame_bytes:
            self._refuse({}, f"a message of {size} bytes is over the limit of {self.max_frame_bytes} "
                         "(AnyWidgetHost(..., server_max_frame_bytes=...)); it was dropped")
            return None
        try:
            msg = json.loads(text)
        except ValueError as exc:
            self._refuse({}, f"a message is not valid JSON ({exc}); it was dropped")
            return None
        except RecursionError:
            self._refuse({}, "a message is nested too deeply to read; it was dropped")
            return None
        if not isinstance(msg, dict):
            self._refuse({}, f"a message is a JSON {type(msg).__name__}, not an object; it was dropped")
            return None
        n = msg.get(P.NBUFFERS, 0)
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= self.max_buffers:
            self._refuse(msg, f"{P.NBUFFERS} is {n!r}; it must be an integer from 0 to {self.max_buffers}")
            return None
        msg[P.NBUFFERS] = n
        self._bytes = size
        return msg


def utf8_size(text: str) -> int:
    """How many bytes ``text`` took on the wire (UTF-8; a lone surrogate counts as three)."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
