"""The packages Pyodide builds itself (numpy, pandas, pyarrow, duckdb, scipy, ...), from its own lock.

The npm `pyodide` package holds the core and `pyodide-lock.json`, which names every package of the
release with its file, sha256 and dependencies, but not the files. They are taken, at build time
only, from the release's full distribution the user names (`--pyodide-dist`, a folder or the
`pyodide-VERSION.tar.bz2`), or else downloaded from where the release publishes them
(`RELEASE_URL`; `--pyodide-url` or `$FH_ANYWIDGET_PYODIDE_URL` for a mirror). Every file is checked
against the lock's sha256 and kept in the download cache; the dist vendors them, and the worker
never fetches anything else.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from ..files import sha256_file
from .errors import DistError

RELEASE_URL = "https://cdn.jsdelivr.net/pyodide/v{version}/full/"
"""Where a Pyodide release publishes the files its lock names (its full distribution)."""
URL_ENV = "FH_ANYWIDGET_PYODIDE_URL"


@dataclass(frozen=True)
class PyodideSource:
    """Where the lock's files come from: a full distribution (folder or tarball), else a URL."""

    version: str
    dist: Path | None = None
    url: str | None = None

    @property
    def base_url(self) -> str:
        url = self.url or os.environ.get(URL_ENV) or RELEASE_URL.format(version=self.version)
        return url if url.endswith("/") else url + "/"

    def describe(self) -> str:
        return f"--pyodide-dist {self.dist}" if self.dist else self.base_url


def lock_index(packages: Mapping[str, Any]) -> dict[str, str]:
    """Canonical project name -> key of Pyodide's lock entry."""
    return {canonicalize_name(entry.get("name", key)): key for key, entry in packages.items()}


def is_compiled(file_name: str) -> bool:
    """True for a file with compiled code: a wheel for a platform (not `any`), or a shared library's zip."""
    try:
        _, _, _, tags = parse_wheel_filename(file_name.rsplit("/", 1)[-1])
    except InvalidWheelFilename:
        return True  # shared libraries come as zips
    return any(tag.platform != "any" for tag in tags)


def closure(packages: Mapping[str, Any], roots: Iterable[str]) -> list[str]:
    """`roots` (lock keys) and all they depend on in the lock, sorted."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(d for d in packages[name].get("depends", ()) if d not in seen)
    return sorted(seen)


def check_requested(spec: str, packages: Mapping[str, Any], version: str) -> None:
    """Refuse a requirement on a lock package whose version the lock does not have."""
    requirement = Requirement(spec)
    key = lock_index(packages)[canonicalize_name(requirement.name)]
    have = packages[key]["version"]
    if requirement.specifier and not requirement.specifier.contains(have, prereleases=True):
        raise DistError(
            f"{spec!r}: Pyodide {version} ships {requirement.name} {have}, which is the only version the browser worker"
            f" can run (its compiled wheel is built by that release); ask for {requirement.name}=={have} or no version,"
            f" or run the widget that needs it with mode='server'"
        )


def fetch_lock_files(
    packages: Mapping[str, Any], names: Sequence[str], source: PyodideSource, cache: Path
) -> dict[str, Path]:
    """The file of each lock entry in `names`, checked against its sha256, in `cache` (lock key -> path)."""
    folder = cache / "pyodide" / source.version
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[str, Path] = {}
    missing: list[str] = []
    for name in names:
        entry = packages[name]
        path = folder / entry["file_name"]
        if path.is_file() and sha256_file(path) == entry["sha256"]:
            found[name] = path
        else:
            missing.append(name)
    if missing and source.dist is not None:
        _copy_from_dist(packages, missing, source, folder)
    elif missing:
        for name in missing:
            _download(packages[name], name, source, folder)
    for name in missing:
        found[name] = folder / packages[name]["file_name"]
    return found


def _check(path: Path, entry: Mapping[str, Any], name: str, source: PyodideSource, origin: str) -> None:
    actual = sha256_file(path)
    if actual != entry["sha256"]:
        path.unlink()
        raise DistError(
            f"{entry['file_name']} ({name}) from {origin} has sha256 {actual}, but Pyodide {source.version}'s lock says"
            f" {entry['sha256']}: refused. Is {source.describe()} the full distribution of Pyodide {source.version}?"
        )


def _download(entry: Mapping[str, Any], name: str, source: PyodideSource, folder: Path) -> None:
    url = source.base_url + entry["file_name"]
    partial = folder / (entry["file_name"] + ".part")
    hint = (
        f"download Pyodide {source.version}'s full distribution (pyodide-{source.version}.tar.bz2, from the release's"
        f" page on GitHub) where you have network and build with --pyodide-dist FILE; or run the widget that"
        f" needs {name} with mode='server'"
    )
    try:
        with urllib.request.urlopen(url, timeout=120) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except urllib.error.HTTPError as error:
        partial.unlink(missing_ok=True)
        raise DistError(
            f"cannot download {entry['file_name']} ({name}, from Pyodide {source.version}'s lock): {url} answered"
            f" {error.code} {error.reason}; {hint}"
        ) from None
    except (urllib.error.URLError, OSError) as error:
        partial.unlink(missing_ok=True)
        reason = getattr(error, "reason", error)
        raise DistError(
            f"cannot download {entry['file_name']} ({name}, from Pyodide {source.version}'s lock) from {url} ({reason}); {hint}"
        ) from None
    _check(partial, entry, name, source, url)
    partial.replace(folder / entry["file_name"])


def _copy_from_dist(packages: Mapping[str, Any], names: Sequence[str], source: PyodideSource, folder: Path) -> None:
    dist = source.dist
    assert dist is not None
    wanted = {packages[n]["file_name"]: n for n in names}
    if dist.is_dir():
        for file_name, name in wanted.items():
            candidates = [dist / file_name, dist / "pyodide" / file_name]
            path = next((c for c in candidates if c.is_file()), None)
            if path is None:
                raise _not_in_dist(file_name, name, source)
            target = folder / (file_name + ".part")
            shutil.copyfile(path, target)
            _check(target, packages[name], name, source, str(path))
            target.replace(folder / file_name)
        return
    if not dist.is_file():
        raise DistError(f"--pyodide-dist {dist} does not exist; give the folder or the pyodide-{source.version}.tar.bz2 of the release")
    try:
        with tarfile.open(dist, "r:*") as tar:
            for member in tar:
                base = member.name.rsplit("/", 1)[-1]
                name = wanted.get(base)
                reader = tar.extractfile(member) if name and member.isfile() else None
                if name is None or reader is None:
                    continue
                target = folder / (base + ".part")
                with target.open("wb") as out:
                    shutil.copyfileobj(reader, out, 1 << 20)
                _check(target, packages[name], name, source, f"{dist}:{member.name}")
                target.replace(folder / base)
    except (tarfile.TarError, OSError) as error:
        raise DistError(f"cannot read --pyodide-dist {dist} ({error}); give the release's folder or its .tar.bz2") from None
    for file_name, name in wanted.items():
        if not (folder / file_name).is_file():
            raise _not_in_dist(file_name, name, source)


def _not_in_dist(file_name: str, name: str, source: PyodideSource) -> DistError:
    return DistError(
        f"{file_name} ({name}, from Pyodide {source.version}'s lock) is not in {source.describe()}; give the release's"
        f" full distribution (pyodide-{source.version}.tar.bz2), not the core package"
    )
