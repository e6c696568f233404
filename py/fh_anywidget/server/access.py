"""The app's own code reaching server-mode widgets: a route handler finds the page a request came
from (the runtime names it in the ``FHAW-Page`` header of htmx requests) and the live widget of a
key on it, or an app widget by its key; server code finds the pages that show a widget, to push
HTML to them. Every lookup failure is a :class:`WidgetLookupError` that says what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..kernel import protocol as P
from ..kernel.targets import model_id_of
from ..render import SESSION_KEY

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

    from .endpoint import WidgetServer
    from .page import Page


class WidgetLookupError(LookupError):
    """``host.instance``/``host.page``/``host.push`` could not find what they were asked for; the message says why."""

    def __str__(self) -> str:  # LookupError's str() would quote the message
        return str(self.args[0]) if self.args else ""


def page_of(server: WidgetServer, request: HTTPConnection) -> Page:
    """The server side of the page that made ``request`` (its ``FHAW-Page`` header), if it is this
    visitor's page and this process serves it."""
    page_id = request.headers.get(P.PAGE_HEADER)
    if not page_id:
        raise WidgetLookupError(
            f"[fh-anywidget] the request to {request.url.path} does not say which page it comes from (it has no "
            f"{P.PAGE_HEADER} header): make it with htmx from a page that shows server-mode widgets (the runtime adds "
            f"the header once the page is connected), or add the header yourself from fhAnywidget.pageId")
    page = server.pages.get(page_id)
    session = request.scope.get("session")
    session_id = session.get(SESSION_KEY, "") if isinstance(session, dict) else ""
    if page is None or page.session_id != session_id:
        raise WidgetLookupError(
            f"[fh-anywidget] the page {page_id[:12]!r} named by the request to {request.url.path} is not one of this "
            "visitor's pages on this process (it was released after its grace period, or it belongs to another "
            "session); the visitor should reload the page")
    return page


def instance(server: WidgetServer, page: Page, key: str, *, worker_keys: set[str]) -> Any:
    """The live widget of ``key`` on ``page`` (``scope="page"``) or, for a key the page shows as an
    app widget, that widget."""
    widget = page.kernel.widgets.get(key)
    if widget is not None:
        return widget
    if key in page.app_keys and server.hub is not None and key in server.hub.kernel.widgets:
        return server.hub.kernel.widgets[key]
    if key in worker_keys:
        raise _worker_key(key)
    shown = sorted([*page.kernel.widgets, *page.app_keys])
    raise WidgetLookupError(
        f"[fh-anywidget] the page has no server-mode widget with key {key!r} (yet: a widget exists once the page has "
        f"connected and made it); its widgets: {', '.join(map(repr, shown)) or 'none'}. Give the widget that key with "
        f"host.widget(..., mode='server', key={key!r})")


def instance_for(server: WidgetServer, request: HTTPConnection, key: str, *, worker_keys: set[str]) -> Any:
    """:func:`instance` on the page that made ``request``; a worker-mode key from a request that names
    no page (a page with worker widgets only has no server side) says so, not that the header is missing."""
    if key in worker_keys and not request.headers.get(P.PAGE_HEADER):
        raise _worker_key(key)
    return instance(server, page_of(server, request), key, worker_keys=worker_keys)


def app_instance(server: WidgetServer, key: str, *, worker_keys: set[str]) -> Any:
    """The ``scope="app"`` widget of ``key``, made now if no page has shown it yet."""
    hub = server.hub
    if hub is not None and key in hub.kernel.widgets:
        return hub.kernel.widgets[key]
    spec = server.grants.app_specs.get(key)
    if spec is None:
        if key in worker_keys:
            raise _worker_key(key)
        known = sorted(server.grants.app_specs)
        raise WidgetLookupError(
            f"[fh-anywidget] there is no scope='app' widget with key {key!r}: render it first with "
            f"host.widget(..., mode='server', scope='app', key={key!r}) (for a page's own widget, pass the request: "
            f"host.instance(req, {key!r})); app widgets rendered so far: {', '.join(map(repr, known)) or 'none'}")
    return server.app_hub().make(key, *spec)


def pages_showing(widget: Any) -> list[Page]:
    """The pages that show a server-mode ``widget``: its page (``scope="page"``) or every page
    subscribed to it (``scope="app"``)."""
    if hasattr(widget, "comm") and widget.comm is None:
        return []  # a widget whose comm is not open yet (its constructor runs), or closed: no page shows it
    kernel = getattr(getattr(widget, "comm", None), "kernel", None)
    if getattr(kernel, "page", None) is not None:
        return [kernel.page]
    try:
        model_id = model_id_of(widget)
    except TypeError:
        raise WidgetLookupError(f"[fh-anywidget] push got a {type(widget).__name__}, which is not a widget, a "
                                "page (host.page(req)) or a request") from None
    hub = getattr(kernel, "hub", None)
    if hub is not None and model_id in kernel.manager.comms:
        return hub.pages_showing(model_id)
    raise WidgetLookupError(
        f"[fh-anywidget] the widget {type(widget).__name__} ({model_id[:12]}) is not a server-mode widget of this app "
        "(or it was closed), so no page shows it here; a worker-mode widget lives in the visitor's browser: update it "
        "from a response with host.update(key, ...)")


def _worker_key(key: str) -> WidgetLookupError:
    return WidgetLookupError(
        f"[fh-anywidget] the widget {key!r} runs in the visitor's browser (mode='worker'), so the server has no instance "
        f"of it: read its value from the form field host.widget(..., name=...) puts in the page, or react to its "
        f"fhaw:change events (hx-trigger='fhaw:change'), and change it from a response with host.update({key!r}, ...)")


def push(to: Any, *fragments: Any) -> int:
    """Send HTML (FastHTML components, or strings of HTML) to the page(s) of ``to``: a page, or a
    server-mode widget (its page; for ``scope="app"`` every page showing it). htmx swaps its
    ``hx-swap-oob`` elements in. Returns how many pages it was sent to; a page whose socket is away
    gets it when it is back. ``fh_anywidget.push`` is this (for a widget's own code, which has no host)."""
    from fastcore.xml import to_xml  # noqa: PLC0415 - the server's, not the kernel's

    from .page import Page  # noqa: PLC0415

    pages = [to] if isinstance(to, Page) else pages_showing(to)
    html = "".join(f if isinstance(f, str) else to_xml(f) for f in fragments)
    for page in pages:
        page.push_html(html)
    return len(pages)
