"""The warm-up that ``fh-anywidget dist`` runs before it saves the worker's memory snapshot."""

from __future__ import annotations

from typing import Any

from . import protocol as P
from .kernel import Kernel
from .targets import model_id_of


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
