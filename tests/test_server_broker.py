"""The broker's parts that need no Redis (py/fh_anywidget/server/broker.py, restore.py): values
packed with their buffers, a widget made again from its record, the several-processes check.
The behaviour across processes, with a real redis-server, is tests/test_server_cluster.py's."""

from __future__ import annotations

from typing import Any

import anywidget
import pytest
import traitlets

from fh_anywidget.server.broker import Broker, broker_url_problem, pack, several_processes, unpack
from fh_anywidget.server.page import ServerKernel
from fh_anywidget.server.restore import rebuild, record_of


def test_a_packed_value_carries_its_header_and_buffers_unchanged() -> None:
    header = {"op": "msg", "msg": {"comm_id": "x", "data": {"method": "update", "state": {"v": "é"}}}}
    assert unpack(pack(header, [b"\x00\x01", b"", memoryview(b"xyz")])) == (header, [b"\x00\x01", b"", b"xyz"])
    assert unpack(pack([1, 2])) == ([1, 2], [])


@pytest.mark.parametrize("data", [b"", b"\x00\x00\x00\x05{}", b"\x00\x00\x00\x02{}\x00\x00\x00\x01\x00\x00\x00\x09ab"])
def test_a_value_fh_anywidget_did_not_pack_is_refused_with_a_clear_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="not one fh-anywidget packed"):
        unpack(data)


def test_a_broker_must_be_a_redis_url_and_the_error_says_what_to_pass() -> None:
    assert broker_url_problem("redis://localhost:6379/0") is None
    assert broker_url_problem("rediss://user:pw@host:6380") is None
    problem = broker_url_problem("http://localhost:6379")
    assert problem is not None and "broker='redis://localhost:6379/0'" in problem and "FHAW_BROKER" in problem
    with pytest.raises(ValueError, match="is not a Redis URL"):
        Broker("localhost")


def test_keys_live_in_the_namespace_and_log_lines_never_show_a_password() -> None:
    broker = Broker("redis://user:hunter2@cache.internal:6379/0", namespace="shop")
    assert broker.key("page", "abc") == "shop:page:abc"
    assert "hunter2" not in broker._where()


def test_several_processes_are_recognised_from_web_concurrency(monkeypatch) -> None:
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    assert "4 processes" in (several_processes() or "")
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert several_processes() is None or "workers" in several_processes()


class Observed(anywidget.AnyWidget):
    """An observer that counts its runs (class-wide): restoring a state must not run it."""

    _esm = "export default {}"
    runs = 0
    value = traitlets.Int(0).tag(sync=True)
    data = traitlets.Bytes(b"").tag(sync=True)
    doubled = traitlets.Int(0).tag(sync=True)

    @traitlets.observe("value")
    def _double(self, change: dict[str, Any]) -> None:
        type(self).runs += 1
        self.doubled = change["new"] * 2


def test_a_widget_made_again_from_its_record_has_the_same_model_ids_and_state_and_runs_no_observer() -> None:
    sent: list[str] = []
    first = ServerKernel(lambda text, buffers: sent.append(text))
    first.make("k", f"{__name__}:Observed", {})
    widget = first.widgets["k"]
    widget.value, widget.data = 21, b"\x00\xffbytes"
    header, buffers = unpack(pack(*record_of(first, "k")))  # as Redis hands it back
    ids = first.groups["k"]
    first.close()  # its process is gone
    second = ServerKernel(lambda text, buffers: sent.append(text))
    try:
        runs = Observed.runs
        rebuild(second, header, buffers)
        again = second.widgets["k"]
        assert second.groups["k"] == ids  # the ids the pages hold
        assert (again.value, again.doubled, again.data) == (21, 42, b"\x00\xffbytes")
        assert Observed.runs == runs  # it ran once, where the state was made
        again.value = 5  # and it is a live widget
        assert again.doubled == 10
    finally:
        second.close()
