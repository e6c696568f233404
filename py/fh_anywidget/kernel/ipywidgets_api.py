"""The parts of ipywidgets (and comm) that are not public API but that fh-anywidget relies on, in
one place, with the versions they were checked against.

- ``ipywidgets.widgets.widget._instances``: every live widget by model id (ipywidgets' own
  registry; a widget leaves it when it is closed).
- ``ipywidgets.widgets.widget._remove_buffers(state)``: splits binary values out of a state
  dict into ``(state, buffer_paths, buffers)``, as ipywidgets does for ``comm_open``.
- ``comm.create_comm`` / ``comm.get_comm_manager``: module attributes that ipywidgets looks up
  at call time (the documented way to give ``comm`` another backend).
- ``ipywidgets.widgets.widget.JUPYTER_WIDGETS_ECHO``: whether ``set_state`` sends an
  ``echo_update`` of what a client set (read at each call; ipywidgets sets it from the
  environment variable of that name at import). The worker turns it off: :func:`echo_updates`.
- ``BaseComm._closed``: set when the page closed a comm, so that closing it again sends nothing.
- ``BaseComm._msg_callback``: the ``on_msg`` callback, which our comms call themselves
  (``KernelComm.handle_msg``).

:func:`check` verifies these at first use and fails with a message that names what changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CHECKED_AGAINST = {"ipywidgets": "8.1.9", "comm": "0.2.3"}
"""The versions these internals were checked against (tests/test_ipywidgets_api.py runs :func:`check`)."""

_checked = False


class UnsupportedVersion(RuntimeError):
    """An ipywidgets or comm release changed something fh-anywidget relies on."""


def check(widget_module: Any = None, comm_module: Any = None) -> None:
    """Raise :class:`UnsupportedVersion` naming what is missing, if the installed ipywidgets or
    comm lacks what this module uses. The modules may be given (tests pass stand-ins)."""
    if widget_module is None:
        from ipywidgets.widgets import widget as widget_module  # noqa: PLC0415
    if comm_module is None:
        import comm as comm_module  # noqa: PLC0415
    from comm.base_comm import BaseComm  # noqa: PLC0415

    problems = []
    if not isinstance(getattr(widget_module, "_instances", None), dict):
        problems.append("ipywidgets.widgets.widget._instances is no longer a dict of live widgets")
    if not isinstance(getattr(widget_module, "JUPYTER_WIDGETS_ECHO", None), bool):
        problems.append("ipywidgets.widgets.widget.JUPYTER_WIDGETS_ECHO (echo_update on or off) is gone")
    if not callable(getattr(widget_module, "_remove_buffers", None)):
        problems.append("ipywidgets.widgets.widget._remove_buffers(state) is gone")
    if not callable(getattr(widget_module, "_put_buffers", None)):
        problems.append("ipywidgets.widgets.widget._put_buffers(state, buffer_paths, buffers) is gone")
    for name in ("create_comm", "get_comm_manager"):
        if not callable(getattr(comm_module, name, None)):
            problems.append(f"comm.{name} is gone")
    if not hasattr(BaseComm, "publish_msg") or not hasattr(BaseComm, "handle_msg"):
        problems.append("comm.base_comm.BaseComm lost publish_msg/handle_msg")
    on_msg_code = getattr(getattr(BaseComm, "on_msg", None), "__code__", None)
    if "_msg_callback" not in getattr(on_msg_code, "co_names", ()):
        problems.append("comm.base_comm.BaseComm.on_msg no longer keeps its callback in _msg_callback")
    if problems:
        versions = ", ".join(f"{k} {v}" for k, v in CHECKED_AGAINST.items())
        have = f"ipywidgets {_version('ipywidgets')}, comm {_version('comm')}"
        raise UnsupportedVersion(
            f"[fh-anywidget] this ipywidgets/comm ({have}) changed what fh-anywidget relies on: "
            + "; ".join(problems)
            + f". fh-anywidget was checked against {versions}: install those versions (pip install "
            "'ipywidgets==8.1.9' 'comm==0.2.3'), or upgrade fh-anywidget")


def _version(name: str) -> str:
    try:
        from importlib.metadata import version  # noqa: PLC0415

        return version(name)
    except Exception:  # noqa: BLE001 - only for the message
        return "?"


def _ensure_checked() -> None:
    global _checked
    if not _checked:
        check()
        _checked = True


def echo_updates(on: bool) -> None:
    """Whether this Python's widgets answer a client's ``update`` with an ``echo_update`` (for
    every widget of the process; ipywidgets' default, and server mode's, is on)."""
    _ensure_checked()
    from ipywidgets.widgets import widget  # noqa: PLC0415

    widget.JUPYTER_WIDGETS_ECHO = on


def live_widget(model_id: str) -> Any:
    """The live ipywidgets widget with this model id, or None."""
    _ensure_checked()
    from ipywidgets.widgets.widget import _instances  # noqa: PLC0415

    return _instances.get(model_id)


def live_widget_count() -> int:
    """How many ipywidgets widgets are alive in this process."""
    _ensure_checked()
    from ipywidgets.widgets.widget import _instances  # noqa: PLC0415

    return len(_instances)


def split_buffers(state: Mapping[str, Any]) -> tuple[dict[str, Any], list[Any], list[Any]]:
    """``(state, buffer_paths, buffers)`` of a widget state, as ipywidgets sends it in ``comm_open``."""
    _ensure_checked()
    from ipywidgets.widgets.widget import _remove_buffers  # noqa: PLC0415

    return _remove_buffers(dict(state))


def mark_closed_by_page(comm: Any) -> None:
    """As comm's own ``CommManager.comm_close`` does: the page closed it, so closing it again later
    (the widget's ``close()``, or its ``__del__``) sends nothing back and unregisters nothing twice."""
    comm._closed = True


def restore_state(widget: Any, state: Mapping[str, Any], buffer_paths: list[Any], buffers: list[Any]) -> None:
    """Put back a state that ``split_buffers`` took from a widget of the same class, quietly: no
    observer runs and nothing is sent (server mode rebuilds a widget on another process; its
    observers already ran, once, where the state was made). The widget's own code and framework
    traits (``_esm``, ``_model_*``, ``layout``, ...) keep what its constructor gave them."""
    _ensure_checked()
    from ipywidgets.widgets.widget import _put_buffers  # noqa: PLC0415

    from .page_writes import FRAMEWORK_PREFIXES, FRAMEWORK_TRAITS  # noqa: PLC0415

    full = dict(state)
    _put_buffers(full, buffer_paths, [memoryview(b) for b in buffers])
    traits = widget.traits()
    for name, value in full.items():
        trait = traits.get(name)
        if trait is None or name in FRAMEWORK_TRAITS or name.startswith(FRAMEWORK_PREFIXES):
            continue
        from_json = widget.trait_metadata(name, "from_json", widget._trait_from_json)
        value = from_json(value, widget)
        if isinstance(value, memoryview) and isinstance(trait.default_value, bytes):
            value = value.tobytes()
        widget._trait_values[name] = trait._validate(widget, value)
