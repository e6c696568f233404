"""Hot reload in development for worker-mode widgets.

With ``ANYWIDGET_HMR=1`` (and watchfiles), anywidget watches each widget class's ``_esm``/``_css``
file and, in a kernel, re-sends the new text as an ordinary update. In worker mode the widget's
Python runs in the browser, which cannot watch the server's files; so the host listens to the same
watchers on the server and streams each change to the pages (server-sent events), whose runtime
(web/page/dev-reload.js) sets it on the models of that class: the page re-imports and re-renders, and the
worker's Python gets the new text as an update from the page.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

from starlette.requests import Request
from starlette.responses import StreamingResponse

KEYS = ("_esm", "_css")
HEARTBEAT_SECONDS = 15.0


def hmr_enabled() -> bool:
    """anywidget's own switch for development hot reload."""
    return os.environ.get("ANYWIDGET_HMR") == "1"


def _watched(value: Any) -> bool:
    """True for anywidget's FileContents whose file is being watched (made under ANYWIDGET_HMR=1)."""
    return getattr(value, "_background_thread", None) is not None and hasattr(value, "changed")


class DevReload:
    """The watched widget files of the modules shipped to workers, and the pages listening."""

    def __init__(self) -> None:
        self._connected: set[tuple[int, str, str]] = set()
        self._listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[str]]] = set()

    def watch_module(self, module: ModuleType) -> int:
        """Relay the changes of every watched ``_esm``/``_css`` of the module's widget classes;
        returns how many it relays (each file and class once, however often it is asked)."""
        count = 0
        for cls in list(vars(module).values()):
            if not isinstance(cls, type) or cls.__module__ != module.__name__:
                continue
            widget_id = f"{cls.__module__}.{cls.__name__}"  # anywidget's _anywidget_id
            for key in KEYS:
                contents = getattr(cls, key, None)
                if not _watched(contents):
                    continue
                count += 1
                mark = (id(contents), widget_id, key)
                if mark in self._connected:
                    continue
                self._connected.add(mark)
                contents.changed.connect(lambda text, widget_id=widget_id, key=key: self.publish(widget_id, key, text))
        return count

    def publish(self, widget_id: str, key: str, text: str) -> None:
        """Send one change to every listening page (callable from any thread: watchers run in their own)."""
        event = json.dumps({"id": widget_id, "name": key, "text": str(text)})
        for loop, queue in list(self._listeners):
            try:
                loop.call_soon_threadsafe(queue.put_nowait, event)
            except RuntimeError:  # that page's loop is gone
                self._listeners.discard((loop, queue))

    async def events(self, request: Request) -> StreamingResponse:
        """The server-sent event stream a page in development listens to."""
        loop, queue = asyncio.get_running_loop(), asyncio.Queue()
        entry = (loop, queue)
        self._listeners.add(entry)

        async def stream() -> AsyncIterator[str]:
            try:
                yield ": fh-anywidget development reload\n\n"
                while True:
                    try:
                        event = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                    except asyncio.TimeoutError:
                        yield ": heartbeat\n\n"
                        continue
                    yield f"data: {event}\n\n"
            finally:
                self._listeners.discard(entry)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
