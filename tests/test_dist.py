"""`fh-anywidget dist`: the offline Pyodide dist, its lock, its manifest and its errors.

Most tests build from fake inputs made in tmp_path (a fake npm tarball, fake wheels, fake pins)
and never touch the network. The tests marked `slow` run the real command on the committed pins
(fast and offline once build/.cache is warm); the one marked `network` asks the package index.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from fh_anywidget import cli
from fh_anywidget.dist import DistError, build_dist, read_manifest
from fh_anywidget.dist import fetch, pip_errors
from fh_anywidget.dist.lock import build_lock, dependency_order
from fh_anywidget.dist.manifest import content_hash
from fh_anywidget.dist.pins import WheelPin, format_wheel_pins, read_wheel_pins
from fh_anywidget.dist.wheels import WorkerTarget, is_worker_wheel, read_wheel, sha256_file

REPO = Path(__file__).resolve().parents[1]
TARGET = WorkerTarget(python="3.14.2", abi_version="2026_0")
REAL_PIP_DOWNLOAD = fetch.pip_download  # the `sources` fixture replaces it; `local_index` puts it back
CDN_ENTRY = {
    "name": "micropip", "version": "0.11.1", "file_name": "micropip-0.11.1-py3-none-any.whl",
    "install_dir": "site", "sha256": "e2" * 32, "package_type": "package", "imports": ["micropip"],
    "depends": [], "unvendored_tests": False, "tool": {},
}  # fmt: skip


# ---------------------------------------------------------------- fakes


def make_wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    *,
    requires: tuple[str, ...] = (),
    top_level: tuple[str, ...] | None = None,
    modules: tuple[str, ...] | None = None,
    tag: str = "py3-none-any",
) -> Path:
    """A minimal wheel: METADATA, WHEEL, RECORD, optional top_level.txt and one file per module."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{name.replace('-', '_')}-{version}"
    files = {f"{m}/__init__.py": f"# {m}\n" for m in modules or (name.replace("-", "_").lower(),)}
    info = f"{stem}.dist-info"
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {r}\n" for r in requires)
    )
    files[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n"
    if top_level is not None:
        files[f"{info}/top_level.txt"] = "".join(f"{t}\n" for t in top_level)
    files[f"{info}/RECORD"] = "".join(f"{n},,\n" for n in files) + f"{info}/RECORD,,\n"
    path = folder / f"{stem}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for file_name, text in files.items():
            wheel.writestr(zipfile.ZipInfo(file_name, date_time=(1980, 1, 1, 0, 0, 0)), text)
    return path


def make_npm_tarball(folder: Path, packages: dict | None = None) -> Path:
    """A fake `pyodide-314.0.7.tgz` with the core files and a lock whose entries live on a CDN."""
    lock = {
        "info": {"abi_version": "2026_0", "arch": "wasm32", "platform": "emscripten_5_0_3", "python": "3.14.2"},
        "packages": packages if packages is not None else {"micropip": CDN_ENTRY},
    }
    members = {
        "pyodide.mjs": b'const API={BUILD_ID:"abc123"};',
        "pyodide.js": b"// classic loader",
        "pyodide.asm.mjs": b"// emscripten glue",
        "pyodide.asm.wasm": b"\0asm fake",
        "python_stdlib.zip": b"PK fake",
        "package.json": b'{"name": "pyodide", "main": "pyodide.js"}',
        "pyodide.d.ts": b"// not copied",
        "pyodide-lock.json": json.dumps(lock).encode(),
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyodide-314.0.7.tgz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            member = tarfile.TarInfo(f"package/{name}")
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return path


def integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """Pins and a warm cache for a fake stack; pip must not be called unless a test allows it."""
    cache = tmp_path / "cache"
    tarball = make_npm_tarball(cache / "npm")
    wheels = [
        make_wheel(cache / "wheels", "anywidget", "0.11.0", requires=("ipywidgets>=8", "typing-extensions")),
        make_wheel(cache / "wheels", "ipywidgets", "8.1.9", requires=("traitlets", "jedi>=0.16", "comm")),
        make_wheel(cache / "wheels", "comm", "0.2.3"),
        make_wheel(cache / "wheels", "traitlets", "5.16.1"),
        make_wheel(cache / "wheels", "typing_extensions", "4.16.0", modules=("typing_extensions_pkg",)),
    ]
    npm_pin = tmp_path / "pins" / "pyodide.json"
    npm_pin.parent.mkdir()
    npm_pin.write_text(json.dumps({"package": "pyodide", "version": "314.0.7", "integrity": integrity(tarball)}))
    pins = [WheelPin(read_wheel(w, TARGET).name, read_wheel(w, TARGET).version, sha256_file(w)) for w in wheels]
    wheel_pins = tmp_path / "pins" / "worker.txt"
    wheel_pins.write_text(format_wheel_pins(pins, "fake pins"))

    def no_pip(*args: object, **kwargs: object) -> None:
        raise AssertionError("pip was called although everything is in the cache")

    monkeypatch.setattr(fetch, "pip_download", no_pip)
    return SimpleNamespace(cache=cache, npm_pin=npm_pin, wheel_pins=wheel_pins, wheels=wheels, tmp=tmp_path)


def build(sources: SimpleNamespace, out: Path, packages: tuple[str, ...] = ()):
    return build_dist(out, packages, cache=sources.cache, npm_pin=sources.npm_pin, wheel_pins=sources.wheel_pins,
                      snapshot=False)


def fake_pip(*wheels: Path):
    """A stand-in for `pip download` that 'downloads' the given wheels."""

    def download(requirements, target, dest: Path, *, extra_args=(), lookup_first=None) -> None:
        dest.mkdir(parents=True, exist_ok=True)
        for wheel in wheels:
            (dest / wheel.name).write_bytes(wheel.read_bytes())

    return download


# ---------------------------------------------------------------- wheels


def test_lock_name_is_normalized_like_pyodide(tmp_path: Path) -> None:
    wheel = read_wheel(make_wheel(tmp_path, "Typing_Extensions", "4.16.0"), TARGET)
    assert wheel.name == "typing-extensions"


def test_imports_come_from_top_level_txt_when_present(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, "pytest", "8.4.2", modules=("_pytest", "pytest"), top_level=("_pytest", "py", "pytest"))
    assert read_wheel(path, TARGET).imports == ("_pytest", "py", "pytest")


def test_imports_come_from_record_otherwise(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, "ipython", "9.12.0", modules=("IPython",))
    assert read_wheel(path, TARGET).imports == ("IPython",)


def test_requires_are_evaluated_for_the_emscripten_worker(tmp_path: Path) -> None:
    requires = (
        "decorator>=5",
        'pexpect>4.6; sys_platform != "win32" and sys_platform != "emscripten"',
        'colorama; sys_platform == "win32"',
        'exceptiongroup; python_version < "3.11"',
        'typing_extensions; python_version < "3.15"',
        'pytest; extra == "test"',
    )
    wheel = read_wheel(make_wheel(tmp_path, "ipython", "9.12.0", requires=requires), TARGET)
    assert wheel.requires == ("decorator", "typing-extensions")


@pytest.mark.parametrize(
    ("file_name", "runs_in_worker"),
    [
        ("drawdata-0.5.2-py3-none-any.whl", True),
        ("jedi-0.20.1-py2.py3-none-any.whl", True),
        ("regex-2026.1-cp314-cp314-pyemscripten_2026_0_wasm32.whl", True),
        ("numpy-2.3.0-cp314-cp314-manylinux_2_28_x86_64.whl", False),
        ("numpy-2.3.0-cp314-cp314-win_amd64.whl", False),
        ("regex-2026.1-cp313-cp313-pyodide_2025_0_wasm32.whl", False),
        ("numpy-2.3.0.tar.gz", False),
    ],
)
def test_only_pure_or_pyemscripten_wheels_run_in_the_worker(file_name: str, runs_in_worker: bool) -> None:
    assert is_worker_wheel(file_name, TARGET) is runs_in_worker


def test_a_broken_wheel_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken-1.0-py3-none-any.whl"
    path.write_bytes(b"not a zip")
    with pytest.raises(DistError, match="broken-1.0-py3-none-any.whl is not a readable wheel"):
        read_wheel(path, TARGET)


# ---------------------------------------------------------------- lock


def test_lock_keeps_info_and_drops_every_cdn_only_entry(tmp_path: Path) -> None:
    npm_lock = {"info": {"python": "3.14.2", "abi_version": "2026_0"}, "packages": {"micropip": CDN_ENTRY}}
    lock = build_lock(npm_lock, [read_wheel(make_wheel(tmp_path, "comm", "0.2.3"), TARGET)])
    assert lock["info"] == npm_lock["info"]
    assert list(lock["packages"]) == ["comm"]


def test_local_wheel_replaces_the_npm_entry_with_its_own_file_and_sha256(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, "traitlets", "5.16.1")
    stale = dict(CDN_ENTRY, name="traitlets", file_name="traitlets-5.14.3-py3-none-any.whl", sha256="0" * 64)
    lock = build_lock({"info": {}, "packages": {"traitlets": stale}}, [read_wheel(path, TARGET)])
    entry = lock["packages"]["traitlets"]
    assert entry["file_name"] == path.name
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["version"] == "5.16.1"
    assert entry["install_dir"] == "site"
    assert entry["package_type"] == "package"
    assert entry["imports"] == ["traitlets"]


def test_unneeded_dependencies_are_pruned_and_every_depends_resolves(tmp_path: Path) -> None:
    wheels = [
        make_wheel(tmp_path, "ipywidgets", requires=("comm", "jedi", "widgetsnbextension~=4.0", "jupyterlab_widgets")),
        make_wheel(tmp_path, "comm"),
    ]
    lock = build_lock({"info": {}}, [read_wheel(w, TARGET) for w in wheels])
    assert lock["packages"]["ipywidgets"]["depends"] == ["comm"]
    for entry in lock["packages"].values():
        assert set(entry["depends"]) <= set(lock["packages"])


def test_a_dependency_without_a_local_wheel_is_an_error_naming_it(tmp_path: Path) -> None:
    wheel = read_wheel(make_wheel(tmp_path, "drawdata", requires=("anywidget", "polars")), TARGET)
    with pytest.raises(DistError, match="drawdata 1.0 depends on anywidget, polars.*--package anywidget"):
        build_lock({"info": {}}, [wheel])


def test_dependency_order_puts_dependencies_first(tmp_path: Path) -> None:
    wheels = [
        make_wheel(tmp_path, "anywidget", requires=("ipywidgets", "psygnal")),
        make_wheel(tmp_path, "ipywidgets", requires=("traitlets", "comm")),
        make_wheel(tmp_path, "psygnal"),
        make_wheel(tmp_path, "traitlets"),
        make_wheel(tmp_path, "comm"),
    ]
    lock = build_lock({"info": {}}, [read_wheel(w, TARGET) for w in wheels])
    assert dependency_order(lock, ["anywidget"]) == ["comm", "traitlets", "ipywidgets", "psygnal", "anywidget"]


# ---------------------------------------------------------------- pins


def test_pin_file_round_trips(tmp_path: Path) -> None:
    pins = [WheelPin("traitlets", "5.16.1", "ab" * 32), WheelPin("comm", "0.2.3", "cd" * 32)]
    path = tmp_path / "worker.txt"
    path.write_text(format_wheel_pins(pins, "header\nsecond line"))
    assert read_wheel_pins(path) == sorted(pins, key=lambda p: p.name)


def test_a_pin_without_a_hash_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "worker.txt"
    path.write_text("traitlets==5.16.1\n")
    with pytest.raises(DistError, match="'traitlets==5.16.1' is not 'name==version --hash=sha256:<hex>'"):
        read_wheel_pins(path)


def test_committed_pins_hold_the_worker_stack_and_nothing_unneeded() -> None:
    names = {pin.name for pin in read_wheel_pins()}
    assert names == {
        "anywidget", "ipywidgets", "comm", "traitlets", "psygnal", "typing-extensions", "ipython",
        "asttokens", "executing", "ipython-pygments-lexers", "matplotlib-inline",
        "prompt-toolkit", "pure-eval", "pygments", "stack-data", "wcwidth",
    }  # fmt: skip


# ---------------------------------------------------------------- pip errors


def test_a_package_without_a_pure_wheel_is_refused_with_the_fix() -> None:
    stderr = (
        "ERROR: Could not find a version that satisfies the requirement numpy (from versions: none)\n"
        "ERROR: No matching distribution found for numpy\n"
    )
    message = pip_errors.explain_pip_failure(stderr, TARGET)
    assert message.startswith("numpy has no pure-Python wheel")
    assert "cannot run in the browser worker offline" in message
    assert "mode='server'" in message


def test_a_dependency_without_a_pure_wheel_names_who_needs_it() -> None:
    stderr = (
        "ERROR: Could not find a version that satisfies the requirement numpy>=1.20 (from widgetpkg)"
        " (from versions: none)\n"
    )
    message = pip_errors.explain_pip_failure(stderr, TARGET)
    assert message.startswith("numpy (needed by widgetpkg) has no pure-Python wheel")


def test_a_version_without_a_worker_wheel_lists_the_versions_that_have_one() -> None:
    stderr = "ERROR: Could not find a version that satisfies the requirement tblib==0.1 (from versions: 3.1.0, 3.2.2)\n"
    message = pip_errors.explain_pip_failure(stderr, TARGET)
    assert "no version of tblib matching 'tblib==0.1'" in message
    assert "3.1.0, 3.2.2" in message


def test_no_network_is_not_mistaken_for_a_missing_wheel() -> None:
    stderr = (
        "WARNING: Retrying ... NewConnectionError: Failed to establish a new connection\n"
        "ERROR: Could not find a version that satisfies the requirement numpy (from versions: none)\n"
    )
    assert pip_errors.explain_pip_failure(stderr, TARGET).startswith("cannot reach the package index")


@pytest.fixture
def local_index(sources: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder of wheels that real pip uses as its only index (no config file, no other index)."""
    index = sources.tmp / "index"
    index.mkdir()
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setattr(fetch, "pip_download", REAL_PIP_DOWNLOAD)
    return index


def make_sdist(folder: Path, name: str, version: str) -> Path:
    path = folder / f"{name}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        data = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        member = tarfile.TarInfo(f"{name}-{version}/PKG-INFO")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    return path


def test_a_dependency_that_cannot_run_in_the_browser_is_named_with_the_package_that_needs_it(
    sources: SimpleNamespace, local_index: Path
) -> None:
    # two releases of the widget package, as on PyPI: pip backtracks and says ResolutionImpossible
    make_wheel(local_index, "plotwidget", "1.0", requires=("fastcalc>=2",))
    make_wheel(local_index, "plotwidget", "1.1", requires=("fastcalc>=2",))
    make_wheel(local_index, "fastcalc", "2.0", tag="cp311-cp311-manylinux_2_28_x86_64")
    make_sdist(local_index, "fastcalc", "2.1")
    with pytest.raises(DistError) as error:
        build(sources, sources.tmp / "dist", ("plotwidget",))
    message = str(error.value)
    assert message.startswith("fastcalc (needed by plotwidget) has no pure-Python wheel"), message
    assert "pyemscripten_2026_0_wasm32 or 'any'" in message
    assert "mode='server'" in message and "drop plotwidget from packages" in message
    assert "conflict" not in message


def test_a_dependency_whose_matching_versions_cannot_run_in_the_browser_lists_those_that_can(
    sources: SimpleNamespace, local_index: Path
) -> None:
    make_wheel(local_index, "plotwidget", "1.0", requires=("fastcalc>=2",))
    make_wheel(local_index, "plotwidget", "1.1", requires=("fastcalc>=2",))
    make_wheel(local_index, "fastcalc", "1.4")  # pure Python until 2.0
    make_wheel(local_index, "fastcalc", "2.0", tag="cp311-cp311-manylinux_2_28_x86_64")
    with pytest.raises(DistError) as error:
        build(sources, sources.tmp / "dist", ("plotwidget",))
    message = str(error.value)
    assert message.startswith("no version of fastcalc (needed by plotwidget) matching 'fastcalc>=2' has a wheel"), message
    assert "versions that have one: 1.4" in message and "mode='server'" in message


def test_a_version_conflict_shows_pips_reason(sources: SimpleNamespace, local_index: Path) -> None:
    make_wheel(local_index, "alpha", "1.0", requires=("shared==1.0",))
    make_wheel(local_index, "beta", "1.0", requires=("shared>=2",))
    make_wheel(local_index, "shared", "1.0")
    make_wheel(local_index, "shared", "2.0")
    with pytest.raises(DistError) as error:
        build(sources, sources.tmp / "dist", ("alpha", "beta"))
    message = str(error.value)
    assert "alpha 1.0 depends on shared==1.0" in message and "beta 1.0 depends on shared>=2" in message, message
    assert "pinned" not in message  # the stack's pins have nothing to do with it
    assert "no pure-Python wheel" not in message


def test_a_conflict_with_a_pin_of_the_worker_stack_names_the_pin(sources: SimpleNamespace, local_index: Path) -> None:
    make_wheel(local_index, "oldwidget", "1.0", requires=("comm<0.2",))
    make_wheel(local_index, "comm", "0.1.4")
    make_wheel(local_index, "comm", "0.2.3")
    with pytest.raises(DistError) as error:
        build(sources, sources.tmp / "dist", ("oldwidget",))
    message = str(error.value)
    assert "oldwidget 1.0 depends on comm<0.2" in message and "comm==0.2.3" in message, message
    assert "pinned worker stack" in message


# ---------------------------------------------------------------- build_dist on fakes


def test_dist_holds_the_core_the_wheels_the_lock_and_the_manifest(sources: SimpleNamespace) -> None:
    out = sources.tmp / "dist"
    manifest = build(sources, out)
    expected = {"pyodide.mjs", "pyodide.js", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                "package.json", "pyodide-lock.json", "pyodide-lock.json.gz", "pyodide-lock.json.br",  # twins where they pay
                "fh-anywidget.json", *(w.name for w in sources.wheels)}  # fmt: skip
    assert {p.name for p in out.iterdir()} == expected
    assert manifest == read_manifest(out)
    assert manifest.pyodide == "314.0.7"
    assert manifest.build_id == "abc123"
    assert manifest.python == "3.14.2"
    assert manifest.stack == ("comm", "traitlets", "ipywidgets", "typing-extensions", "anywidget")
    assert manifest.packages == ()


def test_every_lock_entry_names_a_local_file_with_its_sha256(sources: SimpleNamespace) -> None:
    out = sources.tmp / "dist"
    build(sources, out)
    lock = json.loads((out / "pyodide-lock.json").read_text())
    assert "micropip" not in lock["packages"]
    for entry in lock["packages"].values():
        assert entry["sha256"] == sha256_file(out / entry["file_name"])
        assert set(entry["depends"]) <= set(lock["packages"])
    assert lock["packages"]["ipywidgets"]["depends"] == ["comm", "traitlets"]


def test_manifest_hash_covers_every_file(sources: SimpleNamespace) -> None:
    out = sources.tmp / "dist"
    manifest = build(sources, out)
    files = {p.name: sha256_file(p) for p in out.iterdir() if p.name != "fh-anywidget.json"}
    assert manifest.files == files
    assert manifest.hash == content_hash(files)
    assert content_hash({**files, "comm-0.2.3-py3-none-any.whl": "0" * 64}) != manifest.hash


def test_building_twice_gives_identical_files(sources: SimpleNamespace) -> None:
    first, second = sources.tmp / "a", sources.tmp / "b"
    build(sources, first)
    build(sources, second)
    build(sources, second)
    assert sorted(p.name for p in first.iterdir()) == sorted(p.name for p in second.iterdir())
    for path in first.iterdir():
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name


def test_a_dist_with_a_snapshot_lists_it_in_the_manifest_and_drops_it_when_built_without(
    sources: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_snapshot import BUILD_ID, fake_runner  # noqa: PLC0415

    from fh_anywidget.dist import build as build_module  # noqa: PLC0415

    monkeypatch.setattr(build_module, "_build_id", lambda loader: BUILD_ID)
    out, calls = sources.tmp / "dist", []
    manifest = build_dist(out, (), cache=sources.cache, npm_pin=sources.npm_pin, wheel_pins=sources.wheel_pins,
                          snapshot_runner=fake_runner(calls))  # fmt: skip
    assert len(calls) == 1
    assert manifest.snapshot is not None and manifest.snapshot["file"] == "snapshot.bin.gz"
    assert {"snapshot.bin.gz", "site-packages.pack", "site-packages.pack.gz"} <= set(manifest.files)
    assert read_manifest(out) == manifest
    manifest = build(sources, out)  # snapshot=False
    assert manifest.snapshot is None
    assert not (out / "snapshot.bin.gz").exists() and not (out / "site-packages.pack").exists()


def test_stale_files_of_an_earlier_build_are_removed(sources: SimpleNamespace) -> None:
    out = sources.tmp / "dist"
    build(sources, out)
    (out / "old-1.0-py3-none-any.whl").write_bytes(b"old")
    build(sources, out)
    assert not (out / "old-1.0-py3-none-any.whl").exists()


def test_a_foreign_non_empty_out_dir_is_left_alone(sources: SimpleNamespace) -> None:
    out = sources.tmp / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(DistError, match="is not empty and holds no fh-anywidget.json"):
        build(sources, out)
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_pinned_wheel_that_cannot_be_had_is_named(sources: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    sources.wheels[3].unlink()  # traitlets leaves the cache, and pip brings nothing back
    monkeypatch.setattr(fetch, "pip_download", lambda *args, **kwargs: None)
    with pytest.raises(DistError, match=r"no wheel of traitlets==5\.16\.1 with sha256 .*fh-anywidget pin"):
        build(sources, sources.tmp / "dist")


def test_a_pip_failure_for_a_pin_names_the_pin(sources: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    sources.wheels[3].unlink()

    def failing_pip(*args: object, **kwargs: object) -> None:
        raise DistError("pip could not download the wheels:\nERROR: ...")

    monkeypatch.setattr(fetch, "pip_download", failing_pip)
    with pytest.raises(DistError, match=r"cannot download the pinned wheels traitlets==5\.16\.1"):
        build(sources, sources.tmp / "dist")


def test_pip_evaluates_dependency_markers_for_the_worker_not_this_machine(tmp_path: Path) -> None:
    # like IPython 9.13+: psutil everywhere but in Pyodide, where no wheel of it exists
    index = tmp_path / "index"
    make_wheel(index, "shell", "2.0", requires=('psutil; sys_platform != "emscripten"', 'lexers; sys_platform == "emscripten"',
                                                'oldpy; python_version < "3.12"'))  # fmt: skip
    make_wheel(index, "lexers", "1.0")
    make_wheel(index, "oldpy", "1.0")  # wanted by Python 3.11 (this venv's), not by the worker's 3.14
    fetch.pip_download(["shell"], TARGET, tmp_path / "out", extra_args=["--no-index", "--find-links", str(index)])
    assert sorted(p.name.split("-")[0] for p in (tmp_path / "out").glob("*.whl")) == ["lexers", "shell"]


def test_a_cached_wheel_with_the_wrong_sha256_is_not_used(sources: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    sources.wheels[3].write_bytes(sources.wheels[3].read_bytes() + b"tampered")
    monkeypatch.setattr(fetch, "pip_download", lambda *args, **kwargs: None)
    with pytest.raises(DistError, match=r"no wheel of traitlets==5\.16\.1"):
        build(sources, sources.tmp / "dist")


def test_a_tampered_npm_tarball_is_refused(sources: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    tarball = sources.cache / "npm" / "pyodide-314.0.7.tgz"
    monkeypatch.setattr(fetch, "npm_pack", lambda spec, dest: (tarball, "sha512-whatever"))
    tarball.write_bytes(tarball.read_bytes() + b"x")
    with pytest.raises(DistError, match="pyodide@314.0.7 has integrity .* but the pin says"):
        build(sources, sources.tmp / "dist")


def test_extra_packages_come_with_their_dependencies(sources: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    pypi = sources.tmp / "pypi"
    downloaded = [
        make_wheel(pypi, "drawdata", "0.5.2", requires=("anywidget", "narwhals")),
        make_wheel(pypi, "narwhals", "2.0"),
        make_wheel(pypi, "anywidget", "0.11.0", requires=("ipywidgets",)),  # a stack package: the pin wins
        make_wheel(pypi, "jedi", "0.20.1"),  # unneeded: dropped
    ]
    monkeypatch.setattr(fetch, "pip_download", fake_pip(*downloaded))
    manifest = build(sources, sources.tmp / "dist", ("drawdata",))
    assert manifest.packages == ("narwhals", "drawdata")
    lock = json.loads((sources.tmp / "dist" / "pyodide-lock.json").read_text())
    assert lock["packages"]["drawdata"]["depends"] == ["anywidget", "narwhals"]
    assert "jedi" not in lock["packages"]


def test_extra_packages_are_resolved_once_then_cached(sources: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch, "pip_download", fake_pip(make_wheel(sources.tmp / "pypi", "tblib", "3.2.2")))
    first = build(sources, sources.tmp / "a", ("tblib",))
    monkeypatch.setattr(fetch, "pip_download", lambda *a, **k: pytest.fail("pip called for a cached resolution"))
    assert build(sources, sources.tmp / "b", ("tblib",)) == first


def test_a_compiled_extra_wheel_is_refused_naming_it(sources: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = make_wheel(sources.tmp / "pypi", "fastwidget", "1.0", tag="cp314-cp314-manylinux_2_28_x86_64")
    monkeypatch.setattr(fetch, "pip_download", fake_pip(compiled))
    with pytest.raises(DistError, match="fastwidget has no pure-Python wheel.*mode='server'"):
        build(sources, sources.tmp / "dist", ("fastwidget",))


def test_a_bad_package_spec_is_named(sources: SimpleNamespace) -> None:
    with pytest.raises(DistError, match="--package 'not a spec!' is not a pip requirement"):
        build(sources, sources.tmp / "dist", ("not a spec!",))


def test_read_manifest_of_a_missing_dist_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(DistError, match="fh-anywidget.json does not exist; build the dist with `fh-anywidget dist"):
        read_manifest(tmp_path)


# ---------------------------------------------------------------- command line


def test_cli_user_error_is_one_line_on_stderr_without_traceback(
    sources: SimpleNamespace, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["dist", "--package", "not a spec!", "--out", str(sources.tmp / "dist")])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.startswith("fh-anywidget: error: --package 'not a spec!' is not a pip requirement")
    assert "Traceback" not in captured.err


def test_app_packages_are_read_from_the_app_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "widget_app.py").write_text(
        "from types import SimpleNamespace\n"
        "from starlette.applications import Starlette\n"
        "app = Starlette()\n"
        "app.state.fh_anywidget = SimpleNamespace(packages=['drawdata==0.5.2'])\n"
        "bare = Starlette()\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cli.app_packages("widget_app:app") == ["drawdata==0.5.2"]
    assert cli.app_packages("widget_app:bare") == []
    with pytest.raises(DistError, match="module 'widget_app' has no attribute 'nope'"):
        cli.app_packages("widget_app:nope")
    with pytest.raises(DistError, match="APP 'widget_app' is not 'module:attr'"):
        cli.app_packages("widget_app")


MISSING = "The browser's Python distribution is missing"


def write_app(folder: Path) -> str:
    """An app whose distribution would be `folder/dist`, which does not exist yet; returns its APP."""
    (folder / "nodist_app.py").write_text(
        "from pathlib import Path\n"
        "from fasthtml.common import P, fast_app\n"
        "from fh_anywidget import AnyWidgetHost\n"
        "app, rt = fast_app(default_hdrs=False, pico=False)\n"
        "host = AnyWidgetHost(app, dist_dir=Path(__file__).parent / 'dist')\n"
        "rt('/')(lambda: P('hello'))\n"
    )
    return "nodist_app:app"


def test_an_app_without_its_dist_warns_when_imported_to_serve(tmp_path: Path) -> None:
    write_app(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO / "py")}
    result = subprocess.run([sys.executable, "-c", "import nodist_app"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert f"[fh-anywidget] {MISSING}" in result.stderr and "fh-anywidget dist module:app" in result.stderr


def test_build_of_an_app_without_its_dist_says_so_once_as_its_error(tmp_path: Path) -> None:
    result = run_cli("build", write_app(tmp_path), "--out", str(tmp_path / "site"), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"fh-anywidget: error: {MISSING}"), result.stderr
    assert result.stderr.count(MISSING) == 1, result.stderr  # not also as a warning while importing the app


@pytest.mark.slow
def test_dist_of_an_app_does_not_warn_that_the_dist_it_builds_is_missing(tmp_path: Path) -> None:
    app = write_app(tmp_path)
    result = run_real_dist(tmp_path / "dist", app, "--no-snapshot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert MISSING not in result.stderr and "[fh-anywidget]" not in result.stderr, result.stderr
    again = run_real_dist(tmp_path / "dist", app, "--no-snapshot", cwd=tmp_path)  # a dist without a snapshot now
    assert again.returncode == 0, again.stderr
    assert "[fh-anywidget]" not in again.stderr, again.stderr
    site = run_cli("build", app, "--out", str(tmp_path / "site"), cwd=tmp_path)
    assert site.returncode == 0, site.stderr
    assert "[fh-anywidget]" not in site.stderr, site.stderr  # the build says it in its own words, once:
    assert site.stderr.count("without its memory snapshot") == 1, site.stderr
    assert "again, then this build" in site.stderr


# ---------------------------------------------------------------- the real thing


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """`python -m fh_anywidget ARGS` in a fresh process (nothing imported before), in `cwd`."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "py")}
    return subprocess.run([sys.executable, "-m", "fh_anywidget", *args], capture_output=True, text=True, cwd=cwd, env=env)


def run_real_dist(out: Path, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """`python -m fh_anywidget dist` on the committed pins, with the repo's download cache."""
    return run_cli("dist", "--out", str(out), "--cache", str(REPO / "build" / ".cache"), *args, cwd=cwd)


@pytest.mark.slow
def test_real_dist_is_complete_offline_and_deterministic(tmp_path: Path) -> None:
    result = run_real_dist(tmp_path / "a")
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(tmp_path / "a")
    assert manifest.pyodide == "314.0.7"
    assert len(manifest.build_id) == 64
    assert manifest.stack[-1] == "anywidget"
    assert len(manifest.stack) == 16
    lock = json.loads((tmp_path / "a" / "pyodide-lock.json").read_text())
    assert set(lock["packages"]) == set(manifest.stack)
    for entry in lock["packages"].values():
        assert entry["sha256"] == sha256_file(tmp_path / "a" / entry["file_name"])
    assert run_real_dist(tmp_path / "b").returncode == 0
    assert read_manifest(tmp_path / "b").hash == manifest.hash


@pytest.mark.network
def test_real_psutil_is_refused_because_neither_pypi_nor_pyodide_has_a_wheel_for_the_worker(tmp_path: Path) -> None:
    result = run_real_dist(tmp_path / "dist", "--package", "psutil")
    if "cannot reach the package index" in result.stderr:
        pytest.skip("the package index is not reachable")
    assert result.returncode == 1
    assert "fh-anywidget: error: psutil has no pure-Python wheel" in result.stderr
    assert "Pyodide's own packages" in result.stderr and "mode='server'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dist").exists()
