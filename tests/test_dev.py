"""Hot reload in development for worker-mode widgets: the host relays anywidget's file watchers
to the pages (py/fh_anywidget/dev.py; the browser side is tests/js/dev-reload.test.js, the whole
loop tests/browser/test_compat.py)."""

from __future__ import annotations

import asyncio
import json
import types
from concurrent.futures import ThreadPoolExecutor

import psygnal
from fasthtml.common import fast_app
from starlette.requests import Request

from fh_anywidget import AnyWidgetHost
from fh_anywidget.dev import DevReload


class Watched:
    """Stands for anywidget's FileContents of a watched file (made under ANYWIDGET_HMR=1)."""

    changed = psygnal.Signal(str)

    def __init__(self) -> None:
        self._background_thread = object()


class Unwatched:
    changed = psygnal.Signal(str)
    _background_thread = None


def module_with_widgets() -> tuple[types.ModuleType, Watched]:
    mod = types.ModuleType("devmod")
    watched = Watched()
    mod.Live = type("Live", (), {"__module__": "devmod", "_esm": watched, "_css": Unwatched()})
    mod.Plain = type("Plain", (), {"__module__": "devmod", "_esm": "export default {}\n"})
    mod.Imported = type("Imported", (), {"__module__": "elsewhere", "_esm": Watched()})
    return mod, watched


def test_only_watched_files_of_the_modules_own_classes_are_relayed_each_once() -> None:
    mod, _ = module_with_widgets()
    dev = DevReload()
    assert dev.watch_module(mod) == 1
    assert dev.watch_module(mod) == 1  # asked again (every page render): still one connection
    assert len(dev._connected) == 1


def test_a_file_change_reaches_every_listening_page_as_a_server_sent_event() -> None:
    mod, watched = module_with_widgets()
    dev = DevReload()
    dev.watch_module(mod)

    async def listen() -> list[str]:
        response = await dev.events(Request({"type": "http", "method": "GET", "path": "/", "headers": []}))
        assert response.media_type == "text/event-stream"
        chunks = response.body_iterator
        first = await anext(chunks)
        watched.changed.emit("export default { render() {} }\n")  # what anywidget's watcher thread does
        second = await asyncio.wait_for(anext(chunks), 5)
        await chunks.aclose()
        return [first, second]

    # a thread of its own: the browser tests' Playwright may hold a running loop in this one
    with ThreadPoolExecutor(1) as pool:
        first, second = pool.submit(asyncio.run, listen()).result(timeout=30)
    assert first.startswith(":")  # a comment: the stream is open
    assert second.startswith("data: ") and second.endswith("\n\n")
    assert json.loads(second[len("data: "):]) == {"id": "devmod.Live", "name": "_esm", "text": "export default { render() {} }\n"}
    assert dev._listeners == set()  # the page went away


def test_development_reload_follows_anywidget_hmr_unless_told(monkeypatch, tmp_path) -> None:
    (tmp_path / "fh-anywidget.json").write_text("{}")
    monkeypatch.delenv("ANYWIDGET_HMR", raising=False)
    assert AnyWidgetHost(fast_app()[0], dist_dir=tmp_path).runtime_config()["devEventsURL"] is None
    assert AnyWidgetHost(fast_app()[0], dist_dir=tmp_path, dev=True).runtime_config()["devEventsURL"] == "/_fhaw/dev/events"
    monkeypatch.setenv("ANYWIDGET_HMR", "1")
    host = AnyWidgetHost(fast_app()[0], dist_dir=tmp_path)
    assert host.runtime_config()["devEventsURL"] == "/_fhaw/dev/events"
    assert any(getattr(r, "path", "") == "/_fhaw/dev/events" for r in host.app.router.routes)
    assert AnyWidgetHost(fast_app()[0], dist_dir=tmp_path, dev=False).runtime_config()["devEventsURL"] is None
