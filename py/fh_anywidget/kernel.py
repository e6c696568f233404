"""The Python end of the protocol: a ``comm`` backend that carries ipywidgets' own messages.

A :class:`Kernel` stands for one connection (the page's worker, or one page of a server).
It replaces ``comm.create_comm`` and ``comm.get_comm_manager`` so that every widget the
real, unmodified ipywidgets/anywidget make opens a :class:`KernelComm`, whose messages go
out through the kernel's ``send``. Messages from the page come in through
:meth:`Kernel.handle`. Nothing here imports FastHTML: this module runs inside Pyodide.
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import json
import logging
import math
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import comm
from comm.base_comm import BaseComm, CommManager

from . import protocol as P

Buffer = bytes | bytearray | memoryview
Send = Callable[[str, list[memoryview]], None]
"""``send(json_text, buffers)``: how a kernel hands a message to its transport."""

_current: contextvars.ContextVar[Kernel | None] = contextvars.ContextVar("fh_anywidget_kernel", default=None)
_current_comm: contextvars.ContextVar[str | None] = contextvars.ContextVar("fh_anywidget_comm", default=None)
_last_installed: list[Kernel] = []

log = logging.getLogger("fh_anywidget")

before_traceback: Callable[[], None] | None = None
"""Called before a traceback is formatted (the worker writes its site-packages files then, so
that the traceback shows their source lines)."""


class ProtocolError(ValueError):
    """A message from the page that does not follow docs/protocol.md."""


class KernelComm(BaseComm):
    """A comm whose messages travel through its :class:`Kernel`."""

    def __init__(self, *args: Any, kernel: Kernel, **kwargs: Any) -> None:
        # `kernel` must be set before BaseComm.__init__ opens the comm. ipywidgets and
        # anywidget's descriptor read `comm.kernel` to decide whether to sync state.
        self.kernel = kernel
        with kernel.active():
            super().__init__(*args, **kwargs)

    def publish_msg(
        self,
        msg_type: str,
        data: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: Sequence[Buffer] | None = None,
        **keys: Any,
    ) -> None:
        msg: dict[str, Any] = {"type": msg_type, "comm_id": self.comm_id}
        if msg_type == P.COMM_OPEN:
            msg.update(target_name=keys.get("target_name") or self.target_name, data=data or {},
                       metadata=metadata or {"version": P.PROTOCOL_VERSION})
        elif msg_type == P.COMM_MSG:
            msg.update(data=data or {}, parent=self.kernel.parent)
        elif msg_type != P.COMM_CLOSE:
            raise ProtocolError(f"[fh-anywidget] cannot publish a {msg_type!r} message")
        self.kernel.emit(msg, buffers or [])

    def close(self, *args: Any, **kwargs: Any) -> None:
        with self.kernel.active():
            super().close(*args, **kwargs)


class _CallbackErrors(logging.Handler):
    """Turns exceptions that ipywidgets catches and logs (``on_msg`` callbacks) into
    ``error`` messages for the widget being handled, so they are not swallowed."""

    def emit(self, record: logging.LogRecord) -> None:
        kernel, comm_id = _current.get(), _current_comm.get()
        if kernel is None or not record.exc_info or record.exc_info[1] is None:
            return
        kernel.send_error(record.exc_info[1], comm_id=comm_id)


class Kernel:
    """One connection's comms, the widgets it made, and the way to reach its page."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.manager = CommManager()
        self.widgets: dict[str, Any] = {}
        self.parent: int | None = None
        install(self)
        import ipywidgets  # noqa: PLC0415 - after install, so its comm target lands here

        with self.active():
            ipywidgets.register_comm_target()

    # -- context --------------------------------------------------------------
    @contextlib.contextmanager
    def active(self) -> Iterator[Kernel]:
        """Make this kernel the one that new comms belong to."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)

    # -- out ------------------------------------------------------------------
    def emit(self, msg: dict[str, Any], buffers: Sequence[Buffer] = ()) -> None:
        """Send one protocol message (JSON-encoded) with its buffers to the page."""
        self._send(to_json(msg), [memoryview(b).cast("B") for b in buffers])

    def send_error(self, exc: BaseException, *, key: str | None = None, comm_id: str | None = None) -> None:
        """Report a Python exception to the page, where it is shown in the widget's element."""
        if before_traceback is not None:
            before_traceback()
        tb = "".join(traceback.format_exception(type(exc), exc, _user_frames(exc.__traceback__)))
        print(tb, file=sys.stderr, end="")
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
            kind = msg.get("type") if isinstance(msg, dict) else None
            if kind == P.CREATE:
                self._create(msg)
            elif kind == P.COMM_MSG:
                self._comm_msg(msg, buffers)
            elif kind == P.COMM_CLOSE:
                self._comm_close(msg)
            else:
                expected = ", ".join(sorted(P.PAGE_TO_PYTHON))
                raise ProtocolError(f"[fh-anywidget] unknown message type {kind!r}; expected one of: {expected}")
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the page
            where = {k: msg[k] for k in ("key", "comm_id") if isinstance(msg, dict) and isinstance(msg.get(k), str)}
            self.send_error(exc, **where)

    def handle_json(self, text: str, buffers: Sequence[Buffer] = ()) -> None:
        """:meth:`handle` for a JSON-encoded message (what transports receive)."""
        try:
            msg = json.loads(text)
        except ValueError as exc:
            self.send_error(ProtocolError(f"[fh-anywidget] a message is not valid JSON: {exc}"))
            return
        self.handle(msg, buffers)

    def _create(self, msg: dict[str, Any]) -> None:
        key, target, kwargs = msg.get("key"), msg.get("target"), msg.get("kwargs", {})
        if not isinstance(key, str) or not isinstance(target, str) or not isinstance(kwargs, dict):
            raise ProtocolError("[fh-anywidget] a create message needs a string 'key', a 'module:name' "
                                f"'target' and an object 'kwargs'; got key={key!r}, target={target!r}")
        if key in self.widgets:
            self.emit({"type": P.CREATED, "key": key, "model_id": model_id_of(self.widgets[key])})
            return
        factory = import_target(target)
        with self.active():
            widget = factory(**kwargs)
            # descriptor widgets (anywidget.experimental) open their comm here, on first repr
            model_id = model_id_of(widget, target)
        self.widgets[key] = widget  # a strong reference: descriptor widgets are otherwise collected
        self.emit({"type": P.CREATED, "key": key, "model_id": model_id})

    def _comm(self, msg: dict[str, Any]) -> BaseComm:
        comm_id = msg.get("comm_id")
        found = self.manager.comms.get(comm_id) if isinstance(comm_id, str) else None
        if found is None:
            raise ProtocolError(f"[fh-anywidget] no model with id {comm_id!r} on this connection; "
                                "the page may be newer than its Python (reload the page)")
        return found

    def _comm_msg(self, msg: dict[str, Any], buffers: Sequence[Buffer]) -> None:
        target = self._comm(msg)
        data = msg.get("data")
        method = data.get("method") if isinstance(data, dict) else None
        if method not in P.PAGE_METHODS:
            raise ProtocolError(f"[fh-anywidget] unknown comm_msg method {method!r}; expected one of: "
                                + ", ".join(sorted(P.PAGE_METHODS)))
        seq = msg.get("seq")
        views = [b if isinstance(b, memoryview) else memoryview(b) for b in buffers]
        if method == P.UPDATE and views:
            views = _bytes_for_bytes_traits(target.comm_id, data.get("buffer_paths") or [], views)
        wire = {"content": {"comm_id": target.comm_id, "data": data}, "metadata": {}, "header": {"msg_type": P.COMM_MSG},
                "buffers": views}
        # self.active() by hand: this is every message's path, and a generator context manager
        # costs more than the two context variables
        token, token_comm = _current.set(self), _current_comm.set(target.comm_id)
        self.parent = seq if isinstance(seq, int) else None
        try:
            target.handle_msg(wire)
        finally:
            self.parent = None
            _current_comm.reset(token_comm)
            _current.reset(token)

    def _comm_close(self, msg: dict[str, Any]) -> None:
        target = self._comm(msg)
        # as comm's own CommManager.comm_close does: the page closed it, so closing it again later
        # (the widget's close(), or its __del__) sends nothing back and unregisters nothing twice
        target._closed = True
        self.manager.unregister_comm(target)
        with self.active():
            target.handle_close({"content": {"comm_id": target.comm_id, "data": {}}})
        for key, widget in list(self.widgets.items()):
            if model_id_of(widget) == target.comm_id:
                del self.widgets[key]

    def close(self) -> None:
        """Close every widget and comm of this connection (the page went away) and forget the kernel."""
        from ipywidgets.widgets.widget import _instances  # noqa: PLC0415

        with self.active():
            for comm_id, c in list(self.manager.comms.items()):
                widget = _instances.get(comm_id)
                with contextlib.suppress(Exception):
                    widget.close() if widget is not None else c.close()
        self.manager.comms.clear()
        self.widgets.clear()
        if self in _last_installed:
            _last_installed.remove(self)


