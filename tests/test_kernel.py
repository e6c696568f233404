"""The comm backend speaks ipywidgets' protocol v2 through our envelope (run on CPython;
tests/pyodide runs the same kernel inside real Pyodide)."""

from __future__ import annotations

import json
import sys
import types

import anywidget
import pytest
import traitlets

from fh_anywidget.kernel import Kernel


class Counter(anywidget.AnyWidget):
    _esm = "export default { render() {} }\n"
    value = traitlets.Int(0).tag(sync=True)
    seen = traitlets.List([]).tag(sync=True)
    quiet = traitlets.Int(0).tag(sync=True, echo_update=False)
    data = traitlets.Bytes(b"").tag(sync=True)
    digest = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.on_msg(self._on_custom)

    @traitlets.observe("value")
    def _clamp(self, change):
        self.seen = [*self.seen, change.new]
        if change.new > 10:
            self.value = 10

    @traitlets.observe("data")
    def _hash(self, change):
        self.digest = change.new[::-1].hex()

    def _on_custom(self, _widget, content, buffers):
        if content.get("boom"):
            raise RuntimeError("custom handler failed")
        self.send({"echo": content, "sizes": [len(b) for b in buffers]}, buffers=[bytes(b)[::-1] for b in buffers])


def broken(**_):
    raise ValueError("the widget refuses to start")


def not_a_widget():
    return 42


@pytest.fixture
def target_module():
    mod = types.ModuleType("kernel_targets")
    mod.Counter, mod.broken, mod.not_a_widget = Counter, broken, not_a_widget
    sys.modules["kernel_targets"] = mod
    yield "kernel_targets"
    del sys.modules["kernel_targets"]


class Page:
    """What the page receives: decoded messages with their buffers as bytes."""

    def __init__(self) -> None:
        self.inbox: list[tuple[dict, list[bytes]]] = []
        self.kernel = Kernel(self._receive)

    def _receive(self, text: str, buffers: list[memoryview]) -> None:
        self.inbox.append((json.loads(text), [bytes(b) for b in buffers]))

    def take(self) -> list[tuple[dict, list[bytes]]]:
        got, self.inbox = self.inbox, []
        return got

    def create(self, target: str, key: str = "k", **kwargs) -> str:
        self.kernel.handle({"type": "create", "key": key, "target": target, "kwargs": kwargs})
        created = [m for m, _ in self.take() if m["type"] == "created"]
        assert created, "no created message"
        return created[0]["model_id"]


@pytest.fixture
def page(target_module) -> Page:
    return Page()


def test_create_opens_the_layout_comm_then_the_widget_comm_then_answers_created(target_module):
    page = Page()
    page.kernel.handle({"type": "create", "key": "a", "target": "kernel_targets:Counter", "kwargs": {"value": 3}})
    msgs = [m for m, _ in page.take()]
    assert [m["type"] for m in msgs] == ["comm_open", "comm_open", "created"]
    layout, widget, created = msgs
    assert layout["data"]["state"]["_model_name"] == "LayoutModel"
    assert widget["data"]["state"]["_model_name"] == "AnyModel"
    assert widget["data"]["state"]["layout"] == "IPY_MODEL_" + layout["comm_id"]
    assert widget["data"]["state"]["value"] == 3
    assert widget["metadata"] == {"version": "2.1.0"} and widget["target_name"] == "jupyter.widget"
    assert created == {"type": "created", "key": "a", "model_id": widget["comm_id"]}


def test_a_second_create_for_the_same_key_reuses_the_widget(page):
    first = page.create("kernel_targets:Counter", key="same")
    page.kernel.handle({"type": "create", "key": "same", "target": "kernel_targets:Counter", "kwargs": {}})
    assert [m for m, _ in page.take()] == [{"type": "created", "key": "same", "model_id": first}]


