"""The Python end of the protocol: one :class:`Kernel` per connection (the page's worker, or one
page of a server), carrying ipywidgets' own messages through the ``comm`` backend of
:mod:`.comms`. Messages from the page come in through :meth:`Kernel.handle`; what Python sends
goes out through the kernel's ``send`` (JSON text and buffers) or, for a kernel shared by many
pages, its ``publish`` (the message before encoding, to route it). Nothing here imports FastHTML.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from comm.base_comm import BaseComm, CommManager

from . import ipywidgets_api
from . import protocol as P
from .comms import Buffer, ProtocolError, current_comm, current_kernel, install, uninstall
from .encoding import to_json
from .page_writes import refused_page_writes
from .targets import import_target, model_id_of

log = logging.getLogger("fh_anywidget")

Send = Callable[[str, list[memoryview]], None]
"""``send(json_text, buffers)``: how a kernel hands a message to its transport."""
Publish = Callable[[dict[str, Any], list[memoryview]], None]
"""``publish(message, buffers)``: how a kernel shared by several pages hands a message to whoever
routes it (the app hub of server mode)."""

before_traceback: Callable[[], None] | None = None
"""Called before a traceback is formatted (the worker writes its site-packages files then, so
that the traceback shows their source lines)."""


def check_page_message(msg: Any) -> str:
    """The type of a message from the page, after checking what every handler relies on (an
    object, a known type, a known ``comm_msg`` method); :class:`ProtocolError` names what is wrong."""
    kind = msg.get("type") if isinstance(msg, dict) else None
    if not isinstance(kind, str) or kind not in P.PAGE_TO_PYTHON:
        expected = ", ".join(sorted(P.PAGE_TO_PYTHON))
        raise ProtocolError(f"[fh-anywidget] unknown message type {_short(kind)}; expected one of: {expected}")
    if kind == P.COMM_MSG:
        data = msg.get("data")
        method = data.get("method") if isinstance(data, dict) else None
        if not isinstance(method, str) or method not in P.PAGE_METHODS:
            raise ProtocolError(f"[fh-anywidget] unknown comm_msg method {_short(method)}; expected one of: "
                                + ", ".join(sorted(P.PAGE_METHODS)))
        if method == P.UPDATE and not isinstance(data.get("state", {}), dict):
            raise ProtocolError(f"[fh-anywidget] an update's state must be an object; got {_short(data.get('state'))}")
        if not isinstance(data.get("buffer_paths", []), list):
            raise ProtocolError(f"[fh-anywidget] buffer_paths must be a list; got {_short(data.get('buffer_paths'))}")
    return kind


def _printable(name: str) -> str:
    """A name a page sent, as it may go into a log line: as it is when it is a plain identifier,
    else quoted with its control characters escaped (no forged log lines)."""
    return name if name.isidentifier() else _short(name)


def _short(value: Any) -> str:
    """``repr(value)``, cut short: a hostile page may send anything."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def signature_of(target: str, kwargs: Mapping[str, Any]) -> str:
    """What a widget was made from, comparable: the same target and arguments give the same text."""
    return json.dumps([target, kwargs], sort_keys=True, separators=(",", ":"))