# -- the process-wide comm hooks -------------------------------------------------

def _kernel_for_new_comm() -> Kernel:
    kernel = _current.get()
    if kernel is None and len(_last_installed) == 1:
        # the worker's one kernel; a server with many never guesses whose page a widget is for
        kernel = _last_installed[0]
    if kernel is None:
        raise RuntimeError("[fh-anywidget] a widget was created outside any page connection; "
                           "create widgets through host.widget(...) so the page can reach them")
    return kernel


def _create_comm(*args: Any, **kwargs: Any) -> BaseComm:
    return KernelComm(*args, kernel=_kernel_for_new_comm(), **kwargs)


def _get_comm_manager() -> CommManager:
    return _kernel_for_new_comm().manager


_error_handler = _CallbackErrors(level=logging.WARNING)


def install(kernel: Kernel) -> None:
    """Route ``comm`` (and so ipywidgets and anywidget) through fh-anywidget kernels."""
    comm.create_comm = _create_comm
    comm.get_comm_manager = _get_comm_manager
    if kernel not in _last_installed:
        _last_installed.append(kernel)
    for name in ("traitlets", "ipywidgets", "comm"):
        logger = logging.getLogger(name)
        if _error_handler not in logger.handlers:
            logger.addHandler(_error_handler)


# -- helpers --------------------------------------------------------------------