def test_update_reaches_the_observer_and_is_echoed_with_its_seq_as_parent(page):
    mid = page.create("kernel_targets:Counter")
    page.kernel.handle({"type": "comm_msg", "comm_id": mid, "seq": 4,
                        "data": {"method": "update", "state": {"value": 12}, "buffer_paths": []}})
    msgs = [m for m, _ in page.take()]
    assert msgs[0]["data"] == {"method": "echo_update", "state": {"value": 12}, "buffer_paths": []}
    assert all(m["parent"] == 4 for m in msgs)
    updates = {k: v for m in msgs[1:] for k, v in m["data"]["state"].items()}
    assert updates == {"seen": [12, 10], "value": 10}  # the observer clamped it


def test_a_trait_with_echo_update_false_is_not_echoed(page):
    mid = page.create("kernel_targets:Counter")
    page.kernel.handle({"type": "comm_msg", "comm_id": mid, "seq": 1,
                        "data": {"method": "update", "state": {"quiet": 5}, "buffer_paths": []}})
    assert [m["data"]["method"] for m, _ in page.take()] == []


def test_bytes_traits_get_bytes_from_the_page_and_send_buffers_back(page):
    mid = page.create("kernel_targets:Counter")
    payload = bytes(range(256)) * 3
    page.kernel.handle({"type": "comm_msg", "comm_id": mid, "seq": 2,
                        "data": {"method": "update", "state": {}, "buffer_paths": [["data"]]}}, [memoryview(payload)])
    msgs = page.take()
    echo = msgs[0]
    assert echo[0]["data"]["buffer_paths"] == [["data"]] and echo[1] == [payload]
    digest = [m for m, _ in msgs if "digest" in m["data"].get("state", {})]
    assert digest[0]["data"]["state"]["digest"] == payload[::-1].hex()


def test_python_side_bytes_leave_as_buffers_not_json(page, target_module):
    page.kernel.handle({"type": "create", "key": "b", "target": "kernel_targets:Counter", "kwargs": {}})
    opened = [(m, b) for m, b in page.take() if m["type"] == "comm_open"][-1]
    widget_state = opened[0]["data"]
    assert ["data"] in widget_state["buffer_paths"] and "data" not in widget_state["state"]


def test_custom_messages_carry_buffers_both_ways(page):
    mid = page.create("kernel_targets:Counter")
    page.kernel.handle({"type": "comm_msg", "comm_id": mid, "seq": 3,
                        "data": {"method": "custom", "content": {"hello": 1}}}, [b"\x00\x01\x02", b"xyz"])
    [(msg, buffers)] = page.take()
    assert msg["data"] == {"method": "custom", "content": {"echo": {"hello": 1}, "sizes": [3, 3]}}
    assert buffers == [b"\x02\x01\x00", b"zyx"]


def test_request_state_answers_with_the_full_state(page):
    mid = page.create("kernel_targets:Counter", value=7)
    page.kernel.handle({"type": "comm_msg", "comm_id": mid, "seq": 9, "data": {"method": "request_state"}})
    [(msg, _)] = page.take()
    assert msg["data"]["method"] == "update" and msg["data"]["state"]["value"] == 7


def test_an_exception_in_the_constructor_is_reported_for_the_key_with_its_traceback(page):
    page.kernel.handle({"type": "create", "key": "bad", "target": "kernel_targets:broken", "kwargs": {}})
    [(msg, _)] = page.take()
    assert msg["type"] == "error" and msg["key"] == "bad"
    assert msg["error"]["type"] == "ValueError"
    assert "the widget refuses to start" in msg["error"]["traceback"] and "Traceback" in msg["error"]["traceback"]
    assert "in broken" in msg["error"]["traceback"] and "fh_anywidget/kernel.py" not in msg["error"]["traceback"]  # user code first


