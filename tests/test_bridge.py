"""fh_anywidget.kernel.bridge (the worker's side of the kernel), in CPython with a stand-in for
``pyodide.ffi``: what it does to Python's import caches."""

from __future__ import annotations

import importlib
import os
import sys
import types
import zipfile
import zipimport
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def bridge(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    ffi = types.ModuleType("pyodide.ffi")
    ffi.to_js = lambda value, **_: value  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyodide", types.ModuleType("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    monkeypatch.delitem(sys.modules, "fh_anywidget.kernel.bridge", raising=False)
    from ipywidgets.widgets import widget

    # bridge.start turns echo_update off for the process: back on for the other tests (server mode)
    monkeypatch.setattr(widget, "JUPYTER_WIDGETS_ECHO", widget.JUPYTER_WIDGETS_ECHO)
    module = importlib.import_module("fh_anywidget.kernel.bridge")
    # the warm-up's widget factory, as if an app's bundle shipped its module (the worker makes
    # functions of the app's own modules only)
    module._sources["fh_anywidget.kernel.warmup"] = "as if bundled"
    yield module
    sys.modules.pop("fh_anywidget.kernel.bridge", None)


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A zip archive with a module (as the standard library's zip is) and an empty folder, both on sys.path."""
    archive = tmp_path / "stdlib-like.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped_module_for_bridge_test.py", "VALUE = 1\n")
    folder = tmp_path / "bundle"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.syspath_prepend(str(archive))
    for name in ("zipped_module_for_bridge_test", "bundled_module_for_bridge_test"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return archive, folder


def test_new_files_become_importable_and_the_zip_keeps_its_listing(bridge, paths) -> None:
    archive, folder = paths
    importlib.import_module("zipped_module_for_bridge_test")  # the zip's directory is read and cached
    listing = zipimport._zip_directory_cache[str(archive)]
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("bundled_module_for_bridge_test")  # the folder's finder caches "not here"
    (folder / "bundled_module_for_bridge_test.py").write_text("VALUE = 2\n")

    bridge.invalidate_caches()

    assert importlib.import_module("bundled_module_for_bridge_test").VALUE == 2
    assert zipimport._zip_directory_cache[str(archive)] is listing, "the zip's directory was read again"
    assert isinstance(sys.path_importer_cache[str(archive)], zipimport.zipimporter)


def test_what_it_spares_the_zip_from(paths) -> None:
    """The control: Python's own invalidate_caches reads the zip's directory again (at once in
    3.11, on the next import in 3.13 and later, the worker's Python)."""
    archive, _ = paths
    importlib.import_module("zipped_module_for_bridge_test")
    listing = zipimport._zip_directory_cache[str(archive)]
    importlib.invalidate_caches()
    assert zipimport._zip_directory_cache.get(str(archive)) is not listing


def test_a_bundle_folder_goes_first_on_the_path_once(bridge, paths) -> None:
    _, folder = paths
    other = folder.parent / "other-bundle"
    other.mkdir()
    (other / "bundled_module_for_bridge_test.py").write_text("VALUE = 3\n")
    try:
        bridge.add_to_path(str(other))
        bridge.add_to_path(str(other))
        assert sys.path[0] == str(other) and sys.path.count(str(other)) == 1
        assert importlib.import_module("bundled_module_for_bridge_test").VALUE == 3
    finally:
        sys.path.remove(str(other))


def test_a_newer_bundle_of_a_module_python_already_has_replaces_it(bridge, tmp_path: Path) -> None:
    """The memory snapshot imports the app's widget modules as they were at `fh-anywidget dist`;
    a page that sends a newer bundle of one gets the newer code, and the rest stays as it was."""
    old, new = tmp_path / "old-bundle", tmp_path / "new-bundle"
    for folder, version in ((old, 1), (new, 2)):
        (folder / "shipped_pkg_for_bridge_test").mkdir(parents=True)
        (folder / "shipped_pkg_for_bridge_test" / "__init__.py").write_text("")
        (folder / "shipped_pkg_for_bridge_test" / "widgets.py").write_text(f"VERSION = {version}\n")
    (old / "only_in_old_for_bridge_test.py").write_text("KEPT = True\n")
    try:
        bridge.add_to_path(str(old))
        assert importlib.import_module("shipped_pkg_for_bridge_test.widgets").VERSION == 1
        kept = importlib.import_module("only_in_old_for_bridge_test")

        bridge.add_to_path(str(new))
        assert importlib.import_module("shipped_pkg_for_bridge_test.widgets").VERSION == 2
        assert sys.modules["only_in_old_for_bridge_test"] is kept  # not in the new bundle: left alone
        current = sys.modules["shipped_pkg_for_bridge_test.widgets"]
        bridge.add_to_path(str(new))  # the same bundle again: what it gave stays
        assert sys.modules["shipped_pkg_for_bridge_test.widgets"] is current
    finally:
        for folder in (old, new):
            if str(folder) in sys.path:
                sys.path.remove(str(folder))
        for name in ("shipped_pkg_for_bridge_test", "shipped_pkg_for_bridge_test.widgets", "only_in_old_for_bridge_test"):
            sys.modules.pop(name, None)


def test_two_bundles_of_one_package_share_it_and_each_brings_its_own_modules(bridge, tmp_path: Path) -> None:
    """Each widget module's bundle holds what it imports, so two widget modules of one package
    come in two bundles with the same ``__init__.py``: the package imported from the first one
    stays, and finds the second one's modules (as the memory snapshot imports both)."""
    first, second = tmp_path / "bundle-a", tmp_path / "bundle-b"
    for folder, module in ((first, "wiggly"), (second, "widgets")):
        (folder / "shared_pkg_for_bridge_test").mkdir(parents=True)
        (folder / "shared_pkg_for_bridge_test" / "__init__.py").write_text("LOADS = []\n")
        (folder / "shared_pkg_for_bridge_test" / f"{module}.py").write_text(f"NAME = {module!r}\n")
    names = ("shared_pkg_for_bridge_test", "shared_pkg_for_bridge_test.wiggly", "shared_pkg_for_bridge_test.widgets")
    try:
        bridge.add_to_path(str(first))
        package = importlib.import_module("shared_pkg_for_bridge_test")
        assert importlib.import_module("shared_pkg_for_bridge_test.wiggly").NAME == "wiggly"
        bridge.add_to_path(str(second))
        assert importlib.import_module("shared_pkg_for_bridge_test.widgets").NAME == "widgets"
        assert sys.modules["shared_pkg_for_bridge_test"] is package, "the same code: the package stays"
        assert sys.modules["shared_pkg_for_bridge_test.wiggly"].NAME == "wiggly"
    finally:
        for folder in (first, second):
            if str(folder) in sys.path:
                sys.path.remove(str(folder))
        for name in names:
            sys.modules.pop(name, None)


class _JsBuffer:
    """Stands in for a JS ``ArrayBuffer`` as Pyodide hands it to Python."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def to_bytes(self) -> bytes:
        return self._data


def test_messages_without_buffers_cross_with_none_and_buffers_cross_as_arrays(bridge) -> None:
    import json

    from fh_anywidget.kernel import comms

    posted: list[tuple[list, object]] = []
    handle = bridge.start(lambda text, buffers: posted.append((json.loads(text), buffers)))
    try:
        handle(json.dumps({"type": "create", "key": "w", "target": "fh_anywidget.kernel.warmup:_warm_up_widget", "kwargs": {}}), None)
        comm_id = posted.pop()[0][-1]["model_id"]
        handle(json.dumps({"type": "comm_msg", "comm_id": comm_id, "data": {"method": "update", "state": {"n": 1}}}), None)
        frame, buffers = posted.pop()
        assert frame["data"]["method"] == "update" and buffers is None  # one message: no echo_update in the worker
        handle(json.dumps({"type": "comm_msg", "comm_id": comm_id, "data": {"method": "custom", "content": {"op": "ping"}}}),
               [_JsBuffer(b"ping")])
        reply, buffers = posted.pop()
        assert reply["data"]["content"] == {"op": "pong"} and reply["nbuffers"] == 1
        assert [bytes(b) for b in buffers] == [b"ping"]
    finally:
        for k in list(comms._installed):
            k.close()


def test_a_pending_standard_library_zip_has_its_modules_written_first(bridge, paths) -> None:
    archive, _ = paths
    import zipimport

    importer = zipimport.zipimporter(str(archive))  # its directory read, as the snapshot's Python has it
    getattr(importer, "_get_files", lambda: None)()  # (read lazily by Python 3.13+)
    assert bridge.zip_top_level_names(str(archive)) == ["zipped_module_for_bridge_test"]
    writes: list[int] = []
    bridge.defer_files(lambda: (writes.append(1), bridge.files_written()), ["somepackage"], str(archive))
    try:
        importlib.import_module("zipped_module_for_bridge_test")
        assert writes == [1]
    finally:
        sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, bridge.FilesPending)]


def test_the_worker_sends_no_echo_update_but_a_value_python_changed_comes_back(bridge) -> None:
    import json

    import traitlets

    from fh_anywidget.kernel import comms

    posted: list[list] = []
    handle = bridge.start(lambda text, buffers: posted.append(json.loads(text)))
    try:
        handle(json.dumps({"type": "create", "key": "w", "target": "fh_anywidget.kernel.warmup:_warm_up_widget", "kwargs": {}}), None)
        comm_id = posted.pop()[-1]["model_id"]
        from fh_anywidget.kernel.ipywidgets_api import live_widget

        widget = live_widget(comm_id)
        widget.add_traits(capped=traitlets.Int(0).tag(sync=True))
        widget.observe(lambda change: setattr(widget, "capped", min(change["new"], 10)), "capped")
        handle(json.dumps({"type": "comm_msg", "comm_id": comm_id, "data": {"method": "update", "state": {"capped": 50}}}), None)
        frame = posted.pop()
        frame = frame if isinstance(frame, list) else [frame]
        assert [(m["data"]["method"], m["data"]["state"]) for m in frame] == [("update", {"capped": 10})]
    finally:
        for k in list(comms._installed):
            k.close()


def test_a_package_pending_its_sources_is_imported_with_its_code_not_as_an_empty_namespace(
        bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # After a restore the data files are written at once, the sources later; nearly every package
    # has a data file (py.typed), so its folder is there before its __init__.py is.
    site = tmp_path / "site"
    (site / "pending_pkg_for_bridge").mkdir(parents=True)
    (site / "pending_pkg_for_bridge" / "py.typed").write_text("")
    (site / "other_module_for_bridge.py").write_text("VALUE = 'other'\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    for name in ("pending_pkg_for_bridge", "other_module_for_bridge"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    importlib.invalidate_caches()
    writes: list[str] = []

    def write() -> None:  # what PendingFiles.writeAll (web/worker/pending-files.js) does
        (site / "pending_pkg_for_bridge" / "__init__.py").write_text("VALUE = 'code'\n")
        writes.append("written")
        bridge.files_written()  # in the middle of the lookup that asked for the files

    bridge.defer_files(write, ["pending_pkg_for_bridge"])
    assert importlib.import_module("other_module_for_bridge").VALUE == "other"
    assert writes == [], "an import of something else wrote the files"
    assert importlib.import_module("pending_pkg_for_bridge").VALUE == "code"
    assert writes == ["written"]


def test_a_data_file_opened_before_its_contents_came_is_read_whole(bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # After a restore site-packages' data files are empty placeholders until their pack is in: a
    # widget that reads its front end when it is first made (anywidget's FileContents) opens one.
    site = tmp_path / "site"
    (site / "widgetpkg" / "static").mkdir(parents=True)
    front = site / "widgetpkg" / "static" / "widget.js"
    front.write_text("")
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("mine")
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    writes: list[str] = []

    def write_data() -> None:  # what PendingFiles.writeData (web/worker/pending-files.js) does
        front.write_text("export default {}")
        writes.append("data")

    def write_all() -> None:
        write_data() if "data" not in writes else None
        writes.append("all")
        bridge.files_written()

    bridge.defer_files(write_all, ["widgetpkg"], None, write_data, str(site))
    try:
        assert outside.read_text() == "mine" and writes == [], "a file outside site-packages wrote the files"
        assert front.is_file(), "the placeholder is there from the start"
        assert front.read_text() == "export default {}", "the open had the contents written first"
        assert writes == ["data"], "only the data files: the sources stay for later"
        front.read_text()
        assert writes == ["data"]
        sorted(p.name for p in (site / "widgetpkg").iterdir())  # a listing: everything, now
        assert writes == ["data", "all"]
        assert (site / "widgetpkg" / "static" / "widget.js").read_text() == "export default {}"
        front.read_text()
        assert writes == ["data", "all"], "once the files are in, opening one does nothing more"
    finally:
        bridge.files_written()


def test_a_listing_of_site_packages_or_a_relative_open_there_counts_too(bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "data.json").write_text("")
    monkeypatch.setattr(sys, "meta_path", list(sys.meta_path))
    writes: list[str] = []
    bridge.defer_files(lambda: writes.append("all"), ["pkg"], None, lambda: writes.append("data"), str(site))
    try:
        monkeypatch.chdir(site / "pkg")
        open(b"data.json").close()  # noqa: SIM115, PTH123 - the open() a package may do, a bytes path even
        assert writes == ["data"]
        os.listdir(site)
        assert writes == ["data", "all"]
    finally:
        bridge.files_written()


def test_the_worker_makes_widget_classes_and_the_apps_own_functions_but_no_other_callable(bridge, tmp_path: Path) -> None:
    import json

    from fh_anywidget.kernel import comms

    folder = tmp_path / "bundle-of-app"
    (folder / "app_widgets_for_bridge_test").mkdir(parents=True)
    (folder / "app_widgets_for_bridge_test" / "__init__.py").write_text(
        "from json import loads\nfrom fh_anywidget.kernel.warmup import _warm_up_widget\n"
        "def make():\n    return _warm_up_widget()\n")
    bridge.add_to_path(str(folder))
    posted: list = []
    handle = bridge.start(lambda text, buffers: posted.append(json.loads(text)))
    create = lambda key, target, **kwargs: handle(  # noqa: E731
        json.dumps({"type": "create", "key": key, "target": target, "kwargs": kwargs}), None)
    try:
        for key, target, kwargs in [("eval", "builtins:eval", {}),
                                    ("loads", "json:loads", {"s": "[1]"}),
                                    ("decoder", "json:JSONDecoder", {}),  # a class, but no widget
                                    ("imported", "app_widgets_for_bridge_test:loads", {"s": "1"}),  # in the app's module, not of it
                                    ("dunder", "app_widgets_for_bridge_test:make.__call__", {})]:
            create(key, target, **kwargs)
            frame = posted.pop()
            assert frame["type"] == "error" and frame["key"] == key, frame
            assert "neither a widget class nor a class or function of the app's own modules" in frame["error"]["message"]
            assert repr(target) in frame["error"]["message"]
            assert "bridge.py" not in frame["error"]["traceback"]  # the kernel's own frames are left out
        for name in ("_esm", "_css", "_anywidget_id", "_model_name", "_view_module"):  # a widget class, but its front end from the page
            create("code", "anywidget:AnyWidget", **{name: "export default { render() { /* the page's */ } }"})
            frame = posted.pop()
            assert frame["type"] == "error" and f"set {name}: a page's HTML does not give a widget its front-end code" in (
                frame["error"]["message"]), frame
        create("app", "app_widgets_for_bridge_test:make")  # a function of the app's module
        assert posted.pop()[-1]["type"] == "created"
        create("class", "ipywidgets:IntSlider", value=3)  # a widget class of a package
        assert posted.pop()[-1]["type"] == "created"
    finally:
        for k in list(comms._installed):
            k.close()
        sys.modules.pop("app_widgets_for_bridge_test", None)
