"""Server mode: widgets whose Python runs in this process, reached over one WebSocket per page.

The page's runtime opens ``{prefix}/ws`` once and carries every server-mode widget of the page
over it, with the messages of docs/protocol.md: a text frame holding the message (plus
``"nbuffers": N``) followed by N binary frames. Python's answers to one page message go out
together, as one text frame holding an array of messages (``protocol.frame``).

- A :class:`Page` is one page view (one browser tab on one URL): a :class:`ServerKernel` of its
  own for ``scope="page"`` widgets, and the ``scope="app"`` widgets it attached. It outlives its
  socket by ``grace_seconds`` so that a reconnect or a reload resumes it.
- The :class:`AppHub` holds the ``scope="app"`` widgets: one instance each, its messages sent to
  every page that shows it (``echo_update`` is what the other pages apply).
- A page may create only what ``host.widget(...)`` rendered for its session: each placeholder
  carries a *grant*, the widget's spec signed with the host's secret and bound to the session.
- Widget Python runs in a pool of threads (``threads``, default 8), not on the event loop: a
  handler that computes for seconds holds up only its own page, while the server goes on serving
  every other page, socket and request. A page's messages are still handled one at a time, in
  order; the app widgets are handled under one lock. ``threads=0`` runs them on the event loop
  (a little faster per message, but one slow handler then stalls everyone).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from . import protocol as P
from .kernel import Buffer, Kernel, ProtocolError, _current_comm, import_target, model_id_of, to_json

log = logging.getLogger("fh_anywidget")

SCOPES = ("page", "app")
SESSION_KEY = "_fhaw"
"""The session entry holding the random id that grants and pages are bound to."""

_render: contextvars.ContextVar[RenderContext | None] = contextvars.ContextVar("fh_anywidget_render", default=None)
_origin: contextvars.ContextVar[Page | None] = contextvars.ContextVar("fh_anywidget_origin", default=None)
_outgoing: contextvars.ContextVar[Outgoing | None] = contextvars.ContextVar("fh_anywidget_outgoing", default=None)


# -- the request being rendered ---------------------------------------------------------

@dataclass
class RenderContext:
    """The HTTP request being answered: its session, and how many widgets of each target it drew."""

    scope: Scope
    counts: Counter[str] = field(default_factory=Counter)
    worker_started: bool = False
    """Whether this page already has the inline worker starter (web/early.js)."""
    widgets: int = 0
    """How many widget placeholders the response carries (fh_anywidget.csp adds its policy then)."""

    def session_id(self) -> str:
        """The session's fh-anywidget id, made on first use; "" when the app keeps no sessions."""
        session = self.scope.get("session")
        if not isinstance(session, dict):
            return ""
        if not isinstance(session.get(SESSION_KEY), str):
            session[SESSION_KEY] = secrets.token_urlsafe(16)
        return session[SESSION_KEY]


