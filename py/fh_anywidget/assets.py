"""Content-hashed assets: folders and single files, served under URLs that never change meaning.

A URL carries the hash of what it serves, so it can be cached forever (``immutable``); a new
build gets new URLs. A request for an old hash is a clear 404, never stale content.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from .files import sha256_file

IMMUTABLE = "public, max-age=31536000, immutable"

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".css": "text/css; charset=utf-8",
    ".py": "text/x-python; charset=utf-8",
    ".map": "application/json",
    ".html": "text/html; charset=utf-8",
    ".gz": "application/gzip",
}


# The browser's files, by where they run (web/, served as one content-hashed folder)
RUNTIME_JS = "page/runtime.js"
"""The page runtime: the module script in the page head."""
WORKER_JS = "worker/worker.js"
"""The Pyodide worker's entry."""
EARLY_JS = "inline/early.js"
"""The classic script put inline in the first worker-mode placeholder: starts the worker early."""
SERVICE_WORKER_JS = "service-worker/sw.js"
"""The service worker of an exported static site (fh_anywidget.export)."""
HTMX_JS = "vendor/htmx.min.js"
"""htmx, the pinned release (fh_anywidget.vendor.HTMX): offered to the pages (``AnyWidgetHost(htmx=True)``)."""
DELTA_JS = "worker/snapshot-delta.js"
"""Applies and undoes the snapshot's delta: the worker's, and Node's at build time (dist/snapshot.py)."""
PACK_JS = "worker/pack.js"
"""The site-packages pack's reader and writer: the worker's, and Node's at build time (dist/snapshot.py)."""