def test_an_exception_in_a_custom_message_handler_is_reported_for_the_widget(page):
    mid = page.create("kernel_targets:Counter")
    page.kernel.handle({"type": "comm_msg", "comm_id": mid, "seq": 5,
                        "data": {"method": "custom", "content": {"boom": True}}})
    errors = [m for m, _ in page.take() if m["type"] == "error"]
    assert errors and errors[0]["comm_id"] == mid and "custom handler failed" in errors[0]["error"]["traceback"]


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        ({"type": "create", "key": "x", "target": "no_such_module_xyz:W", "kwargs": {}}, "cannot import 'no_such_module_xyz'"),
        ({"type": "create", "key": "x", "target": "kernel_targets:Nope", "kwargs": {}}, "has no attribute 'Nope'"),
        ({"type": "create", "key": "x", "target": "kernel_targets:not_a_widget", "kwargs": {}}, "returned a int, not a widget"),
        ({"type": "create", "key": "x", "target": "kernel_targets", "kwargs": {}}, "is not of the form 'module:name'"),
        ({"type": "comm_msg", "comm_id": "nope", "data": {"method": "update"}}, "no model with id 'nope'"),
        ({"type": "bogus"}, "unknown message type 'bogus'"),
    ],
)
def test_bad_messages_get_an_error_that_names_the_bad_value(page, msg, expected):
    page.kernel.handle(msg)
    [(reply, _)] = page.take()
    assert reply["type"] == "error" and expected in reply["error"]["message"]


def test_an_unknown_method_is_refused_and_the_widget_keeps_working(page):
    mid = page.create("kernel_targets:Counter")
    page.kernel.handle({"type": "comm_msg", "comm_id": mid, "data": {"method": "explode"}})
    [(reply, _)] = page.take()
    assert "unknown comm_msg method 'explode'" in reply["error"]["message"]
    page.kernel.handle({"type": "comm_msg", "comm_id": mid, "seq": 1,
                        "data": {"method": "update", "state": {"value": 1}, "buffer_paths": []}})
    assert any(m["data"]["method"] == "echo_update" for m, _ in page.take())


def test_invalid_json_is_reported_not_raised(page):
    page.kernel.handle_json("{nope")
    [(reply, _)] = page.take()
    assert "not valid JSON" in reply["error"]["message"]


def test_two_kernels_keep_their_widgets_apart(target_module):
    a, b = Page(), Page()
    mid_a = a.create("kernel_targets:Counter")
    mid_b = b.create("kernel_targets:Counter")
    assert mid_a in a.kernel.manager.comms and mid_a not in b.kernel.manager.comms
    assert mid_b in b.kernel.manager.comms and mid_b not in a.kernel.manager.comms
    b.kernel.handle({"type": "comm_msg", "comm_id": mid_a, "data": {"method": "request_state"}})
    assert "no model with id" in b.take()[0][0]["error"]["message"]


def test_non_finite_floats_become_null_instead_of_invalid_json(page):
    from fh_anywidget.kernel import to_json

    assert json.loads(to_json({"a": float("nan"), "b": [1.0, float("inf")]})) == {"a": None, "b": [1.0, None]}


@anywidget.experimental.dataclass(esm="export default { render() {} }\n")
class DataclassCounter:
    value: int = 0


def test_a_descriptor_widget_opens_its_comm_on_its_own_page_when_several_pages_are_connected(target_module):
    # anywidget.experimental widgets open their comm on first repr, which the kernel asks for
    # after construction: that must still happen inside this page's kernel (server mode has many)
    sys.modules[target_module].DataclassCounter = DataclassCounter
    page, other = Page(), Page()
    page.kernel.handle({"type": "create", "key": "d", "target": "kernel_targets:DataclassCounter", "kwargs": {"value": 4}})
    msgs = [m for m, _ in page.take()]
    assert [m["type"] for m in msgs if m["type"] != "comm_msg"] == ["comm_open", "created"], msgs
    assert msgs[0]["data"]["state"]["value"] == 4
    assert msgs[-1]["model_id"] == msgs[0]["comm_id"]
    assert other.take() == []


