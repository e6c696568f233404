"""Server mode on several processes sharing a broker (issue 18): real redis-server, real uvicorn
processes of tests/cluster_app.py, raw protocol clients standing for the pages (they reconnect
as the page runtime does: tests/cluster_support.py). No timing is asserted: every wait is a
bounded wait for a state."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cluster_support import REDIS_SERVER, AppProcess, PageClient, Proxy, RedisServer, wait_until

pytestmark = [
    pytest.mark.skipif(not Path(REDIS_SERVER).exists(),
                       reason="redis-server is not installed (scripts/test installs Debian's redis-server)"),
    pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager:DeprecationWarning"),
]


class Cluster:
    """A redis-server and the app processes sharing it, all stopped at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.redis = RedisServer(tmp).start()
        self.log = tmp / "observer.log"
        self.log.touch()
        self.apps: list[AppProcess] = []
        self.pages: list[PageClient] = []
        self.proxies: list[Proxy] = []

    def app(self, *, broker: bool = True) -> AppProcess:
        process = AppProcess(self.redis.url if broker else None, self.log, self.tmp / f"app{len(self.apps)}.log")
        self.apps.append(process)
        return process

    def page(self, base: str) -> PageClient:
        client = PageClient(base)
        self.pages.append(client)
        return client

    def proxy(self, backend: AppProcess) -> Proxy:
        proxy = Proxy(backend.port)
        self.proxies.append(proxy)
        return proxy

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()

    def app_logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.tmp.glob("app*.log")))

    def close(self) -> None:
        for client in self.pages:
            client.close()
        for proxy in self.proxies:
            proxy.close()
        for process in self.apps:
            process.stop()
        self.redis.stop()


@pytest.fixture
def cluster(tmp_path) -> Iterator[Cluster]:
    made = Cluster(tmp_path)
    try:
        yield made
    finally:
        made.close()


def shared(client: PageClient) -> dict[str, str]:
    """Load ``/`` (its render grants the widgets to this visitor's session), connect if the page has
    no socket yet, and create the page's three app widgets; their model ids by key."""
    specs = client.load("/")
    if client.ws is None:
        client.connect()
    return {spec["key"]: client.create(spec) for spec in specs}


def test_two_pages_on_different_processes_see_each_others_changes_on_an_app_widget(cluster) -> None:
    a, b = cluster.app(), cluster.app()
    alice, bob = cluster.page(a.base), cluster.page(b.base)
    ids_a, ids_b = shared(alice), shared(bob)
    assert ids_a == ids_b  # one widget, the same model ids on both processes
    board = ids_a["board"]
    alice.update(board, value=5)
    bob.drain(lambda: bob.values.get(board) == 5)
    bob.update(board, value=6)
    alice.drain(lambda: alice.values.get(board) == 6)
    assert alice.request_state(board)["parity"] == "even"  # the observer's answer reached both
    assert bob.request_state(board)["value"] == 6


def test_custom_messages_from_python_reach_pages_on_every_process(cluster) -> None:
    a, b = cluster.app(), cluster.app()
    alice, bob = cluster.page(a.base), cluster.page(b.base)
    shout = shared(alice)["shout"]
    shared(bob)
    bob.custom(shout, {"op": "shout", "n": 1})
    for client in (alice, bob):
        client.drain(lambda c=client: any(m.get("op") == "heard" and m["n"] == 1 for m in c.customs))
    pids = {m["pid"] for c in (alice, bob) for m in c.customs}
    assert len(pids) == 1  # Python ran once, on one process


def test_five_hundred_sets_from_two_pages_at_once_end_in_one_state_on_three_processes(cluster) -> None:
    processes = [cluster.app() for _ in range(3)]
    alice, bob, carol = (cluster.page(p.base) for p in processes)
    for client in (alice, bob, carol):
        board = shared(client)["board"]

    def burst(client: PageClient, start: int) -> None:
        for n in range(start, start + 250):
            client.update(board, value=n)

    writers = [threading.Thread(target=burst, args=(alice, 1000)), threading.Thread(target=burst, args=(bob, 2000))]
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    # every page has heard the echo of each writer's last set, so every set has been handled
    for client in (alice, bob, carol):
        client.drain(lambda c=client: not any(m["type"] == "comm_msg" for m in c.unacked)
                     and {1249, 2249} <= set(c.history.get(board, ())))
    shown = {alice.values[board], bob.values[board], carol.values[board]}  # what each page shows last
    finals = {client.request_state(board)["value"] for client in (alice, bob, carol)}
    assert len(finals) == 1 and finals <= {1249, 2249}  # one state, the last write in the one order
    assert shown == finals


def test_an_observers_side_effect_runs_once_per_change_on_one_process(cluster) -> None:
    a, b = cluster.app(), cluster.app()
    alice, bob = cluster.page(a.base), cluster.page(b.base)
    logged = shared(alice)["log"]
    shared(bob)
    for n in range(1, 21):
        (alice if n % 2 else bob).update(logged, value=n)
    for client in (alice, bob):
        client.drain(lambda c=client: set(range(1, 21)) <= set(c.history.get(logged, ())))
    assert alice.request_state(logged)["value"] == bob.request_state(logged)["value"]
    lines = cluster.log_lines()
    assert sorted(int(line.split()[1]) for line in lines) == list(range(1, 21))  # each change once
    assert len({line.split()[0] for line in lines}) == 1  # on one process


