"""Server-mode pages kept in the broker (Redis), so that a page whose socket comes back on another
process (a worker died, a deploy restarted it, the balancer moved it) resumes there.

After each message a page's process saves the page: its session, the highest ``seq`` it handled,
each ``scope="page"`` widget's record (target, arguments, model ids and state: :mod:`.restore`),
and the app models it was given, in one Redis value, written in the background (the latest
wins). The state and ``last_seq`` are saved together, so the process that takes the page over
rebuilds exactly what that ``seq`` left, and the page sends again what came after it: no set is
lost. The value lives while the page is connected and ``grace_seconds`` after, as the page does.

A page is served by one process at a time: while its socket is open its process says so
(``live``, refreshed every second, deleted when the socket closes); another process waits for
that to go (at most LIVE_MS, a killed process's) before it takes the page, then tells the others
to drop their copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from typing import TYPE_CHECKING, Any

from .broker import Broker, cancel, pack, unpack
from .page import Page
from .restore import rebuild, record_of

if TYPE_CHECKING:
    from .endpoint import WidgetServer

log = logging.getLogger("fh_anywidget")

LIVE_MS = 3000
"""How long a process's claim on a connected page lasts unless refreshed (every KEEP_SECONDS)."""
KEEP_SECONDS = 1.0
SAVE_DELAY_SECONDS = 0.02
"""How long a change waits before it is written (with the others of that moment), at most."""


