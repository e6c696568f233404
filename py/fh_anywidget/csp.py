"""A report-only Content-Security-Policy on the pages that carry widgets.

The policy allows the site itself (and blob:, data:, inline code and eval) and nothing else,
and blocks nothing: the browser only reports, as ``securitypolicyviolation`` events, each request
a page makes beyond its own site. The page runtime (web/offline.js) keeps those reports, so that
a widget whose front end fails to load a CDN module or file names the URL in its error and says
that the site runs offline, instead of a bare "Failed to fetch".

Added by :class:`OfflinePolicyMiddleware` to HTML responses whose render drew a widget, unless the
response already has a report-only policy of the app's own (a policy the app enforces is left as
it is: a report-only one beside it changes nothing it allows or blocks).
``AnyWidgetHost(app, offline_csp=False)`` turns it off.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .render import current_render

POLICY = "default-src 'self' blob: data: 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval'"
HEADER = b"content-security-policy-report-only"


def with_policy(headers: list[tuple[bytes, bytes]], policy: str = POLICY) -> list[tuple[bytes, bytes]]:
    """``headers`` (an ASGI response's) with the report-only policy added, if they are an HTML
    page's and carry no report-only policy yet; otherwise unchanged."""
    names = {name.lower(): value for name, value in headers}
    if HEADER in names or not names.get(b"content-type", b"").lower().startswith(b"text/html"):
        return headers
    return [*headers, (HEADER, policy.encode())]


class OfflinePolicyMiddleware:
    """Adds the report-only policy to the HTML responses whose render drew a widget. It must run
    inside :class:`~fh_anywidget.render.RenderContextMiddleware` (added before it), which tells it
    what the render drew."""

    def __init__(self, app: ASGIApp, policy: str = POLICY) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                render = current_render()
                if render is not None and render.widgets:
                    message = {**message, "headers": with_policy(list(message.get("headers", [])), self.policy)}
            await send(message)

        await self.app(scope, receive, send_with_policy)