class Kernel:
    """One connection's comms, the widgets it made (by the page's key), and the way to reach its page."""

    reopens = False
    """Whether a ``create`` for a key it already has opens the widget's models again, with their
    current state (server mode: the page may have lost them in a reload). The worker's page never does."""
    max_widgets: int | None = None
    """The most widgets (keys) this kernel makes for its page (server mode caps it: a page is a stranger)."""
    target_check: Callable[[str, Any, dict[str, Any]], None] | None = None
    """Called with each ``create``'s target, what it names and its arguments, before it is called:
    raises to refuse it (the worker's: :func:`.targets.check_page_target`; a server-mode page's
    creates were granted by its render already)."""
    sends_tracebacks = True
    """Whether an error sent to the page carries its traceback (the worker's: the visitor's own
    Python). A server's kernels send only the exception's type and message unless told to
    (``AnyWidgetHost(..., server_tracebacks=True)``): a traceback shows the server's paths and source
    lines to whoever caused the error; it goes to the server's log either way."""
    guards_page_writes = False
    """Whether a page's ``update`` of a framework or read-only trait is refused (server mode: see
    :mod:`.page_writes`). The worker's page is the visitor's own: it may (development reload sets ``_esm``)."""

    def __init__(self, send: Send | None = None, *, publish: Publish | None = None) -> None:
        if (send is None) == (publish is None):
            raise TypeError("[fh-anywidget] a Kernel needs exactly one of send(text, buffers) or publish(message, buffers)")
        self._send = send
        self._publish = publish
        self.manager = CommManager()
        self.widgets: dict[str, Any] = {}
        self.groups: dict[str, list[str]] = {}
        """The comms each key's widget opened while it was made (its layout, its children, itself)."""
        self.signatures: dict[str, str] = {}
        self.parent: int | None = None
        self._opening: list[str] | None = None
        self._held_echo: list[tuple[dict[str, Any], list[memoryview]]] | None = None
        """While a page's update is handled: ipywidgets' ``echo_update`` of it, held until the update
        is known to be valid (see :meth:`_comm_msg`)."""
        self._refused = False
        """Whether the page's update being handled was refused (an error was sent for it)."""
        install(self)
        import ipywidgets  # noqa: PLC0415 - after install, so its comm target lands here

        with self.active():
            ipywidgets.register_comm_target()

    # -- context --------------------------------------------------------------
    @contextlib.contextmanager
    def active(self) -> Iterator[Kernel]:
        """Make this kernel the one that new comms belong to."""
        token = current_kernel.set(self)
        try:
            yield self
        finally:
            current_kernel.reset(token)

    # -- out ------------------------------------------------------------------
    def emit(self, msg: dict[str, Any], buffers: Sequence[Buffer] = ()) -> None:
        """Send one protocol message with its buffers to the page (or to the publisher)."""
        if self._opening is not None and msg.get("type") == P.COMM_OPEN:
            self._opening.append(msg["comm_id"])
        views = [memoryview(b).cast("B") for b in buffers]
        held = self._held_echo
        if held is not None:
            if msg.get("type") == P.COMM_MSG and (msg.get("data") or {}).get("method") == P.ECHO_UPDATE:
                held.append((msg, views))
                return
            if msg.get("type") == P.ERROR:  # refused (ipywidgets logs the TraitError: _CallbackErrors)
                self._refused = True
                self._held_echo = []  # its echo is dropped
            else:
                self._release_echo()  # anything else Python sends comes after the update was set
        self._deliver(msg, views)

    def _deliver(self, msg: dict[str, Any], views: list[memoryview]) -> None:
        if self._publish is not None:
            self._publish(msg, views)
        else:
            self._send(to_json(msg), views)  # type: ignore[misc]

    def _release_echo(self) -> None:
        held, self._held_echo = self._held_echo, None
        for msg, views in held or ():
            self._deliver(msg, views)

    def send_error(self, exc: BaseException, *, key: str | None = None, comm_id: str | None = None) -> None:
        """Report a Python exception to the page, where it is shown in the widget's element."""
        if before_traceback is not None:
            before_traceback()
        tb = "".join(traceback.format_exception(type(exc), exc, _user_frames(exc.__traceback__)))
        print(tb, file=sys.stderr, end="")
        if not self.sends_tracebacks:
            tb = (f"{type(exc).__name__}: {exc}\n(the traceback is in the server's log; "
                  "AnyWidgetHost(app, server_tracebacks=True) shows it here too, for development)")
        msg: dict[str, Any] = {"type": P.ERROR, "error": {"type": type(exc).__name__, "message": str(exc), "traceback": tb}}
        if key is not None:
            msg["key"] = key
        if comm_id is not None:
            msg["comm_id"] = comm_id
        self.emit(msg)

    # -- in -------------------------------------------------------------------
    def handle(self, msg: dict[str, Any], buffers: Sequence[Buffer] = ()) -> None:
        """Handle one message from the page. Never raises: failures go back as ``error``."""
        try:
            kind = check_page_message(msg)
        except ProtocolError as exc:
            self.send_error(exc, **_where(msg))
            return
        self.handle_checked(kind, msg, buffers)

    def handle_checked(self, kind: str, msg: dict[str, Any], buffers: Sequence[Buffer] = ()) -> None:
        """:meth:`handle` for a message :func:`check_page_message` has passed (as ``kind``)."""
        try:
            if kind == P.CREATE:
                key, target, kwargs = msg.get("key"), msg.get("target"), msg.get("kwargs", {})
                if not isinstance(key, str) or not isinstance(target, str) or not isinstance(kwargs, dict):
                    raise ProtocolError("[fh-anywidget] a create message needs a string 'key', a 'module:name' "
                                        f"'target' and an object 'kwargs'; got key={key!r}, target={target!r}")
                self.create(key, target, kwargs)
            elif kind == P.COMM_MSG:
                self._comm_msg(msg, buffers)
            else:
                self._comm_close(msg)
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the page
            self.send_error(exc, **_where(msg))

    def handle_json(self, text: str, buffers: Sequence[Buffer] = ()) -> None:
        """:meth:`handle` for a JSON-encoded message (what transports receive)."""
        try:
            msg = json.loads(text)
        except ValueError as exc:
            self.send_error(ProtocolError(f"[fh-anywidget] a message is not valid JSON: {exc}"))
            return
        self.handle(msg, buffers)

    # -- widgets --------------------------------------------------------------
    def create(self, key: str, target: str, kwargs: dict[str, Any]) -> None:
        """Make the widget for ``key`` (see :meth:`make`) and answer ``created``; a failure raises."""
        model_id, existed = self.make(key, target, kwargs)
        if existed and self.reopens:
            for msg, buffers in self.open_messages(key):
                self.emit(msg, buffers)
        self.emit({"type": P.CREATED, "key": key, "model_id": model_id})

    def make(self, key: str, target: str, kwargs: dict[str, Any]) -> tuple[str, bool]:
        """The model id of the widget for ``key``, made now from ``target(**kwargs)`` unless this
        kernel has it from the same target and arguments; and whether it had it already."""
        signature = signature_of(target, kwargs)
        if key in self.widgets:
            if self.signatures.get(key) == signature:
                return model_id_of(self.widgets[key]), True
            self.drop(key)  # the page now renders other arguments under this key
        if self.max_widgets is not None and len(self.widgets) >= self.max_widgets:
            raise ProtocolError(f"[fh-anywidget] this page already has {len(self.widgets)} widgets, the most one page may "
                                "have (AnyWidgetHost(..., server_max_widgets_per_page=...)); the widget was not made")
        factory = import_target(target)
        if self.target_check is not None:
            self.target_check(target, factory, kwargs)
        self._opening = []
        try:
            with self.active():
                widget = factory(**kwargs)
                model_id = model_id_of(widget, target)  # descriptor widgets open their comm here, on first repr
        finally:
            opened, self._opening = self._opening, None
        # a strong reference: descriptor widgets are otherwise collected
        self.widgets[key], self.groups[key], self.signatures[key] = widget, opened, signature
        return model_id, False

    def drop(self, key: str, *, quietly: bool = False) -> None:
        """Close the widget of ``key`` and every comm it opened (``quietly``: as closed by the page,
        which then hears nothing of it)."""
        with self.active():
            for comm_id in self.groups.pop(key, []):
                comm = self.manager.comms.get(comm_id)
                if quietly and comm is not None:
                    ipywidgets_api.mark_closed_by_page(comm)
                    self.manager.unregister_comm(comm)
                widget = ipywidgets_api.live_widget(comm_id)
                if widget is not None:
                    widget.close()
        self.widgets.pop(key, None)
        self.signatures.pop(key, None)

    def open_messages(self, key: str) -> list[tuple[dict[str, Any], list[Any]]]:
        """``comm_open`` messages with the current state of every comm ``key``'s widget opened."""
        out = []
        for comm_id in self.groups.get(key, []):
            widget = ipywidgets_api.live_widget(comm_id)
            if widget is None or comm_id not in self.manager.comms:
                continue
            state, buffer_paths, buffers = ipywidgets_api.split_buffers(widget.get_state())
            out.append(({"type": P.COMM_OPEN, "comm_id": comm_id, "target_name": P.WIDGET_TARGET,
                         "data": {"state": state, "buffer_paths": buffer_paths},
                         "metadata": {"version": P.PROTOCOL_VERSION}}, buffers))
        return out

    # -- comm messages --------------------------------------------------------
    def _comm(self, msg: dict[str, Any]) -> BaseComm:
        comm_id = msg.get("comm_id")
        found = self.manager.comms.get(comm_id) if isinstance(comm_id, str) else None
        if found is None:
            raise ProtocolError(f"[fh-anywidget] no model with id {comm_id!r} on this connection; "
                                "the page may be newer than its Python (reload the page)")
        return found

    def _comm_msg(self, msg: dict[str, Any], buffers: Sequence[Buffer]) -> None:
        target = self._comm(msg)
        data = msg["data"]
        seq = msg.get("seq")
        views = [b if isinstance(b, memoryview) else memoryview(b) for b in buffers]
        updating = data.get("method") == P.UPDATE
        if updating and self.guards_page_writes:
            self._refuse_protected(target.comm_id, _names_set(data))
        if updating and views:
            views = _bytes_for_bytes_traits(target.comm_id, data.get("buffer_paths") or [], views)
        wire = {"content": {"comm_id": target.comm_id, "data": data}, "metadata": {}, "header": {"msg_type": P.COMM_MSG},
                "buffers": views}
        # self.active() by hand: this is every message's path, and a generator context manager
        # costs more than the two context variables
        token, token_comm = current_kernel.set(self), current_comm.set(target.comm_id)
        self.parent = seq if isinstance(seq, int) else None
        # ipywidgets sends the echo of an update before it sets (and validates) the values: the
        # echo waits until something else is sent or the update is done, and a refused update's is
        # dropped, so that no other page ever applies a value Python refused; and every page
        # showing the model, the sender's too (it applied its values at once), gets Python's back
        self._held_echo, self._refused = ([] if updating else None), False
        try:
            target.handle_msg(wire)
        except BaseException:
            self._refused = True
            raise
        else:
            if not self._refused:
                self._release_echo()
        finally:
            self._held_echo = None
            refused, self._refused = self._refused, False
            if refused and updating:
                self._resend_state(target.comm_id, _names_set(data))
            self.parent = None
            current_comm.reset(token_comm)
            current_kernel.reset(token)

    def _resend_state(self, comm_id: str, names: list[str]) -> None:
        """After a refused update: Python's values of the traits it named, to every page showing
        the model (the page that sent it had applied its values already)."""
        widget = ipywidgets_api.live_widget(comm_id)
        keys = [name for name in names if widget is not None and name in getattr(widget, "keys", ())]
        if keys:
            try:
                widget.send_state(keys)
            except Exception:  # noqa: BLE001 - the update's own error is the one the page hears of
                log.exception("[fh-anywidget] could not send the state of %s again after a refused update", comm_id)

    def _refuse_protected(self, comm_id: str, names_set: list[str]) -> None:
        widget = ipywidgets_api.live_widget(comm_id)
        refused = refused_page_writes(widget, names_set)
        if refused:
            names = ", ".join(_printable(name) for name in sorted(refused))
            what = type(widget).__name__ if widget is not None else f"model {comm_id}"
            log.warning("[fh-anywidget] refused a page's update of %s on %s", names, what)
            raise ProtocolError(f"[fh-anywidget] the page may not set {names} on {what} (the widget's front-end code, "
                                "the framework's own traits, and the traits it marks read-only are set by Python only); "
                                "nothing was changed")

    def _comm_close(self, msg: dict[str, Any]) -> None:
        target = self._comm(msg)
        keys = [key for key, made in self.widgets.items() if model_id_of(made) == target.comm_id]
        ipywidgets_api.mark_closed_by_page(target)
        self.manager.unregister_comm(target)
        with self.active():
            target.handle_close({"content": {"comm_id": target.comm_id, "data": {}}})
            widget = ipywidgets_api.live_widget(target.comm_id)
            if widget is not None:
                widget.close()  # out of ipywidgets' registry too: a closed model must not stay alive
        for key in keys:  # and what was made with it (its layout, its children): nothing stays behind, and
            self.drop(key)  # the page hears of each, so that it drops its models of them too

    def close(self) -> None:
        """Close every widget and comm of this connection (the page went away) and forget the kernel."""
        with self.active():
            for comm_id, c in list(self.manager.comms.items()):
                widget = ipywidgets_api.live_widget(comm_id)
                with contextlib.suppress(Exception):
                    widget.close() if widget is not None else c.close()
        self.manager.comms.clear()
        self.widgets.clear()
        uninstall(self)