def test_a_server_kernel_opens_a_descriptor_widgets_comm_on_its_own_page_too(target_module):
    from fh_anywidget.server import ServerKernel

    sys.modules[target_module].DataclassCounter = DataclassCounter
    sent: list[dict] = []
    kernel = ServerKernel(lambda text, buffers: sent.append(json.loads(text)))
    other = ServerKernel(lambda text, buffers: None)  # another page of the same server
    model_id, existed = kernel.make("d", "kernel_targets:DataclassCounter", {"value": 2})
    assert not existed
    opens = [m for m in sent if m["type"] == "comm_open"]
    assert [m["comm_id"] for m in opens] == [model_id] and opens[0]["data"]["state"]["value"] == 2
    assert other.widgets == {}


def test_a_model_the_page_closed_is_not_closed_again_when_its_widget_closes(page):
    mid = page.create("kernel_targets:Counter")
    widget = page.kernel.widgets["k"]
    page.kernel.handle({"type": "comm_close", "comm_id": mid})
    closed = [m for m, _ in page.take()]
    # what the widget made with it (its layout) is closed too, and the page hears of that, not of its own
    assert closed and all(m["type"] == "comm_close" and m["comm_id"] != mid for m in closed)
    widget.close()  # or its __del__: no second comm_close to the page, no KeyError
    assert [m["type"] for m, _ in page.take()] == []
    assert mid not in page.kernel.manager.comms


def test_the_snapshots_warm_up_takes_a_widget_through_its_whole_life_and_leaves_nothing_behind():
    from fh_anywidget import kernel
    from fh_anywidget.kernel import comms

    before = list(comms._installed)
    frames = [json.loads(f) for f in kernel.warm_up()]
    kinds = [(m["type"], m.get("data", {}).get("method")) for m in frames]
    assert ("created", None) in kinds
    assert ("comm_msg", "echo_update") in kinds
    assert {"echo": 1} in [m["data"]["state"] for m in frames if m["type"] == "comm_msg" and m["data"]["method"] == "update"]
    assert any(m["type"] == "comm_msg" and m["data"].get("content") == {"op": "pong"} and m.get("nbuffers") == 1 for m in frames)
    assert comms._installed == before, "its kernel is gone: the worker's own kernel is the only one"


def test_the_warm_up_fails_loudly_when_the_kernel_reports_an_error(monkeypatch):
    from fh_anywidget import kernel
    from fh_anywidget.kernel import warmup

    monkeypatch.setattr(warmup, "_warm_up_widget", lambda: 42)  # not a widget: the kernel answers with an error
    with pytest.raises(RuntimeError, match="warm-up failed"):
        kernel.warm_up()


@pytest.mark.parametrize("echo", [True, False])
def test_a_refused_update_is_answered_with_the_error_and_pythons_values_and_no_echo(page, echo):
    """The page applied its value at once; Python refused it: the page gets the error and Python's
    value back (so its view and form field show what Python has), and never an echo of the refused
    value, with ipywidgets' echo_update on (server mode) or off (the worker)."""
    from fh_anywidget.kernel import ipywidgets_api

    mid = page.create("kernel_targets:Counter", value=3)
    page.take()
    ipywidgets_api.echo_updates(echo)
    try:
        page.kernel.handle({"type": "comm_msg", "comm_id": mid, "seq": 1,
                            "data": {"method": "update", "state": {"value": "not a number"}, "buffer_paths": []}})
    finally:
        ipywidgets_api.echo_updates(True)
    msgs = [m for m, _ in page.take()]
    assert [m["type"] for m in msgs] == ["error", "comm_msg"], msgs
    assert msgs[0]["error"]["type"] == "TraitError" and msgs[0]["comm_id"] == mid
    assert msgs[1]["data"] == {"method": "update", "state": {"value": 3}, "buffer_paths": []}