def web_dir() -> Path:
    """The browser files' folder (web/): inside the installed package, or web/ of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "web", here.parent.parent / "web"):
        if (candidate / RUNTIME_JS).is_file():
            return candidate
    raise FileNotFoundError(f"[fh-anywidget] the page runtime (web/{RUNTIME_JS}) is missing beside {here}; reinstall fh-anywidget")


def media_type(name: str) -> str:
    """The MIME type a file is served with (.mjs and .wasm get theirs right everywhere)."""
    suffix = Path(name).suffix.lower()
    return MEDIA_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"



def tree_hash(files: Iterable[tuple[str, Path]]) -> str:
    """A short hash over (name, content) pairs: it changes when any file or name changes."""
    digest = hashlib.sha256()
    for name, path in sorted(files):
        digest.update(name.encode() + b"\0" + sha256_file(path).encode() + b"\n")
    return digest.hexdigest()[:16]


def list_files(root: Path) -> list[tuple[str, Path]]:
    """Every regular file below ``root`` as (posix relative name, path), skipping caches."""
    return sorted(
        (p.relative_to(root).as_posix(), p)
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
    )


@dataclass
class AssetDir:
    """A folder served at ``<prefix>/<name>-<hash>/<file>``; relative URLs inside it keep working.

    ``digest`` may be given when a build already hashed the folder (the dist's manifest); otherwise
    it is computed from the files.
    """

    name: str
    root: Path
    digest: str = ""
    files: dict[str, Path] = field(default_factory=dict)

    def __post_init__(self) -> None:
        listed = list_files(self.root)
        self.files = dict(listed)
        self.digest = self.digest[:16] if self.digest else tree_hash(listed)

    @property
    def slug(self) -> str:
        return f"{self.name}-{self.digest}"

    def static_files(self, skip: Iterable[str] = ()) -> Iterator[tuple[str, Path]]:
        """Its files as a static copy holds them: (path under the serving prefix, file), but ``skip``."""
        skipped = set(skip)
        for name, path in self.files.items():
            if name not in skipped:
                yield f"{self.slug}/{name}", path


@dataclass(frozen=True)
class Blob:
    """One generated file (a module bundle) served at ``<prefix>/b/<sha>.<ext>``."""

    data: bytes
    ext: str

    @property
    def name(self) -> str:
        return f"{hashlib.sha256(self.data).hexdigest()[:24]}.{self.ext}"

    @property
    def path(self) -> str:
        """Where it is served, under the serving prefix."""
        return f"b/{self.name}"


TWINS = (("br", ".br"), ("gzip", ".gz"))
"""Precompressed twins, best first: `NAME.br` (brotli) and `NAME.gz` beside a file."""


def accepted_encodings(header: str) -> set[str]:
    """The content codings an Accept-Encoding header accepts ("gzip, br;q=0" -> {"gzip"})."""
    accepted = set()
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        q = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
        try:
            if float(q) > 0:
                accepted.add(coding.strip().lower())
        except ValueError:
            continue
    return accepted


def file_response(request: Request, path: Path) -> Response:
    """A file with its MIME type and a forever cache header; its brotli or gzip twin (``.br``,
    ``.gz`` beside it), the best the client accepts, with Content-Encoding."""
    headers = {"Cache-Control": IMMUTABLE}
    accepted = accepted_encodings(request.headers.get("accept-encoding", ""))
    for coding, suffix in TWINS:
        twin = path.with_name(path.name + suffix)
        if coding in accepted and twin.is_file():
            headers.update({"Content-Encoding": coding, "Vary": "Accept-Encoding"})
            return FileResponse(twin, media_type=media_type(path.name), headers=headers)
    if any(path.with_name(path.name + suffix).is_file() for _, suffix in TWINS):
        headers["Vary"] = "Accept-Encoding"
    elif path.suffix.lower() in COMPRESSIBLE:
        headers["Vary"] = "Accept-Encoding"
        for coding in ("br", "gzip"):
            body = encoded(path, coding) if coding in accepted else None
            if body is not None:
                headers["Content-Encoding"] = coding
                return Response(body, media_type=media_type(path.name), headers=headers)
    return FileResponse(path, media_type=media_type(path.name), headers=headers)


COMPRESSIBLE = frozenset({".js", ".mjs", ".css", ".json", ".map", ".html", ".svg", ".txt"})
"""Text files without precompressed twins (web/'s modules, Pyodide's small loader) that the host
compresses once, in memory, and sends with Content-Encoding: web/'s modules are 200 KB as they
are, about a quarter of that compressed, all of it on a cold visit's way to the first answer."""
COMPRESS_MIN_BYTES = 512
_encoded: dict[tuple[str, str, int, int], bytes | None] = {}
_encoded_lock = threading.Lock()


def encoded(path: Path, coding: str) -> bytes | None:
    """``path``'s bytes compressed with ``coding`` ("br": brotli, quality 11; "gzip": level 9),
    kept in memory for as long as the file is unchanged; None when that does not pay (a tiny
    file) or cannot be done (brotli not installed)."""
    stat = path.stat()
    key = (str(path), coding, stat.st_mtime_ns, stat.st_size)
    with _encoded_lock:
        if key in _encoded:
            return _encoded[key]
    data = path.read_bytes()
    body: bytes | None = None
    if len(data) >= COMPRESS_MIN_BYTES:
        if coding == "gzip":
            body = gzip.compress(data, 9, mtime=0)
        else:
            try:
                import brotli  # type: ignore[import-not-found]  # noqa: PLC0415
            except ImportError:
                brotli = None
            body = brotli.compress(data, quality=11) if brotli is not None else None
    with _encoded_lock:
        _encoded[key] = body
    return body


def bytes_response(blob: Blob) -> Response:
    return Response(blob.data, media_type=media_type(blob.name), headers={"Cache-Control": IMMUTABLE})


def not_found(what: str) -> Response:
    return PlainTextResponse(
        f"[fh-anywidget] {what} is not (or no longer) served here. If you rebuilt or restarted the app, "
        "reload the page to get the current asset URLs.",
        status_code=404,
        headers={"Cache-Control": "no-store"},
    )
