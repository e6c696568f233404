"""The memory snapshot: what `fh-anywidget dist` makes (with a fake Node runner) and when the host
lets the worker boot from it. The real snapshot is made and restored by the browser tests."""

from __future__ import annotations

import gzip
import importlib
import json
import os
import struct
import sys
import zipfile
from pathlib import Path

import brotli
import pytest
from fasthtml.common import fast_app
from starlette.testclient import TestClient

from fh_anywidget import AnyWidgetHost
from fh_anywidget.bundles import app_widget_bundles, bundle_for, worker_folder
from fh_anywidget.dist import DistError
from fh_anywidget.dist import snapshot as dist_snapshot
from fh_anywidget.dist.snapshot import (
    DATA_PACK_NAME,
    PACK_MAGIC,
    PACK_NAME,
    SNAPSHOT_NAME,
    SNAPSHOT_PLAIN,
    SOURCES_PACK_NAME,
    SnapshotJob,
    build_snapshot,
    pack_bytes,
    wheel_files,
    write_gzip_twins,
)
from fh_anywidget.dist.wheels import WheelInfo
from fh_anywidget.snapshot import SNAPSHOT_MAGIC, check_snapshot, kernel_hash, site_packages, snapshot_build_id

BUILD_ID = "990c3b51a9722d62434de2bbc9643732658d488c1b6d467f22c1b6beba80d497"
OTHER_BUILD_ID = "0" * 64


def snapshot_head(build_id: str = BUILD_ID, body: bytes = b"") -> bytes:
    """The first bytes of a Pyodide memory snapshot (layout of pyodide.asm.mjs's makeSnapshot)."""
    words = [SNAPSHOT_MAGIC, 48, 0, 0, *(int(build_id[i : i + 8], 16) for i in range(0, 64, 8))]
    return struct.pack("<12I", *words) + body


def fake_runner(calls: list[SnapshotJob], *, failed: dict[str, str] | None = None, build_id: str = BUILD_ID):
    """Stands in for make_snapshot.mjs: records the job and writes a small 'snapshot'."""

    def run(job: SnapshotJob) -> dict:
        calls.append(job)
        assert job.pack.read_bytes().startswith(PACK_MAGIC)
        assert job.kernel_pack.read_bytes().startswith(PACK_MAGIC)
        job.out.write_bytes(snapshot_head(build_id, b"\0" * 4000))
        return {"size": 4048, "failed": failed or {}, "seconds": 0.1}

    return run


def make_wheel(folder: Path, name: str, files: dict[str, bytes]) -> Path:
    path = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for file_name, data in files.items():
            z.writestr(file_name, data)
    return path


def read_pack(data: bytes) -> dict[str, bytes]:
    assert data[:8] == PACK_MAGIC
    (length,) = struct.unpack("<I", data[8:12])
    index = json.loads(data[12 : 12 + length])
    offset, files = 12 + length, {}
    for path, size in index:
        files[path] = data[offset : offset + size]
        offset += size
    assert offset == len(data)
    return files


@pytest.fixture
def out(tmp_path: Path) -> Path:
    d = tmp_path / "dist"
    d.mkdir()
    for name in ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"):
        (d / name).write_bytes(name.encode() * 100)
    make_wheel(d, "alpha", {"alpha/__init__.py": b"A = 1\n", "alpha-1.0.dist-info/METADATA": b"Name: alpha\n"})
    return d


def extra(name: str, imports: tuple[str, ...]) -> WheelInfo:
    return WheelInfo(path=Path(f"{name}.whl"), name=name, version="1.0", sha256="", imports=imports, requires=())


# ---------------------------------------------------------------- the pack


def test_a_pack_holds_each_file_with_its_size_in_order() -> None:
    data = pack_bytes([("a/b.py", b"x = 1\n"), ("c.txt", b""), ("d/e/f.bin", bytes(range(256)))])
    assert read_pack(data) == {"a/b.py": b"x = 1\n", "c.txt": b"", "d/e/f.bin": bytes(range(256))}


def test_the_pack_has_every_installed_file_of_the_wheels_but_no_caches(tmp_path: Path) -> None:
    first = make_wheel(tmp_path, "one", {
        "one/__init__.py": b"1", "one/data/x.js": b"js", "one/__pycache__/m.cpython-314.pyc": b"junk",
        "one-1.0.dist-info/METADATA": b"m", "one-1.0.data/scripts/tool": b"#!", "one/": b"",
    })  # fmt: skip
    second = make_wheel(tmp_path, "two", {"two.py": b"2"})
    assert [name for name, _ in wheel_files([first, second])] == [
        "one-1.0.dist-info/METADATA", "one/__init__.py", "one/data/x.js", "two.py",
    ]  # fmt: skip


