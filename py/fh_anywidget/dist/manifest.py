"""`fh-anywidget.json`: what the server needs to know about a built dist."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DistError

MANIFEST_NAME = "fh-anywidget.json"
FORMAT = 1


@dataclass(frozen=True)
class Manifest:
    """A built dist, as its `fh-anywidget.json` describes it.

    `stack` and `packages` are lock names in dependency order: the worker loads `stack` at boot
    and `packages` (the app's extra packages and their dependencies) after it. `hash` changes
    whenever any file of the dist changes: use it in content-hashed URLs.
    """

    pyodide: str
    build_id: str
    python: str
    stack: tuple[str, ...]
    packages: tuple[str, ...]
    files: Mapping[str, str] = field(repr=False)  # file name -> sha256, manifest excluded
    hash: str
    snapshot: Mapping[str, Any] | None = None
    """The memory snapshot (dist/snapshot.py `build_snapshot`), or None when built without one."""

    def to_json(self) -> str:
        """Deterministic JSON text (sorted keys, no timestamps)."""
        data: dict[str, Any] = {
            "format": FORMAT,
            "pyodide": self.pyodide,
            "build_id": self.build_id,
            "python": self.python,
            "stack": list(self.stack),
            "packages": list(self.packages),
            "files": dict(sorted(self.files.items())),
            "hash": self.hash,
        }
        if self.snapshot is not None:
            data["snapshot"] = dict(self.snapshot)
        return json.dumps(data, indent=2, sort_keys=True) + "\n"


def content_hash(files: Mapping[str, str]) -> str:
    """sha256 over the sorted `name sha256` lines of every file of the dist."""
    text = "".join(f"{name} {digest}\n" for name, digest in sorted(files.items()))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_manifest(directory: Path | str) -> Manifest:
    """Read the manifest of a dist built by `build_dist`."""
    path = Path(directory) / MANIFEST_NAME
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise DistError(f"{path} does not exist; build the dist with `fh-anywidget dist --out {directory}`") from None
    except (OSError, ValueError) as error:
        raise DistError(f"cannot read {path} ({error}); rebuild it with `fh-anywidget dist`") from None
    if data.get("format") != FORMAT:
        raise DistError(f"{path} has format {data.get('format')!r}, not {FORMAT}; rebuild it with `fh-anywidget dist`")
    return Manifest(
        pyodide=data["pyodide"],
        build_id=data["build_id"],
        python=data["python"],
        stack=tuple(data["stack"]),
        packages=tuple(data["packages"]),
        files=dict(data["files"]),
        hash=data["hash"],
        snapshot=data.get("snapshot"),
    )