def _where(msg: Any) -> dict[str, str]:
    """The ``key``/``comm_id`` of a message, for the error that answers it."""
    return {k: msg[k] for k in ("key", "comm_id") if isinstance(msg, dict) and isinstance(msg.get(k), str)}


def _names_set(data: Mapping[str, Any]) -> list[str]:
    """The traits an update (or echo) sets: its state's keys, and the first step of each buffer
    path (ipywidgets puts a buffer into the state at its path before it sets anything)."""
    state = data.get("state")
    names = [str(name) for name in state] if isinstance(state, dict) else []
    paths = data.get("buffer_paths")
    for path in paths if isinstance(paths, list) else ():
        if isinstance(path, list) and path and str(path[0]) not in names:
            names.append(str(path[0]))
    return names


def _bytes_for_bytes_traits(comm_id: str, paths: Sequence[Any], views: list[memoryview]) -> list[Any]:
    """Buffers arrive as memoryviews, as from a Jupyter kernel; but ``traitlets.Bytes`` refuses a
    memoryview, so a buffer that is a whole ``Bytes`` trait's value is handed over as ``bytes``."""
    from traitlets import Bytes  # noqa: PLC0415

    widget = ipywidgets_api.live_widget(comm_id)
    traits = widget.traits() if widget is not None else {}
    out: list[Any] = list(views)
    for i, path in enumerate(paths[: len(views)]):
        if isinstance(path, list) and len(path) == 1 and isinstance(traits.get(path[0]), Bytes):
            out[i] = views[i].tobytes()
    return out


def _user_frames(tb: Any) -> Any:
    """Skip fh-anywidget's own frames at the top of a traceback (the kernel's, and in server mode
    the server's): the reader's code comes first."""
    while tb is not None and tb.tb_next is not None and _is_ours(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb


def _is_ours(filename: str) -> bool:
    folder = os.path.dirname(filename)
    return folder == _HERE or folder == _SERVER


_HERE = os.path.dirname(__file__)
_SERVER = os.path.join(os.path.dirname(_HERE), "server")