# ---------------------------------------------------------------- gzip twins


def test_gzip_twins_are_written_only_where_they_save_bytes(tmp_path: Path) -> None:
    (tmp_path / "pyodide.asm.wasm").write_bytes(b"\0asm" + b"\0" * 100_000)
    (tmp_path / "python_stdlib.zip").write_bytes(os.urandom(100_000))  # already compressed
    (tmp_path / "python_stdlib.zip.gz").write_bytes(b"stale twin of an earlier build")
    written = write_gzip_twins(tmp_path)
    assert set(written) == {"pyodide.asm.wasm"}
    assert gzip.decompress((tmp_path / "pyodide.asm.wasm.gz").read_bytes()) == (tmp_path / "pyodide.asm.wasm").read_bytes()
    assert brotli.decompress((tmp_path / "pyodide.asm.wasm.br").read_bytes()) == (tmp_path / "pyodide.asm.wasm").read_bytes()
    assert not (tmp_path / "python_stdlib.zip.gz").exists() and not (tmp_path / "python_stdlib.zip.br").exists()


def test_brotli_twins_are_kept_in_the_cache_by_content(tmp_path: Path) -> None:
    data = b"the same bytes " * 1000
    first = dist_snapshot.brotli_bytes(data, tmp_path / "cache")
    assert first is not None and brotli.decompress(first) == data
    [kept] = (tmp_path / "cache" / "brotli").iterdir()
    kept.write_bytes(b"from the cache")
    assert dist_snapshot.brotli_bytes(data, tmp_path / "cache") == b"from the cache"


# ---------------------------------------------------------------- build_snapshot


def test_the_snapshot_is_made_gzipped_and_described_for_the_manifest(out: Path, tmp_path: Path) -> None:
    calls: list[SnapshotJob] = []
    entry = build_snapshot(out, wheels=sorted(out.glob("*.whl")), extras=[extra("drawdata", ("drawdata", "tests"))],
                           build_id=BUILD_ID, python="3.14.2", cache=tmp_path / "cache", runner=fake_runner(calls))
    assert len(calls) == 1
    job = calls[0]
    assert job.imports[:5] == ("anywidget", "ipywidgets", "traitlets", "comm", "IPython")
    assert "fh_anywidget.kernel" in job.imports and job.imports[-1] == "drawdata"  # a stray `tests` is not imported
    assert job.site_packages == "/lib/python3.14/site-packages" == site_packages("3.14.2")
    assert gzip.decompress((out / SNAPSHOT_NAME).read_bytes()) == snapshot_head(BUILD_ID, b"\0" * 4000)
    # the data files' names right after the restore (empty placeholders); their contents and
    # the Python sources after the first answer
    assert read_pack((out / SOURCES_PACK_NAME).read_bytes())["alpha/__init__.py"] == b"A = 1\n"
    placeholders, data = read_pack((out / PACK_NAME).read_bytes()), read_pack((out / DATA_PACK_NAME).read_bytes())
    assert placeholders and set(placeholders) == set(data) and not [path for path in data if path.endswith(".py")]
    assert set(placeholders.values()) == {b""} and any(data.values())
    # the snapshot as it is, with its brotli twin: the host serves it with Content-Encoding
    assert (out / SNAPSHOT_PLAIN).read_bytes() == snapshot_head(BUILD_ID, b"\0" * 4000)
    assert brotli.decompress((out / f"{SNAPSHOT_PLAIN}.br").read_bytes()) == (out / SNAPSHOT_PLAIN).read_bytes()
    assert entry == {
        "file": SNAPSHOT_NAME, "plain": SNAPSHOT_PLAIN, "delta": "initial-memory", "size": 4048, "build_id": BUILD_ID, "kernel_hash": kernel_hash(),
        "pack": PACK_NAME, "data": DATA_PACK_NAME, "sources": SOURCES_PACK_NAME, "source_names": ["alpha"],
        "site_packages": "/lib/python3.14/site-packages", "imports": list(job.imports), "widget_modules": [],
        "failed_imports": [],
    }  # fmt: skip