class RenderContextMiddleware:
    """Lets ``host.widget(...)`` see the request it renders for (its session), without an argument."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _render.set(RenderContext(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            _render.reset(token)


def current_render() -> RenderContext | None:
    """The request being rendered, if ``host.widget(...)`` runs inside one."""
    return _render.get()


# -- kernels ----------------------------------------------------------------------------

def signature_of(target: str, kwargs: Mapping[str, Any]) -> str:
    return json.dumps([target, kwargs], sort_keys=True, separators=(",", ":"))


class ServerKernel(Kernel):
    """A :class:`Kernel` that remembers the comms each widget opened, so it can open them again
    for a page that lost them (a reload, a reconnect in the middle of a create)."""

    def __init__(self, send: Callable[[str, list[memoryview]], None]) -> None:
        self.groups: dict[str, list[str]] = {}
        self.signatures: dict[str, str] = {}
        self._opening: list[str] | None = None
        super().__init__(send)

    def emit(self, msg: dict[str, Any], buffers: Sequence[Buffer] = ()) -> None:
        if self._opening is not None and msg.get("type") == P.COMM_OPEN:
            self._opening.append(msg["comm_id"])
        super().emit(msg, buffers)

    def make(self, key: str, target: str, kwargs: dict[str, Any]) -> tuple[str, bool]:
        """The model id of the widget for ``key``, made now if needed; and whether it already existed."""
        signature = signature_of(target, kwargs)
        if key in self.widgets:
            if self.signatures.get(key) == signature:
                return model_id_of(self.widgets[key]), True
            self.drop(key)  # the page now renders other arguments under this key
        factory = import_target(target)
        self._opening = []
        try:
            with self.active():
                widget = factory(**kwargs)
                model_id = model_id_of(widget, target)  # descriptor widgets open their comm here
        finally:
            opened, self._opening = self._opening, None
        self.widgets[key], self.groups[key], self.signatures[key] = widget, opened, signature
        return model_id, False

    def drop(self, key: str) -> None:
        from ipywidgets.widgets.widget import _instances  # noqa: PLC0415

        with self.active():
            for comm_id in self.groups.pop(key, []):
                widget = _instances.get(comm_id)
                if widget is not None:
                    widget.close()
        self.widgets.pop(key, None)
        self.signatures.pop(key, None)

    def open_messages(self, key: str) -> list[tuple[str, list[memoryview]]]:
        """``comm_open`` messages with the current state of every comm ``key``'s widget opened."""
        from ipywidgets.widgets.widget import _instances, _remove_buffers  # noqa: PLC0415

        out = []
        for comm_id in self.groups.get(key, []):
            widget = _instances.get(comm_id)
            if widget is None or comm_id not in self.manager.comms:
                continue
            state, buffer_paths, buffers = _remove_buffers(widget.get_state())
            msg = {"type": P.COMM_OPEN, "comm_id": comm_id, "target_name": P.WIDGET_TARGET,
                   "data": {"state": state, "buffer_paths": buffer_paths}, "metadata": {"version": P.PROTOCOL_VERSION}}
            out.append((to_json(msg), [memoryview(b).cast("B") for b in buffers]))
        return out


class AppHub:
    """The ``scope="app"`` widgets: one instance each, shared by every page that shows it."""

    def __init__(self) -> None:
        self.kernel = ServerKernel(self._unused_send)
        self.kernel.emit = self._publish  # type: ignore[method-assign]
        self.subscribers: dict[str, set[Page]] = {}
        self.lock = threading.RLock()
        """Held while any page's message to an app widget is handled (pages run in several threads)."""

    @staticmethod
    def _unused_send(text: str, buffers: list[memoryview]) -> None:  # pragma: no cover - emit is replaced
        raise RuntimeError("[fh-anywidget] the app hub publishes through _publish")

    def _publish(self, msg: dict[str, Any], buffers: Sequence[Buffer] = ()) -> None:
        kernel, origin = self.kernel, _origin.get()
        comm_id = msg.get("comm_id")
        if kernel._opening is not None and msg.get("type") == P.COMM_OPEN:
            kernel._opening.append(comm_id)
        if msg.get("type") == P.ERROR and origin is not None:
            targets: set[Page] = {origin}  # an exception is shown to the visitor whose message caused it
        elif comm_id in self.subscribers:
            targets = set(self.subscribers[comm_id])
        else:  # a comm opened now: it goes to whoever is looking at the comm being handled
            handling = _current_comm.get()
            targets = set(self.subscribers.get(handling, ())) if handling else set()
            if origin is not None:
                targets.add(origin)
            if msg.get("type") == P.COMM_OPEN:
                self.subscribers[comm_id] = set(targets)
        if not targets:
            return
        views = [memoryview(b).cast("B") for b in buffers]
        text = to_json(msg)
        others = to_json({**msg, "parent": None}) if msg.get("parent") is not None else text
        for page in targets:
            page.send(text if page is origin else others, views)
        if msg.get("type") == P.COMM_CLOSE:
            self.subscribers.pop(comm_id, None)

    def attach(self, page: Page, key: str, target: str, kwargs: dict[str, Any]) -> None:
        """Show the app widget ``key`` on ``page``, making it if this is its first page."""
        with self.lock:
            self._attach(page, key, target, kwargs)

    def _attach(self, page: Page, key: str, target: str, kwargs: dict[str, Any]) -> None:
        token = _origin.set(page)
        try:
            model_id, existed = self.kernel.make(key, target, kwargs)
        except Exception as exc:  # noqa: BLE001 - shown in the placeholder of the page that asked
            self.kernel.send_error(exc, key=key)
            return
        finally:
            _origin.reset(token)
        if existed:
            for text, views in self.kernel.open_messages(key):
                page.send(text, views)
        for comm_id in self.kernel.groups.get(key, []):
            self.subscribers.setdefault(comm_id, set()).add(page)
        page.app_keys.add(key)
        page.send(to_json({"type": P.CREATED, "key": key, "model_id": model_id}), [])

    def handle(self, page: Page, msg: dict[str, Any], buffers: Sequence[Buffer]) -> None:
        token = _origin.set(page)
        try:
            with self.lock:
                self.kernel.handle(msg, buffers)
        finally:
            _origin.reset(token)

    def owns(self, page: Page, comm_id: str) -> bool:
        return page in self.subscribers.get(comm_id, ())

    def detach(self, page: Page, comm_id: str | None = None) -> None:
        """Stop sending ``comm_id`` (or every app model) to ``page``; the models stay for the others."""
        with self.lock:
            for cid, pages in self.subscribers.items():
                if comm_id is None or cid == comm_id:
                    pages.discard(page)


