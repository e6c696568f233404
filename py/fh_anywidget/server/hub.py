"""The ``scope="app"`` widgets: one instance each, shared by every page that shows it.

The hub's kernel publishes each message to the hub, which routes it: a model's messages go to
every page subscribed to it (``parent`` only to the page whose message caused them), an error to
the page whose message caused it, a model opened while another is handled to that model's pages,
and a model opened again for a page that attaches to it (its current state) to that page only.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..kernel import Buffer, ProtocolError, current_comm, signature_of, to_json
from ..kernel import protocol as P
from .page import ServerKernel

if TYPE_CHECKING:
    from .page import Page

_origin: contextvars.ContextVar[Page | None] = contextvars.ContextVar("fh_anywidget_origin", default=None)
"""The page whose message (or create) the hub is handling."""
_asking: contextvars.ContextVar[str | None] = contextvars.ContextVar("fh_anywidget_asking", default=None)
"""The model whose state the origin page asked for (``request_state``): its answer is for that page only."""


class AppHub:
    """The ``scope="app"`` widgets and the pages subscribed to each of their models."""

    def __init__(self, *, tracebacks: bool = False) -> None:
        self.kernel = ServerKernel(publish=self.publish)
        self.kernel.hub = self
        self.kernel.sends_tracebacks = tracebacks
        self.subscribers: dict[str, set[Page]] = {}
        self.issued: dict[str, float] = {}
        """When the grant that made each app widget was sealed: an older grant with other arguments
        (a page rendered before the app changed them) does not make it again."""
        self.lock = threading.RLock()
        """Held while any page's message to an app widget is handled (pages run in several threads)."""

    def publish(self, msg: dict[str, Any], views: Sequence[memoryview]) -> None:
        """Send one message of the hub's kernel to the pages it is for (see the module docstring)."""
        origin, comm_id, kind = _origin.get(), msg.get("comm_id"), msg.get("type")
        if (kind == P.ERROR or kind == P.CREATED) and origin is not None:
            targets: set[Page] = {origin}  # an answer to the visitor whose message caused it
        elif (kind == P.COMM_OPEN and comm_id in self.subscribers) or (comm_id is not None and comm_id == _asking.get()):
            # opened again for the page attaching to it, or the state one page asked for
            targets = {origin} if origin is not None else set()
        elif comm_id in self.subscribers:
            targets = set(self.subscribers[comm_id])
        else:  # a comm opened now: it goes to whoever is looking at the comm being handled
            handling = current_comm.get()
            targets = set(self.subscribers.get(handling, ())) if handling else set()
            if origin is not None:
                targets.add(origin)
            if kind == P.COMM_OPEN:
                self.subscribers[comm_id] = set(targets)
        if not targets:
            return
        text = to_json(msg)
        others = to_json({**msg, "parent": None}) if msg.get("parent") is not None else text
        for page in targets:
            page.send(text if page is origin else others, views)
        if kind == P.COMM_CLOSE:
            self.subscribers.pop(comm_id, None)

    def attach(self, page: Page, key: str, target: str, kwargs: dict[str, Any], *, issued: float = 0.0) -> None:
        """Show the app widget ``key`` on ``page``, making it if this is its first page, or again if
        the page's grant is newer and names other arguments (the app renders it otherwise now)."""
        with self.lock:
            token = _origin.set(page)
            try:
                if self._outdated(key, target, kwargs, issued):
                    raise ProtocolError(f"[fh-anywidget] the app widget {key[:80]!r} is shown with other arguments now "
                                        "than when this page was rendered; reload the page")
                self.kernel.create(key, target, kwargs)
                self.issued[key] = max(issued, self.issued.get(key, 0.0))
            except Exception as exc:  # noqa: BLE001 - shown in the placeholder of the page that asked
                self.kernel.send_error(exc, key=key)
                return
            finally:
                _origin.reset(token)
            for comm_id in self.kernel.groups.get(key, []):
                self.subscribers.setdefault(comm_id, set()).add(page)
            page.app_keys.add(key)

    def _outdated(self, key: str, target: str, kwargs: dict[str, Any], issued: float) -> bool:
        made = self.kernel.signatures.get(key)
        return made is not None and made != signature_of(target, kwargs) and issued < self.issued.get(key, 0.0)

    def handle(self, page: Page, kind: str, msg: dict[str, Any], buffers: Sequence[Buffer]) -> None:
        """A page's checked message to one of the app widgets' models."""
        token = _origin.set(page)
        data = msg.get("data")
        asking = _asking.set(msg.get("comm_id") if isinstance(data, dict) and data.get("method") == P.REQUEST_STATE else None)
        try:
            with self.lock:
                self.kernel.handle_checked(kind, msg, buffers)
        finally:
            _asking.reset(asking)
            _origin.reset(token)

    def make(self, key: str, target: str, kwargs: dict[str, Any]) -> Any:
        """The app widget ``key``, made now (for server code) if no page has shown it yet."""
        with self.lock:
            self.kernel.make(key, target, kwargs)
            return self.kernel.widgets[key]

    def pages_showing(self, comm_id: str) -> list[Page]:
        """The pages subscribed to an app widget's model."""
        with self.lock:
            return list(self.subscribers.get(comm_id, ()))

    def owns(self, page: Page, comm_id: str) -> bool:
        return page in self.subscribers.get(comm_id, ())

    def detach(self, page: Page, comm_id: str | None = None) -> None:
        """Stop sending ``comm_id`` (or every app model) to ``page``; the models stay for the others."""
        with self.lock:
            for cid, pages in self.subscribers.items():
                if comm_id is None or cid == comm_id:
                    pages.discard(page)
