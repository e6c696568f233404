"""The server-mode WebSocket endpoint: who may connect, which page a socket belongs to (and how
long a page outlives it), and where each of its messages goes."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..kernel import ProtocolError, check_page_message, to_json
from ..kernel import protocol as P
from ..render import SESSION_KEY
from .broker import Broker, several_processes
from .budget import ReadBudget
from .cluster import Cluster
from .connection import Connection
from .frames import FrameReader
from .grants import Grants
from .hub import AppHub
from .page import Page
from .page_store import PageStore
from .runner import Runner

log = logging.getLogger("fh_anywidget")


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
        max_message_bytes: int = 16 * 1024 * 1024,
        max_widgets_per_page: int = 256,
        targets: Sequence[str] = (),
        broker: str | None = None,
        broker_namespace: str = "fhaw",
        tracebacks: bool = False,
    ) -> None:
        self.runner = Runner(threads)
        self.read_budget = ReadBudget()
        self.tracebacks = tracebacks
        self.grants = Grants(secret, targets=targets)
        self.grace_seconds = grace_seconds
        self.max_frame_bytes = max_frame_bytes
        self.max_message_bytes = max_message_bytes
        self.max_widgets_per_page = max_widgets_per_page
        self.max_buffers = max_buffers
        self.max_outbox_bytes = max_outbox_bytes
        self.allowed_origins = {normalize_origin(o) for o in allowed_origins}
        self.authorize = authorize
        self.pages: dict[str, Page] = {}
        self.hub: AppHub | Cluster | None = None  # made on first use: it imports ipywidgets
        self._hub_lock = threading.Lock()
        self._paused_until = 0.0
        # several processes (docs/architecture.md, "Several processes"): the broker, the app
        # widgets shared through it, and the pages kept in it
        self.broker = Broker(broker, namespace=broker_namespace) if broker else None
        self.cluster = Cluster(self, self.broker) if self.broker else None
        self.store = PageStore(self, self.broker, grace_seconds=grace_seconds) if self.broker else None
        if self.broker is not None:
            self.hub = self.cluster
            self.broker.on_health(self._broker_health)

    def route(self, path: str) -> WebSocketRoute:
        return WebSocketRoute(path, self.endpoint, name="fh_anywidget_ws")

    def placeholder_spec(self, target: str, kwargs: dict[str, Any], *, key: str | None, scope: str) -> dict[str, Any]:
        """The ``key``, ``scope`` and ``grant`` of a server-mode placeholder rendered now."""
        return self.grants.placeholder_spec(target, kwargs, key=key, scope=scope)

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
        if self.store is not None:
            await self._start_broker()
            if params.get("page") and params["page"] not in self.pages:  # saved by another process?
                await self.store.restore(params["page"], session_id)
        page, resumed = self._page_for(params.get("page") or "", session_id, fresh=params.get("fresh") == "1")
        await websocket.accept()
        connection = Connection(websocket, max_outbox_bytes=self.max_outbox_bytes)
        page.connection = connection
        writer = asyncio.create_task(connection.write_loop())
        connection.push(to_json({"type": P.READY, "page": page.id, "resumed": resumed, "last_seq": page.last_seq}), [])
        page.replay(connection, after=_int(params.get("ack")), deliver=resumed and params.get("fresh") != "1")
        if self.store is not None:
            if not self.broker.up:  # type: ignore[union-attr]
                connection.push(to_json(_degraded(True)), [])
            await self.store.claim_live(page)
        reader_of = page.session_id or page.id
        self.read_budget.open(reader_of)
        try:
            await self._read_loop(websocket, page, connection)
        except WebSocketDisconnect:
            pass
        finally:
            self.read_budget.close(reader_of)
            connection.closing = True
            writer.cancel()
            if page.connection is connection:
                page.connection = None
                if self.store is not None:
                    self.store.disconnected(page)
                page.release_timer = asyncio.get_running_loop().call_later(self.grace_seconds, self._release, page)

    def _refusal(self, websocket: WebSocket) -> str | None:
        origin = websocket.headers.get("origin")
        host = websocket.headers.get("host", "")
        if not origin:
            return "it has no Origin header (only the app's own pages may connect)"
        origin = normalize_origin(origin)
        if origin not in self.allowed_origins:
            # the page must come from the origin this socket is served at: scheme, host and port
            scheme = "https" if websocket.scope.get("scheme") in ("wss", "https") else "http"
            served = normalize_origin(f"{scheme}://{host}")
            if origin != served:
                return (f"its Origin {origin!r} is not this site ({served!r}); pass "
                        "AnyWidgetHost(..., server_allowed_origins=[...]) to allow another")
            if _listens_on_loopback(websocket) and not _is_loopback_name(urlsplit(served).hostname or ""):
                # a DNS-rebinding page: its own name now points at this machine
                return (f"its Host {host!r} is not a name of this server, which listens on loopback only (a DNS "
                        "rebinding page?); open the app as localhost or 127.0.0.1, or pass "
                        "AnyWidgetHost(..., server_allowed_origins=[...]) to allow that origin")
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
        page = Page(secrets.token_urlsafe(18), session_id, max_widgets=self.max_widgets_per_page, tracebacks=self.tracebacks)
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
            if self.store is not None:
                self.store.released(page)
            if self.hub is not None:
                self.hub.detach(page)
            page.kernel.close()
        finally:
            page.lock.release()
        log.info("[fh-anywidget] released page %s", page.id[:8])

    async def _read_loop(self, websocket: WebSocket, page: Page, connection: Connection) -> None:
        reader = FrameReader(lambda msg, reason: self._refuse(page, msg, reason), max_frame_bytes=self.max_frame_bytes,
                             max_message_bytes=self.max_message_bytes, max_buffers=self.max_buffers)
        while True:
            await connection.flush()  # the answers to the message just handled, at once
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                return
            text, data = frame.get("text"), frame.get("bytes")
            started = time.perf_counter()
            complete = reader.text(text) if text is not None else reader.binary(data) if data is not None else None
            wait = self.read_budget.spend(page.session_id or page.id, time.perf_counter() - started)
            if wait:  # this session's frames took their share of the loop: the other pages come first
                await connection.flush()
                await asyncio.sleep(wait)
            if complete is not None:
                msg, buffers = complete
                if msg.get("type") == P.ACK:  # the page has Python's custom messages up to oseq
                    page.acknowledge(msg.get(P.OSEQ))
                    continue
                await self.runner.run(connection, page.session_id or page.id, lambda: self._dispatch_locked(page, msg, buffers))

    # -- one message ------------------------------------------------------------------
    def _dispatch_locked(self, page: Page, msg: dict[str, Any], buffers: list[bytes]) -> None:
        with page.lock:  # a page's messages are handled one at a time, in order
            self._dispatch(page, msg, buffers)
            if self.store is not None:
                self.store.saved(page)  # with its last_seq: another process resumes it from there

    def _dispatch(self, page: Page, msg: dict[str, Any], buffers: list[bytes]) -> None:
        msg.pop(P.NBUFFERS, None)
        try:
            kind = check_page_message(msg)
            if kind == P.CREATE:
                self._create(page, msg)
                return
            comm_id = msg.get("comm_id")
            views = [memoryview(b) for b in buffers]
            if isinstance(comm_id, str) and comm_id in page.kernel.manager.comms:
                page.kernel.handle_checked(kind, msg, views)
            elif isinstance(comm_id, str) and self.hub is not None and self.hub.owns(page, comm_id):
                if kind == P.COMM_CLOSE:
                    self.hub.detach(page, comm_id)  # the others still show it
                else:
                    self.hub.handle(page, kind, msg, views)
            else:
                raise ProtocolError(f"no model {comm_id!r} on this page")
        except ProtocolError as exc:
            self._refuse(page, msg, str(exc))
        except Exception as exc:  # noqa: BLE001 - a hostile message must never drop the socket
            log.exception("[fh-anywidget] page %s: a message could not be handled", page.id[:8])
            self._refuse(page, msg, f"the message could not be handled ({type(exc).__name__}); it was dropped")
        finally:
            seq = msg.get("seq")
            if isinstance(seq, int) and seq > page.last_seq:
                page.last_seq = seq

    def _create(self, page: Page, msg: dict[str, Any]) -> None:
        key, target, kwargs, scope, issued = self.grants.check(msg, page.session_id)
        if scope == "app":
            self.app_hub().attach(page, key, target, kwargs, issued=issued)
            return
        try:
            page.kernel.create(key, target, kwargs)
        except Exception as exc:  # noqa: BLE001 - shown in the widget's placeholder
            page.kernel.send_error(exc, key=key)

    def app_hub(self) -> AppHub | Cluster:
        """The hub of the ``scope="app"`` widgets (with a broker: the cluster), made on first use."""
        with self._hub_lock:
            if self.hub is None:
                self.hub = AppHub(tracebacks=self.tracebacks)
                if (processes := several_processes()) is not None:
                    log.warning("[fh-anywidget] %s, and server mode has no broker: each process makes its own "
                                "scope='app' widgets, so visitors on different processes see different states, and "
                                "a page whose socket reconnects to another process is told to reload. Give the "
                                "processes one broker: AnyWidgetHost(app, broker='redis://HOST:6379/0') or "
                                "FHAW_BROKER=redis://HOST:6379/0 (pip install 'fh-anywidget[redis]'), or run one "
                                "process", processes)
            return self.hub

    def _refuse(self, page: Page, msg: Mapping[str, Any], message: str) -> None:
        """Answer a message that breaks the protocol with an ``error`` (and a log line); go on serving."""
        message = message.removeprefix("[fh-anywidget] ")
        log.warning("[fh-anywidget] page %s: %s", page.id[:8], message)
        reply: dict[str, Any] = {"type": P.ERROR, "error": {"type": "ProtocolError", "message": f"[fh-anywidget] {message}",
                                                            "traceback": ""}}
        for k in ("key", "comm_id"):
            if isinstance(msg.get(k), str):
                reply[k] = msg[k]
        page.send(to_json(reply), [])

    # -- the broker -------------------------------------------------------------------
    async def _start_broker(self) -> None:
        """Connect to the broker and start sharing (once; the first socket waits for it, up to 2 s)."""
        assert self.broker is not None and self.cluster is not None and self.store is not None
        self.cluster.start()
        self.store.start()
        await self.broker.start()

    def _broker_health(self, up: bool) -> None:
        """Tell every connected page when the broker goes down (the server is degraded) or is back."""
        for page in list(self.pages.values()):
            if page.connection is not None:
                page.connection.push(to_json(_degraded(not up)), [])

    async def shutdown(self) -> None:
        """Stop the broker's tasks (the app's shutdown)."""
        for part in (self.cluster, self.store, self.broker):
            if part is not None:
                await part.stop()

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
        kernel = self.hub.kernel if self.hub is not None else None
        return {"pages": len(self.pages), "connected": connected, "app_widgets": len(kernel.widgets) if kernel else 0}


def normalize_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, without a default port or a trailing slash."""
    parts = urlsplit(origin.strip().rstrip("/").lower())
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        return origin.lower()
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def _listens_on_loopback(websocket: WebSocket) -> bool:
    server = websocket.scope.get("server")
    return bool(server) and _is_loopback_name(str(server[0]))


def _is_loopback_name(name: str) -> bool:
    name = name.strip("[]").lower()
    if name in ("localhost", "localhost.") or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _degraded(degraded: bool) -> dict[str, Any]:
    message = ("The server cannot reach its broker (Redis) for now: changes to shared widgets are kept "
               "and applied when it is back." if degraded else "")
    return {"type": P.DEGRADED, "degraded": degraded, "message": message}


def _int(text: str | None) -> int:
    try:
        return int(text or 0)
    except ValueError:
        return 0


def _client(websocket: WebSocket) -> str:
    client = websocket.client
    return f"{client.host}:{client.port}" if client else "?"
