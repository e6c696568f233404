#!/usr/bin/env python3
"""Server-mode benchmarks (issue 4): raw protocol clients against one uvicorn process on loopback.

    .venv/bin/python scripts/bench_server.py            # prints one JSON object of rows
    .venv/bin/python scripts/bench_server.py --quick    # shorter capacity steps

Rows:
- ``ws_rtt_p50_us``: a widget round trip (update -> echo_update) over the page socket;
  ``ws_echo_p50_us``: a bare WebSocket echo on the same server, its round trips alternating with
  the widget's (so both see the same machine); ``ws_rtt_ratio`` = the two.
- ``ws_py_to_js_MBps``: a numpy buffer sent by Python (custom message) until a raw client has
  all of it (a Python client stands for the page: it measures the server and the socket).
- ``ws_capacity_pages``: the largest N of concurrent pages, each updating its widget 10 times a
  second, whose update round trip p99 stays under 50 ms; ``ws_mem_per_page_kb``: server RSS per page.
- ``ws_rtt_loop_p50_us`` / ``ws_rtt_loop_ratio``: the round trip again on a server with
  ``server_threads=0`` (the widgets' Python on the event loop: no thread hop, but a slow handler
  stalls every page). The rows above are the default, widgets in threads.
- ``broker_cross_process_p50_us`` / ``_p99_us``: with a broker (a redis-server on loopback) and
  two processes, a set of a ``scope="app"`` widget by a page on process A until a page on
  process B has it.
- ``broker_capacity_pages``: ``ws_capacity_pages`` again with the broker, by number of processes
  (1, 2, 4; the pages spread over them as a balancer would): 1 against ``ws_capacity_pages`` is
  the broker's cost on one process.

Everything stays on 127.0.0.1; every loop is bounded in count and time. Call :func:`run` from
another script (scripts/bench) to get the rows as a dict.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from html import unescape
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RATE_HZ = 10
P99_LIMIT_MS = 50.0
STEPS = (10, 25, 50, 100, 200, 300, 400)
MAX_PAGES = 400


# -- the server under test (run as a subprocess: python bench_server.py --serve PORT) -----------

def serve(port: int, threads: int, broker: str | None = None) -> None:
    import anywidget  # noqa: PLC0415
    import numpy as np  # noqa: PLC0415
    import traitlets  # noqa: PLC0415
    import uvicorn  # noqa: PLC0415
    from fasthtml.common import Div, fast_app  # noqa: PLC0415
    from starlette.routing import WebSocketRoute  # noqa: PLC0415

    sys.path.insert(0, str(ROOT / "py"))
    from fh_anywidget import AnyWidgetHost  # noqa: PLC0415

    class Bench(anywidget.AnyWidget):
        _esm = "export default { render() {} };\n"
        value = traitlets.Int(0).tag(sync=True)

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.on_msg(self._on_msg)

        def _on_msg(self, _w: Any, content: dict[str, Any], _b: list[memoryview]) -> None:
            if content.get("op") == "blob":
                data = np.arange(int(content["bytes"]) // 8, dtype=np.float64)
                self.send({"op": "blob"}, buffers=[data.tobytes()])

    sys.modules["__main__"].Bench = Bench  # type: ignore[attr-defined]  # importable as __main__:Bench
    Bench.__module__, Bench.__qualname__ = "__main__", "Bench"
    app, rt = fast_app(default_hdrs=False, pico=False, secret_key="bench", key_fname=os.devnull)
    host = AnyWidgetHost(app, dist_dir=ROOT / "build" / "pyodide-bench", server_threads=threads,  # no dist used
                         broker=broker)

    @rt("/")
    def index():
        return Div(host.widget(Bench, mode="server"))

    @rt("/shared")
    def shared():
        return Div(host.widget(Bench, mode="server", scope="app", key="shared"))

    async def echo(ws):
        await ws.accept()
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            await ws.send_text(msg["text"])

    app.router.routes.insert(0, WebSocketRoute("/echo", echo))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", ws_max_size=64 * 1024 * 1024)


# -- clients --------------------------------------------------------------------------------

class Client:
    """One page: its session cookie, its widget's grant, its socket."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.queued: list[tuple[dict[str, Any], list[bytes]]] = []

    async def open(self, path: str = "/") -> Client:
        import httpx  # noqa: PLC0415
        from websockets.asyncio.client import connect  # noqa: PLC0415

        async with httpx.AsyncClient() as http:
            r = await http.get(self.base + path)
            spec = json.loads(unescape(re.search(r"data-fh-anywidget='([^']*)'", r.text).group(1)))
            cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
        self.ws = await connect(self.base.replace("http", "ws") + "/_fhaw/ws", origin=self.base,
                                additional_headers={"cookie": cookie}, max_size=None, compression=None)
        await self.recv()  # ready
        await self.send({"type": "create", "key": spec["key"], "target": spec["target"], "kwargs": {}, "grant": spec["grant"]})
        while True:
            msg, _ = await self.recv()
            if msg["type"] == "created":
                self.model = msg["model_id"]
                break
        self.seq = 0
        return self

    async def send(self, msg: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(msg))

    async def recv(self) -> tuple[dict[str, Any], list[bytes]]:
        """The next message and its buffers; a text frame holds one message or an array of them."""
        if not self.queued:
            parsed = json.loads(await self.ws.recv())
            for msg in parsed if isinstance(parsed, list) else [parsed]:
                self.queued.append((msg, [await self.ws.recv() for _ in range(msg.pop("nbuffers", 0))]))
        return self.queued.pop(0)

    async def round_trip(self) -> float:
        """One update until its echo_update; seconds."""
        self.seq += 1
        t0 = time.perf_counter()
        await self.send({"type": "comm_msg", "comm_id": self.model, "seq": self.seq,
                         "data": {"method": "update", "state": {"value": self.seq}, "buffer_paths": []}})
        while True:
            msg, _ = await self.recv()
            if msg.get("parent") == self.seq and msg["data"]["method"] == "echo_update":
                return time.perf_counter() - t0


