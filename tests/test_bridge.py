"""fh_anywidget.bridge (the worker's side of the kernel), in CPython with a stand-in for
``pyodide.ffi``: what it does to Python's import caches."""

from __future__ import annotations

import importlib
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
    monkeypatch.delitem(sys.modules, "fh_anywidget.bridge", raising=False)
    yield importlib.import_module("fh_anywidget.bridge")
    sys.modules.pop("fh_anywidget.bridge", None)


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
