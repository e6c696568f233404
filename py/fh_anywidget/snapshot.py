"""Whether the worker can boot from the dist's memory snapshot, and if not, why.

`fh-anywidget dist` records the snapshot in the manifest (dist/snapshot.py makes it). The host
calls :func:`check_snapshot` when it loads the dist: the snapshot is used only if its file is
there, it was made by the dist's own Pyodide build, and it holds the same kernel modules the
host ships now. Otherwise the worker boots the slow way, from the lock, and says why in the
browser console. Nothing here imports FastHTML.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .assets import tree_hash

KERNEL_DIR = "/home/pyodide/fh_anywidget/kernel"
"""Where the worker unpacks the kernel bundle (web/worker/bundles.js KERNEL_DIR)."""
SNAPSHOT_MAGIC = 1886286592
"""The first uint32 of a Pyodide memory snapshot (pyodide.asm.mjs)."""
LOADER_FILE, MODULE_FILE, WASM_FILE = "pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm"
"""Pyodide's loader, its Emscripten module and the wasm, in the dist (web/worker/pyodide-internals.js)."""
REBUILD = "run `fh-anywidget dist module:app` again (module:app names this FastHTML app) and restart the server"


def site_packages(python: str) -> str:
    """Where Pyodide's Python (version "3.14.2" or "3.14") installs packages: the pack goes there."""
    major, minor = python.split(".")[:2]
    return f"/lib/python{major}.{minor}/site-packages"


def kernel_files() -> list[tuple[str, Path]]:
    """The part of this package that runs in the worker: its ``kernel`` subpackage (the folder is
    the list), and the package's own ``__init__.py``, which imports nothing else eagerly."""
    here = Path(__file__).resolve().parent
    kernel = sorted(p for p in (here / "kernel").glob("*.py"))
    return [("fh_anywidget/__init__.py", here / "__init__.py"),
            *((f"fh_anywidget/kernel/{p.name}", p) for p in kernel)]


def kernel_hash() -> str:
    """Changes whenever a kernel module's name or content changes."""
    return tree_hash(kernel_files())


def snapshot_build_id(head: bytes) -> str:
    """The Pyodide build id a snapshot was made by, from its first 48 bytes.

    Raises ValueError if `head` does not start a Pyodide memory snapshot.
    """
    if len(head) < 48:
        raise ValueError(f"a memory snapshot starts with a 48-byte header; got {len(head)} bytes")
    words = struct.unpack("<12I", head[:48])
    if words[0] != SNAPSHOT_MAGIC:
        raise ValueError("not a Pyodide memory snapshot (bad magic number)")
    return "".join(f"{w:08x}" for w in words[4:12])


@dataclass(frozen=True)
class SnapshotCheck:
    """The outcome of :func:`check_snapshot`: `entry` to boot from it, or `problem` (why not)."""

    entry: dict[str, Any] | None
    problem: str | None


def check_snapshot(dist_dir: Path, manifest: dict[str, Any], current_kernel_hash: str) -> SnapshotCheck:
    """Decide whether the worker may restore the dist's snapshot (see the module docstring)."""
    entry = manifest.get("snapshot")
    if not entry:
        return SnapshotCheck(None, "the Python distribution has no memory snapshot (it was built with --no-snapshot, or "
                                   f"without Node.js): {REBUILD}, with Node.js 20+ on PATH")
    path = dist_dir / entry["file"]
    pack = dist_dir / entry["pack"]
    sources = dist_dir / entry["sources"] if entry.get("sources") else None  # older dists: one pack
    data = dist_dir / entry["data"] if entry.get("data") else None  # older dists: the data in the first pack
    for needed in (path, pack, *([sources] if sources else []), *([data] if data else [])):
        if not needed.is_file():
            return SnapshotCheck(None, f"the memory snapshot's file {needed} is missing: {REBUILD}")
    try:
        with gzip.open(path, "rb") as f:
            found = snapshot_build_id(f.read(48))
    except (OSError, EOFError, zlib.error, ValueError) as error:
        return SnapshotCheck(None, f"the memory snapshot {path} cannot be read ({error}): {REBUILD}")
    expected = manifest.get("build_id")
    if found != expected:
        return SnapshotCheck(None, f"the memory snapshot was made by Pyodide build {found[:12]}…, but the distribution's "
                                   f"Pyodide is build {str(expected)[:12]}…: {REBUILD}")
    if entry.get("kernel_hash") != current_kernel_hash:
        return SnapshotCheck(None, "the memory snapshot holds another version of fh-anywidget's kernel "
                                   f"({entry.get('kernel_hash')} there, {current_kernel_hash} here; fh-anywidget was "
                                   f"updated or edited since the dist was built): {REBUILD}")
    # a static site's worker gunzips the packs itself when their gzip twins are there: a quarter
    # of the bytes, on any static host (which may not compress them); the host negotiates instead
    extra: dict[str, Any] = {}
    if entry.get("plain") and not (dist_dir / entry["plain"]).is_file():
        extra["plain"] = None  # an older dist, or one copied without it: the worker gunzips `file`
    for key, file in (("pack", pack), ("data", data), ("sources", sources)):
        gz = file.with_name(file.name + ".gz") if file else None
        if gz and gz.is_file():
            extra.update({f"{key}_gz": gz.name, f"{key}_size": file.stat().st_size})
    return SnapshotCheck({**entry, **extra}, None)
