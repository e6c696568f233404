"""Download what the dist is made of, through the ordinary clients, into a cache.

The npm package comes from `npm pack` and is checked against its pinned integrity; wheels come
from `pip download` for the worker's Python and platform (pip_worker.py). What is in the cache
and verified is not downloaded again, so a warm build touches no network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from .errors import DistError
from .node import require_npm
from .pins import NpmPin, WheelPin
from ..files import sha256_file
from .pip_worker import pip_download
from .wheels import WorkerTarget

@dataclass(frozen=True)
class NpmLock:
    """The `pyodide-lock.json` shipped in the npm package, and the worker it describes."""

    data: dict[str, Any]
    target: WorkerTarget


def npm_integrity(path: Path) -> str:
    """The npm integrity string of a file: `sha512-<base64 digest>`."""
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def npm_pack(spec: str, dest: Path) -> tuple[Path, str]:
    """Run `npm pack SPEC` into `dest`; return the tarball and the integrity npm reported."""
    dest.mkdir(parents=True, exist_ok=True)
    npm = require_npm(f"fetching the npm package {spec}")
    result = subprocess.run(
        [*npm.command, "pack", spec, "--json", "--pack-destination", str(dest)],
        capture_output=True,
        text=True,
        env=npm.env(),
    )
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if "ERR" in line]
        raise DistError(
            f"`npm pack {spec}` failed (to build offline, reuse a cache that holds it: --cache):\n"
            + "\n".join(errors[:4] or result.stderr.splitlines()[-5:])
        )
    report = json.loads(result.stdout)[0]
    return dest / report["filename"], report["integrity"]


def fetch_npm_package(pin: NpmPin, cache: Path) -> Path:
    """The pinned npm tarball in `cache`, fetched unless it is already there and intact."""
    tarball = cache / f"{pin.package.removeprefix('@').replace('/', '-')}-{pin.version}.tgz"  # as npm pack names it
    if not (tarball.is_file() and npm_integrity(tarball) == pin.integrity):
        tarball, _ = npm_pack(pin.spec, cache)
    actual = npm_integrity(tarball)
    if actual != pin.integrity:
        tarball.unlink()
        raise DistError(
            f"{pin.spec} has integrity {actual}, but the pin says {pin.integrity}; if the pin is"
            " out of date, run `fh-anywidget pin`"
        )
    return tarball


def read_npm_files(tarball: Path, names: Sequence[str]) -> dict[str, bytes]:
    """Files of the npm package, by their names inside `package/`, read in one pass."""
    wanted = {f"package/{name}": name for name in names}
    found: dict[str, bytes] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        for member in tar:
            name = wanted.get(member.name)
            reader = tar.extractfile(member) if name else None
            if name and reader is not None:
                found[name] = reader.read()
    missing = [name for name in names if name not in found]
    if missing:
        raise DistError(f"{tarball.name} has no {', '.join(missing)}; is the pinned Pyodide version right?")
    return found


def read_npm_lock(text: bytes) -> NpmLock:
    """Pyodide's lock (the bytes of `pyodide-lock.json`), and the Python and ABI it was built for."""
    data = json.loads(text)
    info = data.get("info", {})
    if "python" not in info or "abi_version" not in info:
        raise DistError("the npm package's pyodide-lock.json names no python/abi_version; is the pin a Pyodide release?")
    return NpmLock(data, WorkerTarget(python=info["python"], abi_version=info["abi_version"]))


def _wheel_key(file_name: str) -> tuple[str, Version]:
    name, version, _, _ = parse_wheel_filename(file_name)
    return canonicalize_name(name), version


def download_pinned_wheels(pins: Sequence[WheelPin], target: WorkerTarget, cache: Path) -> list[Path]:
    """The wheel file of every pin, from `cache` or downloaded into it with `--require-hashes`."""
    cache.mkdir(parents=True, exist_ok=True)
    found = _find_pinned(pins, cache)
    missing = [pin for pin in pins if pin not in found]
    if missing:
        requirements = cache / ".requirements.txt"
        requirements.write_text(
            "".join(f"{p.requirement} --hash=sha256:{p.sha256}\n" for p in missing)
        )
        try:
            pip_download([], target, cache, extra_args=["--no-deps", "--require-hashes", "-r", str(requirements)])
        except DistError as error:
            names = ", ".join(p.requirement for p in missing)
            raise DistError(
                f"cannot download the pinned wheels {names} into {cache}: {error}\n"
                "Check the pin file, or run `fh-anywidget pin` to regenerate it."
            ) from None
        found = _find_pinned(pins, cache)
    for pin in pins:
        if pin not in found:
            raise DistError(
                f"no wheel of {pin.requirement} with sha256 {pin.sha256} after downloading it into"
                f" {cache}; check the pin file, or run `fh-anywidget pin` to regenerate it"
            )
    return [found[pin] for pin in pins]


def _find_pinned(pins: Sequence[WheelPin], cache: Path) -> dict[WheelPin, Path]:
    wanted = {(pin.name, Version(pin.version)): pin for pin in pins}
    found: dict[WheelPin, Path] = {}
    for path in sorted(cache.glob("*.whl")):
        pin = wanted.get(_wheel_key(path.name))
        if pin is not None and sha256_file(path) == pin.sha256:
            found[pin] = path
    return found


def download_extra_wheels(
    specs: Sequence[str], stack: Sequence[WheelPin], target: WorkerTarget, cache: Path, *,
    find_links: Sequence[Path] = (), constraints: Sequence[str] = (),
    lookup_first: Callable[[set[str]], bool] | None = None,
) -> list[Path]:
    """Wheels of `specs` and their dependencies, resolved with the stack held at its pins.

    `find_links` are wheel files pip may take besides the index's (Pyodide's own packages, with
    `constraints` holding them at the lock's versions); `lookup_first` is pip_download's. A
    resolution is cached under a key made of the specs, the pins, those files and the target; a
    cached one whose files are all intact is reused without asking the index.
    """
    if not specs:
        return []
    key_source = json.dumps(
        {"specs": sorted(specs), "stack": [p.requirement for p in stack], "target": target.platform,
         **({"links": sorted(p.name for p in find_links), "constraints": sorted(constraints)} if find_links else {})},
        sort_keys=True,
    )  # fmt: skip
    folder = cache / hashlib.sha256(key_source.encode()).hexdigest()[:16]
    record = folder / "files.json"
    if record.is_file():
        files = json.loads(record.read_text())
        if all((folder / n).is_file() and sha256_file(folder / n) == h for n, h in files.items()):
            return [folder / n for n in sorted(files)]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    constraint_file = folder / "constraints.txt"
    constraint_file.write_text("".join(f"{line}\n" for line in [*(p.requirement for p in stack), *constraints]))
    extra_args = ["--constraint", str(constraint_file)]
    links = folder / ".links"
    if find_links:
        links.mkdir()
        for path in find_links:
            (links / path.name).symlink_to(path.resolve())
        extra_args += ["--find-links", str(links)]
    try:
        pip_download(list(specs), target, folder, extra_args=extra_args, lookup_first=lookup_first)
    finally:
        constraint_file.unlink(missing_ok=True)
        if links.exists():
            shutil.rmtree(links)
    paths = sorted(folder.glob("*.whl"))
    record.write_text(json.dumps({p.name: sha256_file(p) for p in paths}, indent=1, sort_keys=True))
    return paths
