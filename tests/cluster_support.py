"""What tests/test_server_cluster.py runs: a real redis-server (Debian's) on a free loopback port,
app processes (uvicorn, tests/cluster_app.py) sharing it, a small TCP proxy that plays the load
balancer (it can switch backends, cutting the sockets it carries), and a page's side of the
protocol that behaves as the page runtime does on a reconnect (docs/protocol.md, "Server
transport"). Everything listens on 127.0.0.1 and stops by itself; every wait is bounded."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from html import unescape
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
WAIT = 60.0
"""The longest any wait here lasts (the machine is shared: generous, never a timing assertion)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, what: str, seconds: float = WAIT, every: float = 0.05) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


class RedisServer:
    """redis-server on a free loopback port, without persistence (a restart loses everything)."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.tmp), "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._answers, f"redis-server on port {self.port}")
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


class AppProcess:
    """One uvicorn process of tests/cluster_app.py on a free loopback port."""

    def __init__(self, broker: str | None, log_file: Path, out: Path, *, namespace: str = "fhaw") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT / "py"), str(ROOT)]),
               "FHAW_TEST_LOG": str(log_file), "FHAW_TEST_NAMESPACE": namespace}
        env.pop("FHAW_BROKER", None)
        if broker:
            env["FHAW_BROKER"] = broker
        self.out = open(out, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "cluster_app:app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "info"], cwd=ROOT, env=env, stdout=self.out, stderr=subprocess.STDOUT)
        wait_until(self._answers, f"the app on port {self.port}")
        self.pid = int(httpx.get(self.base + "/pid").text)

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the app process exited with {self.process.returncode}; see {self.out.name}")
        try:
            return httpx.get(self.base + "/pid", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """As a crash: SIGKILL, nothing cleaned up."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.out.close()


class Proxy:
    """A TCP proxy on a free loopback port that forwards to one backend port at a time;
    :meth:`switch` points it at another and cuts every connection it carries (a balancer moving
    the page's socket: the page reconnects, and lands on the other process)."""

    def __init__(self, backend: int) -> None:
        self.backend = backend
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.lock = threading.Lock()
        self.open: list[socket.socket] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.backend), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self.lock:
                self.open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def switch(self, backend: int) -> None:
        with self.lock:
            self.backend = backend
            cut, self.open = self.open, []
        for s in cut:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self.switch(self.backend)


def specs(html: str) -> list[dict[str, Any]]:
    return [json.loads(unescape(m)) for m in re.findall(r"data-fh-anywidget='([^']*)'", html)]