async def rtt_rows(base: str, n: int = 2000) -> dict[str, float]:
    from websockets.asyncio.client import connect  # noqa: PLC0415

    page = await Client(base).open()
    async with connect(base.replace("http", "ws") + "/echo", compression=None) as ws:
        payload = json.dumps({"type": "comm_msg", "comm_id": page.model, "seq": 1,
                              "data": {"method": "update", "state": {"value": 1}, "buffer_paths": []}})

        async def echo() -> float:
            t0 = time.perf_counter()
            await ws.send(payload)
            await ws.recv()
            return time.perf_counter() - t0

        # widget and bare round trips alternate, so that both see the same machine
        widget, bare = [], []
        for i in range(n + 100):
            w, e = await page.round_trip(), await echo()
            if i >= 100:
                widget.append(w)
                bare.append(e)
    # throughput: Python -> client, a 16 MiB numpy buffer, best of 5
    size = 16 * 1024 * 1024
    best = 0.0
    for _ in range(5):
        t0 = time.perf_counter()
        await page.send({"type": "comm_msg", "comm_id": page.model, "seq": 0,
                         "data": {"method": "custom", "content": {"op": "blob", "bytes": size}}})
        while True:
            msg, buffers = await page.recv()
            if msg["type"] == "comm_msg" and msg["data"]["method"] == "custom":
                break
        assert len(buffers[0]) == size
        best = max(best, size / (time.perf_counter() - t0) / 1e6)
    await page.ws.close()
    w50, e50 = statistics.median(widget) * 1e6, statistics.median(bare) * 1e6
    return {"ws_rtt_p50_us": round(w50, 1), "ws_echo_p50_us": round(e50, 1), "ws_rtt_ratio": round(w50 / e50, 2),
            "ws_py_to_js_MBps": round(best, 1)}


async def cross_process_rows(base_a: str, base_b: str, n: int) -> dict[str, float]:
    """A page on A sets the shared widget; the time until a page on B has that value."""
    a, b = await Client(base_a).open("/shared"), await Client(base_b).open("/shared")
    samples = []
    for i in range(n + 50):
        t0 = time.perf_counter()
        await a.send({"type": "comm_msg", "comm_id": a.model, "seq": i + 1,
                      "data": {"method": "update", "state": {"value": 10_000 + i}, "buffer_paths": []}})
        while True:
            msg, _ = await b.recv()
            if msg["type"] == "comm_msg" and msg["data"].get("state", {}).get("value") == 10_000 + i:
                break
        if i >= 50:
            samples.append(time.perf_counter() - t0)
        while a.queued or await _pending(a):  # A's own echo, so that both start even
            await a.recv()
    await a.ws.close()
    await b.ws.close()
    samples.sort()
    return {"broker_cross_process_p50_us": round(statistics.median(samples) * 1e6, 1),
            "broker_cross_process_p99_us": round(samples[int(0.99 * (len(samples) - 1))] * 1e6, 1)}


async def _pending(client: Client) -> bool:
    try:
        parsed = json.loads(await asyncio.wait_for(client.ws.recv(), 0.05))
    except asyncio.TimeoutError:
        return False
    for msg in parsed if isinstance(parsed, list) else [parsed]:
        client.queued.append((msg, [await client.ws.recv() for _ in range(msg.pop("nbuffers", 0))]))
    return True


