"""Fuzz: 10,000 hostile frames of every class the outside attack run used, on one socket, with an
honest visitor's page round-tripping on another between batches. Asserts zero unhandled exceptions
(none escapes to Starlette, none reaches the catch-all that drops a message it could not handle),
the attacker's socket and the honest one both still served, and bounded server memory."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from test_server import ORIGIN, Raw, specs
from test_server_security import board, make_app

FRAMES = 10_000
BATCH = 500


def rss_bytes() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096


def hostile(rng: random.Random, model_id: str, grant: str) -> list[str | bytes]:
    """One hostile message: its frames (text, then any binary frames)."""
    junk: list[Any] = [None, True, 1, -1, 2**70, 1.5, "", "x" * 300, "\ud800", [], [1, [2]], {}, {"a": {"b": []}}]
    pick: Callable[[], Any] = lambda: rng.choice(junk)  # noqa: E731
    kind = rng.randrange(16)
    if kind == 0:  # unhashable or odd types and methods
        return [json.dumps({"type": pick(), "comm_id": model_id, "data": {"method": pick()}})]
    if kind == 1:
        return [json.dumps({"type": "comm_msg", "comm_id": pick(), "seq": pick(), "data": pick()})]
    if kind == 2:  # deep nesting
        depth = rng.choice([500, 1000, 5000, 100_000])
        return ["[" * depth + "]" * depth if rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth]
    if kind == 3:  # lone surrogates and other strings in grants, keys, states
        return [json.dumps({"type": "create", "key": rng.choice(["\ud800", "k", pick()]), "grant": rng.choice(
            ["\udfff" + grant, grant[:-3] + "xyz", grant + "\ud800", pick()]), "target": "subprocess:run", "kwargs": {}})]
    if kind == 4:  # protected traits
        name = rng.choice(["_esm", "_css", "_anywidget_id", "_model_name", "_view_module", "layout", "_dom_classes",
                           "owner", "price"])
        return [json.dumps({"type": "comm_msg", "comm_id": model_id, "seq": rng.randrange(1, 9),
                            "data": {"method": "update", "state": {name: pick()}, "buffer_paths": []}})]
    if kind == 5:  # buffer bookkeeping
        n = rng.choice([-1, 0, 1, 3, 65, 10**9, "2", None])
        frames: list[str | bytes] = [json.dumps({"type": "comm_msg", "comm_id": model_id, "nbuffers": n,
                                                 "data": {"method": "custom", "content": {}}})]
        if isinstance(n, int) and 0 < n <= 3:
            frames += [rng.randbytes(rng.randrange(0, 64)) for _ in range(rng.randrange(0, n + 1))]
        return frames
    if kind == 6:  # a binary frame nobody announced
        return [rng.randbytes(rng.randrange(0, 128))]
    if kind == 7:  # not JSON, not an object
        return [rng.choice(["{nope", "[1,2]", "3", '"s"', "null", "\x00\x01", "{" * 10])]
    if kind == 8:  # updates with bad buffer paths
        return [json.dumps({"type": "comm_msg", "comm_id": model_id, "nbuffers": 1,
                            "data": {"method": "update", "state": {"value": pick()}, "buffer_paths": pick()}}),
                rng.randbytes(8)]
    if kind == 9:  # bad values for a real trait
        return [json.dumps({"type": "comm_msg", "comm_id": model_id, "seq": 1,
                            "data": {"method": "update", "state": {"value": pick()}, "buffer_paths": []}})]
    if kind == 10:
        return [json.dumps({"type": "comm_msg", "comm_id": model_id, "data": {"method": "request_state"}})]
    if kind == 11:
        return [json.dumps({"type": "comm_msg", "comm_id": model_id, "data": {"method": "custom", "content": pick()}})]
    if kind == 12:
        return [json.dumps({"type": "comm_close", "comm_id": pick()})]
    if kind == 13:  # oversize in bytes, not characters
        return [json.dumps({"type": "comm_msg", "pad": "é" * 70_000}, ensure_ascii=False)]
    if kind == 14:  # a create with a grant of another widget
        return [json.dumps({"type": "create", "key": "other", "grant": grant, "target": "x:y", "kwargs": pick()})]
    return [json.dumps({"type": "create", "key": pick(), "grant": pick()})]


@pytest.mark.slow
def test_ten_thousand_hostile_frames_drop_no_socket_raise_nothing_and_grow_no_memory(tmp_path, caplog) -> None:
    app, host = make_app(tmp_path, server_max_frame_bytes=128 * 1024)
    rng = random.Random(16)
    caplog.set_level(logging.WARNING, logger="fh_anywidget")
    with TestClient(app) as attacker, TestClient(app) as visitor:
        spec_a, spec_v = board(attacker), board(visitor)
        with attacker.websocket_connect("/_fhaw/ws", headers=ORIGIN) as ws_a, \
                visitor.websocket_connect("/_fhaw/ws", headers=ORIGIN) as ws_v:
            bad, good = Raw(ws_a), Raw(ws_v)
            model_id, _ = bad.create(spec_a)
            good.create(spec_v)
            sent, start_rss, peak_rss, value = 0, rss_bytes(), 0, 0
            while sent < FRAMES:
                for _ in range(BATCH):
                    for frame in hostile(rng, model_id, spec_a["grant"]):
                        (ws_a.send_text if isinstance(frame, str) else ws_a.send_bytes)(frame)
                        sent += 1
                # the attacker's socket still answers, in order (and its replies are drained)
                ws_a.send_text(json.dumps({"type": "comm_msg"}))  # ends any message still waiting for buffers
                value += 1
                bad.update(model_id, value=value)
                bad.until(lambda m: m["type"] == "comm_msg" and m["data"].get("state", {}).get("value") == value, limit=10**6)
                # and the honest visitor's round trip goes through
                good.update(model_id, value=value + 1000)  # (it also sees the attacker's own writes of value)
                good.until(lambda m: m["type"] == "comm_msg" and m["data"].get("state", {}).get("value") == value + 1000,
                           limit=10**6)
                peak_rss = max(peak_rss, rss_bytes())
            widget = host.server.hub.kernel.widgets["board"]
            assert widget._esm.startswith("export default") and widget.owner == "python"
    unhandled = [r for r in caplog.records if "could not be handled" in r.getMessage() or r.levelno >= logging.ERROR]
    growth = (peak_rss - start_rss) / 2**20
    print(f"\nfuzz: {sent} hostile frames, {len(unhandled)} unhandled, peak RSS growth {growth:.1f} MiB")
    assert not unhandled, [r.getMessage() for r in unhandled[:5]]
    assert growth < 200, f"server memory grew {growth:.0f} MiB"