# -- pages and their sockets ------------------------------------------------------------

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
        outgoing = _outgoing.get()
        if outgoing is None or not outgoing.keep(self, text, payload):
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

QUICK_WAIT_SECONDS = 0.001
"""How long the event loop waits for a widget handler before it serves other pages meanwhile."""


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


# -- the server ---------------------------------------------------------------------------

class WidgetServer:
    """Runs the server-mode widgets of one app and serves their WebSocket.

    Made by :class:`~fh_anywidget.host.AnyWidgetHost`; its options are the host's ``server_*``
    arguments.
    """

    def __init__(
        self,
        *,
        secret: str | bytes,
        grace_seconds: float = 30.0,
        max_frame_bytes: int = 8 * 1024 * 1024,
        max_buffers: int = 64,
        max_outbox_bytes: int = 64 * 1024 * 1024,
        allowed_origins: Sequence[str] = (),
        authorize: Callable[[dict[str, Any]], bool] | None = None,
        threads: int = 8,
    ) -> None:
        if not isinstance(threads, int) or isinstance(threads, bool) or threads < 0:
            raise ValueError(f"[fh-anywidget] server_threads must be a whole number, 0 or more; got {threads!r} "
                             "(0 runs the widgets' Python on the event loop)")
        self.executor = ThreadPoolExecutor(threads, thread_name_prefix="fh-anywidget") if threads else None
        self._hub_lock = threading.Lock()
        self.grants = URLSafeSerializer(secret, salt="fh-anywidget.grant")
        self.grace_seconds = grace_seconds
        self.max_frame_bytes = max_frame_bytes
        self.max_buffers = max_buffers
        self.max_outbox_bytes = max_outbox_bytes
        self.allowed_origins = {o.rstrip("/") for o in allowed_origins}
        self.authorize = authorize
        self.pages: dict[str, Page] = {}
        self.hub: AppHub | None = None  # made on first use: it imports ipywidgets
        self._paused_until = 0.0

    def route(self, path: str) -> WebSocketRoute:
        return WebSocketRoute(path, self.endpoint, name="fh_anywidget_ws")

    # -- rendering --------------------------------------------------------------------
    def placeholder_spec(self, target: str, kwargs: dict[str, Any], *, key: str | None, scope: str) -> dict[str, Any]:
        """The ``key``, ``scope`` and ``grant`` of a server-mode placeholder rendered now."""
        ctx = _render.get()
        if key is None:
            if scope == "app":  # every visitor's page names the same instance
                key = "app:" + hashlib.sha256(signature_of(target, kwargs).encode()).hexdigest()[:24]
            elif ctx is not None:  # stable across reloads, so that a reload resumes the page's widgets
                key = f"{target}#{ctx.counts[target]}"
                ctx.counts[target] += 1
            else:
                key = secrets.token_hex(16)
        session_id = ctx.session_id() if ctx is not None else ""
        grant = self.grants.dumps({"k": key, "t": target, "a": kwargs, "s": scope, "u": session_id})
        return {"key": key, "scope": scope, "grant": grant}

    # -- the socket -------------------------------------------------------------------
    async def endpoint(self, websocket: WebSocket) -> None:
        problem = self._refusal(websocket)
        if problem:
            log.warning("[fh-anywidget] refused a WebSocket from %s: %s", _client(websocket), problem)
            await websocket.close(code=1008)  # before accept: the handshake gets HTTP 403
            return
        if time.monotonic() < self._paused_until:
            await websocket.close(code=1013)
            return
        session = websocket.scope.get("session")
        session_id = session.get(SESSION_KEY, "") if isinstance(session, dict) else ""
        params = websocket.query_params
        page, resumed = self._page_for(params.get("page") or "", session_id, fresh=params.get("fresh") == "1")
        await websocket.accept()
        connection = Connection(websocket, max_outbox_bytes=self.max_outbox_bytes)
        page.connection = connection
        writer = asyncio.create_task(connection.write_loop())
        connection.push(to_json({"type": P.READY, "page": page.id, "resumed": resumed, "last_seq": page.last_seq}), [])
        page.release_held(connection, deliver=resumed and params.get("fresh") != "1")
        try:
            await self._read_loop(websocket, page, connection)
        except WebSocketDisconnect:
            pass
        finally:
            connection.closing = True
            writer.cancel()
            if page.connection is connection:
                page.connection = None
                page.release_timer = asyncio.get_running_loop().call_later(self.grace_seconds, self._release, page)

    def _refusal(self, websocket: WebSocket) -> str | None:
        origin = websocket.headers.get("origin")
        host = websocket.headers.get("host", "")
        if not origin:
            return "it has no Origin header (only the app's own pages may connect)"
        if urlsplit(origin).netloc != host and origin.rstrip("/") not in self.allowed_origins:
            return (f"its Origin {origin!r} is not this site ({host!r}); pass "
                    "AnyWidgetHost(..., server_allowed_origins=[...]) to allow another")
        if self.authorize is not None:
            session = websocket.scope.get("session")
            if not self.authorize(session if isinstance(session, dict) else {}):
                return "the app's authorize(session) check said no"
        return None

    def _page_for(self, page_id: str, session_id: str, *, fresh: bool) -> tuple[Page, bool]:
        page = self.pages.get(page_id)
        if page is not None and page.session_id == session_id and page.connection is None:
            if page.release_timer is not None:
                page.release_timer.cancel()
                page.release_timer = None
            if fresh:  # a reload: the page's JavaScript starts counting its messages again
                page.last_seq = 0
            return page, True
        page = Page(secrets.token_urlsafe(18), session_id)
        self.pages[page.id] = page
        return page, False

    def _release(self, page: Page) -> None:
        if page.connection is not None or self.pages.get(page.id) is not page:
            return
        if not page.lock.acquire(blocking=False):  # a handler of it still runs: once it is done
            page.release_timer = asyncio.get_running_loop().call_later(1.0, self._release, page)
            return
        try:
            del self.pages[page.id]
            if self.hub is not None:
                self.hub.detach(page)
            page.kernel.close()
        finally:
            page.lock.release()
        log.info("[fh-anywidget] released page %s", page.id[:8])

    async def _read_loop(self, websocket: WebSocket, page: Page, connection: Connection) -> None:
        pending: dict[str, Any] | None = None  # a message waiting for its binary frames
        buffers: list[bytes] = []
        oversize: str | None = None
        while True:
            await connection.flush()  # the answers to the message just handled, at once
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            text, data = frame.get("text"), frame.get("bytes")
            if text is not None:
                if pending is not None:
                    self._refuse(page, pending, f"a message announced {pending[P.NBUFFERS]} binary frame(s) but the "
                                 f"next message came after {len(buffers)}; it was dropped")
                    pending, buffers, oversize = None, [], None
                msg = self._parse(page, text)
                if msg is None:
                    continue
                if msg[P.NBUFFERS]:
                    pending = msg
                    continue
                await self._handle(connection, page, msg, [])
            elif data is not None:
                if pending is None:
                    self._refuse(page, {}, f"a binary frame ({len(data)} bytes) came with no message announcing it; "
                                 "it was dropped")
                    continue
                if len(data) > self.max_frame_bytes and oversize is None:
                    oversize = (f"a buffer of {len(data)} bytes is over the limit of {self.max_frame_bytes} bytes "
                                "(AnyWidgetHost(..., server_max_frame_bytes=...)); the message was dropped")
                buffers.append(data)
                if len(buffers) == pending[P.NBUFFERS]:
                    if oversize:
                        self._refuse(page, pending, oversize)
                    else:
                        await self._handle(connection, page, pending, buffers)
                    pending, buffers, oversize = None, [], None

    async def _handle(self, connection: Connection, page: Page, msg: dict[str, Any], buffers: list[bytes]) -> None:
        """Dispatch one message, in a thread of the pool; its answers wait in the outbox for the
        reader's flush that follows (a send from the thread reaches the outbox before this returns:
        both go through the event loop's queue, in order)."""
        connection.reading = True
        try:
            if self.executor is None:
                self._dispatch_locked(page, msg, buffers, None)
            else:
                loop = asyncio.get_running_loop()
                outgoing = Outgoing(loop)

                def running_long() -> None:  # what it sent so far goes now; the rest as it comes
                    connection.reading = False
                    outgoing.release(wake=True)

                timer = loop.call_later(OUTGOING_SECONDS, running_long)
                run = contextvars.copy_context().run
                try:
                    future = self.executor.submit(run, self._dispatch_locked, page, msg, buffers, outgoing)
                    # Most handlers take well under a millisecond: wait for those here, with the
                    # GIL released (one thread wake-up instead of a trip through the event loop's
                    # queue); a longer one is awaited, and the loop serves the other pages meanwhile.
                    done, _ = futures.wait([future], timeout=QUICK_WAIT_SECONDS)
                    if done:
                        future.result()
                    else:
                        await asyncio.wrap_future(future)
                finally:
                    timer.cancel()
                    outgoing.release()
        finally:
            connection.reading = False

    def _dispatch_locked(self, page: Page, msg: dict[str, Any], buffers: list[bytes], outgoing: Outgoing | None) -> None:
        _outgoing.set(outgoing)  # in this call's own context (copied by _handle)
        with page.lock:
            self._dispatch(page, msg, buffers)

    def _parse(self, page: Page, text: str) -> dict[str, Any] | None:
        if len(text) > self.max_frame_bytes:
            self._refuse(page, {}, f"a message of {len(text)} characters is over the limit of {self.max_frame_bytes} "
                         "(AnyWidgetHost(..., server_max_frame_bytes=...)); it was dropped")
            return None
        try:
            msg = json.loads(text)
        except ValueError as exc:
            self._refuse(page, {}, f"a message is not valid JSON ({exc}); it was dropped")
            return None
        if not isinstance(msg, dict):
            self._refuse(page, {}, f"a message is a JSON {type(msg).__name__}, not an object; it was dropped")
            return None
        n = msg.get(P.NBUFFERS, 0)
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= self.max_buffers:
            self._refuse(page, msg, f"{P.NBUFFERS} is {n!r}; it must be an integer from 0 to {self.max_buffers}")
            return None
        msg[P.NBUFFERS] = n
        return msg

    def _dispatch(self, page: Page, msg: dict[str, Any], buffers: list[bytes]) -> None:
        msg.pop(P.NBUFFERS, None)
        kind = msg.get("type")
        try:
            if kind == P.CREATE:
                self._create(page, msg)
                return
            if kind not in (P.COMM_MSG, P.COMM_CLOSE):
                expected = ", ".join(sorted(P.PAGE_TO_PYTHON))
                raise ProtocolError(f"unknown message type {kind!r}; expected one of: {expected}")
            comm_id = msg.get("comm_id")
            if kind == P.COMM_MSG:
                data = msg.get("data")
                method = data.get("method") if isinstance(data, dict) else None
                if method not in P.PAGE_METHODS:
                    raise ProtocolError(f"unknown comm_msg method {method!r}; expected one of: "
                                        + ", ".join(sorted(P.PAGE_METHODS)))
            views = [memoryview(b) for b in buffers]
            if isinstance(comm_id, str) and comm_id in page.kernel.manager.comms:
                page.kernel.handle(msg, views)
            elif isinstance(comm_id, str) and self.hub is not None and self.hub.owns(page, comm_id):
                if kind == P.COMM_CLOSE:
                    self.hub.detach(page, comm_id)  # the others still show it
                else:
                    self.hub.handle(page, msg, views)
            else:
                raise ProtocolError(f"no model {comm_id!r} on this page")
        except ProtocolError as exc:
            self._refuse(page, msg, str(exc))
        finally:
            seq = msg.get("seq")
            if isinstance(seq, int) and seq > page.last_seq:
                page.last_seq = seq

    def _create(self, page: Page, msg: dict[str, Any]) -> None:
        key, grant = msg.get("key"), msg.get("grant")
        if not isinstance(key, str) or not isinstance(grant, str):
            raise ProtocolError("a create message needs a string 'key' and the 'grant' of its placeholder")
        try:
            spec = self.grants.loads(grant)
        except BadSignature:
            raise ProtocolError(f"the grant of widget {key!r} is not one this server signed; reload the page") from None
        if spec.get("k") != key or spec.get("u") != page.session_id:
            raise ProtocolError(f"the grant of widget {key!r} was made for another widget or another session; "
                                "reload the page")
        target, kwargs, scope = spec["t"], spec["a"], spec["s"]
        if scope == "app":
            with self._hub_lock:
                if self.hub is None:
                    self.hub = AppHub()
            self.hub.attach(page, key, target, kwargs)
            return
        try:
            model_id, existed = page.kernel.make(key, target, kwargs)
        except Exception as exc:  # noqa: BLE001 - shown in the widget's placeholder
            page.kernel.send_error(exc, key=key)
            return
        if existed:
            for text, views in page.kernel.open_messages(key):
                page.send(text, views)
        page.send(to_json({"type": P.CREATED, "key": key, "model_id": model_id}), [])

    def _refuse(self, page: Page, msg: Mapping[str, Any], message: str) -> None:
        """Answer a message that breaks the protocol with an ``error`` (and a log line); go on serving."""
        log.warning("[fh-anywidget] page %s: %s", page.id[:8], message)
        reply: dict[str, Any] = {"type": P.ERROR, "error": {"type": "ProtocolError", "message": f"[fh-anywidget] {message}",
                                                            "traceback": ""}}
        for k in ("key", "comm_id"):
            if isinstance(msg.get(k), str):
                reply[k] = msg[k]
        page.send(to_json(reply), [])

    # -- operations -------------------------------------------------------------------
    async def disconnect_all(self, *, hold_seconds: float = 0.0) -> int:
        """Close every page's socket (the pages reconnect and resume); refuse new ones for
        ``hold_seconds``. Returns how many sockets were closed."""
        self._paused_until = time.monotonic() + hold_seconds
        closed = 0
        for page in list(self.pages.values()):
            if page.connection is not None:
                page.connection.close(1012)
                closed += 1
        return closed

    def stats(self) -> dict[str, int]:
        connected = sum(1 for p in self.pages.values() if p.connection is not None)
        return {"pages": len(self.pages), "connected": connected,
                "app_widgets": len(self.hub.kernel.widgets) if self.hub else 0}


def _client(websocket: WebSocket) -> str:
    client = websocket.client
    return f"{client.host}:{client.port}" if client else "?"
