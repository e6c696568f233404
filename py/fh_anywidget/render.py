"""The HTTP request being rendered, so that ``host.widget(...)`` can see it without an argument:
its session (server-mode grants are bound to it), how many widgets of each target it drew (their
keys), and whether the page already has the worker's inline starter. Both modes use it.
"""

from __future__ import annotations

import contextvars
import secrets
from collections import Counter
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send

SESSION_KEY = "_fhaw"
"""The session entry holding the random id that grants and pages are bound to."""

_render: contextvars.ContextVar[RenderContext | None] = contextvars.ContextVar("fh_anywidget_render", default=None)


@dataclass
class RenderContext:
    """The HTTP request being answered: its session, and how many widgets of each target it drew."""

    scope: Scope
    counts: Counter[str] = field(default_factory=Counter)
    worker_started: bool = False
    """Whether this page already has the inline worker starter (web/early.js)."""

    def session_id(self) -> str:
        """The session's fh-anywidget id, made on first use; "" when the app keeps no sessions."""
        session = self.scope.get("session")
        if not isinstance(session, dict):
            return ""
        if not isinstance(session.get(SESSION_KEY), str):
            session[SESSION_KEY] = secrets.token_urlsafe(16)
        return session[SESSION_KEY]


class RenderContextMiddleware:
    """Lets ``host.widget(...)`` see the request it renders for (its session), without an argument."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _render.set(RenderContext(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            _render.reset(token)


def current_render() -> RenderContext | None:
    """The request being rendered, if ``host.widget(...)`` runs inside one."""
    return _render.get()