class PageStore:
    """Saves this process's pages in the broker and takes over pages saved by another."""

    def __init__(self, server: WidgetServer, broker: Broker, *, grace_seconds: float) -> None:
        self.server, self.broker = server, broker
        self.ttl_ms = max(1000, int(grace_seconds * 1000))
        self._parts: dict[str, tuple[dict[str, Any], list[bytes]]] = {}
        self._needs: dict[str, int] = {}
        """Per page id, how many app messages the cluster must have in Redis before the page is
        saved (its last_seq counts them: the process taking it over must find them there)."""
        """Per page id, its latest saved ``scope="page"`` part (the app models are added when written)."""
        self._dirty: set[str] = set()
        self._stale: set[str] = set()
        """Pages whose widgets changed since they were last taken (:meth:`_snapshot`)."""
        self._lock = threading.Lock()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        broker.subscribe(broker.key("ctl"), self._control)
        broker.on_health(lambda up: self._rewrite_all() if up else None)

    def start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
            self._tasks = [asyncio.create_task(self._write_loop()), asyncio.create_task(self._keep_loop())]

    def _key(self, page_id: str) -> str:
        return self.broker.key("page", page_id)

    # -- saving ---------------------------------------------------------------------------
    def saved(self, page: Page) -> None:
        """(The thread that handled a message of ``page``.) Save the page soon: within
        SAVE_DELAY_SECONDS, together with the other pages that changed meanwhile, and off the
        path of the page's answer."""
        with self._lock:
            self._stale.add(page.id)
        self._poke()

    def _snapshot(self, page_ids: set[str]) -> set[str]:
        """(A pool thread.) Take the pages' state, each under its lock (with the ``last_seq`` it
        goes with); the ids of those that were busy, to take at the next turn."""
        busy = set()
        cluster = self.server.cluster
        for page_id in page_ids:
            page = self.server.pages.get(page_id)
            if page is None:
                continue
            if not page.lock.acquire(blocking=False):
                busy.add(page_id)
                continue
            try:
                needs = cluster.forwarded if cluster is not None else 0  # what it forwarded so far
                widgets, buffers = [], []
                for key in list(page.kernel.widgets):
                    made = record_of(page.kernel, key)
                    if made is not None:
                        widgets.append(made[0])
                        buffers += made[1]
                last_seq = page.last_seq
            finally:
                page.lock.release()
            with self._lock:
                self._parts[page_id] = ({"sid": page.session_id, "last_seq": last_seq, "widgets": widgets}, buffers)
                self._needs[page_id] = needs
                self._dirty.add(page_id)
        return busy

    def touched(self, page: Page) -> None:
        """(Any thread.) Save ``page`` again: the app models it was given changed."""
        with self._lock:
            if page.id not in self._parts:
                self._parts[page.id] = ({"sid": page.session_id, "last_seq": page.last_seq, "widgets": []}, [])
            self._dirty.add(page.id)
        self._poke()

    def poke(self) -> None:
        """(The event loop.) Write what waits (the cluster sent more to Redis)."""
        self._poke()

    def released(self, page: Page) -> None:
        with self._lock:
            self._parts.pop(page.id, None)
            self._needs.pop(page.id, None)
            self._dirty.discard(page.id)
            self._stale.discard(page.id)

    def disconnected(self, page: Page) -> None:
        """(The event loop.) ``page``'s socket closed here: once its last save is written, another
        process may take it."""
        if self.broker.up:
            asyncio.ensure_future(self._let_go(page))

    async def _let_go(self, page: Page) -> None:
        for _ in range(200):  # at most 2 s; past that the claim runs out by itself
            with self._lock:
                if page.id not in self._dirty and page.id not in self._stale:
                    break
            await asyncio.sleep(0.01)
        await self._quietly(lambda r: r.delete(self.broker.key("live", page.id)))

    def _poke(self) -> None:
        loop, wake = self._loop, self._wake
        if loop is None or wake is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        elif not wake.is_set():  # one wake-up of the loop for what comes meanwhile
            loop.call_soon_threadsafe(wake.set)

    def _rewrite_all(self) -> None:
        with self._lock:
            self._dirty.update(self._parts)
        self._poke()

    async def _write_loop(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            await asyncio.sleep(SAVE_DELAY_SECONDS)  # what changes meanwhile goes in the same write
            self._wake.clear()
            if not self.broker.up:
                continue  # written again when it is back (_rewrite_all)
            with self._lock:
                stale, self._stale = self._stale, set()
            if stale:
                busy = await loop.run_in_executor(self.server.runner.executor, self._snapshot, stale)
                if busy:
                    with self._lock:
                        self._stale |= busy
                    self._wake.set()
            sent = self.server.cluster.sent if self.server.cluster is not None else 0
            with self._lock:
                ready = {p for p in self._dirty if self._needs.get(p, 0) <= sent}
                self._dirty -= ready
                values = {page_id: self._value(page_id) for page_id in ready if page_id in self._parts}

            async def write(r: Any) -> Any:
                pipe = r.pipeline(transaction=False)
                for page_id, value in values.items():
                    pipe.set(self._key(page_id), value, px=self.ttl_ms)
                return await pipe.execute()

            if not values:
                continue
            try:
                await self.broker.call(write)
            except Exception:  # noqa: BLE001 - down: written again when it is back
                with self._lock:
                    self._dirty |= set(values)

    def _value(self, page_id: str) -> bytes:
        header, buffers = self._parts[page_id]
        cluster = self.server.cluster
        app = sorted(cluster.given.get(page_id, ())) if cluster is not None else []
        return pack({**header, "app": app}, buffers)

    async def _keep_loop(self) -> None:
        """Every KEEP_SECONDS: the connected pages' values live on, and so does this process's claim on them."""
        while True:
            await asyncio.sleep(KEEP_SECONDS)
            if not self.broker.up:
                continue
            connected = [p.id for p in list(self.server.pages.values()) if p.connection is not None]
            if not connected:
                continue

            async def keep(r: Any) -> Any:
                pipe = r.pipeline(transaction=False)
                for page_id in connected:
                    pipe.pexpire(self._key(page_id), self.ttl_ms)
                    pipe.set(self.broker.key("live", page_id), self.broker.proc, px=LIVE_MS)
                return await pipe.execute()

            with contextlib.suppress(Exception):
                await self.broker.call(keep)

    async def claim_live(self, page: Page) -> None:
        """(The event loop.) ``page``'s socket is open here: say so."""
        await self._quietly(lambda r: r.set(self.broker.key("live", page.id), self.broker.proc, px=LIVE_MS))

    async def _quietly(self, command: Any) -> Any:
        with contextlib.suppress(Exception):
            return await self.broker.call(command)
        return None

    # -- taking a page over ------------------------------------------------------------
    async def restore(self, page_id: str, session_id: str) -> Page | None:
        """The page ``page_id`` made here from what another process saved (if it is this
        session's, and no process serves it any more), or None."""
        if not self.broker.up or not page_id or len(page_id) > 64:
            return None
        try:
            data = await self.broker.call(lambda r: r.get(self._key(page_id)))
            if data is None:
                return None
            header, buffers = unpack(data)
            if header.get("sid") != session_id:
                return None  # another visitor's page id: never theirs to resume
            live_key = self.broker.key("live", page_id)
            for _ in range(int(LIVE_MS / 100) + 5):  # a killed process's claim runs out by itself
                holder = await self.broker.call(lambda r: r.get(live_key))
                if holder is None or holder.decode() == self.broker.proc:
                    break
                await asyncio.sleep(0.1)
            else:
                return None
        except Exception:  # noqa: BLE001 - down: the page starts anew (and is told to reload)
            return None
        loop = asyncio.get_running_loop()
        page = await loop.run_in_executor(self.server.runner.executor, self._rebuild, page_id, header, buffers)
        if page_id in self.server.pages:  # made meanwhile (a second socket of the same page)
            page.kernel.close()
            return self.server.pages[page_id]
        self.server.pages[page_id] = page
        if self.server.cluster is not None:
            self.server.cluster.adopt(page, header.get("app") or [])
        with self._lock:
            self._parts[page_id] = ({k: header[k] for k in ("sid", "last_seq", "widgets")}, buffers)
        await self._quietly(lambda r: r.publish(self.broker.key("ctl"), pack({"op": "claimed", "page": page_id,
                                                                               "by": self.broker.proc})))
        log.info("[fh-anywidget] page %s moved to process %s (%d widgets made again)", page_id[:8], self.broker.proc,
                 len(page.kernel.widgets))
        return page

    def _rebuild(self, page_id: str, header: dict[str, Any], buffers: list[bytes]) -> Page:
        page = Page(page_id, header["sid"], max_widgets=self.server.max_widgets_per_page, tracebacks=self.server.tracebacks)
        with page.lock:
            at = 0
            for record in header.get("widgets") or []:
                n = sum(c[3] for c in record.get("comms") or [])
                try:
                    rebuild(page.kernel, record, buffers[at:at + n])
                except Exception:  # noqa: BLE001 - shown as missing; the page's create makes it anew
                    log.exception("[fh-anywidget] page %s: could not make %r again", page_id[:8], record.get("key"))
                at += n
            page.last_seq = int(header.get("last_seq") or 0)
        return page

    def _control(self, data: bytes) -> None:
        header, _ = unpack(data)
        if header.get("op") == "claimed" and header.get("by") != self.broker.proc:
            page = self.server.pages.get(str(header.get("page")))
            if page is not None and page.connection is None:
                self.released(page)
                self.server._release(page)  # another process serves it now

    async def stop(self) -> None:
        await cancel(self._tasks)
