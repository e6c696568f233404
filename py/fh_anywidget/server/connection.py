"""One page's WebSocket and its outbox, and what a widget handler running in a pool thread sends
in its first moments (:class:`Outgoing`: put in the outboxes in one go when it returns)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections import deque
from collections.abc import Sequence

from starlette.websockets import WebSocket

from ..kernel import protocol as P

log = logging.getLogger("fh_anywidget")

outgoing: contextvars.ContextVar[Outgoing | None] = contextvars.ContextVar("fh_anywidget_outgoing", default=None)
"""The :class:`Outgoing` of the handler running in this context, if any."""


class Connection:
    """One WebSocket and its outbox. Python's sends only queue (they never block a widget); the
    socket's reader drains the outbox after each message it handled, and a writer task drains
    what arrives at other times (another page's change to an app widget, another thread)."""

    def __init__(self, websocket: WebSocket, *, max_outbox_bytes: int) -> None:
        self.websocket = websocket
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.outbox: deque[tuple[str, list[bytes]]] = deque()
        self.wakeup = asyncio.Event()
        self.reading = False
        """True while the socket's reader handles a message: it flushes right after, so what Python
        sends meanwhile need not wake the writer task."""
        self.lock = asyncio.Lock()
        self.queued_bytes = 0
        self.max_outbox_bytes = max_outbox_bytes
        self.closing = False

    def push(self, text: str, buffers: Sequence[memoryview]) -> None:
        payload = [bytes(b) for b in buffers]  # a copy: the widget may change its array after sending
        if threading.get_ident() == self.thread:
            self._put(text, payload)
            return
        kept = outgoing.get()
        if kept is None or not kept.keep(self, text, payload):
            # a widget changed from another thread, or a handler that has run for a while: at once
            self.loop.call_soon_threadsafe(self._put, text, payload)

    def _put(self, text: str, buffers: list[bytes]) -> None:
        if self.closing:
            return
        self.queued_bytes += len(text) + sum(len(b) for b in buffers)
        if self.queued_bytes > self.max_outbox_bytes:
            log.warning("[fh-anywidget] a page reads too slowly (%d bytes waiting); closing its socket, it will "
                        "reconnect and resynchronise", self.queued_bytes)
            self.outbox.clear()
            self.close(1013)
            return
        self.outbox.append((text, buffers))
        if not self.reading:
            self.wakeup.set()

    async def flush(self) -> None:
        """Send everything queued, in order: one text frame (one message, or an array of the messages
        queued together, e.g. an echo_update and the changes it caused), then their binary frames."""
        if not self.outbox:
            return
        async with self.lock:
            while self.outbox and not self.closing:
                batch = list(self.outbox)
                self.outbox.clear()
                self.queued_bytes -= sum(len(text) + sum(len(b) for b in buffers) for text, buffers in batch)
                await self.websocket.send_text(P.frame([(text, len(buffers)) for text, buffers in batch]))
                for _, buffers in batch:
                    for b in buffers:
                        await self.websocket.send_bytes(b)

    async def write_loop(self) -> None:
        while not self.closing:
            await self.wakeup.wait()
            self.wakeup.clear()
            await self.flush()

    def close(self, code: int = 1000) -> None:
        """Close the socket from the server side (the page will reconnect)."""
        if self.closing:
            return
        self.closing = True
        self.loop.create_task(self._close(code))

    async def _close(self, code: int) -> None:
        try:
            await self.websocket.close(code)
        except Exception:  # noqa: BLE001 - already gone
            pass


class Outgoing:
    """What a handler running in a pool thread sends in its first :data:`OUTGOING_SECONDS`: kept,
    and put in the outboxes by the event loop in one go when the handler returns (one wake-up of
    the loop instead of one per message). A handler that runs longer has what it kept sent then,
    and its later sends go at once, so that its progress shows."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lock = threading.Lock()
        self.items: list[tuple[Connection, str, list[bytes]]] = []
        self.open = True

    def keep(self, connection: Connection, text: str, payload: list[bytes]) -> bool:
        """(The handler's thread.) Keep this send; False when it must go at once instead (also
        for a socket served by another event loop than the handler's)."""
        if connection.loop is not self.loop:
            return False
        with self.lock:
            if self.open:
                self.items.append((connection, text, payload))
            return self.open

    def release(self, *, wake: bool = False) -> None:
        """(The event loop.) Put what was kept into the outboxes, in order; keep nothing more.
        ``wake``: have the writers send it now (the reader is still waiting for the handler)."""
        with self.lock:
            self.open = False
            items, self.items = self.items, []
        for connection, text, payload in items:
            connection._put(text, payload)
        if wake:
            for connection in {id(c): c for c, _, _ in items}.values():
                connection.wakeup.set()


OUTGOING_SECONDS = 0.02
