"""`fh-anywidget doctor`: what is installed, which Node.js and npm `dist` would run, where the
download cache is, and, for an app, whether its dist is current (the host's own checks)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .dist.build import DEFAULT_CACHE
from .dist.errors import DistError
from .dist.manifest import MANIFEST_NAME
from .dist.node import WHEEL, find_node, find_npm, version_of
from .dist.pins import read_npm_pin, read_wheel_pins

PACKAGES = ("fh-anywidget", "python-fasthtml", "anywidget", "ipywidgets", "traitlets", "comm", "packaging", WHEEL)


def _installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def doctor_lines(app: str | None, *, cache: Path | None, load_app: Callable[[str], object]) -> tuple[list[str], bool]:
    """The report's lines, and whether everything needed is there and current."""
    ok = True
    lines = [f"python {sys.version.split()[0]} ({sys.executable})"]
    lines += [f"{name} {_installed(name)}" for name in PACKAGES]
    try:
        pin = read_npm_pin()
        lines.append(f"pyodide {pin.version} pinned (npm {pin.spec}), {len(read_wheel_pins())} pinned wheels of the worker stack")
    except DistError as error:
        lines.append(f"pins: {error}")
        ok, pin = False, None
    for label, tool in (("node", find_node()), ("npm", find_npm())):
        if tool is None:
            lines.append(f"{label}: none (no `{label}` on PATH, no {WHEEL} wheel): `fh-anywidget dist` cannot run; "
                         f"pip install {WHEEL}, or install Node.js")  # fmt: skip
            ok = False
        else:
            lines.append(f"{label}: {' '.join(tool.command)} ({tool.source}), version {version_of(tool) or 'unknown (it did not run)'}")
    cache = Path(cache or os.environ.get("FH_ANYWIDGET_CACHE") or DEFAULT_CACHE)
    if cache.is_dir():
        lines.append(f"download cache: {cache.resolve()} ({_size(cache) / 1e6:.1f} MB)")
        if pin is not None and not any((cache / "npm").glob(f"pyodide-{pin.version}.tgz")):
            lines.append(f"  it lacks the npm package pyodide {pin.version}: the next `fh-anywidget dist` downloads it")
    else:
        lines.append(f"download cache: {cache.resolve()} (empty: the first `fh-anywidget dist` fills it, with network)")
    if app:
        host = getattr(getattr(load_app(app), "state", None), "fh_anywidget", None)
        if host is None:
            lines.append(f"app {app}: it has no AnyWidgetHost")
            return lines, False
        lines.append(f"app {app}: packages {host.packages or '(none)'}, dist {host.dist_dir}")
        manifest = host.manifest
        if manifest:
            snapshot = manifest.get("snapshot")
            lines.append(f"  dist: pyodide {manifest.get('pyodide')}, hash {str(manifest.get('hash'))[:12]}, "
                         f"packages {', '.join(manifest.get('packages') or []) or '(none)'}, "
                         f"snapshot {'yes' if snapshot else 'no'}")  # fmt: skip
            if pin is not None and manifest.get("pyodide") != pin.version:
                lines.append(f"  not current: built with Pyodide {manifest.get('pyodide')}, pinned is {pin.version}")
                ok = False
        if host.dist_problem:
            lines.append(f"  not current: {host.dist_problem}")
            ok = False
        elif host.snapshot.problem:
            lines.append(f"  no usable snapshot (slower first loads): {host.snapshot.problem}")
            ok = False
        elif (host.dist_dir / MANIFEST_NAME).is_file():
            lines.append("  current: it has every package the app names" + (" and a usable snapshot" if host.snapshot.entry else ""))
    lines.append("ok" if ok else "problems found (see above)")
    return lines, ok
