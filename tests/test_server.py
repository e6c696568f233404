"""Server mode (py/fh_anywidget/server/): widgets whose Python runs in the server process,
driven here by raw protocol clients over Starlette's TestClient WebSocket."""

from __future__ import annotations

import json
import re
import threading
import time
from html import unescape
from typing import Any

import anywidget
import numpy as np
import pytest
import traitlets
from fasthtml.common import Beforeware, Div, RedirectResponse, fast_app
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from examples.widgets import Counter, Failing, FragileCounter
from examples.widgets.numpy_wave import NumpyWave
from fh_anywidget import AnyWidgetHost, WidgetSpecError
from fh_anywidget.server.grants import derive_key
from fh_anywidget.server.seal import Sealer

ORIGIN = {"origin": "http://testserver"}


def make_app(tmp_path, **options: Any):
    app, rt = fast_app(default_hdrs=False, pico=False, secret_key="test-secret", key_fname=str(tmp_path / ".sesskey"))
    host = AnyWidgetHost(app, dist_dir=tmp_path / "no-dist", **options)

    @rt("/")
    def index():
        return Div(host.widget(Counter, mode="server", value=3), host.widget(FragileCounter, mode="server"),
                   host.widget(Failing, mode="server"))

    @rt("/wave")
    def wave():
        return host.widget(NumpyWave, mode="server", points=16)

    @rt("/board")
    def board():
        return host.widget(Counter, mode="server", scope="app", key="board", value=0)

    return app, host


def specs(html: str) -> list[dict[str, Any]]:
    return [json.loads(unescape(m)) for m in re.findall(r"data-fh-anywidget='([^']*)'", html)]


