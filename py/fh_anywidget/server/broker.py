"""The broker: this process's link to Redis (or Valkey), which several server processes of one app
share (``AnyWidgetHost(app, broker="redis://...")`` or ``FHAW_BROKER``). It knows whether Redis is
up, keeps this process's subscriptions (re-made after every reconnect), and packs messages with
their binary buffers into one Redis value. What is stored and why is :mod:`.cluster`'s and
:mod:`.page_store`'s business; this module only talks to Redis.

Redis is on the trusted side, like the app's secret: a page never writes to it directly, and
every process of the app trusts what another one put there. Keep it on a private network.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

log = logging.getLogger("fh_anywidget")

TICK_SECONDS = 0.25
"""How often the broker checks Redis (a PING) and, while it is down, tries again."""
PING_TIMEOUT_SECONDS = 3.0

_LEN = struct.Struct(">I")


def pack(header: Any, buffers: Sequence[bytes | memoryview] = ()) -> bytes:
    """One Redis value: the JSON of ``header``, then each buffer, each part after its length."""
    head = json.dumps(header, separators=(",", ":")).encode()
    parts = [_LEN.pack(len(head)), head, _LEN.pack(len(buffers))]
    for b in buffers:
        parts += [_LEN.pack(len(b)), bytes(b)]
    return b"".join(parts)


def unpack(data: bytes) -> tuple[Any, list[bytes]]:
    """``(header, buffers)`` of what :func:`pack` made; ValueError if ``data`` is not that."""
    try:
        (n,) = _LEN.unpack_from(data, 0)
        header = json.loads(data[4:4 + n])
        at = 4 + n
        (count,) = _LEN.unpack_from(data, at)
        at += 4
        buffers = []
        for _ in range(count):
            (size,) = _LEN.unpack_from(data, at)
            if at + 4 + size > len(data):
                raise ValueError(f"a buffer of {size} bytes runs past the end")
            buffers.append(data[at + 4:at + 4 + size])
            at += 4 + size
        if at != len(data):
            raise ValueError(f"{len(data) - at} bytes after the last buffer")
    except (struct.error, ValueError, UnicodeError) as exc:
        raise ValueError(f"[fh-anywidget] a broker value is not one fh-anywidget packed: {exc}") from None
    return header, buffers


def broker_url_problem(url: object) -> str | None:
    """Why ``url`` cannot be a broker URL, or None."""
    if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://", "valkey://", "valkeys://")):
        return (f"broker {url!r} is not a Redis URL; pass e.g. broker='redis://localhost:6379/0' (or set FHAW_BROKER), "
                "or leave it out to run on one process")
    return None


def several_processes() -> str | None:
    """What says this process is one of several serving the app, or None: ``WEB_CONCURRENCY`` over
    1 (read by uvicorn and gunicorn), or a parent started with ``--workers N`` / ``-w N`` over 1."""
    concurrency = os.environ.get("WEB_CONCURRENCY", "")
    if concurrency.isdigit() and int(concurrency) > 1:
        return f"WEB_CONCURRENCY={concurrency} says this app runs on {concurrency} processes"
    try:
        with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
            args = f.read().decode(errors="replace").split("\0")
    except OSError:
        return None
    for flag, value in zip(args, args[1:]):
        if flag in ("--workers", "-w") and value.isdigit() and int(value) > 1:
            return f"this process is one of {value} workers ({flag} {value})"
        if flag.startswith("--workers=") and flag[10:].isdigit() and int(flag[10:]) > 1:
            return f"this process is one of {flag[10:]} workers ({flag})"
    return None


class Broker:
    """One process's Redis client, whether Redis is up, and its subscriptions.

    ``up`` turns true once Redis answers and every subscription is in place (so nothing published
    to this process after that is missed), and false as soon as a command or the subscription
    connection fails or a PING takes over 3 seconds. Listeners (:meth:`on_health`) hear each change,
    on the event loop; after a down they must assume they missed what was published meanwhile."""

    def __init__(self, url: str, *, namespace: str = "fhaw") -> None:
        problem = broker_url_problem(url)
        if problem:
            raise ValueError(f"[fh-anywidget] {problem}")
        self.url = url.replace("valkey", "redis", 1) if url.startswith("valkey") else url
        self.namespace = namespace
        self.proc = secrets.token_hex(6)
        """This process's id among the app's processes (new on every start)."""
        self.up = False
        self.restarted_at: float | None = None
        """When (``time.monotonic()``) this process last found Redis restarted (it lost all it held)."""
        self._run_id: str | None = None
        self.redis: Any = None
        self._channels: dict[str, Callable[[bytes], None]] = {}
        self._listeners: list[Callable[[bool], None]] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._started: asyncio.Future[None] | None = None
        self._pubsub: Any = None
        self._resubscribe: asyncio.Event | None = None  # made on the loop, in start()

    def key(self, *parts: str) -> str:
        """A Redis key in this app's namespace: ``fhaw:<parts>``."""
        return ":".join([self.namespace, *parts])

    def subscribe(self, channel: str, handler: Callable[[bytes], None]) -> None:
        """Call ``handler(data)`` (on the event loop) for each message published to ``channel``."""
        self._channels[channel] = handler  # the subscription loop subscribes it at its next turn

    def on_health(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(up)`` (on the event loop) each time Redis goes down or comes back."""
        self._listeners.append(listener)

    async def start(self, *, wait_seconds: float = 2.0) -> None:
        """Connect (once per process); wait up to ``wait_seconds`` for Redis to answer."""
        if self._started is None:
            import redis.asyncio as aioredis  # noqa: PLC0415 - the optional extra fh-anywidget[redis]
            from redis.asyncio.retry import Retry  # noqa: PLC0415
            from redis.backoff import NoBackoff  # noqa: PLC0415

            # no retries inside the client: an outage must show at once, and the callers hold or refuse
            self.redis = aioredis.Redis.from_url(self.url, socket_connect_timeout=1.0, socket_timeout=5.0,
                                                 retry=Retry(NoBackoff(), 0), health_check_interval=0)
            self._resubscribe = asyncio.Event()
            self._started = asyncio.get_running_loop().create_future()
            self._tasks = [asyncio.create_task(self._subscription_loop()), asyncio.create_task(self._ping_loop())]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._started), wait_seconds)

    async def stop(self) -> None:
        await cancel(self._tasks)
        self._tasks = []
        if self.redis is not None:
            with contextlib.suppress(Exception):
                await self.redis.aclose()

    def failed(self, exc: BaseException) -> None:
        """A caller's command failed: Redis is down until the subscription is made again."""
        if self.up:
            log.warning("[fh-anywidget] the broker (Redis at %s) failed: %s", self._where(), exc)
        self._set(False)
        if self._resubscribe is not None:
            self._resubscribe.set()

    async def call(self, command: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run ``command(redis)``; on a Redis error mark the broker down and raise it again."""
        try:
            return await command(self.redis)
        except Exception as exc:
            if _is_redis_error(exc):
                self.failed(exc)
            raise

    # -- loops ----------------------------------------------------------------------
    async def _subscription_loop(self) -> None:
        assert self._resubscribe is not None
        while True:
            pubsub = None
            try:
                # after an outage every pooled connection may be dead (a restarted Redis): new ones
                await self.redis.connection_pool.disconnect()
                pubsub = self.redis.pubsub()
                self._note_run_id((await self.redis.info("server")).get("run_id"))
                subscribed: set[str] = set()
                self._resubscribe.clear()
                while not self._resubscribe.is_set():
                    if self._channels.keys() - subscribed:  # before `up`: nothing published after it is missed
                        new = set(self._channels) - subscribed
                        await pubsub.subscribe(*new)
                        subscribed |= new
                    self._set(True)
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=TICK_SECONDS)
                    if message and message.get("type") == "message":
                        handler = self._channels.get(message["channel"].decode())
                        if handler is not None:
                            try:
                                handler(message["data"])
                            except Exception:  # noqa: BLE001 - one bad message must not stop the others
                                log.exception("[fh-anywidget] a broker message could not be handled")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis down: try again
                if not _is_redis_error(exc) and not isinstance(exc, OSError):
                    log.exception("[fh-anywidget] the broker's subscription failed")
                if self.up:
                    log.warning("[fh-anywidget] lost the broker (Redis at %s): %s; pages are told the server is "
                                "degraded, and it retries every %.2f s", self._where(), exc, TICK_SECONDS)
                self._set(False)
                await asyncio.sleep(TICK_SECONDS)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):
                        await pubsub.aclose()

    async def _ping_loop(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS * 2)
            if not self.up:
                continue
            try:
                await asyncio.wait_for(self.redis.ping(), PING_TIMEOUT_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - down: the subscription loop reconnects
                self.failed(exc)

    def _note_run_id(self, run_id: object) -> None:
        if isinstance(run_id, str):
            if self._run_id is not None and run_id != self._run_id:
                self.restarted_at = time.monotonic()
                log.warning("[fh-anywidget] the broker (Redis at %s) restarted", self._where())
            self._run_id = run_id

    def _set(self, up: bool) -> None:
        if up == self.up:
            return
        self.up = up
        if up:
            log.info("[fh-anywidget] broker connected (Redis at %s), process %s", self._where(), self.proc)
            if self._started is not None and not self._started.done():
                self._started.set_result(None)
        for listener in list(self._listeners):
            try:
                listener(up)
            except Exception:  # noqa: BLE001
                log.exception("[fh-anywidget] a broker health listener failed")

    def _where(self) -> str:
        return self.url.rsplit("@", 1)[-1]  # never a password in a log line


async def cancel(tasks: list[asyncio.Task[Any]]) -> None:
    """Cancel ``tasks`` and wait until they have stopped (a process's shutdown)."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(BaseException):
            await task


def _is_redis_error(exc: BaseException) -> bool:
    try:
        from redis.exceptions import RedisError  # noqa: PLC0415
    except ImportError:
        return False
    return isinstance(exc, (RedisError, ConnectionError, asyncio.TimeoutError))
