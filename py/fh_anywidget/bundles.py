"""Ship a widget's own Python module to the browser worker as a small zip ("bundle").

The zip's names are relative to a ``sys.path`` root, so unpacking it into a folder on the
worker's ``sys.path`` makes the module importable under the same name as on the server.

- a module inside a regular package ships that whole top-level package folder
  (``pkg/__init__.py``, its submodules and data files: what ``Path(__file__).parent / ...`` reads);
- a single-file module ships the file and the files its widgets' ``_esm``/``_css`` Paths name.
"""

from __future__ import annotations

import importlib
import io
import os
import re
import sys
import sysconfig
import zipfile
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from .assets import Blob

MAX_BUNDLE_BYTES = 50 * 1024 * 1024
_EPOCH = (1980, 1, 1, 0, 0, 0)
_cache: dict[tuple, Blob] = {}


class BundleError(ValueError):
    """A module that cannot be shipped to the worker; the message says what to do."""


def is_installed(module: ModuleType) -> bool:
    """True for modules that come from site-packages (install them in the worker with packages=)."""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    roots = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    path = os.path.realpath(file)
    return any(path.startswith(os.path.realpath(r) + os.sep) for r in roots) or "site-packages" in Path(path).parts


def _top_regular_package(name: str) -> tuple[ModuleType, str] | None:
    parts = name.split(".")
    for i in range(1, len(parts)):
        dotted = ".".join(parts[:i])
        pkg = sys.modules.get(dotted) or importlib.import_module(dotted)
        if getattr(pkg, "__file__", None):
            return pkg, dotted
    return None


def _widget_asset_paths(module: ModuleType) -> list[Path]:
    """The files that the module's widget classes name with ``_esm``/``_css`` Paths."""
    found: list[Path] = []
    for value in vars(module).values():
        if isinstance(value, type) and value.__module__ == module.__name__:
            for attr in ("_esm", "_css"):
                ref = getattr(value, attr, None)
                ref = getattr(ref, "_path", ref)  # anywidget turns a Path into FileContents(_path=...)
                if isinstance(ref, Path):
                    found.append(ref)
    return found


def files_for(module: ModuleType) -> list[tuple[str, Path]]:
    """(name in the zip, file on disk) for everything the module needs in the worker."""
    top = _top_regular_package(module.__name__)
    if top is None and getattr(module, "__path__", None) and getattr(module, "__file__", None):
        top = (module, module.__name__)  # a top-level regular package itself
    if top is not None:
        pkg, dotted = top
        root = Path(pkg.__file__).parent  # type: ignore[arg-type]
        prefix = dotted.replace(".", "/")
        return sorted(
            (f"{prefix}/{p.relative_to(root).as_posix()}", p)
            for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
    file = getattr(module, "__file__", None)
    if not file:
        raise BundleError(f"[fh-anywidget] module {module.__name__!r} has no file to ship to the browser")
    src = Path(file)
    base = "/".join(module.__name__.split(".")[:-1])
    out = [(f"{base}/{src.name}" if base else src.name, src)]
    for asset in _widget_asset_paths(module):
        asset = asset if asset.is_absolute() else Path.cwd() / asset
        try:
            rel = asset.resolve().relative_to(src.parent.resolve())
        except ValueError:
            raise BundleError(
                f"[fh-anywidget] {module.__name__} names {asset}, which is outside its folder {src.parent}; "
                "keep a widget's _esm/_css files beside its module (or make the module a package)"
            ) from None
        out.append((f"{base}/{rel.as_posix()}" if base else rel.as_posix(), asset))
    return sorted(set(out))


def make_zip(files: Iterable[tuple[str, Path]]) -> bytes:
    """A deterministic zip (fixed timestamps, sorted names): the same files give the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, path in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, path.read_bytes())
    return buf.getvalue()


def bundle_for(module: ModuleType) -> Blob:
    """The zip that makes ``module`` importable in the worker (cached until a file changes)."""
    files = files_for(module)
    signature = tuple((name, p.stat().st_mtime_ns, p.stat().st_size) for name, p in files)
    cached = _cache.get(signature)
    if cached is not None:
        return cached
    total = sum(p.stat().st_size for _, p in files)
    if total > MAX_BUNDLE_BYTES:
        raise BundleError(
            f"[fh-anywidget] shipping {module.__name__} to the browser means {total // 1024 // 1024} MB of files "
            f"(from {files[0][1].parent}); move the widget into a smaller package of its own"
        )
    blob = Blob(make_zip(files), "zip")
    _cache[signature] = blob
    return blob


BUNDLES_DIR = "/home/pyodide/fh_anywidget/bundles"
"""Where the worker unpacks widget bundles (web/worker/bundles.js: SITE + "/bundles/" + the bundle's file
name with every non-word character made ``_``)."""


def worker_folder(blob: Blob) -> str:
    """The folder the worker unpacks ``blob`` into (and puts on ``sys.path``)."""
    return f"{BUNDLES_DIR}/{re.sub(r'[^A-Za-z0-9_]', '_', blob.name)}"


def app_widget_bundles(modules: Iterable[ModuleType] | None = None) -> dict[str, tuple[Blob, tuple[str, ...]]]:
    """The bundles of the widget modules an app has imported (the ``modules`` given, or every
    module loaded now): each module of the app's own code that defines an ``anywidget.AnyWidget``
    subclass. ``{bundle name: (bundle, module names)}``, for ``fh-anywidget dist APP`` to import
    them into the memory snapshot. Modules that cannot be bundled are left out."""
    import anywidget  # noqa: PLC0415 - only the dist needs it here

    found: dict[str, tuple[Blob, tuple[str, ...]]] = {}
    for module in list(sys.modules.values()) if modules is None else modules:
        name = getattr(module, "__name__", "")
        if not isinstance(module, ModuleType) or name.split(".")[0] in ("fh_anywidget", "anywidget") or is_installed(module):
            continue
        widgets = [v for v in vars(module).values()
                   if isinstance(v, type) and issubclass(v, anywidget.AnyWidget) and v.__module__ == name]
        if not widgets:
            continue
        try:
            blob = bundle_for(module)
        except BundleError:
            continue
        names = found.get(blob.name, (blob, ()))[1]
        found[blob.name] = (blob, tuple(sorted({*names, name})))
    return dict(sorted(found.items()))
