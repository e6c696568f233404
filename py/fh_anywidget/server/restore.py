"""A widget as Redis keeps it, and the widget made again from that on another process.

A *record* is what a widget was made from (its target and arguments, from the grant a page
showed, or the app's ``scope="app"`` render) plus, for each model it opened, its id and its
state: ``({"key", "target", "kwargs", "comms": [[comm_id, state, buffer_paths, nbuffers], ...]},
buffers)``. :func:`rebuild` calls the target again with the same arguments, gives the models it
opens the ids the pages already hold, and puts the state back without running an observer (they
ran once, where the state was made)."""

from __future__ import annotations

import json
from typing import Any

from ..kernel import Kernel, ipywidgets_api


def record_of(kernel: Kernel, key: str) -> tuple[dict[str, Any], list[bytes]] | None:
    """The record of ``key``'s widget in ``kernel``, or None if it has none."""
    signature = kernel.signatures.get(key)
    if signature is None:
        return None
    target, kwargs = json.loads(signature)
    comms: list[list[Any]] = []
    buffers: list[bytes] = []
    for comm_id in kernel.groups.get(key, []):
        widget = ipywidgets_api.live_widget(comm_id)
        if widget is None:
            continue
        state, paths, own = ipywidgets_api.split_buffers(widget.get_state())
        comms.append([comm_id, state, paths, len(own)])
        buffers += [bytes(b) for b in own]
    return {"key": key, "target": target, "kwargs": kwargs, "comms": comms}, buffers


def rebuild(kernel: Kernel, record: dict[str, Any], buffers: list[bytes]) -> None:
    """Make ``record``'s widget in ``kernel`` again, with its model ids and its state (see the
    module docstring); an exception of the target's own goes to the caller."""
    comms = record.get("comms") or []
    kernel.reuse_comm_ids = [c[0] for c in comms]  # type: ignore[attr-defined]  # read by kernel.comms
    try:
        kernel.make(record["key"], record["target"], record.get("kwargs") or {})
    finally:
        kernel.reuse_comm_ids = []  # type: ignore[attr-defined]
    at = 0
    for comm_id, state, paths, n in comms:
        widget = ipywidgets_api.live_widget(comm_id)
        if widget is not None and comm_id in kernel.manager.comms:
            ipywidgets_api.restore_state(widget, state, paths, buffers[at:at + n])
        at += n