def test_a_process_that_starts_later_serves_the_current_state_at_once(cluster) -> None:
    a = cluster.app()
    alice = cluster.page(a.base)
    board = shared(alice)["board"]
    alice.update(board, value=41)
    alice.drain(lambda: alice.values.get(board) == 41)
    late = cluster.app()
    dave = cluster.page(late.base)
    assert shared(dave)["board"] == board
    assert dave.values[board] == 41  # in its comm_open


def test_a_page_moved_to_another_process_mid_burst_resumes_with_no_set_lost(cluster) -> None:
    a, b = cluster.app(), cluster.app()
    proxy = cluster.proxy(a)  # the balancer: the page's socket goes where it points
    page = cluster.page(proxy.base)
    spec = page.load("/page")[0]
    page.connect()
    counter = page.create(spec)
    for n in range(1, 201):
        page.update(counter, value=n)
        if n == 100:
            proxy.switch(b.port)  # cuts the socket: the next connection reaches process B
    ready = page.reconnect()
    assert ready["resumed"] is True  # B made the page again from what A saved
    page.drain(lambda: not page.unacked)
    state = page.request_state(counter)
    assert state["value"] == 200
    assert state["seen_by_python"] == 200  # every set handled once: none lost, none twice
    assert not page.errors
    assert httpx.get(proxy.base + "/pid").text == str(b.pid)


def test_redis_restarted_mid_session_pages_show_degraded_changes_wait_and_service_resumes(cluster) -> None:
    a, b = cluster.app(), cluster.app()
    alice, bob = cluster.page(a.base), cluster.page(b.base)
    board = shared(alice)["board"]
    shared(bob)
    alice.update(board, value=1)
    bob.drain(lambda: bob.values.get(board) == 1)
    cluster.redis.stop()
    for client in (alice, bob):
        client.drain(lambda c=client: c.degraded[-1:] == [True])
    bob.update(board, value=2)  # held on B while Redis is away
    cluster.redis.start()  # the same port, and empty: it kept nothing
    for client in (alice, bob):
        client.drain(lambda c=client: c.degraded[-1:] == [False])
    alice.drain(lambda: alice.values.get(board) == 2)  # the held change, applied and shared
    alice.update(board, value=3)
    bob.drain(lambda: bob.values.get(board) == 3)
    assert not alice.errors and not bob.errors
    late = cluster.page(cluster.app().base)  # the state was saved again in the new Redis
    assert late.values.get(shared(late)["board"]) == 3


def test_a_process_killed_mid_burst_its_page_moves_and_resumes(cluster) -> None:
    a, b = cluster.app(), cluster.app()
    proxy = cluster.proxy(a)
    page = cluster.page(proxy.base)
    board = shared(page)["board"]
    counter = page.create(page.load("/page")[0])
    watcher = cluster.page(b.base)
    shared(watcher)
    for n in range(1, 201):
        page.update(counter, value=n)
        page.update(board, value=n)
        if n == 100:
            a.kill()  # mid-burst, with no warning (A also led the app widgets: it started first)
            proxy.switch(b.port)
    assert page.reconnect()["resumed"] is True
    page.drain(lambda: not page.unacked)
    state = page.request_state(counter)
    assert state["value"] == 200 and state["seen_by_python"] == 200
    watcher.drain(lambda: watcher.values.get(board) == 200)  # the app widget lives on, on B
    assert page.request_state(board)["value"] == 200
    assert not page.errors and not watcher.errors


def test_several_processes_without_a_broker_warn_once_what_goes_wrong_and_how_to_fix_it(tmp_path, monkeypatch, caplog) -> None:
    from fasthtml.common import fast_app
    from starlette.testclient import TestClient

    from examples.widgets import Counter
    from fh_anywidget import AnyWidgetHost

    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    monkeypatch.delenv("FHAW_BROKER", raising=False)
    app, rt = fast_app(default_hdrs=False, pico=False, secret_key="s", key_fname=str(tmp_path / ".k"))
    host = AnyWidgetHost(app, dist_dir=tmp_path / "none")

    @rt("/")
    def index():
        return host.widget(Counter, mode="server", scope="app", key="board")

    from test_server import Raw, specs

    with TestClient(app) as client:
        for _ in range(2):
            spec = specs(client.get("/").text)[0]
            with client.websocket_connect("/_fhaw/ws", headers={"origin": "http://testserver"}) as ws:
                assert Raw(ws).create(spec)[1][-1]["type"] == "created"
    warnings = [r.getMessage() for r in caplog.records if "has no broker" in r.getMessage()]
    assert len(warnings) == 1
    assert "WEB_CONCURRENCY=4" in warnings[0] and "broker='redis://" in warnings[0] and "FHAW_BROKER" in warnings[0]


def test_a_broker_that_is_not_a_redis_url_is_refused_naming_it(tmp_path) -> None:
    from fasthtml.common import fast_app

    from fh_anywidget import AnyWidgetHost, WidgetSpecError

    app, _ = fast_app(default_hdrs=False, pico=False, secret_key="s", key_fname=str(tmp_path / ".k"))
    with pytest.raises(WidgetSpecError, match="broker 'localhost:6379' is not a Redis URL"):
        AnyWidgetHost(app, dist_dir=tmp_path / "none", broker="localhost:6379")
