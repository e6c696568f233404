"""A compiled wheel from PyPI, built for this Pyodide (`ast-serialize`, pyemscripten_2026_0_wasm32),
runs in the worker: examples/compiled/app.py, served from its own dist (build/pyodide-compiled,
which scripts/test builds). A memory snapshot cannot hold compiled code: the worker installs the
package from the dist after the restore, and the module that imports it is imported then.
No test here asserts a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser_support import BOOT_MS, STEP_MS
from conftest import serving
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.worker_only
ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "build" / "pyodide-compiled"


@pytest.fixture(scope="module")
def compiled_url() -> Iterator[str]:
    if not (DIST / "fh-anywidget.json").is_file():
        pytest.fail(f"{DIST} is missing; build it with `.venv/bin/fh-anywidget dist examples.compiled.app:app "
                    "--out build/pyodide-compiled` or run scripts/test", pytrace=False)
    with serving("examples.compiled.app:app", "compiled-server.log") as url:
        yield url


def console_of(page: Page) -> list[str]:
    lines: list[str] = []
    page.on("console", lambda m: lines.append(f"{m.type}: {m.text}"))
    return lines


def parse_in_python(page: Page) -> None:
    widget = page.locator("#parse")
    expect(widget.locator(".parse-result")).to_have_text("not parsed yet", timeout=BOOT_MS)
    widget.locator(".parse-button").click()
    expect(widget.locator(".parse-result")).to_have_text("parsed: 66 bytes, 0 errors", timeout=STEP_MS)


def test_the_dist_installs_the_compiled_wheel_after_the_restore_and_imports_its_module_then() -> None:
    manifest = json.loads((DIST / "fh-anywidget.json").read_text())
    lock = json.loads((DIST / "pyodide-lock.json").read_text())
    entry = lock["packages"]["ast-serialize"]
    assert entry["file_name"].endswith("-cp314-cp314-pyemscripten_2026_0_wasm32.whl"), entry
    assert manifest["snapshot"]["load_packages"] == ["ast-serialize"]
    assert "examples.compiled.parse" in manifest["snapshot"]["failed_imports"]
    assert "examples.compiled.optional" in manifest["snapshot"]["failed_imports"]  # it catches the ImportError
    assert "examples.compiled.plain" in manifest["snapshot"]["widget_modules"]


def test_a_compiled_wheel_from_pypi_runs_in_the_worker_restored_from_the_snapshot(page: Page, compiled_url: str) -> None:
    lines = console_of(page)
    page.goto(compiled_url + "/")
    parse_in_python(page)
    timings = page.evaluate("window.fhAnywidget.manager.timings")
    assert "restored" in timings and "compiled-packages" in timings, timings
    assert not any("could not restore" in line for line in lines), lines


def test_a_compiled_wheel_runs_in_a_plainly_booted_worker_too(page: Page, compiled_url: str) -> None:
    page.goto(compiled_url + "/?fh-anywidget-snapshot=off")
    parse_in_python(page)
    assert "packages" in page.evaluate("window.fhAnywidget.manager.timings")


@pytest.mark.parametrize(("path", "answer"), [
    ("/plain", "counted: 27 characters"),  # no compiled code, beside it
    ("/optional", "ast_serialize: available"),  # its module catches the ImportError: left out of the snapshot
])
def test_the_other_widgets_of_the_app_work_and_find_the_package(page: Page, compiled_url: str, path: str, answer: str) -> None:
    page.goto(compiled_url + path)
    widget = page.locator("#" + path.strip("/"))
    expect(widget.locator(".parse-result")).to_have_text("not parsed yet", timeout=BOOT_MS)
    widget.locator(".parse-button").click()
    expect(widget.locator(".parse-result")).to_have_text(answer, timeout=STEP_MS)
