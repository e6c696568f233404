"""A throttling proxy for scripts/bench_network.py: a second way to put a cold visit on a slow link.

Chromium's DevTools emulation (the first way) delays each request by the round trip and shares the
throughput among requests, but it also costs time of its own: with it on at 10 Gbit/s and no added
latency, the bench's 4.4 MB snapshot still takes about 0.9 s to arrive on this machine, 0.3 s
without it. This proxy is a link as the network has it: one bottleneck each way, shared fairly by
the connections that have bytes to send (round robin, 16 KB at a time), half the round trip of
propagation each way, and one round trip before a new connection carries anything (the TCP
handshake). The browser's network stack then receives and decodes at its own pace, as it would.
It runs in a thread of its own, on 127.0.0.1, in front of the bench server.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Iterator

CHUNK = 16 * 1024


class _Direction:
    """One way of the link: the connections with bytes waiting, served in turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop, bytes_per_s: float, one_way_s: float) -> None:
        self.loop, self.rate, self.delay = loop, bytes_per_s, one_way_s
        self.waiting: deque[_Flow] = deque()
        self.wake = asyncio.Event()
        loop.create_task(self._send())

    async def _send(self) -> None:
        clock = self.loop.time()  # when the link is done with what it has sent so far
        while True:
            if not self.waiting:
                self.wake.clear()
                await self.wake.wait()
                clock = max(clock, self.loop.time())  # it was idle: it starts sending now
                continue
            flow = self.waiting.popleft()
            chunk = flow.take()
            if flow.pending():
                self.waiting.append(flow)
            # on the wire until `clock`, kept as an absolute time: a wake-up this thread gets late
            # (the machine is busy) is made up by the next chunks, as a link sending all along would
            clock += len(chunk) / self.rate
            self.loop.call_at(clock + self.delay, flow.deliver, chunk)  # then the propagation
            if clock > self.loop.time():
                await asyncio.sleep(clock - self.loop.time())

    def ready(self, flow: _Flow) -> None:
        if flow not in self.waiting:
            self.waiting.append(flow)
            self.wake.set()


class _Flow:
    """One connection's bytes one way: read as they come, sent through the link, then written;
    closed (its write side) once the last byte is through."""

    def __init__(self, way: _Direction, writer: asyncio.StreamWriter) -> None:
        self.way, self.writer = way, writer
        self.buffer: deque[bytes] = deque()
        self.in_flight = 0
        self.eof = False

    def pending(self) -> bool:
        return bool(self.buffer)

    def take(self) -> bytes:
        chunk = self.buffer.popleft()
        if len(chunk) > CHUNK:
            self.buffer.appendleft(chunk[CHUNK:])
            chunk = chunk[:CHUNK]
        self.in_flight += 1
        return chunk

    def deliver(self, chunk: bytes) -> None:
        self.in_flight -= 1
        if not self.writer.is_closing():
            self.writer.write(chunk)
        self._close_if_done()

    def _close_if_done(self) -> None:
        if self.eof and not self.buffer and not self.in_flight:
            with contextlib.suppress(Exception):
                if not self.writer.is_closing():
                    self.writer.write_eof()

    async def pump(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                self.buffer.append(data)
                self.way.ready(self)
        self.eof = True
        self._close_if_done()


@contextlib.contextmanager
def throttled(target_port: int, mbit: float, rtt_ms: float) -> Iterator[int]:
    """A proxy to 127.0.0.1:`target_port` over a link of `mbit` Mbit/s each way and `rtt_ms`
    round trip; yields its port."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    port: list[int] = []
    rate, one_way = mbit * 1e6 / 8, rtt_ms / 2000

    async def serve() -> asyncio.AbstractServer:
        down, up = _Direction(loop, rate, one_way), _Direction(loop, rate, one_way)

        async def connection(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(rtt_ms / 1000)  # the handshake's round trip
            try:
                server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
            except OSError:
                client_writer.close()
                return
            await asyncio.gather(_Flow(up, server_writer).pump(client_reader), _Flow(down, client_writer).pump(server_reader),
                                 return_exceptions=True)

        server = await asyncio.start_server(connection, "127.0.0.1", 0)
        port.append(server.sockets[0].getsockname()[1])
        started.set()
        return server

    def run() -> None:
        asyncio.set_event_loop(loop)
        server = loop.run_until_complete(serve())
        try:
            loop.run_forever()
        finally:
            server.close()
            loop.set_exception_handler(lambda loop, context: None)  # connections cut short at the end
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    thread = threading.Thread(target=run, name="bench-link", daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield port[0]
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