class PageClient:
    """A page's side of the protocol, as web/page/transport-ws.js does it: its messages are
    numbered (``seq``) and kept until the server has certainly handled them; after a reconnect
    it sends again those after the ``last_seq`` that ``ready`` names, then asks every model it
    holds for its state. ``values`` keeps, per model, the last ``value`` each message carried."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = httpx.Client(base_url=base, timeout=WAIT)
        self.page_id: str | None = None
        self.seq = 0
        self.unacked: list[dict[str, Any]] = []
        self.models: set[str] = set()
        self.values: dict[str, Any] = {}
        self.history: dict[str, list[Any]] = {}
        self.customs: list[dict[str, Any]] = []
        self.errors: list[dict[str, Any]] = []
        self.degraded: list[bool] = []
        self.oseq = 0
        self.ws: Any = None
        self.ready: dict[str, Any] = {}
        self.queued: list[dict[str, Any]] = []

    def load(self, path: str = "/") -> list[dict[str, Any]]:
        return specs(self.http.get(path).text)

    def connect(self, base: str | None = None, *, fresh: bool | None = None) -> dict[str, Any]:
        """Open the socket (``base``: through another address, e.g. the proxy) and read ``ready``."""
        base = base or self.base
        fresh = self.page_id is None if fresh is None else fresh
        query = "&".join(q for q in [f"page={self.page_id}" if self.page_id else "", "fresh=1" if fresh else "",
                                     f"ack={self.oseq}" if self.oseq else ""] if q)
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.ws = connect(base.replace("http", "ws", 1) + "/_fhaw/ws" + (f"?{query}" if query else ""), origin=base,
                          additional_headers={"cookie": cookie}, max_size=None, compression=None, proxy=None,
                          open_timeout=WAIT)
        self.queued = []
        self.ready = self.until(lambda m: m["type"] == "ready")
        self.page_id = self.ready["page"]
        self.unacked = [m for m in self.unacked if m.get("seq", 0) > self.ready["last_seq"] or m["type"] == "create"]
        for msg in list(self.unacked):
            self._write(msg)
        if not fresh and self.ready["resumed"]:
            for comm_id in sorted(self.models):
                self._write({"type": "comm_msg", "comm_id": comm_id, "data": {"method": "request_state"}})
        return self.ready

    def reconnect(self, base: str | None = None, *, tries: int = 200) -> dict[str, Any]:
        """Connect again after the socket dropped, with backoff, as the page does."""
        for attempt in range(tries):
            try:
                return self.connect(base, fresh=False)
            except (OSError, ConnectionClosed, TimeoutError, AssertionError, Exception):  # noqa: BLE001
                time.sleep(min(1.0, 0.05 * (attempt + 1)))
        raise AssertionError("the page could not reconnect")

    def _write(self, msg: dict[str, Any]) -> None:
        self.ws.send(json.dumps(msg))

    def send(self, msg: dict[str, Any]) -> None:
        """Send (kept until handled); a socket that is down keeps it for the reconnect."""
        if msg["type"] in ("comm_msg", "create"):
            self.unacked.append(msg)
        try:
            self._write(msg)
        except (ConnectionClosed, OSError):
            pass

    def create(self, spec: dict[str, Any]) -> str:
        self.send({"type": "create", "key": spec["key"], "target": spec["target"], "kwargs": spec.get("kwargs", {}),
                   "grant": spec["grant"]})
        created = self.until(lambda m: m["type"] in ("created", "error") and m.get("key") == spec["key"])
        assert created["type"] == "created", created
        return created["model_id"]

    def update(self, comm_id: str, **state: Any) -> int:
        self.seq += 1
        self.send({"type": "comm_msg", "comm_id": comm_id, "seq": self.seq,
                   "data": {"method": "update", "state": state, "buffer_paths": []}})
        return self.seq

    def custom(self, comm_id: str, content: dict[str, Any]) -> None:
        self.seq += 1
        self.send({"type": "comm_msg", "comm_id": comm_id, "seq": self.seq, "data": {"method": "custom", "content": content}})

    def request_state(self, comm_id: str) -> dict[str, Any]:
        self._write({"type": "comm_msg", "comm_id": comm_id, "data": {"method": "request_state"}})
        msg = self.until(lambda m: m["type"] == "comm_msg" and m["comm_id"] == comm_id and m["data"]["method"] == "update"
                         and "_model_name" in m["data"]["state"])
        return msg["data"]["state"]

    def recv(self, timeout: float = WAIT) -> dict[str, Any]:
        if not self.queued:
            parsed = json.loads(self.ws.recv(timeout=timeout))
            for msg in parsed if isinstance(parsed, list) else [parsed]:
                msg["buffers"] = [self.ws.recv(timeout=timeout) for _ in range(msg.pop("nbuffers", 0))]
                self.queued.append(msg)
            for msg in self.queued:
                self._note(msg)
        return self.queued.pop(0)

    def _note(self, msg: dict[str, Any]) -> None:
        if isinstance(msg.get("oseq"), int):
            if msg["oseq"] <= self.oseq:
                msg["type"] = "duplicate"
                return
            self.oseq = msg["oseq"]
            self._write({"type": "ack", "oseq": self.oseq})
        if isinstance(msg.get("parent"), int):
            self.unacked = [m for m in self.unacked if not (m["type"] == "comm_msg" and m.get("seq", 0) <= msg["parent"])]
        kind = msg["type"]
        if kind == "comm_open":
            self.models.add(msg["comm_id"])
            self._value(msg["comm_id"], msg["data"]["state"])
        elif kind == "created" or kind == "error" and "key" in msg:
            self.unacked = [m for m in self.unacked if not (m["type"] == "create" and m["key"] == msg.get("key"))]
        if kind == "error":
            self.errors.append(msg)
        elif kind == "degraded":
            self.degraded.append(msg["degraded"])
        elif kind == "comm_msg" and msg["data"]["method"] in ("update", "echo_update"):
            self._value(msg["comm_id"], msg["data"]["state"])
        elif kind == "comm_msg" and msg["data"]["method"] == "custom":
            self.customs.append(msg["data"]["content"])

    def _value(self, comm_id: str, state: dict[str, Any]) -> None:
        if "value" in state:
            self.values[comm_id] = state["value"]
            self.history.setdefault(comm_id, []).append(state["value"])

    def until(self, predicate, timeout: float = WAIT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.recv(timeout=max(0.01, deadline - time.monotonic()))
            if predicate(msg):
                return msg
        raise AssertionError("no such message in time")

    def drain(self, predicate, timeout: float = WAIT) -> None:
        """Read until ``predicate()`` (of what was noted) holds."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("the page did not get there in time")
            try:
                self.recv(timeout=0.2)
            except TimeoutError:
                pass

    def close(self) -> None:
        try:
            if self.ws is not None:
                self.ws.close()
        except Exception:  # noqa: BLE001
            pass
        self.http.close()