def import_target(spec: str) -> Callable[..., Any]:
    """Import ``"module:name"`` (``name`` may be dotted) and return the callable it names."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"[fh-anywidget] target {spec!r} is not of the form 'module:name'")
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"[fh-anywidget] cannot import {module_name!r} for target {spec!r}: {exc}. If it is a PyPI "
            "package, name it in AnyWidgetHost(app, packages=[...]) and run `fh-anywidget dist`; if it is "
            "your own module, pass the widget class itself to host.widget(...) so its module is shipped."
        ) from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"[fh-anywidget] module {module_name!r} has no attribute {attr!r} "
                                 f"(target {spec!r})") from None
    if not callable(obj):
        raise TypeError(f"[fh-anywidget] target {spec!r} is a {type(obj).__name__}, not a widget class "
                        "or a function returning a widget")
    return obj


def model_id_of(widget: Any, target: str = "") -> str:
    """The model id of an ipywidgets widget, or of anything with a widget mimebundle
    (``anywidget.experimental`` descriptor widgets and dataclasses)."""
    model_id = getattr(widget, "model_id", None)
    if isinstance(model_id, str):
        return model_id
    repr_bundle = getattr(widget, "_repr_mimebundle_", None)
    if callable(repr_bundle):
        bundle = repr_bundle()
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        view = (bundle or {}).get("application/vnd.jupyter.widget-view+json") or {}
        if isinstance(view.get("model_id"), str):
            return view["model_id"]
    raise TypeError(f"[fh-anywidget] target {target!r} returned a {type(widget).__name__}, not a widget; "
                    "it must be (or return) an anywidget.AnyWidget or another Jupyter widget")


def _bytes_for_bytes_traits(comm_id: str, paths: Sequence[Any], views: list[memoryview]) -> list[Any]:
    """Buffers arrive as memoryviews, as from a Jupyter kernel; but ``traitlets.Bytes`` refuses a
    memoryview, so a buffer that is a whole ``Bytes`` trait's value is handed over as ``bytes``."""
    from ipywidgets.widgets.widget import _instances  # noqa: PLC0415
    from traitlets import Bytes  # noqa: PLC0415

    widget = _instances.get(comm_id)
    traits = widget.traits() if widget is not None else {}
    out: list[Any] = list(views)
    for i, path in enumerate(paths[: len(views)]):
        if isinstance(path, list) and len(path) == 1 and isinstance(traits.get(path[0]), Bytes):
            out[i] = views[i].tobytes()
    return out


