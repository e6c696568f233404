"""Inside the browser worker: connect a :class:`~fh_anywidget.kernel.Kernel` to web/worker/worker.js.

Only imported in Pyodide (it needs ``pyodide.ffi``). Buffers leave as fresh ``Uint8Array``s whose
``ArrayBuffer``s the worker transfers to the page; they arrive as ``ArrayBuffer``s, copied once
into Python memory.

What Python sends while it handles one message from the page (an ``echo_update`` and the changes
its observers made, say) leaves in one ``postMessage`` when the handler returns: one wake-up of
the page instead of several. A handler that runs long sends what it has every
:data:`FLUSH_SECONDS`, so progress still shows.

The worker's Python sends no ``echo_update``: the page is its only client, and the page already
has the values it set (its views share one model object, which fired ``change`` at once). A value
Python changes while it handles a set (an observer, a validator) still comes back as an ``update``.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import time
import zipimport
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pyodide.ffi import to_js  # type: ignore[import-not-found]

from . import ipywidgets_api
from . import kernel as _kernel
from .kernel import Kernel
from .protocol import frame
from .targets import check_page_target

FLUSH_SECONDS = 0.02


class FilesPending:
    """While a snapshot boot's site-packages sources are not written yet (web/worker/pending-files.js
    writes them after the first message), this finder, first on ``sys.meta_path``, has them written
    as soon as Python needs one: an import of a package or module that is among them, package
    metadata (``importlib.metadata``), or the source lines of a traceback.

    It must come first: the data files are written at once, and nearly every package has one
    (``py.typed``), so its folder already exists. Python's own finder would take that folder, with
    no ``__init__.py`` in it yet, for an empty namespace package, and the import would "succeed"
    with none of the package's code. It never finds anything itself: it returns None, after the
    files are written if the import was one of theirs, and the next finders do the finding.
    """

    def __init__(self, write: Callable[[], None], names: Iterable[str] = (), write_data: Callable[[], None] | None = None,
                 root: str | None = None) -> None:
        self._write = write
        self._write_data = write_data
        self._names = frozenset(names)
        self._root = root.rstrip("/") + "/" if root else None

    def now(self) -> None:
        """Have the files written (at once; does nothing the second time)."""
        write, write_data = self._write, self._write_data
        self._write, self._write_data = None, None
        if write is not None:
            try:
                write()
            except BaseException:
                self._write, self._write_data = write, write_data  # tried again when Python next needs them
                raise

    def data_now(self) -> None:
        """Have the site-packages data files' contents written (only those: not the sources)."""
        write, self._write_data = self._write_data, None
        if write is not None:
            try:
                write()
            except BaseException:
                self._write_data = write
                raise

    def done(self) -> None:
        """The files are there: find nothing, write nothing, from now on."""
        self._write, self._write_data, self._names, self._root = None, None, frozenset(), None

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        """A ``sys.addaudithook`` hook: Python opens a file in site-packages (a widget reading its
        front end at its first use, ``importlib.resources``) or lists a folder there. The data
        files are there from the restore on, but empty until their contents are written: an open
        has those written first (the sources too, for a ``.py``), a listing has everything written."""
        root = self._root
        if root is None or event not in _FILE_EVENTS or not args:
            return
        path = os.fsdecode(args[0]) if isinstance(args[0], bytes) else args[0]  # a path object arrives as str
        if not isinstance(path, str):
            return  # a file descriptor
        path = path if path.startswith("/") else os.path.join(os.getcwd(), path)
        if not path.startswith(root) and path + "/" != root:
            return
        if event == "open" and not path.endswith(".py"):
            self.data_now()
        else:
            self.now()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self._names:
            self.now()

    def find_distributions(self, *args: Any, **kwargs: Any) -> Iterable[Any]:
        self.now()
        return ()


_pending: FilesPending | None = None
_FILE_EVENTS = frozenset({"open", "os.listdir", "os.scandir"})
_audited = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    pending = _pending
    if pending is not None:
        pending.audit(event, args)


def defer_files(write: Any, names: Any = (), stdlib_zip: str | None = None, write_data: Any = None,
                root: str | None = None) -> None:
    """Until ``write()`` (JS) has run, have it run first whenever Python needs a site-packages
    source: ``names`` are the top-level packages and modules the sources are of. ``stdlib_zip``
    names the standard library's zip when it is pending too (an empty file until then: its
    directory was read before the snapshot, so the names of what it holds are known here).
    ``write_data()`` writes the contents of the data files in ``root`` (site-packages), which are
    empty until then: it runs first when Python opens one (an audit hook sees the open)."""
    global _pending, _audited
    wanted = [str(name) for name in names]
    if stdlib_zip:
        wanted += zip_top_level_names(str(stdlib_zip))
    _pending = FilesPending(write, wanted, write_data, str(root) if root else None)
    sys.meta_path.insert(0, _pending)
    _kernel.before_traceback = _pending.now
    if root and not _audited:  # an audit hook cannot be taken out again: one, which does nothing once the files are in
        sys.addaudithook(_audit)
        _audited = True