def test_an_unchanged_snapshot_comes_from_the_cache_without_running_node(out: Path, tmp_path: Path) -> None:
    calls: list[SnapshotJob] = []
    kwargs = dict(wheels=sorted(out.glob("*.whl")), extras=[], build_id=BUILD_ID, python="3.14.2",
                  cache=tmp_path / "cache", runner=fake_runner(calls))  # fmt: skip
    first = build_snapshot(out, **kwargs)
    (out / SNAPSHOT_NAME).unlink()
    assert build_snapshot(out, **kwargs) == first
    assert len(calls) == 1
    assert (out / SNAPSHOT_NAME).is_file()
    make_wheel(out, "beta", {"beta.py": b"B = 2\n"})  # a new file: a new snapshot
    build_snapshot(out, **{**kwargs, "wheels": sorted(out.glob("*.whl"))})
    assert len(calls) == 2


@pytest.fixture
def widget_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An app's own widget module (not installed), imported as the app would."""
    folder = tmp_path / "app"
    folder.mkdir()
    (folder / "snapshot_test_widgets.py").write_text(
        "import anywidget\n\nclass Dial(anywidget.AnyWidget):\n    _esm = 'export default {}'\n")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "snapshot_test_widgets", raising=False)
    module = importlib.import_module("snapshot_test_widgets")
    yield module
    sys.modules.pop("snapshot_test_widgets", None)


def test_the_apps_widget_modules_are_found_and_installed_packages_are_not(widget_module) -> None:
    import wigglystuff

    found = app_widget_bundles([widget_module, wigglystuff, json])
    [(name, (blob, modules))] = found.items()
    assert name == blob.name == bundle_for(widget_module).name and modules == ("snapshot_test_widgets",)
    assert worker_folder(blob) == f"/home/pyodide/fh_anywidget/bundles/{blob.name.replace('.', '_')}"


def test_the_apps_widget_modules_are_imported_into_the_snapshot_where_the_worker_unpacks_them(
        out: Path, tmp_path: Path, widget_module) -> None:
    seen: list[tuple[str, bytes, tuple[str, ...]]] = []
    calls: list[SnapshotJob] = []
    record = fake_runner(calls)

    def runner(job: SnapshotJob) -> dict:
        seen.extend((folder, zip_path.read_bytes(), modules) for folder, zip_path, modules in job.bundles)
        return record(job)

    bundles = list(app_widget_bundles([widget_module]).values())
    kwargs = dict(wheels=[], extras=[], build_id=BUILD_ID, python="3.14.2", cache=tmp_path / "cache", runner=runner)
    entry = build_snapshot(out, bundles=bundles, **kwargs)
    blob = bundles[0][0]
    assert seen == [(worker_folder(blob), blob.data, ("snapshot_test_widgets",))]
    assert json.loads(calls[0].to_json(tmp_path / "pack.js"))["bundles"][0]["modules"] == ["snapshot_test_widgets"]
    assert entry["widget_modules"] == ["snapshot_test_widgets"]
    build_snapshot(out, bundles=bundles, **kwargs)
    assert len(calls) == 1, "the same widget code: the cached snapshot"
    changed = Path(widget_module.__file__)
    changed.write_text(changed.read_text() + "# edited\n")
    build_snapshot(out, bundles=list(app_widget_bundles([widget_module]).values()), **kwargs)
    assert len(calls) == 2, "the widget code changed: a new snapshot"


def test_a_widget_module_that_does_not_import_in_the_worker_is_only_reported(out: Path, tmp_path: Path, widget_module) -> None:
    said: list[str] = []
    runner = fake_runner([], failed={"snapshot_test_widgets": "ModuleNotFoundError: No module named 'numpy'"})
    entry = build_snapshot(out, wheels=[], extras=[], build_id=BUILD_ID, python="3.14.2", cache=tmp_path / "c",
                           runner=runner, report=said.append, bundles=list(app_widget_bundles([widget_module]).values()))
    assert entry["widget_modules"] == [] and entry["failed_imports"] == ["snapshot_test_widgets"]
    assert any("`import snapshot_test_widgets` failed in the worker" in line for line in said), said


def test_a_stack_module_that_does_not_import_fails_the_build(out: Path, tmp_path: Path) -> None:
    runner = fake_runner([], failed={"anywidget": "ModuleNotFoundError: No module named 'anywidget'"})
    with pytest.raises(DistError, match=r"could not import anywidget \(ModuleNotFoundError"):
        build_snapshot(out, wheels=[], extras=[], build_id=BUILD_ID, python="3.14.2", cache=tmp_path / "c", runner=runner)


