"""Server mode: widgets whose Python runs in this process, reached over one WebSocket per page.

The page's runtime opens ``{prefix}/ws`` once and carries every server-mode widget of the page
over it, with the messages of docs/protocol.md: a text frame holding the message (plus
``"nbuffers": N``) followed by N binary frames. Python's answers to one page message go out
together, as one text frame holding an array of messages (``protocol.frame``).

- A :class:`Page` is one page view (one browser tab on one URL): a :class:`ServerKernel` of its
  own for ``scope="page"`` widgets, and the ``scope="app"`` widgets it attached. It outlives its
  socket by ``grace_seconds`` so that a reconnect or a reload resumes it.
- The :class:`AppHub` holds the ``scope="app"`` widgets: one instance each, its messages sent to
  every page that shows it (``echo_update`` is what the other pages apply).
- A page may create only what ``host.widget(...)`` rendered for its session: each placeholder
  carries a *grant*, the widget's spec signed with the host's secret and bound to the session.
- Widget Python runs in a pool of threads (``threads``, default 8), not on the event loop: a
  handler that computes for seconds holds up only its own page, while the server goes on serving
  every other page, socket and request. A page's messages are still handled one at a time, in
  order; the app widgets are handled under one lock. ``threads=0`` runs them on the event loop
  (a little faster per message, but one slow handler then stalls everyone).

Modules, one concern each: :mod:`.endpoint` (the socket: who may connect, which page, where each
message goes), :mod:`.frames` (frames to messages), :mod:`.grants` (what a page may create),
:mod:`.page` (a page view and its kernel), :mod:`.hub` (the ``scope="app"`` widgets),
:mod:`.connection` (a socket's outbox), :mod:`.runner` (threads or the event loop), :mod:`.access`
(the app's routes and server code reaching widgets and pages: ``host.instance``, ``host.push``). With a
broker (several processes of one app): :mod:`.broker` (the Redis link), :mod:`.cluster` (the
``scope="app"`` widgets across processes), :mod:`.page_store` (pages kept in Redis, taken over by
another process), :mod:`.restore` (a widget made again from its record).
"""

from __future__ import annotations

from .access import WidgetLookupError
from .endpoint import WidgetServer
from .page import Page, ServerKernel

SCOPES = ("page", "app")

__all__ = ["SCOPES", "Page", "ServerKernel", "WidgetLookupError", "WidgetServer"]
