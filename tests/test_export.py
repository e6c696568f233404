"""`fh-anywidget build`: what the exported folder holds (the browser suite runs it: tests/browser/test_export.py)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fh_anywidget.cli import main

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "build" / "pyodide"
pytestmark = pytest.mark.skipif(not (DIST / "fh-anywidget.json").is_file(), reason="needs build/pyodide (scripts/test builds it)")


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def build(out: Path, *args: str, app: str = "examples.static.app:app", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # a fresh process each time: nothing left over from an earlier build (module caches, key counters)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "py")])}
    return subprocess.run([sys.executable, "-m", "fh_anywidget", "build", app, "--out", str(out), *args],
                          cwd=cwd, capture_output=True, text=True, env=env)


def write_app(folder: Path, fast_app_call: str) -> str:
    """An app made with `fast_app_call`, its pages holding a worker-mode Counter; returns its APP."""
    (folder / "readme_app.py").write_text(
        "from fasthtml.common import *\n"
        "from examples.widgets import Counter\n"
        "from fh_anywidget import AnyWidgetHost\n"
        f"app, rt = {fast_app_call}\n"
        f"host = AnyWidgetHost(app, dist_dir={str(DIST)!r})\n"
        "rt('/')(lambda: Titled('Home', host.widget(Counter, value=3), A('About', href='/about')))\n"
        "rt('/about')(lambda: Titled('About', P('A page without widgets')))\n"
    )
    return "readme_app:app"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "out"
    result = build(out, "--base-url", "/my-repo/")
    assert result.returncode == 0, result.stderr
    return out


def test_two_builds_give_identical_trees(site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert build(again, "--base-url", "/my-repo/").returncode == 0
    assert tree(again) == tree(site)


def test_pages_become_index_files_and_a_nojekyll_is_written(site: Path) -> None:
    names = tree(site)
    assert {"index.html", "echo/index.html", "hello/index.html", ".nojekyll", "fhaw-sw.js"} <= set(names)
    assert not [n for n in names if n.endswith(".gz") and n[:-3] in names]  # no .gz twins: static servers send files as they are


def test_every_url_on_a_page_is_under_the_base_url_and_nothing_loads_from_outside(site: Path) -> None:
    html = (site / "index.html").read_text()
    urls = re.findall(r'(?:src|href|hx-get)="([^"]*)"', html) + re.findall(r'(?:URL|url|bundles)":\s*\[?"(/[^"]*)"', html)
    assert urls
    for url in urls:
        assert url.startswith("/my-repo/"), url
        assert (site / url.removeprefix("/my-repo/").split("?")[0]).exists() or url.endswith(("/ws", "/")), url
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assert re.search(r'<script src="/my-repo/_fhaw/web-\w+/vendor/htmx\.min\.js"></script>', html)  # the host's pinned copy


def test_the_service_worker_precaches_the_pages_and_the_hashed_assets(site: Path) -> None:
    sw = (site / "fhaw-sw.js").read_text()
    assert '"/my-repo/"' in sw and '"/my-repo/echo/"' in sw
    assert re.search(r'"/my-repo/_fhaw/pyodide-\w+/pyodide\.asm\.wasm"', sw)
    assert re.search(r'"version": "[0-9a-f]{16}"', sw)
    module = re.search(r'from "\./([^"]+)"', sw)
    assert module and (site / module.group(1)).is_file()


def test_a_page_with_a_server_mode_widget_fails_the_build_naming_it(tmp_path: Path) -> None:
    result = build(tmp_path / "demo", app="examples.demo.app:app")
    assert result.returncode == 1
    assert "has the server-mode widget examples." in result.stderr and "--server-widgets=message" in result.stderr
    assert not (tmp_path / "demo").exists()


def test_server_mode_widgets_can_render_a_message_instead(tmp_path: Path) -> None:
    result = build(tmp_path / "demo", "--server-widgets", "message", app="examples.demo.app:app")
    assert result.returncode == 0, result.stderr
    server_page = next(p for p in (tmp_path / "demo").rglob("index.html") if "fh-anywidget-static" in p.read_text())
    assert "runs on the app&#x27;s server" in server_page.read_text() or "runs on the app's server" in server_page.read_text()


@pytest.mark.parametrize("base", ["my-repo", "/a b/", "//evil/"])
def test_a_bad_base_url_is_refused_with_an_example(base: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "examples.static.app:app", "--out", str(tmp_path / "x"), "--base-url", base]) == 1
    err = capsys.readouterr().err
    assert repr(base) in err and "'/my-repo/'" in err


CANONICAL = re.compile(r'<link rel="canonical" href="([^"]*)">')


@pytest.mark.parametrize("base", ["/my-repo/", "https://you.github.io/my-repo/"])
def test_the_readme_app_line_exports_as_is_and_its_canonical_links_name_the_published_pages(base: str, tmp_path: Path) -> None:
    app = write_app(tmp_path, "fast_app(default_hdrs=False, pico=False)")  # README: for pages that need no network
    result = build(tmp_path / "site", "--base-url", base, app=app, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    home, about = ((tmp_path / "site" / name).read_text() for name in ("index.html", "about/index.html"))
    assert "testserver" not in home + about
    if base.startswith("https://"):
        assert CANONICAL.findall(home) == ["https://you.github.io/my-repo/"]
        assert CANONICAL.findall(about) == ["https://you.github.io/my-repo/about/"]
        assert "canonical" not in result.stderr
    else:  # no site URL to name: left out, and the build says why and how to have it
        assert "canonical" not in home + about
        note = 'note: left out the pages\' <link rel="canonical">'
        assert result.stderr.count(note) == 1, result.stderr
        assert "--base-url, e.g. https://you.github.io/my-repo/" in result.stderr


def test_an_app_with_fasthtmls_default_headers_exports_as_is(tmp_path: Path) -> None:
    app = write_app(tmp_path, "fast_app()")  # README's Use section: htmx, Pico and FastHTML's helpers from CDNs
    cache = str(ROOT / "build" / ".cache")
    result = build(tmp_path / "site", "--base-url", "https://you.github.io/my-repo/", "--cache", cache, app=app, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    home = (tmp_path / "site" / "index.html").read_text()
    assert "cdn.jsdelivr.net" not in home and "testserver" not in home
    assert re.search(r'<script src="/my-repo/_fhaw/web-\w+/vendor/htmx\.min\.js"></script>', home)  # the host's pinned copy
    assert '<link rel="stylesheet" href="/my-repo/_fhaw/vendor/pico-2.5.0.min.css">' in home
    assert "Pico CSS" in (tmp_path / "site" / "_fhaw" / "vendor" / "pico-2.5.0.min.css").read_text()[:200]
    assert CANONICAL.findall(home) == ["https://you.github.io/my-repo/"]
    assert ("note: the page asks for https://cdn.jsdelivr.net/npm/@anyblades/pico@latest/css/pico.min.css;"
            " the export ships @anyblades/pico 2.5.0") in result.stderr
    assert "left out https://cdn.jsdelivr.net/gh/answerdotai/surreal@main/surreal.js" in result.stderr


def test_the_service_worker_precaches_compiled_wheels_which_the_snapshot_boot_installs_too() -> None:
    from fh_anywidget.export import service_worker

    files: dict[str, bytes | Path] = {"_fhaw/p/six-1.17.0-py3-none-any.whl": b"pure", "_fhaw/p/pyodide.asm.wasm": b"core",
                                      "_fhaw/p/numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl": b"compiled"}
    sw = service_worker("/", "sw-module.js", files)
    assert "numpy-2.4.6-cp314-cp314-pyemscripten_2026_0_wasm32.whl" in sw and "pyodide.asm.wasm" in sw
    assert "six-1.17.0" not in sw
