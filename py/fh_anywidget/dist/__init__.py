"""Assemble the offline Pyodide distribution that worker mode serves.

`build_dist` fills a directory with the Pyodide core (from the pinned npm package), the pinned
wheels of the worker stack (anywidget and what `import anywidget` needs), the wheels of the
app's extra packages, a `pyodide-lock.json` that names only those local files, and the manifest
`fh-anywidget.json` that the server reads (`read_manifest`). Nothing in the result points to a CDN.
"""

from __future__ import annotations

from .build import build_dist
from .errors import DistError
from .manifest import MANIFEST_NAME, Manifest, read_manifest
from .pins import write_pins

__all__ = ["MANIFEST_NAME", "DistError", "Manifest", "build_dist", "read_manifest", "write_pins"]