def test_an_extra_package_that_does_not_import_is_only_reported(out: Path, tmp_path: Path) -> None:
    said: list[str] = []
    runner = fake_runner([], failed={"drawdata": "ImportError: needs a browser"})
    entry = build_snapshot(out, wheels=[], extras=[extra("drawdata", ("drawdata",))], build_id=BUILD_ID,
                           python="3.14.2", cache=tmp_path / "c", runner=runner, report=said.append)  # fmt: skip
    assert entry["failed_imports"] == ["drawdata"]
    assert any("`import drawdata` failed in the worker (ImportError: needs a browser)" in line for line in said)


def test_a_snapshot_of_another_pyodide_build_is_refused(out: Path, tmp_path: Path) -> None:
    runner = fake_runner([], build_id=OTHER_BUILD_ID)
    with pytest.raises(DistError, match=f"made by Pyodide build {OTHER_BUILD_ID}, not this dist's {BUILD_ID}"):
        build_snapshot(out, wheels=[], extras=[], build_id=BUILD_ID, python="3.14.2", cache=tmp_path / "c", runner=runner)


def test_without_node_the_error_says_how_to_build_anyway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dist_snapshot, "find_node", lambda: None)
    job = SnapshotJob(tmp_path, tmp_path / "p", tmp_path / "k", ("anywidget",), tmp_path / "s.bin", "/lib/python3.14/site-packages")
    with pytest.raises(DistError, match="needs Node.js.*--no-snapshot"):
        dist_snapshot.run_node(job)


# ---------------------------------------------------------------- the host's decision


def write_dist(tmp_path: Path, *, build_id: str = BUILD_ID, snapshot: dict | None | str = "default") -> Path:
    d = tmp_path / "dist"
    d.mkdir(exist_ok=True)
    (d / "pyodide.mjs").write_text("export const loadPyodide = 1;\n")
    (d / SNAPSHOT_NAME).write_bytes(gzip.compress(snapshot_head(build_id, b"\0" * 100)))
    (d / PACK_NAME).write_bytes(pack_bytes([]))
    manifest: dict = {"stack": ["anywidget"], "packages": [], "build_id": BUILD_ID}
    if snapshot == "default":
        snapshot = {"file": SNAPSHOT_NAME, "size": 148, "build_id": BUILD_ID, "kernel_hash": kernel_hash(),
                    "pack": PACK_NAME, "site_packages": "/lib/python3.14/site-packages"}  # fmt: skip
    if snapshot is not None:
        manifest["snapshot"] = snapshot
    (d / "fh-anywidget.json").write_text(json.dumps(manifest))
    return d


def test_a_sound_snapshot_is_used(tmp_path: Path) -> None:
    d = write_dist(tmp_path)
    check = check_snapshot(d, json.loads((d / "fh-anywidget.json").read_text()), kernel_hash())
    assert check.problem is None
    assert check.entry is not None and check.entry["file"] == SNAPSHOT_NAME


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("none", "has no memory snapshot (it was built with --no-snapshot"),
        ("missing", "snapshot.bin.gz is missing"),
        ("build", "made by Pyodide build 000000000000…, but the distribution's Pyodide is build 990c3b51a972…"),
        ("kernel", "holds another version of fh-anywidget's kernel"),
        ("garbage", "cannot be read"),
    ],
)
def test_an_unusable_snapshot_is_not_used_and_the_reason_says_how_to_fix_it(tmp_path: Path, change: str, problem: str) -> None:
    d = write_dist(tmp_path, snapshot=None if change == "none" else "default",
                   build_id=OTHER_BUILD_ID if change == "build" else BUILD_ID)  # fmt: skip
    if change == "missing":
        (d / SNAPSHOT_NAME).unlink()
    if change == "garbage":
        (d / SNAPSHOT_NAME).write_bytes(b"not gzip at all")
    current = "another-kernel" if change == "kernel" else kernel_hash()
    check = check_snapshot(d, json.loads((d / "fh-anywidget.json").read_text()), current)
    assert check.entry is None
    assert problem in (check.problem or "")
    assert "fh-anywidget dist" in (check.problem or "")


def test_the_snapshot_header_names_its_pyodide_build() -> None:
    assert snapshot_build_id(snapshot_head(BUILD_ID)) == BUILD_ID
    with pytest.raises(ValueError, match="bad magic"):
        snapshot_build_id(b"\0" * 48)


