"""``scope="app"`` widgets shared by every process of the app, through the broker (Redis).

One process, the *leader* (a lease in Redis, renewed every quarter second, taken over within
about two seconds when its process dies), holds the app widgets and runs their Python: each
observer once per change. Every process hands its pages' messages for app widgets to the leader
through one Redis stream, whose order is the one total order of changes; the leader answers
each page on its own process's channel. After each batch the leader saves, in one transaction,
the state of the widgets that changed and how far in the stream it got, so a new leader (a
restart, a crash) makes the widgets again from that, with the same model ids, and goes on where
the last one stopped. A process that starts later serves the current state at once: its pages'
``create`` is answered by the leader, or by itself once it leads.

A page may still address only the models it was given: each process keeps, per page, the app
models whose ``comm_open`` it delivered, and forwards nothing else (the leader trusts the other
processes, never a page). While Redis is down the messages wait here, in order (at most
HELD_MAX_BYTES, then refused with an error), and go to the leader when it is back; then every
process asks the leader for the current state of what its pages show.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..kernel import Buffer, ipywidgets_api
from ..kernel import protocol as P
from .broker import Broker, cancel, pack, unpack
from .hub import AppHub
from .restore import rebuild, record_of

if TYPE_CHECKING:
    from .endpoint import WidgetServer
    from .page import Page

log = logging.getLogger("fh_anywidget")

LEASE_MS = 2000
"""How long the leader's lease lasts unless renewed (it renews every LEASE_TICK_SECONDS)."""
LEASE_TICK_SECONDS = 0.25
VACANT_WAIT_MS = 10_000
"""How long a vacant lease with no state in Redis waits for its last leader (a Redis restart)."""
HELD_MAX_BYTES = 16 * 1024 * 1024
"""The most this process holds of its pages' messages to app widgets while Redis is down."""
STREAM_MAX = 100_000
"""About how many entries the stream keeps (Redis trims the oldest)."""
READ_COUNT = 256

_RENEW = """
local v = redis.call('get', KEYS[1])
if v == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
"""
"""Renew this process's lease: 1 renewed, 2 taken again (it had expired: Redis restarted?), 0 lost."""

_OPEN_PREFIX = f'{{"type":"{P.COMM_OPEN}","comm_id":"'
_CLOSE_PREFIX = f'{{"type":"{P.COMM_CLOSE}","comm_id":"'


class PageRef:
    """A page as the leader's hub sees it: where it is (a process and a page id) and the app
    widgets it attached. A page on the leader's own process is sent to at once; one elsewhere
    through Redis, when the leader flushes."""

    def __init__(self, cluster: Cluster, proc: str, page_id: str) -> None:
        self.cluster, self.proc, self.id = cluster, proc, page_id
        self.app_keys: set[str] = set()

    def send(self, text: str, buffers: Sequence[memoryview]) -> None:
        if self.proc == self.cluster.broker.proc:
            self.cluster.deliver(self.id, text, buffers)
        else:
            self.cluster.outgoing(self.proc, self.id, text, buffers)

    def __repr__(self) -> str:
        return f"<PageRef {self.proc}/{self.id[:8]}>"


