"""`build_dist`: put the Pyodide core, the wheels, the lock and the manifest in one directory."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from ..files import write_if_changed
from .errors import DistError
from .fetch import (
    NpmLock,
    download_extra_wheels,
    download_pinned_wheels,
    fetch_npm_package,
    read_npm_files,
    read_npm_lock,
)
from .lock import UNNEEDED, build_lock, dependency_order
from .manifest import MANIFEST_NAME, Manifest, content_hash
from .pins import NPM_PIN, WORKER_PINS, WheelPin, read_npm_pin, read_wheel_pins
from .pip_worker import PipRetry
from .pyodide_packages import PyodideSource, check_requested, closure, fetch_lock_files, is_compiled, lock_index
from .pip_errors import server_mode_hint
from .snapshot import DATA_PACK_NAME, GZIP_CANDIDATES, PACK_NAME, SNAPSHOT_NAME, SNAPSHOT_PLAIN, SOURCES_PACK_NAME, Runner, build_snapshot, run_node, write_gzip_twins
from ..files import sha256_file
from .wheels import WheelInfo, WorkerTarget, is_worker_wheel, read_wheel

if TYPE_CHECKING:
    from ..assets import Blob

# The files of the npm package the dist needs. pyodide.js is the CommonJS loader that
# pytest-pyodide's Node runner requires; package.json (no "type") keeps Node reading it as
# CommonJS when the dist sits inside a project whose package.json says "type": "module".
CORE_FILES = (
    "pyodide.mjs", "pyodide.js", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "package.json",
)  # fmt: skip
LOCK_NAME = "pyodide-lock.json"
DEFAULT_OUT = Path("build/pyodide")
DEFAULT_CACHE = Path("build/.cache")


def build_dist(
    out: Path | str = DEFAULT_OUT,
    packages: Sequence[str] = (),
    *,
    cache: Path | str | None = None,
    npm_pin: Path = NPM_PIN,
    wheel_pins: Path = WORKER_PINS,
    report: Callable[[str], None] | None = None,
    snapshot: bool = True,
    snapshot_runner: Runner = run_node,
    widget_bundles: Sequence[tuple[Blob, tuple[str, ...]]] = (),
    pyodide_dist: Path | str | None = None,
    pyodide_url: str | None = None,
) -> Manifest:
    """Build the offline Pyodide dist in `out` and return its manifest.

    `packages` are pip requirement strings of extra packages for the worker (with their
    dependencies). Downloads are kept in `cache` (default `$FH_ANYWIDGET_CACHE` or
    `build/.cache`); a warm cache builds without network. Same inputs give identical files.
    With `snapshot` (the default) it also makes the memory snapshot the worker boots from
    (dist/snapshot.py; needs Node.js), with the app's `widget_bundles` (bundles.app_widget_bundles)
    imported, and it always writes `.gz` twins of the big files.
    A package Pyodide builds itself (its lock names it: numpy, pandas, ...) comes from the lock,
    with the lock's dependencies, its files from `pyodide_dist` (the release's full distribution:
    a folder or its tarball) or downloaded from `pyodide_url` (default: where the release publishes
    them), checked against the lock's sha256 (dist/pyodide_packages.py); the others from PyPI.
    Raises `DistError` for anything the user can fix.
    """
    out = Path(out)
    cache = Path(cache or os.environ.get("FH_ANYWIDGET_CACHE") or DEFAULT_CACHE)
    say = report or (lambda message: None)
    roots = _requested_names(packages)
    _check_out_dir(out)

    pin = read_npm_pin(npm_pin)
    say(f"Pyodide {pin.version} (npm)")
    tarball = fetch_npm_package(pin, cache / "npm")
    npm_files = read_npm_files(tarball, [*CORE_FILES, LOCK_NAME])
    npm_lock = read_npm_lock(npm_files[LOCK_NAME])
    target = npm_lock.target

    stack_pins = read_wheel_pins(wheel_pins)
    say(f"{len(stack_pins)} pinned wheels of the worker stack")
    stack = [read_wheel(p, target) for p in download_pinned_wheels(stack_pins, target, cache / "wheels")]
    if packages:
        say(f"extra packages: {' '.join(packages)}")
    source = PyodideSource(pin.version, dist=Path(pyodide_dist) if pyodide_dist else None, url=pyodide_url)
    extras, from_pyodide = _extra_packages(packages, stack_pins, stack, roots, npm_lock, source, cache, say)

    lock = build_lock(npm_lock.data, stack + extras, sorted(from_pyodide))
    core = {name: npm_files[name] for name in CORE_FILES}
    build_id = _build_id(core["pyodide.mjs"])
    later = {n + twin for n in GZIP_CANDIDATES for twin in (".gz", ".br")} | (
        {SNAPSHOT_NAME, SNAPSHOT_PLAIN, SNAPSHOT_PLAIN + ".br", PACK_NAME, DATA_PACK_NAME, SOURCES_PACK_NAME} if snapshot else set())
    vendored = [w.path for w in stack + extras] + [from_pyodide[k] for k in sorted(from_pyodide)]
    _write_files(out, core, vendored, lock, keep=later)
    snapshot_entry = None
    if snapshot:
        # compiled code cannot be in a memory snapshot (Pyodide's does not keep the dynamic libraries
        # loaded): those packages are installed by the worker after the restore, the rest is packed
        compiled = [n for n in lock["packages"] if is_compiled(lock["packages"][n]["file_name"])]
        pure = [w for w in extras if not is_compiled(w.path.name)]
        pure += [read_wheel(from_pyodide[k], target) for k in sorted(from_pyodide) if k not in compiled]
        snapshot_entry = build_snapshot(
            out, wheels=[out / w.path.name for w in stack + pure], extras=pure, build_id=build_id,
            python=target.python, cache=cache, runner=snapshot_runner, report=say, bundles=widget_bundles,
            load_packages=[n for n in dependency_order(lock, compiled) if n in compiled],
            compiled_imports=sorted({i for n in compiled for i in lock["packages"][n]["imports"]}),
        )  # fmt: skip
    for name, (plain, packed, br) in write_gzip_twins(out, cache=cache).items():
        say(f"{name}: {plain / 1e6:.2f} MB, {packed / 1e6:.2f} MB gzip" + (f", {br / 1e6:.2f} MB brotli" if br else ""))
    files = {p.name: sha256_file(p) for p in sorted(out.iterdir()) if p.is_file() and p.name != MANIFEST_NAME}

    stack_names = dependency_order(lock, [w.name for w in stack])
    manifest = Manifest(
        pyodide=pin.version,
        build_id=build_id,
        python=target.python,
        stack=tuple(stack_names),
        packages=tuple(n for n in dependency_order(lock, [*(w.name for w in extras), *from_pyodide]) if n not in stack_names),
        files=files,
        hash=content_hash(files),
        snapshot=snapshot_entry,
    )
    write_if_changed(out / MANIFEST_NAME, manifest.to_json().encode("utf-8"))
    say(f"wrote {out} ({len(lock['packages'])} wheels, hash {manifest.hash[:12]})")
    return manifest


def _requested_names(specs: Sequence[str]) -> set[str]:
    names = set()
    for spec in specs:
        try:
            names.add(canonicalize_name(Requirement(spec).name))
        except InvalidRequirement:
            raise DistError(f"--package {spec!r} is not a pip requirement (e.g. 'drawdata' or 'drawdata==0.5.2')") from None
    return names


def _extra_packages(
    specs: Sequence[str], stack_pins: Sequence[WheelPin], stack: list[WheelInfo], roots: set[str], npm_lock: NpmLock,
    source: PyodideSource, cache: Path, say: Callable[[str], None],
) -> tuple[list[WheelInfo], dict[str, Path]]:
    """The extra packages: (PyPI wheels, Pyodide lock key -> vendored file).

    A spec that names a package with compiled code of Pyodide's lock (numpy, pandas) is taken from
    the lock, with its dependencies there (pure ones too). The others are resolved by pip (PyPI: pure wheels and wheels built for this Pyodide's
    platform), which may take the compiled packages of the lock that they need: when pip finds no
    wheel of one, its files are fetched and pip runs again with them (held at the lock's versions).
    """
    packages = npm_lock.data.get("packages", {})
    index = lock_index(packages)
    stack_names = {p.name for p in stack_pins}
    target = npm_lock.target
    stop = {index[n] for n in stack_names if n in index}
    compiled = {k for k, e in packages.items() if is_compiled(e["file_name"]) and k not in stop}
    # a pure package of the lock comes from PyPI like any other (pytest, six): only PyPI's files differ
    from_lock = [s for s in specs if index.get(_name(s)) in compiled]
    from_pypi = [s for s in specs if s not in from_lock]
    for spec in from_lock:
        check_requested(spec, packages, source.version)

    def with_dependencies(keys: Collection[str]) -> set[str]:
        return set(closure({k: v if k not in stop else {**v, "depends": []} for k, v in packages.items()}, keys)) - stop

    wanted = with_dependencies([index[_name(s)] for s in from_lock])

    def provide(names: set[str]) -> bool:
        new = {index[n] for n in names if n in index and index[n] in compiled} - wanted
        if new:
            say(f"from Pyodide {source.version}'s lock, for pip: {', '.join(sorted(new))}")
            wanted.update(with_dependencies(new))
        return bool(new)

    while True:
        if wanted:
            say(f"from Pyodide {source.version}'s lock ({source.describe()}): {', '.join(sorted(wanted))}")
        files = fetch_lock_files(packages, sorted(wanted), source, cache)
        links = [files[k] for k in sorted(wanted) if files[k].name.endswith(".whl")]
        constraints = [f"{packages[k]['name']}=={packages[k]['version']}" for k in sorted(compiled)]
        try:
            paths = download_extra_wheels(from_pypi, stack_pins, target, cache / "extras",
                                          find_links=links, constraints=constraints if links else (),
                                          lookup_first=provide)  # fmt: skip
            break
        except PipRetry:
            continue
    pypi = []
    for path in paths:
        wheel = read_wheel(path, target)
        key = index.get(wheel.name)
        if key in wanted:
            continue  # the lock's package (pip took its file from the links): vendored as the lock has it
        pypi.append(wheel)
    return _select_extras(pypi, stack, roots, target), {k: files[k] for k in wanted}


def _name(spec: str) -> str:
    return canonicalize_name(Requirement(spec).name)


def _select_extras(
    wheels: list[WheelInfo], stack: list[WheelInfo], roots: set[str], target: WorkerTarget
) -> list[WheelInfo]:
    """The extra wheels the dist keeps: not already in the stack, not unneeded unless asked for."""
    stack_names = {w.name for w in stack}
    kept = []
    for wheel in wheels:
        if wheel.name in stack_names or (wheel.name in UNNEEDED and wheel.name not in roots):
            continue
        if not is_worker_wheel(wheel.path.name, target):
            asked = wheel.name if wheel.name in roots or not roots else " or ".join(sorted(roots))
            needed_by = "" if asked == wheel.name else f" (a dependency of {asked})"
            raise DistError(
                f"{wheel.name}{needed_by} has no pure-Python wheel ({wheel.path.name} is compiled for another"
                f" platform), so it cannot run in the browser worker offline; {server_mode_hint(asked)}"
            )
        kept.append(wheel)
    return kept


def _build_id(loader: bytes) -> str:
    match = re.search(rb'BUILD_ID:"([0-9a-f]+)"', loader)
    if match is None:
        raise DistError("pyodide.mjs has no BUILD_ID; is the pinned npm package a Pyodide release?")
    return match.group(1).decode("ascii")


def _write_files(
    out: Path, core: dict[str, bytes], wheels: list[Path], lock: dict, keep: Collection[str] = ()
) -> dict[str, str]:
    """Write the dist's files into `out`, remove stale ones (but not those in `keep`, which a later
    step writes), and return name -> sha256."""
    out.mkdir(parents=True, exist_ok=True)
    contents = dict(core)
    contents[LOCK_NAME] = (json.dumps(lock, indent=1, sort_keys=True) + "\n").encode("utf-8")
    for name, data in contents.items():
        write_if_changed(out / name, data)
    for wheel in wheels:
        write_if_changed(out / wheel.name, wheel.read_bytes())
    wanted = set(contents) | {w.name for w in wheels} | {MANIFEST_NAME}
    for stale in sorted(out.iterdir()):
        if stale.name not in wanted | set(keep) and stale.is_file():
            stale.unlink()
    return {name: sha256_file(out / name) for name in sorted(wanted - {MANIFEST_NAME})}


def _check_out_dir(out: Path) -> None:
    """Refuse to clean a directory that holds something other than a dist."""
    if not out.exists():
        return
    if not out.is_dir():
        raise DistError(f"--out {out} is a file; pick a directory")
    entries = list(out.iterdir())
    if entries and not (out / MANIFEST_NAME).is_file():
        raise DistError(f"--out {out} is not empty and holds no {MANIFEST_NAME}; pick an empty or new directory")
    folders = [e.name for e in entries if e.is_dir()]
    if folders:
        raise DistError(f"--out {out} has folders ({', '.join(folders)}) that a dist never has; remove them")

