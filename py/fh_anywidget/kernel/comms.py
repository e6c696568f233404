"""The ``comm`` backend: every comm that the real ipywidgets/anywidget open becomes a
:class:`KernelComm` of the kernel whose page is being served, and its messages go out through
that kernel. Installed process-wide by :func:`install` (``comm.create_comm`` and
``comm.get_comm_manager`` are the documented hooks).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import comm
from comm.base_comm import BaseComm, CommManager

from . import protocol as P

if TYPE_CHECKING:
    from .kernel import Kernel

Buffer = bytes | bytearray | memoryview

current_kernel: contextvars.ContextVar[Kernel | None] = contextvars.ContextVar("fh_anywidget_kernel", default=None)
"""The kernel that new comms belong to (set while a kernel handles a page's message)."""
current_comm: contextvars.ContextVar[str | None] = contextvars.ContextVar("fh_anywidget_comm", default=None)
"""The comm whose message is being handled, if any."""
_installed: list[Kernel] = []


class ProtocolError(ValueError):
    """A message from the page that does not follow docs/protocol.md."""


class KernelComm(BaseComm):
    """A comm whose messages travel through its :class:`~fh_anywidget.kernel.Kernel`."""

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

    def handle_msg(self, msg: dict[str, Any]) -> None:
        """A message for this comm's widget: to its ``on_msg`` callback, as comm's own
        ``BaseComm.handle_msg`` does, but without looking up an IPython shell to fire its
        ``pre_execute``/``post_execute`` events around it: no IPython shell runs where our kernels
        do (``get_ipython()`` is None there), and the lookup was 7% of the worker's round trip."""
        callback = self._msg_callback
        if callback is not None:
            callback(msg)

    def close(self, *args: Any, **kwargs: Any) -> None:
        with self.kernel.active():
            super().close(*args, **kwargs)


class _CallbackErrors(logging.Handler):
    """Turns exceptions that ipywidgets catches and logs (``on_msg`` callbacks) into
    ``error`` messages for the widget being handled, so they are not swallowed."""

    def emit(self, record: logging.LogRecord) -> None:
        kernel, comm_id = current_kernel.get(), current_comm.get()
        if kernel is None or not record.exc_info or record.exc_info[1] is None:
            return
        kernel.send_error(record.exc_info[1], comm_id=comm_id)


def _kernel_for_new_comm() -> Kernel:
    kernel = current_kernel.get()
    if kernel is None and len(_installed) == 1:
        # the worker's one kernel; a server with many never guesses whose page a widget is for
        kernel = _installed[0]
    if kernel is None:
        raise RuntimeError("[fh-anywidget] a widget was created outside any page connection; "
                           "create widgets through host.widget(...) so the page can reach them")
    return kernel


def _create_comm(*args: Any, **kwargs: Any) -> BaseComm:
    kernel = _kernel_for_new_comm()
    reuse = getattr(kernel, "reuse_comm_ids", None)
    if reuse and not kwargs.get("comm_id"):
        # a widget rebuilt on another server process gets the model ids its pages already hold
        kwargs["comm_id"] = reuse.pop(0)
    return KernelComm(*args, kernel=kernel, **kwargs)


def _get_comm_manager() -> CommManager:
    return _kernel_for_new_comm().manager


_error_handler = _CallbackErrors(level=logging.WARNING)


def install(kernel: Kernel) -> None:
    """Route ``comm`` (and so ipywidgets and anywidget) through fh-anywidget kernels."""
    comm.create_comm = _create_comm
    comm.get_comm_manager = _get_comm_manager
    if kernel not in _installed:
        _installed.append(kernel)
    for name in ("traitlets", "ipywidgets", "comm"):
        logger = logging.getLogger(name)
        if _error_handler not in logger.handlers:
            logger.addHandler(_error_handler)


def uninstall(kernel: Kernel) -> None:
    """Forget ``kernel`` (its connection is gone)."""
    if kernel in _installed:
        _installed.remove(kernel)
