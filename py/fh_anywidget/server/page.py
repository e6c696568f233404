"""A server-mode page view: its own kernel (its ``scope="page"`` widgets), the app widgets it shows,
its socket while it has one, and the custom messages held for it while it has none."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import Sequence
from typing import Any

from ..kernel import Kernel, to_json
from ..kernel import protocol as P
from .connection import Connection

log = logging.getLogger("fh_anywidget")


class ServerKernel(Kernel):
    """A :class:`Kernel` of the server: a ``create`` for a key it already has opens the widget's
    models again, with their current state, for a page that lost them (a reload, a reconnect in
    the middle of a create)."""

    reopens = True
    guards_page_writes = True
    sends_tracebacks = False
    page: Page | None = None
    """The page whose widgets these are (None for the app hub's kernel, shared by many)."""
    hub: Any = None
    """The app hub whose kernel this is (``scope="app"`` widgets), else None."""


HELD_MAX_BYTES = 8 * 1024 * 1024
"""The most a page's unacknowledged custom messages may take (the oldest are dropped past it)."""

_CUSTOM_PREFIX = f'{{"type":"{P.COMM_MSG}","comm_id":"'
_CUSTOM_DATA = f'"data":{{"method":"{P.CUSTOM}"'
_SWAP_PREFIX = f'{{"type":"{P.SWAP}"'


def _is_event(text: str) -> bool:
    """Whether a message's JSON text (as the kernel encodes it: type, comm_id, then data with its
    method first) is an event rather than state: a custom message, or HTML pushed to the page."""
    return (text.startswith(_CUSTOM_PREFIX) and _CUSTOM_DATA in text[:160]) or text.startswith(_SWAP_PREFIX)


class Page:
    """One page view: its own widgets, the app widgets it shows, and its socket while it has one.

    Custom messages from Python and HTML pushed to the page (events, not state) are numbered (``oseq``) and kept until the page
    acknowledges them (``ack``), up to HELD_MAX_BYTES: a page whose socket dies mid-burst gets what
    it missed when it reconnects. State needs no such care: the page asks for it when it is back."""

    def __init__(self, page_id: str, session_id: str, *, max_widgets: int | None = None, tracebacks: bool = False) -> None:
        self.id = page_id
        self.session_id = session_id
        self.connection: Connection | None = None
        self.kernel = ServerKernel(self.send)
        self.kernel.page = self
        self.kernel.max_widgets = max_widgets
        self.kernel.sends_tracebacks = tracebacks
        self.app_keys: set[str] = set()
        self.last_seq = 0
        self.release_timer: asyncio.TimerHandle | None = None
        self.out_seq = 0
        self.unacked: deque[tuple[int, str, list[bytes]]] = deque()
        self.unacked_bytes = 0
        self._out_lock = threading.Lock()
        self.lock = threading.Lock()
        """Held while one of this page's messages is handled: they run one at a time, in order."""

    def send(self, text: str, buffers: Sequence[memoryview]) -> None:
        """Send to the page (see the class docstring for custom messages)."""
        if not _is_event(text):
            if self.connection is not None:
                self.connection.push(text, buffers)
            return
        payload = [bytes(b) for b in buffers]
        with self._out_lock:
            self.out_seq += 1
            text = f'{{"{P.OSEQ}":{self.out_seq},{text[1:]}'
            self.unacked.append((self.out_seq, text, payload))
            self.unacked_bytes += len(text) + sum(len(b) for b in payload)
            while self.unacked_bytes > HELD_MAX_BYTES and len(self.unacked) > 1:
                _, dropped, dropped_buffers = self.unacked.popleft()
                self.unacked_bytes -= len(dropped) + sum(len(b) for b in dropped_buffers)
                log.warning("[fh-anywidget] page %s has over %d bytes of custom messages it has not acknowledged; "
                            "dropped the oldest", self.id[:8], HELD_MAX_BYTES)
            connection = self.connection
        if connection is not None:
            connection.push(text, [memoryview(b) for b in payload])

    def push_html(self, html: str) -> None:
        """Send HTML for the page to swap in out of band (``host.push``)."""
        self.send(to_json({"type": P.SWAP, "html": html}), [])

    def acknowledge(self, oseq: object) -> None:
        """The page has the custom messages up to ``oseq``: forget them."""
        if not isinstance(oseq, int) or isinstance(oseq, bool):
            return
        with self._out_lock:
            while self.unacked and self.unacked[0][0] <= oseq:
                _, text, payload = self.unacked.popleft()
                self.unacked_bytes -= len(text) + sum(len(b) for b in payload)

    def replay(self, connection: Connection, *, after: int, deliver: bool) -> None:
        """On a reconnect: send again the custom messages after ``after`` (what the page says it
        has); ``deliver`` false (a reload: the page's JavaScript starts anew) forgets them."""
        self.acknowledge(after)
        with self._out_lock:
            items = list(self.unacked) if deliver else []
            if not deliver:
                self.unacked.clear()
                self.unacked_bytes = 0
        for _, text, payload in items:
            connection.push(text, [memoryview(b) for b in payload])

    def __repr__(self) -> str:
        return f"<Page {self.id[:8]}>"
