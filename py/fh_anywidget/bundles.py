"""Ship a widget's own Python module to the browser worker as a small zip ("bundle").

The zip's names are relative to a ``sys.path`` root, so unpacking it into a folder on the
worker's ``sys.path`` makes the module importable under the same name as on the server. Which
files it holds (the module, the app modules it imports, the files its widgets name, declared
assets; never a file that looks like a secret) is bundle_files.py's choice.
"""

from __future__ import annotations

import io
import os
import re
import sys
import sysconfig
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType

from .assets import Blob
from .bundle_files import BundleError, Selection, ShipRules, describe, select

MAX_BUNDLE_BYTES = 50 * 1024 * 1024
_EPOCH = (1980, 1, 1, 0, 0, 0)
_cache: dict[tuple, Blob] = {}
_selections: dict[str, tuple[Selection, set[str]]] = {}
"""By bundle name: the choice it was made from and the modules it was made for (for bundle_report)."""


def is_installed(module: ModuleType) -> bool:
    """True for modules that come from site-packages (install them in the worker with packages=)."""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    roots = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
    path = os.path.realpath(file)
    return any(path.startswith(os.path.realpath(r) + os.sep) for r in roots) or "site-packages" in Path(path).parts


def files_for(module: ModuleType, rules: ShipRules = ShipRules()) -> list[tuple[str, Path]]:
    """(name in the zip, file on disk) for everything the module needs in the worker."""
    return [(f.name, f.path) for f in select(module, rules).files]


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


def bundle_for(module: ModuleType, rules: ShipRules = ShipRules()) -> Blob:
    """The zip that makes ``module`` importable in the worker (cached until a file changes)."""
    selection = select(module, rules)
    files = [(f.name, f.path) for f in selection.files]
    signature = tuple((name, p.stat().st_mtime_ns, p.stat().st_size) for name, p in files)
    cached = _cache.get(signature)
    if cached is not None:
        _selections.setdefault(cached.name, (selection, set()))[1].add(module.__name__)
        return cached
    total = sum(p.stat().st_size for _, p in files)
    if total > MAX_BUNDLE_BYTES:
        biggest = max(files, key=lambda f: f[1].stat().st_size)[0]
        raise BundleError(
            f"[fh-anywidget] shipping {module.__name__} to the browser means {total // 1024 // 1024} MB of files "
            f"(the biggest: {biggest}); leave out what the browser does not need with AnyWidgetHost(app, exclude=[...]), "
            "or move the widget into a smaller package of its own")
    blob = Blob(make_zip(files), "zip")
    _cache[signature] = blob
    _selections.setdefault(blob.name, (selection, set()))[1].add(module.__name__)
    return blob


def bundle_report(blob: Blob, modules: Iterable[str] = ()) -> list[str]:
    """What `fh-anywidget dist` and `build` print for a bundle: the files that ship and why."""
    if blob.name not in _selections:
        return []
    selection, made_for = _selections[blob.name]
    return describe(selection, f"bundle b/{blob.name} for {', '.join(sorted({*modules, *made_for}))}")


BUNDLES_DIR = "/home/pyodide/fh_anywidget/bundles"
"""Where the worker unpacks widget bundles (web/worker/bundles.js: SITE + "/bundles/" + the bundle's file
name with every non-word character made ``_``)."""


def worker_folder(blob: Blob) -> str:
    """The folder the worker unpacks ``blob`` into (and puts on ``sys.path``)."""
    return f"{BUNDLES_DIR}/{re.sub(r'[^A-Za-z0-9_]', '_', blob.name)}"


def app_widget_bundles(modules: Iterable[ModuleType] | None = None, *, rules: ShipRules = ShipRules(),
                       report: Callable[[str], None] | None = None) -> dict[str, tuple[Blob, tuple[str, ...]]]:
    """The bundles of the widget modules an app has imported (the ``modules`` given, or every
    module loaded now): each module of the app's own code that defines an ``anywidget.AnyWidget``
    subclass. ``{bundle name: (bundle, module names)}``, for ``fh-anywidget dist APP`` to import
    them into the memory snapshot. Modules that cannot be bundled are left out (and ``report``
    is told why)."""
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
            blob = bundle_for(module, rules)
        except BundleError as error:
            if report is not None:
                report(f"bundle for {name}: left out of the memory snapshot:\n{error}")
            continue
        names = found.get(blob.name, (blob, ()))[1]
        found[blob.name] = (blob, tuple(sorted({*names, name})))
    return dict(sorted(found.items()))