async def load_step(base: str, pages: list[Client], seconds: float) -> list[float]:
    """Every page updates RATE_HZ times a second for ``seconds``; all round trips, in seconds."""
    samples: list[float] = []

    async def one(page: Client, offset: float) -> None:
        await asyncio.sleep(offset)
        start = time.perf_counter()
        k = 0
        while time.perf_counter() - start < seconds:
            samples.append(await page.round_trip())
            k += 1
            await asyncio.sleep(max(0.0, start + k / RATE_HZ - time.perf_counter()))

    await asyncio.gather(*(one(p, i / len(pages) / RATE_HZ) for i, p in enumerate(pages)))
    return samples


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def capacity_rows(base: str | list[str], pid: int, steps: tuple[int, ...], seconds: float) -> dict[str, Any]:
    """``base``: one server, or several processes the pages spread over, round robin."""
    bases = base if isinstance(base, list) else [base]
    pages: list[Client] = []
    best, table, mem_per_page = 0, [], None
    rss0 = rss_kb(pid)
    try:
        for n in steps:
            while len(pages) < min(n, MAX_PAGES):
                pages.append(await Client(bases[len(pages) % len(bases)]).open())
            if mem_per_page is None or len(pages) >= 100:
                mem_per_page = (rss_kb(pid) - rss0) / len(pages)
            if n == steps[0]:
                await load_step(bases[0], pages, 1.0)  # warm-up, not measured (imports, the broker's lease)
            samples = sorted(await load_step(bases[0], pages, seconds))
            p99 = samples[int(0.99 * (len(samples) - 1))] * 1000
            table.append({"pages": n, "p50_ms": round(statistics.median(samples) * 1000, 2), "p99_ms": round(p99, 2)})
            if p99 >= P99_LIMIT_MS:
                break
            best = n
    finally:
        for p in pages:
            await p.ws.close()
    return {"ws_capacity_pages": best, "ws_mem_per_page_kb": round(mem_per_page or 0, 1), "ws_capacity_steps": table}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Debian's redis-server on a free loopback port, without persistence: its URL."""
    import shutil  # noqa: PLC0415
    import tempfile  # noqa: PLC0415

    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("the broker rows need redis-server (apt-get install redis-server)")
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        redis = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                  "--dir", tmp], stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                time.sleep(0.1)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            redis.terminate()
            redis.wait(timeout=10)


@contextlib.contextmanager
def server_process(threads: int, broker: str | None = None) -> Iterator[tuple[str, int]]:
    """A bench server on a free loopback port, with ``server_threads=threads`` (and the broker,
    if given): (base URL, pid)."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), "--threads", str(threads),
                               *(["--broker", broker] if broker else [])], cwd=ROOT)
    try:
        import httpx  # noqa: PLC0415

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(*, quick: bool = False) -> dict[str, Any]:
    """Start the servers on free loopback ports, measure, stop them; the rows as a dict."""
    n = 500 if quick else 2000
    with server_process(8) as (base, pid):
        rows = asyncio.run(rtt_rows(base, n))
        steps = STEPS[:4] if quick else STEPS
        rows.update(asyncio.run(capacity_rows(base, pid, steps, 3.0 if quick else 5.0)))
    with server_process(0) as (base, _):
        loop = asyncio.run(rtt_rows(base, n))
    rows["ws_rtt_loop_p50_us"], rows["ws_rtt_loop_ratio"] = loop["ws_rtt_p50_us"], loop["ws_rtt_ratio"]
    rows.update(broker_rows(quick=quick))
    return rows


def broker_rows(*, quick: bool = False) -> dict[str, Any]:
    """The rows with a broker: cross-process latency, and capacity by number of processes."""
    steps = STEPS[:4] if quick else STEPS
    rows: dict[str, Any] = {}
    with redis_server() as url, contextlib.ExitStack() as stack:
        (a, _), (b, _) = (stack.enter_context(server_process(8, url)) for _ in range(2))
        rows.update(asyncio.run(cross_process_rows(a, b, 200 if quick else 1000)))
    capacity, tables = {}, {}
    for n in (1, 2, 4):
        with redis_server() as url, contextlib.ExitStack() as stack:
            servers = [stack.enter_context(server_process(8, url)) for _ in range(n)]
            got = asyncio.run(capacity_rows([base for base, _ in servers], servers[0][1], steps, 3.0 if quick else 5.0))
            capacity[n], tables[n] = got["ws_capacity_pages"], got["ws_capacity_steps"]
    rows["broker_capacity_pages"] = capacity
    rows["broker_capacity_steps"] = tables
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=8, help=argparse.SUPPRESS)
    parser.add_argument("--broker", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer samples and capacity steps")
    parser.add_argument("--broker-only", action="store_true", help="only the rows with a broker (redis-server)")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.threads, args.broker)
    elif args.broker_only:
        print(json.dumps(broker_rows(quick=args.quick), indent=2))
    else:
        print(json.dumps(run(quick=args.quick), indent=2))