class LeaderHub(AppHub):
    """The app hub of the leading process: an :class:`AppHub` whose pages are :class:`PageRef`\\ s,
    and which notes the models that changed (their state is saved after each batch)."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        super().__init__(tracebacks=cluster.server.tracebacks)

    def publish(self, msg: dict[str, Any], views: Sequence[memoryview]) -> None:
        comm_id = msg.get("comm_id")
        if isinstance(comm_id, str):
            self.cluster.changed(comm_id)
        super().publish(msg, views)


class Cluster:
    """The app widgets across processes (see the module docstring). The endpoint uses it as it
    uses an :class:`AppHub`: ``attach``, ``handle``, ``owns``, ``detach``."""

    def __init__(self, server: WidgetServer, broker: Broker) -> None:
        self.server, self.broker = server, broker
        self.hub: LeaderHub | None = None
        """The app widgets, while this process leads."""
        self.leader: str | None = None
        self.was_leader = False
        self.given: dict[str, set[str]] = {}
        """Per page id, the app models this process delivered to it (all it may address)."""
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pending: deque[tuple[bytes, Page | None, dict[str, Any] | None]] = deque()
        self._pending_bytes = 0
        self.forwarded = 0
        """How many messages this process has queued for the leader, and how many are in Redis (or
        refused): a page is saved only once what it forwarded is in Redis (:mod:`.page_store`)."""
        self.sent = 0
        self._wake = asyncio.Event()
        self._lock = threading.Lock()
        self._out: dict[str, list[tuple[str, str, list[bytes]]]] = {}
        self._out_bytes = 0
        self._dirty: set[str] = set()
        self._flush_lock = asyncio.Lock()
        self._flush_due = False
        self.cursor: str | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._leader_seen = False
        self._vacant_ticks = 0
        self._refs: dict[tuple[str, str], PageRef] = {}
        """The leader's pages, by process and page id."""
        broker.subscribe(broker.key("to", broker.proc), self._received)
        broker.on_health(self._health)

    @property
    def kernel(self) -> Any:
        return self.hub.kernel if self.hub is not None else None

    def start(self) -> None:
        """(The event loop.) Start sending and leading."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
            self._wake = asyncio.Event()
            self._flush_lock = asyncio.Lock()
            self._tasks = [asyncio.create_task(self._send_loop()), asyncio.create_task(self._lease_loop())]

    # -- what the endpoint calls (a pool thread, or the event loop) --------------------
    def attach(self, page: Page, key: str, target: str, kwargs: dict[str, Any], *, issued: float = 0.0) -> None:
        """Show the app widget ``key`` on ``page`` (the leader makes it if it has none)."""
        self._forward({"op": "create", "key": key, "target": target, "kwargs": kwargs, "issued": issued}, page)

    def handle(self, page: Page, kind: str, msg: dict[str, Any], buffers: Sequence[Buffer]) -> None:
        """A page's checked message to an app model it was given."""
        self._forward({"op": "msg", "kind": kind, "msg": msg}, page, [bytes(b) for b in buffers], msg=msg)

    def owns(self, page: Page, comm_id: str) -> bool:
        return comm_id in self.given.get(page.id, ())

    def detach(self, page: Page, comm_id: str | None = None) -> None:
        """Stop sending ``comm_id`` (or every app model) to ``page``."""
        if comm_id is None:
            if self.given.pop(page.id, None) is not None:
                self._forward({"op": "detach"}, page)
            return
        self.given.get(page.id, set()).discard(comm_id)
        self._forward({"op": "close", "comm_id": comm_id}, page)

    def adopt(self, page: Page, comms: Sequence[str]) -> None:
        """A page moved here from another process: it holds these app models; have the leader
        send them here from now on."""
        if comms:
            self.given[page.id] = set(comms)
            self._forward({"op": "resync", "comms": list(comms), "state": False}, page)

    # -- to the leader ----------------------------------------------------------------
    def _forward(self, envelope: dict[str, Any], page: Page, buffers: Sequence[bytes] = (),
                 *, msg: dict[str, Any] | None = None) -> None:
        """(Any thread.) Queue one message for the leader, in order."""
        envelope = {**envelope, "proc": self.broker.proc, "page": page.id}
        entry = (pack(envelope, list(buffers)), page, msg)
        if self.loop is None:
            raise RuntimeError("[fh-anywidget] the broker's cluster was used before it started")
        with self._lock:  # numbered in the order they reach the queue
            self.forwarded += 1
            if _on_loop(self.loop):
                self._queue(entry)
            else:
                self.loop.call_soon_threadsafe(self._queue, entry)

    def _queue(self, entry: tuple[bytes, Page | None, dict[str, Any] | None]) -> None:
        data, page, msg = entry
        if self._pending_bytes + len(data) > HELD_MAX_BYTES and msg is not None and page is not None:
            log.warning("[fh-anywidget] holding over %d bytes of changes for app widgets while the broker is down; "
                        "refused one from page %s", HELD_MAX_BYTES, page.id[:8])
            self.server._refuse(page, msg, "the server cannot reach its broker (Redis) and holds as many changes as it "
                                          "may already; this change was not applied (try again when the notice is gone)")
            self.sent += 1
            return
        self._pending.append(entry)
        self._pending_bytes += len(data)
        self._wake.set()

    async def _send_loop(self) -> None:
        stream = self.broker.key("in")
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending and self.broker.up:
                batch = [self._pending[i] for i in range(min(len(self._pending), READ_COUNT))]

                async def add(r: Any, batch: list[Any] = batch) -> Any:
                    pipe = r.pipeline(transaction=False)
                    for data, _, _ in batch:
                        pipe.xadd(stream, {"m": data}, maxlen=STREAM_MAX, approximate=True)
                    return await pipe.execute()

                try:
                    await self.broker.call(add)
                except Exception:  # noqa: BLE001 - down: held, sent when it is back
                    break
                for _ in batch:
                    data, _, _ = self._pending.popleft()
                    self._pending_bytes -= len(data)
                self.sent += len(batch)
                if self.server.store is not None:
                    self.server.store.poke()

    # -- from the leader: this process's channel ----------------------------------------
    def _received(self, data: bytes) -> None:
        header, buffers = unpack(data)
        texts = header["texts"]
        at = 0
        for page_id, index, n in header["items"]:
            self.deliver(page_id, texts[index], [memoryview(b) for b in buffers[at:at + n]])
            at += n

    def deliver(self, page_id: str, text: str, buffers: Sequence[memoryview]) -> None:
        """Send one of the leader's messages to a page of this process (if it is still here),
        noting the models it is given or loses."""
        page = self.server.pages.get(page_id)
        if page is None:
            return
        if text.startswith(_OPEN_PREFIX):
            comm_id = text[len(_OPEN_PREFIX):text.index('"', len(_OPEN_PREFIX))]
            self.given.setdefault(page_id, set()).add(comm_id)
            if self.server.store is not None:
                self.server.store.touched(page)
        elif text.startswith(_CLOSE_PREFIX):
            self.given.get(page_id, set()).discard(text[len(_CLOSE_PREFIX):text.index('"', len(_CLOSE_PREFIX))])
        page.send(text, buffers)

    def _health(self, up: bool) -> None:
        if up:
            self._wake.set()
            self._resync_all()

    def _resync_all(self) -> None:
        """Ask the leader for the current state of every app model this process's pages show
        (and tell it where they are): after Redis was down, or a new leader."""
        for page_id, comms in list(self.given.items()):
            page = self.server.pages.get(page_id)
            if page is not None and comms:
                envelope = {"op": "resync", "comms": sorted(comms), "state": True, "proc": self.broker.proc, "page": page_id}
                with self._lock:
                    self.forwarded += 1
                    self._queue((pack(envelope), page, None))

    # -- leading ------------------------------------------------------------------------
    async def _lease_loop(self) -> None:
        lease = self.broker.key("leader")
        while True:
            await asyncio.sleep(LEASE_TICK_SECONDS)
            if not self.broker.up:
                continue
            try:
                if self.hub is not None:
                    kept = await self.broker.call(lambda r: r.eval(_RENEW, 1, lease, self.broker.proc, LEASE_MS))
                    if kept == 2:
                        await self._lead(again=True)
                    elif kept == 0:
                        await self._step_down()
                    continue
                current = await self.broker.call(lambda r: r.get(lease))
                if current is None:
                    self._vacant_ticks += 1
                    if self._may_lead() or self._vacancy_is_long():
                        if await self.broker.call(lambda r: r.set(lease, self.broker.proc, nx=True, px=LEASE_MS)):
                            await self._lead(again=False)
                    continue
                self._vacant_ticks = 0
                self._leader_seen = True
                leader = current.decode()
                if leader != self.leader:
                    changed = self.leader is not None
                    self.leader = leader
                    if changed:
                        log.info("[fh-anywidget] app widgets now led by process %s", leader)
                        self._resync_all()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis down: the broker says so; try at the next tick
                if not self.broker.up:
                    continue
                log.exception("[fh-anywidget] the app widgets' lease could not be checked")

    def _may_lead(self) -> bool:
        """Whether to take a vacant lease at once: this process led before (Redis restarted and
        lost the lease: the widgets are here, and it saves them again), or it has seen no leader
        yet (the app starts) and Redis has not just restarted."""
        return self.was_leader or (not self._leader_seen and not self._restarted_lately())

    def _vacancy_is_long(self) -> bool:
        """Whether another process may take the vacant lease now: soon after the leader died (its
        widgets' state is in Redis), but after Redis restarted (it lost that state) only once
        the last leader, which still holds the widgets, had VACANT_WAIT_MS to come back."""
        return self._vacant_ticks > 2 and not self._restarted_lately()

    def _restarted_lately(self) -> bool:
        restarted = self.broker.restarted_at
        return restarted is not None and (time.monotonic() - restarted) * 1000 < VACANT_WAIT_MS

    async def _lead(self, *, again: bool) -> None:
        """This process now leads: make the app widgets from Redis (or, ``again``, save ours there:
        Redis restarted and lost them), then read the stream."""
        self.leader, self.was_leader, self._leader_seen = self.broker.proc, True, True
        loop = asyncio.get_running_loop()
        if self.hub is None:
            records = await self.broker.call(lambda r: r.hgetall(self.broker.key("app")))
            cursor = await self.broker.call(lambda r: r.get(self.broker.key("cursor")))
            hub = await loop.run_in_executor(None, self._rebuild, records)
            self.cursor = cursor.decode() if cursor else "0-0"
            self.hub = hub
            log.info("[fh-anywidget] process %s leads the app widgets (%d made again from the broker)",
                     self.broker.proc, len(hub.kernel.widgets))
            self._tasks.append(asyncio.create_task(self._read_loop(hub)))
        elif again:
            if not await self.broker.call(lambda r: r.exists(self.broker.key("cursor"))):
                self.cursor = "0-0"  # a new stream: what the others replay after the restart
                with self._lock:
                    for comm_ids in self.hub.kernel.groups.values():
                        self._dirty.update(comm_ids)
                log.warning("[fh-anywidget] the broker lost the app widgets' state (a Redis restart?); saving it again")
                self._flush_soon()
        self._resync_all()

    def _rebuild(self, records: dict[bytes, bytes]) -> LeaderHub:
        hub = LeaderHub(self)
        with hub.lock:
            for key, data in records.items():
                try:
                    record, buffers = unpack(data)
                    rebuild(hub.kernel, record, buffers)
                except Exception:  # noqa: BLE001 - one widget that cannot be made must not stop the others
                    log.exception("[fh-anywidget] could not make the app widget %r again from the broker", key.decode())
        with self._lock:
            self._dirty.clear()
        return hub

    async def _step_down(self) -> None:
        hub, self.hub = self.hub, None
        log.warning("[fh-anywidget] process %s lost the app widgets' lease to another process", self.broker.proc)
        if hub is not None:
            with hub.lock:  # quietly: the pages keep their models, which the new leader serves
                for comm in list(hub.kernel.manager.comms.values()):
                    ipywidgets_api.mark_closed_by_page(comm)
                hub.kernel.close()

    async def _read_loop(self, hub: LeaderHub) -> None:
        stream = self.broker.key("in")
        loop = asyncio.get_running_loop()
        while self.hub is hub:
            if not self.broker.up:
                await asyncio.sleep(LEASE_TICK_SECONDS)
                continue
            try:
                got = await self.broker.call(lambda r: r.xread({stream: self.cursor or "0-0"}, count=READ_COUNT, block=500))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - down: wait for it
                await asyncio.sleep(LEASE_TICK_SECONDS)
                continue
            entries = [e for _, es in got or [] for e in es]
            if not entries:
                continue
            records = await loop.run_in_executor(self.server.runner.executor, self._handle_all, hub, entries)
            self.cursor = entries[-1][0].decode()
            await self._flush(records)

    def _handle_all(self, hub: LeaderHub, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> dict[str, bytes]:
        """(A pool thread.) Handle a batch of the stream, in order; the records of the widgets it changed."""
        for _, fields in entries:
            try:
                envelope, buffers = unpack(fields[b"m"])
                self._handle(hub, envelope, buffers)
            except Exception:  # noqa: BLE001 - one bad entry must not stop the stream
                log.exception("[fh-anywidget] an app widget message from the broker could not be handled")
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        return self._records(hub, dirty) if dirty else {}

    def _handle(self, hub: LeaderHub, envelope: dict[str, Any], buffers: list[bytes]) -> None:
        ref = self._ref(hub, envelope["proc"], envelope["page"])
        op = envelope.get("op")
        if op == "create":
            issued = envelope.get("issued")
            hub.attach(ref, envelope["key"], envelope["target"], envelope.get("kwargs") or {},
                       issued=float(issued) if isinstance(issued, (int, float)) else 0.0)
        elif op == "msg":
            msg = envelope["msg"]
            comm_id = msg.get("comm_id")
            if isinstance(comm_id, str) and comm_id in hub.kernel.manager.comms:
                hub.subscribers.setdefault(comm_id, set()).add(ref)  # the page's process checked it was given
            hub.handle(ref, envelope["kind"], msg, [memoryview(b) for b in buffers])
        elif op == "close":
            hub.detach(ref, envelope.get("comm_id"))
        elif op == "detach":
            hub.detach(ref)
            self._refs.pop((ref.proc, ref.id), None)
        elif op == "resync":
            self._resync_page(hub, ref, envelope.get("comms") or [], state=bool(envelope.get("state")))

    def _resync_page(self, hub: LeaderHub, ref: PageRef, comms: list[str], *, state: bool) -> None:
        with hub.lock:
            for other in [r for r in self._refs.values() if r.id == ref.id and r is not ref]:
                hub.detach(other)  # the page moved: not to its old process any more
                self._refs.pop((other.proc, other.id), None)
            for comm_id in comms:
                if comm_id in hub.kernel.manager.comms:
                    hub.subscribers.setdefault(comm_id, set()).add(ref)
        if state:
            for comm_id in comms:
                if comm_id in hub.kernel.manager.comms:
                    hub.handle(ref, P.COMM_MSG, {"type": P.COMM_MSG, "comm_id": comm_id,
                                                 "data": {"method": P.REQUEST_STATE}}, [])

    def _ref(self, hub: LeaderHub, proc: str, page_id: str) -> PageRef:
        ref = self._refs.get((proc, page_id))
        if ref is None:
            ref = self._refs[(proc, page_id)] = PageRef(self, proc, page_id)
        return ref

    # -- the leader's answers, out ------------------------------------------------------
    def changed(self, comm_id: str) -> None:
        with self._lock:
            self._dirty.add(comm_id)

    def outgoing(self, proc: str, page_id: str, text: str, buffers: Sequence[memoryview]) -> None:
        """(Any thread.) One message for a page of another process: sent at the next flush."""
        payload = [bytes(b) for b in buffers]
        with self._lock:
            self._out.setdefault(proc, []).append((page_id, text, payload))
            self._out_bytes += len(text) + sum(len(b) for b in payload)
            if self._out_bytes > HELD_MAX_BYTES:  # Redis is down: the pages ask for the state when it is back
                log.warning("[fh-anywidget] over %d bytes of app widget messages wait for the broker; dropped them",
                            HELD_MAX_BYTES)
                self._out, self._out_bytes = {}, 0
        self._flush_soon()

    def _flush_soon(self) -> None:
        loop = self.loop
        if loop is None or self._flush_due:
            return
        self._flush_due = True
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._flush()))

    async def _flush(self, records: dict[str, bytes] | None = None) -> None:
        """Publish what the leader sent to other processes' pages, and save, in one transaction,
        the state of the widgets that changed (``records``, taken by the batch's thread; others
        are taken here) and how far in the stream the leader is."""
        async with self._flush_lock:
            self._flush_due = False
            hub = self.hub
            if hub is None:
                return
            with self._lock:
                out, self._out, self._out_bytes = self._out, {}, 0
                dirty, self._dirty = self._dirty, set()
            records = dict(records or {})
            if dirty:
                records.update(await asyncio.get_running_loop().run_in_executor(None, self._records, hub, dirty))
            cursor = self.cursor
            if not out and not records and cursor is None:
                return

            async def write(r: Any) -> Any:
                pipe = r.pipeline(transaction=True)
                for proc, items in out.items():
                    pipe.publish(self.broker.key("to", proc), _pack_items(items))
                if records:
                    pipe.hset(self.broker.key("app"), mapping=records)
                if cursor is not None:
                    pipe.set(self.broker.key("cursor"), cursor)
                return await pipe.execute()

            try:
                await self.broker.call(write)
            except Exception:  # noqa: BLE001 - down: save again when it is back; the pages ask for state then
                with self._lock:
                    self._dirty |= {c for key in records for c in hub.kernel.groups.get(key, [])} | dirty

    def _records(self, hub: LeaderHub, dirty: set[str]) -> dict[str, bytes]:
        with hub.lock:
            keys = {key for key, comm_ids in hub.kernel.groups.items() if dirty.intersection(comm_ids)}
            records = {}
            for key in keys:
                made = record_of(hub.kernel, key)
                if made is not None:
                    records[key] = pack(*made)
            return records

    async def stop(self) -> None:
        await cancel(self._tasks)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _pack_items(items: list[tuple[str, str, list[bytes]]]) -> bytes:
    """One message for a process: the texts once each (an update sent to many pages), and per
    item its page, its text and how many buffers follow."""
    texts: dict[str, int] = {}
    rows, buffers = [], []
    for page_id, text, own in items:
        rows.append([page_id, texts.setdefault(text, len(texts)), len(own)])
        buffers += own
    return pack({"items": rows, "texts": list(texts)}, buffers)

