"""Rewrite Pyodide's `pyodide-lock.json` so that it names only local wheels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .errors import DistError
from .wheels import WheelInfo

# Declared by ipython / ipywidgets but not needed to import or run a widget in the worker.
# Their wheels are left out of the dist and their names out of every `depends`.
UNNEEDED = frozenset(
    {"jedi", "parso", "pexpect", "ptyprocess", "widgetsnbextension", "jupyterlab-widgets"}
)


def lock_entry(wheel: WheelInfo, local_names: Iterable[str]) -> dict[str, Any]:
    """The lock entry of a local wheel, shaped like the entries of Pyodide's own lock.

    `depends` keeps only the dependencies in `local_names`: names in `UNNEEDED` are dropped,
    any other missing one is an error (the dist would fail to load it in the browser).
    """
    local = set(local_names)
    missing = [n for n in wheel.requires if n not in local and n not in UNNEEDED]
    if missing:
        raise DistError(
            f"{wheel.name} {wheel.version} depends on {', '.join(missing)}, which has no wheel in"
            f" the dist; add it with --package {missing[0]}"
        )
    return {
        "name": wheel.name,
        "version": wheel.version,
        "file_name": wheel.path.name,
        "install_dir": "site",
        "sha256": wheel.sha256,
        "package_type": "package",
        "imports": list(wheel.imports),
        "depends": [n for n in wheel.requires if n in local],
        "unvendored_tests": False,
        "tool": {},
    }


def build_lock(
    npm_lock: Mapping[str, Any], wheels: Sequence[WheelInfo], pyodide_entries: Sequence[str] = ()
) -> dict[str, Any]:
    """Pyodide's lock with `info` kept, every local wheel added, and every other entry dropped.

    Entries of Pyodide's own lock point to files on a CDN that the dist does not hold, so only
    those in `pyodide_entries` (lock keys whose files the dist vendors, as the lock names them:
    dist/pyodide_packages.py) are kept as they are; a local wheel replaces the entry of the same
    name (file name and sha256 of the local file, since PyPI's files differ from the ones Pyodide built).
    """
    if "info" not in npm_lock:
        raise DistError("the npm package's pyodide-lock.json has no 'info'; re-run `fh-anywidget pin`")
    names = [w.name for w in wheels] + list(pyodide_entries)
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DistError(f"two wheels for {', '.join(duplicates)}; keep one version of each package")
    packages = {w.name: lock_entry(w, names) for w in wheels}
    packages.update({name: dict(npm_lock["packages"][name]) for name in pyodide_entries})
    packages = dict(sorted(packages.items()))
    lock = {"info": dict(npm_lock["info"]), "packages": packages}
    check_lock(lock)
    return lock


def check_lock(lock: Mapping[str, Any]) -> None:
    """Raise `DistError` unless every `depends` of every entry names an entry of the lock."""
    packages = lock["packages"]
    for name, entry in packages.items():
        unknown = [d for d in entry["depends"] if d not in packages]
        if unknown:
            raise DistError(f"lock entry {name} depends on {', '.join(unknown)}, which is not in the lock")


def dependency_order(lock: Mapping[str, Any], roots: Iterable[str]) -> list[str]:
    """`roots` and everything they depend on, each after its dependencies; ties broken by name."""
    packages = lock["packages"]
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dependency in sorted(packages[name]["depends"]):
            visit(dependency)
        order.append(name)

    for root in sorted(roots):
        visit(root)
    return order