def zip_top_level_names(archive: str) -> list[str]:
    """The top-level packages and modules of a zip on ``sys.path``, from zipimport's listing of it."""
    files = getattr(zipimport, "_zip_directory_cache", {}).get(archive) or {}
    return sorted({name.replace("\\", "/").split("/")[0].removesuffix(".pyc").removesuffix(".py") for name in files})


def invalidate_caches() -> None:
    """:func:`importlib.invalidate_caches` for new files and folders (the site-packages data files
    after a restore, a widget bundle unpacked), except zip archives: the standard library's zip
    never changes in the worker, and re-reading its directory after each invalidation slowed the
    next import (a widget's first ``create``: 46 ms of Python before, 37 ms after, medians of 9)."""
    zips = {path: finder for path, finder in sys.path_importer_cache.items() if isinstance(finder, zipimport.zipimporter)}
    for path in zips:
        del sys.path_importer_cache[path]
    try:
        importlib.invalidate_caches()
    finally:
        sys.path_importer_cache.update(zips)


_sources: dict[str, str] = {}
"""The sha256 of each module's file in the bundles added so far (the newest bundle's)."""


def add_to_path(folder: str) -> None:
    """Put an unpacked widget bundle's folder first on ``sys.path``.

    Modules of this bundle that Python has already imported from another bundle's folder stay
    when they are the same code (two widget modules of one package share its ``__init__.py``):
    their packages look in this folder too, for the submodules only it has. If any of them is
    other code (older code: the memory snapshot imports the app's widget modules as they were at
    `fh-anywidget dist`), they are all forgotten, so the next import takes the bundle's."""
    if folder not in sys.path:
        sys.path.insert(0, folder)
    root = Path(folder)
    held: dict[str, tuple[Path, str]] = {}
    for file in root.rglob("*.py"):
        parts = file.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        held[name] = (file, hashlib.sha256(file.read_bytes()).hexdigest())
    elsewhere = {}
    for name in held:
        loaded = sys.modules.get(name)
        where = getattr(loaded, "__file__", None)
        if loaded is not None and where and not Path(where).is_relative_to(root):
            elsewhere[name] = loaded
    if all(_sources.get(name) == held[name][1] for name in elsewhere):
        for name, module in elsewhere.items():
            paths = getattr(module, "__path__", None)
            package = str(held[name][0].parent)
            if held[name][0].name == "__init__.py" and isinstance(paths, list) and package not in paths:
                paths.insert(0, package)
    else:
        for name in elsewhere:
            del sys.modules[name]
    _sources.update((name, digest) for name, (_, digest) in held.items())
    invalidate_caches()


def files_written() -> None:
    """Called by web/worker/pending-files.js once the files are there: back to Python's own finders. The
    pending finder stays on ``sys.meta_path``, doing nothing from now on: this may run in the
    middle of a lookup that iterates over ``sys.meta_path`` (the finder asked for the files), and
    taking an entry out of that list then would make the lookup skip the next finder."""
    global _pending
    if _pending is not None:
        _pending.done()
    _pending = None
    _kernel.before_traceback = None
    invalidate_caches()


def start(post: Any) -> Callable[[str, Any], None]:
    """Make the worker's kernel; ``post(text, buffers)`` is the worker's JS sender (``text`` is
    one frame: a message, or an array of messages, see :func:`fh_anywidget.kernel.protocol.frame`;
    ``buffers`` a JS array of ``Uint8Array``s, or None when the frame has none).

    Returns the function the worker calls with each message from the page.
    """
    outbox: list[tuple[str, list[memoryview]]] = []
    batching = False
    since = 0.0

    def flush() -> None:
        if outbox:
            items = outbox[:]
            outbox.clear()
            views = [b for _, buffers in items for b in buffers]
            post(frame([(text, len(buffers)) for text, buffers in items]), to_js([to_js(b) for b in views]) if views else None)

    def send(text: str, buffers: list[memoryview]) -> None:
        nonlocal since
        if not outbox:
            since = time.monotonic()
        outbox.append((text, buffers))
        if not batching or time.monotonic() - since > FLUSH_SECONDS:
            flush()

    kernel = Kernel(send)
    kernel.target_check = lambda spec, obj, kwargs: check_page_target(spec, obj, _sources, kwargs)  # app modules: its bundles'
    ipywidgets_api.echo_updates(False)

    def handle(text: str, js_buffers: Any) -> None:
        """One message from the page: its JSON text, and a JS array of its ``ArrayBuffer``s or None."""
        nonlocal batching
        batching = True
        try:
            kernel.handle_json(text, [memoryview(b.to_bytes()) for b in js_buffers] if js_buffers is not None else [])
        finally:
            batching = False
            flush()

    return handle