class Raw:
    """A page's side of the protocol, by hand: text frames with nbuffers, then binary frames."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.seq = 0
        self.queued: list[dict[str, Any]] = []
        self.frames = 0
        self.ready = self.recv()
        assert self.ready["type"] == "ready", self.ready

    def send(self, msg: dict[str, Any], buffers: list[bytes] = ()) -> None:
        self.ws.send_text(json.dumps({**msg, "nbuffers": len(buffers)} if buffers else msg))
        for b in buffers:
            self.ws.send_bytes(b)

    def recv(self) -> dict[str, Any]:
        """The next message; a text frame holds one message or an array of them (their binary
        frames follow, in message order, each message announcing its own ``nbuffers``)."""
        if not self.queued:
            self.frames += 1
            parsed = json.loads(self.ws.receive_text())
            for msg in parsed if isinstance(parsed, list) else [parsed]:
                self.queued.append(msg)
            for msg in self.queued:
                msg["buffers"] = [self.ws.receive_bytes() for _ in range(msg.pop("nbuffers", 0))]
        return self.queued.pop(0)

    def until(self, pred, limit: int = 50) -> dict[str, Any]:
        for _ in range(limit):
            msg = self.recv()
            if pred(msg):
                return msg
        raise AssertionError("no such message")

    def create(self, spec: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        self.send({"type": "create", "key": spec["key"], "target": spec["target"], "kwargs": spec.get("kwargs", {}),
                   "grant": spec["grant"]})
        opened = []
        while True:
            msg = self.recv()
            if msg["type"] == "comm_open":
                opened.append(msg)
            elif msg["type"] in ("created", "error"):
                return msg.get("model_id", ""), opened + [msg]

    def update(self, comm_id: str, **state: Any) -> int:
        self.seq += 1
        self.send({"type": "comm_msg", "comm_id": comm_id, "seq": self.seq,
                   "data": {"method": "update", "state": state, "buffer_paths": []}})
        return self.seq


def connect(client: TestClient, query: str = "", headers=ORIGIN):
    return client.websocket_connect("/_fhaw/ws" + query, headers=headers)


@pytest.fixture
def served(tmp_path):
    app, host = make_app(tmp_path)
    with TestClient(app) as client:
        yield client, host


def test_a_server_placeholder_carries_a_sealed_grant_and_no_bundles_or_arguments(served) -> None:
    client, _ = served
    counter = specs(client.get("/").text)[0]
    assert counter["mode"] == "server" and counter["scope"] == "page" and "bundles" not in counter
    assert counter["key"] == "examples.widgets.counter:Counter#0"  # stable across reloads
    assert "kwargs" not in counter and len(counter["args"]) == 32  # the arguments only inside the grant
    assert Sealer(derive_key("test-secret")).open(counter["grant"])["a"] == {"value": 3}


def test_a_page_creates_its_widget_and_a_set_reaches_the_python_observer(served) -> None:
    client, _ = served
    counter = specs(client.get("/").text)[0]
    with connect(client) as ws:
        page = Raw(ws)
        assert page.ready["resumed"] is False
        model_id, msgs = page.create(counter)
        opened = [m for m in msgs if m["type"] == "comm_open"]
        assert [m["data"]["state"]["_model_name"] for m in opened] == ["LayoutModel", "AnyModel"]
        assert opened[1]["data"]["state"]["parity"] == "odd"
        seq = page.update(model_id, value=4)
        echo = page.until(lambda m: m["type"] == "comm_msg" and m["data"]["method"] == "echo_update")
        assert echo["parent"] == seq and echo["data"]["state"] == {"value": 4}
        parity = page.until(lambda m: m["type"] == "comm_msg" and "parity" in m["data"].get("state", {}))
        assert parity["data"]["state"]["parity"] == "even"


def test_python_answers_one_message_in_one_frame(served) -> None:
    client, _ = served
    counter = specs(client.get("/").text)[0]
    with connect(client) as ws:
        page = Raw(ws)
        model_id, _ = page.create(counter)
        before = page.frames
        seq = page.update(model_id, value=8)
        answers = [page.recv()]
        answers += [page.recv() for _ in range(len(page.queued))]  # the rest of that frame
        assert page.frames == before + 1
        assert [m["data"]["method"] for m in answers] == ["echo_update"] + ["update"] * (len(answers) - 1)
        assert {m["parent"] for m in answers} == {seq}
        changed = {k: v for m in answers[1:] for k, v in m["data"]["state"].items()}
        assert changed == {"parity": "even", "seen_by_python": 1}


def test_a_numpy_buffer_travels_as_a_binary_frame_both_ways(served) -> None:
    client, _ = served
    wave = specs(client.get("/wave").text)[0]
    with connect(client) as ws:
        page = Raw(ws)
        model_id, msgs = page.create(wave)
        own = next(m for m in msgs if m["type"] == "comm_open" and m["comm_id"] == model_id)
        assert own["data"]["buffer_paths"] == [["samples"]]
        assert [len(m["buffers"]) for m in msgs] == [0, 1, 0]  # layout, wave, created: sent in one frame
        samples = np.frombuffer(own["buffers"][0], dtype=np.float32)
        assert samples.size == 16 and samples[4] == pytest.approx(1.0)

        page.send({"type": "comm_msg", "comm_id": model_id, "seq": 1, "data": {"method": "custom", "content": {"op": "sum"}}},
                  [np.array([1.5, 2.5, 3], dtype=np.float32).tobytes()])
        reply = page.until(lambda m: m["type"] == "comm_msg" and m["data"]["method"] == "custom")
        assert reply["data"]["content"] == {"op": "sum", "n": 3, "sum": 7.0}
        assert np.frombuffer(reply["buffers"][0], dtype=np.float32).tolist() == [3.0, 5.0, 6.0]

        page.update(model_id, frequency=2)
        changed = page.until(lambda m: m["type"] == "comm_msg" and "samples" in m["data"].get("state", {})
                             or m["type"] == "comm_msg" and ["samples"] in m["data"].get("buffer_paths", []))
        assert np.frombuffer(changed["buffers"][0], dtype=np.float32)[2] == pytest.approx(1.0)


def test_exceptions_in_a_constructor_and_an_observer_reach_their_widget(served, capfd) -> None:
    client, _ = served
    _, fragile, failing = specs(client.get("/").text)
    with connect(client) as ws:
        page = Raw(ws)
        _, msgs = page.create(failing)
        assert msgs[-1]["type"] == "error" and msgs[-1]["key"] == failing["key"]
        shown = msgs[-1]["error"]["traceback"]
        assert "refused to start" in msgs[-1]["error"]["message"] and "refused to start" in shown
        # a visitor gets no traceback (server paths, source lines): the server's log has it
        assert "Traceback" not in shown and "File " not in shown and "server's log" in shown
        assert "Traceback" in capfd.readouterr().err
        model_id, _ = page.create(fragile)
        page.update(model_id, value=1)
        error = page.until(lambda m: m["type"] == "error")
        assert error["comm_id"] == model_id and "refused value 1" in error["error"]["message"]
        assert "File " not in error["error"]["traceback"]


def test_server_tracebacks_shows_them_to_the_page_from_the_widgets_own_code(tmp_path) -> None:
    app, _ = make_app(tmp_path, server_tracebacks=True)
    with TestClient(app) as client:
        _, _, failing = specs(client.get("/").text)
        with connect(client) as ws:
            _, msgs = Raw(ws).create(failing)
        shown = msgs[-1]["error"]["traceback"]
        assert shown.startswith("Traceback") and "refused to start" in shown
        frames = re.findall(r'File "([^"]+)"', shown)
        assert frames and "fh_anywidget" not in frames[0]  # the widget's own code first, not the server's
        assert not any("/server/" in f and "fh_anywidget" in f for f in frames)


def test_two_sessions_on_an_app_scope_widget_see_each_others_changes(tmp_path) -> None:
    app, _ = make_app(tmp_path)
    with TestClient(app) as alice, TestClient(app) as bob:
        spec_a, spec_b = specs(alice.get("/board").text)[0], specs(bob.get("/board").text)[0]
        assert spec_a["grant"] != spec_b["grant"]  # each bound to its own session
        with connect(alice) as wa, connect(bob) as wb:
            a, b = Raw(wa), Raw(wb)
            model_a, _ = a.create(spec_a)
            model_b, _ = b.create(spec_b)
            assert model_a == model_b  # one instance
            a.update(model_a, value=5)
            a.until(lambda m: m["type"] == "comm_msg" and m["data"]["method"] == "echo_update")
            seen = b.until(lambda m: m["type"] == "comm_msg" and m["data"]["method"] == "echo_update")
            assert seen["data"]["state"] == {"value": 5} and seen["parent"] is None  # not bob's seq
            b.update(model_b, value=6)
            seen = a.until(lambda m: m["type"] == "comm_msg" and m["data"].get("state", {}).get("value") == 6)
            assert seen["parent"] is None


def test_a_reconnect_resumes_the_page_with_its_state_and_tells_the_last_seq_handled(served) -> None:
    client, _ = served
    counter = specs(client.get("/").text)[0]
    with connect(client, "?fresh=1") as ws:
        page = Raw(ws)
        model_id, _ = page.create(counter)
        page.update(model_id, value=10)
        page.until(lambda m: m["type"] == "comm_msg" and m["data"]["method"] == "echo_update")
        page_id = page.ready["page"]
    with connect(client, f"?page={page_id}") as ws:
        again = Raw(ws)
        assert again.ready == {"type": "ready", "page": page_id, "resumed": True, "last_seq": 1, "buffers": []}
        again.send({"type": "comm_msg", "comm_id": model_id, "data": {"method": "request_state"}})
        state = again.until(lambda m: m["type"] == "comm_msg")["data"]["state"]
        assert state["value"] == 10 and state["parity"] == "even"
    # a reload: the same page id from sessionStorage, no models in the page: create opens them again
    with connect(client, f"?page={page_id}&fresh=1") as ws:
        reloaded = Raw(ws)
        assert reloaded.ready["resumed"] is True and reloaded.ready["last_seq"] == 0
        again_id, msgs = reloaded.create(counter)
        assert again_id == model_id
        assert next(m for m in msgs if m.get("comm_id") == model_id)["data"]["state"]["value"] == 10


def test_custom_messages_python_sends_while_the_page_is_offline_arrive_after_its_reconnect(served) -> None:
    client, host = served
    counter = specs(client.get("/").text)[0]
    with connect(client, "?fresh=1") as ws:
        page = Raw(ws)
        model_id, _ = page.create(counter)
        page_id = page.ready["page"]
    widget = host.server.pages[page_id].kernel.widgets[counter["key"]]
    widget.send({"op": "note", "n": 1})  # the socket is closed: held
    widget.send({"op": "note", "n": 2}, buffers=[b"xyz"])
    widget.value = 5  # state: not held, the page asks for it
    with connect(client, f"?page={page_id}") as ws:
        again = Raw(ws)
        assert again.ready["resumed"] is True
        notes = [again.recv(), again.recv()]
        assert [(m["comm_id"], m["data"]["content"]) for m in notes] == [(model_id, {"op": "note", "n": 1}),
                                                                          (model_id, {"op": "note", "n": 2})]
        assert notes[1]["buffers"] == [b"xyz"]
    # a reload (fresh page, no models yet) does not get them
    widget.send({"op": "note", "n": 3})
    with connect(client, f"?page={page_id}&fresh=1") as ws:
        reloaded = Raw(ws)
        reloaded.send({"type": "create", "key": counter["key"], "target": counter["target"], "kwargs": counter.get("kwargs", {}),
                       "grant": counter["grant"]})
        msgs = [reloaded.recv() for _ in range(3)]
        assert [m["type"] for m in msgs] == ["comm_open", "comm_open", "created"]


def test_held_custom_messages_are_bounded_and_the_oldest_go_first(served, monkeypatch, caplog) -> None:
    from fh_anywidget.server import page as server

    client, host = served
    counter = specs(client.get("/").text)[0]
    with connect(client, "?fresh=1") as ws:
        page = Raw(ws)
        page.create(counter)
        page_id = page.ready["page"]
    monkeypatch.setattr(server, "HELD_MAX_BYTES", 400)
    widget = host.server.pages[page_id].kernel.widgets[counter["key"]]
    for n in range(10):
        widget.send({"op": "note", "n": n})
    assert "dropped the oldest" in caplog.text
    with connect(client, f"?page={page_id}") as ws:
        again = Raw(ws)
        ns = []
        for _ in range(len(host.server.pages[page_id].unacked) + 10):
            msg = again.recv()
            ns.append(msg["data"]["content"]["n"])
            if ns[-1] == 9:
                break
    assert ns == list(range(10 - len(ns), 10)) and 1 <= len(ns) < 10


def test_a_page_is_released_after_the_grace_period(tmp_path) -> None:
    app, host = make_app(tmp_path, server_grace_seconds=0.05)
    with TestClient(app) as client:
        counter = specs(client.get("/").text)[0]
        with connect(client) as ws:
            page = Raw(ws)
            page.create(counter)
            page_id = page.ready["page"]
        deadline = time.monotonic() + 5
        while host.server.pages and time.monotonic() < deadline:
            time.sleep(0.02)
        assert host.server.pages == {}
        with connect(client, f"?page={page_id}") as ws:
            assert Raw(ws).ready["resumed"] is False


# -- safety ----------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{"origin": "http://evil.example"}, {}], ids=["foreign", "missing"])
def test_a_socket_from_another_origin_is_refused(served, headers, caplog) -> None:
    client, _ = served
    with pytest.raises(WebSocketDisconnect) as refused, connect(client, headers=headers):
        pass
    assert refused.value.code == 1008
    assert "refused a WebSocket" in caplog.text


def test_bad_frames_get_an_error_and_the_connection_keeps_working(tmp_path, caplog) -> None:
    app, _ = make_app(tmp_path, server_max_frame_bytes=1024)
    with TestClient(app) as client:
        counter = specs(client.get("/").text)[0]
        with connect(client) as ws:
            page = Raw(ws)
            model_id, _ = page.create(counter)
            bad = [
                lambda: ws.send_text("{not json"),
                lambda: ws.send_text("[1, 2]"),
                lambda: ws.send_text(json.dumps({"type": "comm_msg", "nbuffers": 1000})),
                lambda: ws.send_bytes(b"stray"),
                lambda: ws.send_text("x" * 2000),
                lambda: page.send({"type": "comm_msg", "comm_id": model_id, "seq": 5,
                                   "data": {"method": "custom", "content": {}}}, [b"\0" * 5000]),
                lambda: page.send({"type": "teleport"}),
                lambda: page.send({"type": "comm_msg", "comm_id": model_id, "data": {"method": "exec"}}),
                lambda: page.send({"type": "comm_msg", "comm_id": "0" * 32, "data": {"method": "request_state"}}),
                lambda: page.send({"type": "create", "key": "k", "target": "os:system", "kwargs": {}, "grant": "forged.x"}),
            ]
            for send_bad in bad:
                send_bad()
                error = page.recv()
                assert error["type"] == "error" and error["error"]["type"] == "ProtocolError", error
            assert caplog.text.count("[fh-anywidget] page") == len(bad)
            page.update(model_id, value=8)
            assert page.until(lambda m: m["type"] == "comm_msg")["data"]["method"] == "echo_update"


def test_another_sessions_model_id_and_grant_are_refused(tmp_path) -> None:
    app, _ = make_app(tmp_path)
    with TestClient(app) as alice, TestClient(app) as mallory:
        spec = specs(alice.get("/").text)[0]
        mallory.get("/")
        with connect(alice) as wa, connect(mallory) as wm:
            a, m = Raw(wa), Raw(wm)
            model_id, _ = a.create(spec)
            m.update(model_id, value=99)
            error = m.recv()
            assert error["type"] == "error" and "no model" in error["error"]["message"]
            _, msgs = m.create(spec)  # alice's placeholder, replayed from mallory's session
            assert msgs[-1]["type"] == "error" and "another session" in msgs[-1]["error"]["message"]
            a.send({"type": "comm_msg", "comm_id": model_id, "data": {"method": "request_state"}})
            assert a.until(lambda msg: msg["type"] == "comm_msg")["data"]["state"]["value"] == 3  # untouched


def test_login_beforeware_guards_the_page_and_authorize_guards_the_socket(tmp_path) -> None:
    def login_required(req, sess):
        if not sess.get("user"):
            return RedirectResponse("/login", status_code=303)

    app, rt = fast_app(default_hdrs=False, pico=False, secret_key="s", key_fname=str(tmp_path / ".k"),
                       before=Beforeware(login_required, skip=["/login"]))
    host = AnyWidgetHost(app, dist_dir=tmp_path / "none", server_authorize=lambda sess: bool(sess.get("user")))

    @rt("/login")
    def login(sess):
        sess["user"] = "ada"
        return "ok"

    @rt("/")
    def index():
        return host.widget(Counter, mode="server")

    with TestClient(app) as client:
        assert client.get("/", follow_redirects=False).status_code == 303
        with pytest.raises(WebSocketDisconnect), connect(client):
            pass
        client.get("/login")
        spec = specs(client.get("/").text)[0]
        with connect(client) as ws:
            assert Raw(ws).create(spec)[1][-1]["type"] == "created"


def test_host_widget_checks_mode_and_scope(tmp_path) -> None:
    _, host = make_app(tmp_path)
    with pytest.raises(WidgetSpecError, match="scope 'app' is not supported with mode 'worker'"):
        host.widget(Counter, scope="app")
    with pytest.raises(WidgetSpecError, match="scope 'galaxy'"):
        host.widget(Counter, mode="server", scope="galaxy")
    with pytest.raises(WidgetSpecError, match="mode 'cloud'"):
        host.widget(Counter, mode="cloud")


GATE = threading.Event()


class Gated(anywidget.AnyWidget):
    """A handler that computes until the test lets it finish (GATE), at most 10 s."""

    _esm = "export default {}"
    n = traitlets.Int(0).tag(sync=True)
    done = traitlets.List([]).tag(sync=True)

    started = traitlets.Int(0).tag(sync=True)

    @traitlets.observe("n")
    def _compute(self, change) -> None:
        self.started = change.new  # progress: it must reach the page while the handler still runs
        GATE.wait(10)
        self.done = [*self.done, change.new]


def test_a_slow_handler_holds_up_its_own_page_only(tmp_path) -> None:
    app, host = make_app(tmp_path)

    @app.route("/slow")
    def slow():
        return host.widget(Gated, mode="server")

    GATE.clear()
    with TestClient(app) as client:
        gated, counter = specs(client.get("/slow").text)[0], specs(client.get("/").text)[0]
        with connect(client) as wa, connect(client) as wb:
            a, b = Raw(wa), Raw(wb)
            model_a, _ = a.create(gated)
            model_b, _ = b.create(counter)
            a.update(model_a, n=1)  # its observer now waits for GATE
            progress = a.until(lambda m: m["type"] == "comm_msg" and "started" in m["data"].get("state", {}))
            assert progress["data"]["state"]["started"] == 1 and not GATE.is_set()
            a.update(model_a, n=2)  # queued behind it, on its own page
            t = time.monotonic()
            b.update(model_b, value=4)
            parity = b.until(lambda m: m["type"] == "comm_msg" and "parity" in m["data"].get("state", {}))
            assert parity["data"]["state"]["parity"] == "even"
            assert client.get("/").status_code == 200  # the event loop serves requests too
            assert not GATE.is_set() and time.monotonic() - t < 9, "the other page was answered while page A computed"
            GATE.set()
            done = a.until(lambda m: m["type"] == "comm_msg" and m["data"].get("state", {}).get("done") == [1, 2])
            assert done["parent"] == 2  # page A's messages were handled in order


def test_server_threads_must_be_a_whole_number(tmp_path) -> None:
    with pytest.raises(ValueError, match="server_threads must be a whole number, 0 or more; got -1"):
        make_app(tmp_path, server_threads=-1)