def test_the_host_gives_the_worker_the_snapshot_urls_and_serves_them(tmp_path: Path) -> None:
    app, _ = fast_app(default_hdrs=False)
    host = AnyWidgetHost(app, dist_dir=write_dist(tmp_path))
    boot = host.runtime_config()["worker"]
    assert boot["snapshot"] == {
        "url": boot["indexURL"] + SNAPSHOT_NAME, "size": 148, "packURL": boot["indexURL"] + PACK_NAME,
        "sitePackages": "/lib/python3.14/site-packages",
    }  # fmt: skip
    assert "snapshotProblem" not in boot
    response = TestClient(app).get(boot["snapshot"]["url"], headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-type"] == "application/gzip"
    assert "content-encoding" not in response.headers  # the worker gunzips it itself
    assert snapshot_build_id(gzip.decompress(response.content)) == BUILD_ID


def test_served_the_worker_gets_plain_urls_and_the_browser_decodes_the_best_twin_it_accepts(tmp_path: Path) -> None:
    d = write_dist(tmp_path)
    raw = snapshot_head(BUILD_ID, b"\0" * 100)
    (d / SNAPSHOT_PLAIN).write_bytes(raw)
    (d / f"{SNAPSHOT_PLAIN}.br").write_bytes(brotli.compress(raw))
    manifest = json.loads((d / "fh-anywidget.json").read_text())
    manifest["snapshot"]["plain"] = SNAPSHOT_PLAIN
    (d / "fh-anywidget.json").write_text(json.dumps(manifest))
    app, _ = fast_app(default_hdrs=False)
    boot = AnyWidgetHost(app, dist_dir=d).runtime_config()["worker"]
    assert boot["snapshot"]["url"] == boot["indexURL"] + SNAPSHOT_PLAIN
    client = TestClient(app)
    for accept, coding in (("gzip, deflate, br, zstd", "br"), ("gzip", "gzip"), ("gzip, br;q=0", "gzip"), ("identity", None)):
        response = client.get(boot["snapshot"]["url"], headers={"Accept-Encoding": accept})
        assert response.headers.get("content-encoding") == coding, accept
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.content == raw  # decoded by the client, as a browser does


def test_on_a_static_site_the_worker_gets_the_gzip_files_and_the_sizes_to_gunzip_them_into(tmp_path: Path) -> None:
    d = write_dist(tmp_path)
    raw = (d / PACK_NAME).read_bytes() * 50
    (d / PACK_NAME).write_bytes(raw)
    (d / f"{PACK_NAME}.gz").write_bytes(gzip.compress(raw))
    (d / SOURCES_PACK_NAME).write_bytes(raw)
    (d / f"{SOURCES_PACK_NAME}.gz").write_bytes(gzip.compress(raw))
    (d / SNAPSHOT_PLAIN).write_bytes(gzip.decompress((d / SNAPSHOT_NAME).read_bytes()))
    manifest = json.loads((d / "fh-anywidget.json").read_text())
    manifest["snapshot"].update(plain=SNAPSHOT_PLAIN, sources=SOURCES_PACK_NAME, source_names=["alpha"])
    (d / "fh-anywidget.json").write_text(json.dumps(manifest))
    app, _ = fast_app(default_hdrs=False)
    host = AnyWidgetHost(app, dist_dir=d)
    served = host.runtime_config()["worker"]["snapshot"]
    assert "packSize" not in served and served["packURL"].endswith(PACK_NAME)
    assert served["sourcesURL"].endswith(SOURCES_PACK_NAME) and served["sourceNames"] == ["alpha"]
    host.set_public_prefix("/site/_fhaw")
    boot = host.runtime_config()["worker"]
    snapshot = boot["snapshot"]
    assert snapshot["url"] == boot["indexURL"] + SNAPSHOT_NAME
    assert (snapshot["packURL"], snapshot["packSize"]) == (boot["indexURL"] + PACK_NAME + ".gz", len(raw))
    assert (snapshot["sourcesURL"], snapshot["sourcesSize"]) == (boot["indexURL"] + SOURCES_PACK_NAME + ".gz", len(raw))
    copied = {name.split("/", 1)[1] for name, _ in host.static_files() if name.startswith(host.dist.slug)}
    assert {SNAPSHOT_NAME, PACK_NAME + ".gz", SOURCES_PACK_NAME + ".gz"} <= copied
    assert not copied & {SNAPSHOT_PLAIN, PACK_NAME, SOURCES_PACK_NAME}  # the worker reads the .gz files


def test_the_host_tells_the_worker_why_it_boots_without_the_snapshot(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app, _ = fast_app(default_hdrs=False)
    host = AnyWidgetHost(app, dist_dir=write_dist(tmp_path, snapshot=None))
    boot = host.runtime_config()["worker"]
    assert boot["snapshot"] is None
    assert "--no-snapshot" in boot["snapshotProblem"]
    assert "boot without its memory snapshot" in caplog.text