def _user_frames(tb: Any) -> Any:
    """Skip the kernel's own frames at the top of a traceback: the reader's code comes first."""
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return tb


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _json_default(value: Any) -> Any:
    iso = getattr(value, "isoformat", None)
    if callable(iso):
        return iso()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    raise TypeError(f"[fh-anywidget] cannot send a {type(value).__name__} to the page: {value!r:.80}. "
                    "Synced traits must hold JSON values (dict, list, str, number, bool, None) or bytes")


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_json_default, allow_nan=False)
"""One encoder for every message (``json.dumps`` with options builds a new one per call)."""


def to_json(msg: dict[str, Any]) -> str:
    """Encode a message as JSON the page can parse (NaN and infinities become null, as in JSON)."""
    try:
        return _ENCODER.encode(msg)
    except ValueError:
        return _ENCODER.encode(_finite(msg))


def warm_up() -> list[str]:
    """Take one small widget through a life (made, changed by the page and answered by an
    observer, asked for its state, sent a custom message with a buffer, closed) on a kernel whose
    messages go nowhere. ``fh-anywidget dist`` calls this before it saves the memory snapshot
    (dist/make_snapshot.mjs; the server never calls it): Python in the snapshot then has these paths' lazy imports done and
    caches filled, so a visitor's first widget answers sooner. Returns the frames Python sent;
    raises if any of them is an error (a dist must not ship a kernel that fails this).
    """
    sent: list[str] = []
    kernel = Kernel(lambda text, buffers: sent.append(P.frame([(text, len(buffers))])))
    try:
        kernel.handle({"type": P.CREATE, "key": "warm-up", "target": f"{__name__}:_warm_up_widget", "kwargs": {}})
        comm_id = model_id_of(kernel.widgets["warm-up"]) if "warm-up" in kernel.widgets else ""
        for seq, data in enumerate(({"method": P.UPDATE, "state": {"n": 1}, "buffer_paths": []},
                                    {"method": P.REQUEST_STATE},
                                    {"method": P.CUSTOM, "content": {"op": "ping"}}), start=1):
            kernel.handle({"type": P.COMM_MSG, "comm_id": comm_id, "data": data, "seq": seq},
                          [memoryview(b"warm")] if data["method"] == P.CUSTOM else [])
        kernel.handle({"type": P.COMM_CLOSE, "comm_id": comm_id})
    finally:
        kernel.close()
    errors = [text for text in sent if f'"type":"{P.ERROR}"' in text.replace(" ", "")]
    if errors or len(sent) < 5:
        raise RuntimeError(f"[fh-anywidget] the kernel's warm-up failed; it sent: {sent}")
    return sent


def _warm_up_widget() -> Any:
    """The widget :func:`warm_up` makes (a factory, as pages may give)."""
    import anywidget  # noqa: PLC0415 - in the snapshot already; only warm_up needs it here
    import traitlets  # noqa: PLC0415

    class WarmUp(anywidget.AnyWidget):
        _esm = "export default { render({ el }) { el.textContent = 'warm'; } };"
        _css = ".warm { color: inherit; }"
        n = traitlets.Int(0).tag(sync=True)
        echo = traitlets.Int(0).tag(sync=True)
        data = traitlets.Bytes(b"").tag(sync=True)

        @traitlets.observe("n")
        def _on_n(self, change: dict[str, Any]) -> None:
            self.echo = change["new"]

        def __init__(self) -> None:
            super().__init__()
            self.on_msg(lambda widget, content, buffers: widget.send({"op": "pong"}, buffers=[bytes(buffers[0])]))

    return WarmUp()
