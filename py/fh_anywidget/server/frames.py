"""A page's WebSocket frames, turned into messages: a text frame holding one message (with
``"nbuffers": N``) and the N binary frames that follow it (docs/protocol.md, "Server transport").
What breaks those rules is refused with a reason, and reading goes on."""

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

    def __init__(self, refuse: Refuse, *, max_frame_bytes: int, max_buffers: int) -> None:
        self._refuse = refuse
        self.max_frame_bytes = max_frame_bytes
        self.max_buffers = max_buffers
        self._pending: dict[str, Any] | None = None  # a message waiting for its binary frames
        self._buffers: list[bytes] = []
        self._oversize: str | None = None

    def text(self, text: str) -> Complete | None:
        """A text frame: the message it completes (one with no buffers), if any."""
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
        pending = self._pending
        if pending is None:
            self._refuse({}, f"a binary frame ({len(data)} bytes) came with no message announcing it; it was dropped")
            return None
        if len(data) > self.max_frame_bytes and self._oversize is None:
            self._oversize = (f"a buffer of {len(data)} bytes is over the limit of {self.max_frame_bytes} bytes "
                              "(AnyWidgetHost(..., server_max_frame_bytes=...)); the message was dropped")
        self._buffers.append(data)
        if len(self._buffers) < pending[P.NBUFFERS]:
            return None
        buffers, oversize = self._buffers, self._oversize
        self._reset()
        if oversize:
            self._refuse(pending, oversize)
            return None
        return pending, buffers

    def _reset(self) -> None:
        self._pending, self._buffers, self._oversize = None, [], None

    def _parse(self, text: str) -> dict[str, Any] | None:
        if len(text) > self.max_frame_bytes:
            self._refuse({}, f"a message of {len(text)} characters is over the limit of {self.max_frame_bytes} "
                         "(AnyWidgetHost(..., server_max_frame_bytes=...)); it was dropped")
            return None
        try:
            msg = json.loads(text)
        except ValueError as exc:
            self._refuse({}, f"a message is not valid JSON ({exc}); it was dropped")
            return None
        if not isinstance(msg, dict):
            self._refuse({}, f"a message is a JSON {type(msg).__name__}, not an object; it was dropped")
            return None
        n = msg.get(P.NBUFFERS, 0)
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= self.max_buffers:
            self._refuse(msg, f"{P.NBUFFERS} is {n!r}; it must be an integer from 0 to {self.max_buffers}")
            return None
        msg[P.NBUFFERS] = n
        return msg
