"""A server-mode page view: its own kernel (its ``scope="page"`` widgets), the app widgets it shows,
its socket while it has one, and the custom messages held for it while it has none."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import Sequence

from ..kernel import Kernel
from ..kernel import protocol as P
from .connection import Connection

log = logging.getLogger("fh_anywidget")


class ServerKernel(Kernel):
    """A :class:`Kernel` of the server: a ``create`` for a key it already has opens the widget's
    models again, with their current state, for a page that lost them (a reload, a reconnect in
    the middle of a create)."""

    reopens = True


HELD_MAX_BYTES = 8 * 1024 * 1024
"""The most a page's custom messages may take while it is offline."""


def _is_custom(text: str) -> bool:
    try:
        msg = json.loads(text)
    except ValueError:
        return False
    return msg.get("type") == P.COMM_MSG and (msg.get("data") or {}).get("method") == P.CUSTOM


class Page:
    """One page view: its own widgets, the app widgets it shows, and its socket while it has one."""

    def __init__(self, page_id: str, session_id: str) -> None:
        self.id = page_id
        self.session_id = session_id
        self.connection: Connection | None = None
        self.kernel = ServerKernel(self.send)
        self.app_keys: set[str] = set()
        self.last_seq = 0
        self.release_timer: asyncio.TimerHandle | None = None
        self.held: deque[tuple[str, list[bytes]]] = deque()
        self.held_bytes = 0
        self.lock = threading.Lock()
        """Held while one of this page's messages is handled: they run one at a time, in order."""

    def send(self, text: str, buffers: Sequence[memoryview]) -> None:
        """Send to the page. While it has no socket, custom messages are held for its reconnect
        (up to HELD_MAX_BYTES, the oldest dropped first); state changes are not: the page asks
        for the state when it is back."""
        if self.connection is not None:
            self.connection.push(text, buffers)
        elif _is_custom(text):
            payload = [bytes(b) for b in buffers]
            self.held.append((text, payload))
            self.held_bytes += len(text) + sum(len(b) for b in payload)
            while self.held_bytes > HELD_MAX_BYTES and self.held:
                dropped, dropped_buffers = self.held.popleft()
                self.held_bytes -= len(dropped) + sum(len(b) for b in dropped_buffers)
                log.warning("[fh-anywidget] page %s is offline and over %d bytes of custom messages wait for it; "
                            "dropped the oldest", self.id[:8], HELD_MAX_BYTES)

    def release_held(self, connection: Connection, deliver: bool) -> None:
        """Send the custom messages held while offline (``deliver``: the page still has its models)."""
        held, self.held, self.held_bytes = self.held, deque(), 0
        if deliver:
            for text, buffers in held:
                connection.push(text, [memoryview(b) for b in buffers])

    def __repr__(self) -> str:
        return f"<Page {self.id[:8]}>"
