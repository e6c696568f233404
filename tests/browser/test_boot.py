"""How the worker boots: from the dist's memory snapshot, or (when it cannot) from the packages.

Whatever the path, the widgets work; the console says which path was taken and why. No test here
asserts a time: scripts/bench measures those.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser_support import BOOT_MS, STEP_MS, open_demo
from playwright.sync_api import BrowserContext, Page, expect

pytestmark = pytest.mark.worker_only  # server mode has no worker to boot
ROOT = Path(__file__).resolve().parents[2]


def console_of(page: Page) -> list[str]:
    lines: list[str] = []
    page.on("console", lambda m: lines.append(f"{m.type}: {m.text}"))
    return lines


def boot_timings(page: Page) -> dict:
    return page.evaluate("window.fhAnywidget.manager.timings")


def click_reaches_python(page: Page) -> None:
    counter = page.locator("#counter .counter")
    expect(counter.locator(".counter-button")).to_have_text("Count: 3", timeout=BOOT_MS)
    counter.locator(".counter-button").click()
    expect(counter).to_have_attribute("data-seen-by-python", "1", timeout=STEP_MS)


def test_python_is_restored_from_the_memory_snapshot(page: Page, base_url: str) -> None:
    lines = console_of(page)
    open_demo(page, base_url, "/counter")
    click_reaches_python(page)
    timings = boot_timings(page)
    assert "restored" in timings and "packages" not in timings, timings
    assert any("Python restored from the memory snapshot" in line for line in lines), lines
    assert not any("without the memory snapshot" in line for line in lines), lines


def test_restored_python_calls_c_functions_the_way_a_plain_boot_does(page: Page, base_url: str) -> None:
    # The snapshot is made in Node.js 20, which has no wasm-gc: its memory says "JS trampoline".
    # After a restore, Python must use the one this browser chose (wasm-gc, faster).
    open_demo(page, base_url, "/counter?fh-anywidget-snapshot=off")
    click_reaches_python(page)
    plain = boot_timings(page)
    open_demo(page, base_url, "/counter")
    click_reaches_python(page)
    restored = boot_timings(page)
    assert "packages" in plain and "restored" in restored, (plain, restored)
    assert plain.get("callTrampoline") == "wasm-gc", plain
    assert restored.get("callTrampoline") == plain["callTrampoline"], restored


DATA_PACK = re.compile(r"/site-packages-data\.pack(\.gz)?$")


def test_a_packaged_front_end_opened_before_its_contents_came_is_read_whole(page: Page, context: BrowserContext,
                                                                          base_url: str) -> None:
    # After a restore site-packages' data files are empty placeholders until their pack, which
    # comes after the first answer, is in. drawdata's widget reads its JS from site-packages when
    # it is first made: that open has the pack downloaded and written first, and the widget draws
    # with its whole front end (an empty one would draw nothing).
    packs: list = []
    context.on("request", lambda r: DATA_PACK.search(r.url) and packs.append(r))
    lines = console_of(page)
    open_demo(page, base_url, "/drawing")
    expect(page.locator("#scatter svg.dd-scatter-svg")).to_be_visible(timeout=BOOT_MS)
    expect(page.locator("#point-count .fh-anywidget-status")).to_be_hidden(timeout=BOOT_MS)
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)
    assert "restored" in boot_timings(page)
    assert any("data files named, their contents come later" in line for line in lines), lines
    assert packs, "the data files' contents were never downloaded"


def test_a_page_whose_widgets_open_no_data_file_gets_their_contents_after_python_is_ready(
        page: Page, context: BrowserContext, base_url: str) -> None:
    packs: list = []
    context.on("request", lambda r: DATA_PACK.search(r.url) and packs.append(r))
    open_demo(page, base_url, "/counter")
    click_reaches_python(page)
    for _ in range(50):
        if packs:
            break
        page.wait_for_timeout(100)
    timings = boot_timings(page)
    assert len(packs) == 1, "the data files' contents never came"
    assert packs[0].timing["startTime"] >= timings["timeOrigin"] + timings["imported"], (packs[0].timing, timings)


def test_site_packages_sources_are_written_after_the_first_message_and_found_before(page: Page, base_url: str) -> None:
    # The first widget of the page imports a module the snapshot never imported: its source is
    # in site-packages, whose .py files the worker writes back only after handling the first
    # message. Python has them written the moment it looks for one, and imports the package's
    # code: its folder (with py.typed in it) is there before, and is not taken for an empty
    # namespace package.
    lines = console_of(page)
    open_demo(page, base_url, "/late-import")
    found = page.locator("#late .late-import")
    expect(found).to_have_text(re.compile(r"^wcwidth \(__init__\.py\) traitlets \d+\.\d+"), timeout=BOOT_MS)
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)
    timings = boot_timings(page)
    assert "restored" in timings and "data" in timings, timings
    assert "files" not in timings, "the sources were written before Python said it was ready"
    assert sum("site-packages sources written" in line for line in lines) == 1, lines


def test_the_standard_library_zip_comes_after_the_first_answer_and_an_import_before_has_it_at_once(
        page: Page, context: BrowserContext, base_url: str) -> None:
    # The restored Python has read the standard library zip's directory before the snapshot, so the
    # worker gives Pyodide an empty zip and downloads the real one after the first message. A
    # first widget importing a standard library module the snapshot never imported has it
    # written (downloaded then and there) before the import goes on.
    stdlib: list = []
    context.on("requestfinished", lambda r: r.url.endswith("/python_stdlib.zip") and stdlib.append(r))
    lines = console_of(page)
    open_demo(page, base_url, "/late-import?module=colorsys")
    found = page.locator("#late .late-import")
    expect(found).to_have_text(re.compile(r"^colorsys \(colorsys\.py\) traitlets \d+\.\d+"), timeout=BOOT_MS)
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)
    timings = boot_timings(page)
    assert stdlib, "the standard library's zip was never downloaded"
    assert stdlib[0].timing["startTime"] >= timings["timeOrigin"] + timings["restored"], (stdlib[0].timing, timings)
    assert sum("site-packages sources written" in line for line in lines) == 1, lines


def test_the_page_can_turn_the_snapshot_off_and_python_boots_from_the_packages(page: Page, base_url: str) -> None:
    lines = console_of(page)
    open_demo(page, base_url, "/counter?fh-anywidget-snapshot=off")
    click_reaches_python(page)
    timings = boot_timings(page)
    assert "packages" in timings and "restored" not in timings, timings
    assert any(line.startswith("warning: [fh-anywidget] booting Python without the memory snapshot") and
               "turned off by the page URL" in line for line in lines), lines


def test_a_snapshot_that_cannot_be_fetched_falls_back_to_the_packages(page: Page, context: BrowserContext,
                                                                      base_url: str) -> None:
    context.route("**/snapshot.bin*", lambda route: route.fulfill(status=404, body="gone"))  # served and .gz
    lines = console_of(page)
    open_demo(page, base_url, "/counter")
    click_reaches_python(page)
    assert "packages" in boot_timings(page)
    assert any("could not restore Python from the memory snapshot" in line and "answered 404" in line
               for line in lines), lines
    expect(page.locator(".fh-anywidget-error")).to_have_count(0)


def test_a_second_visit_restores_from_this_browsers_copy_and_a_damaged_copy_is_replaced(
        page: Page, context: BrowserContext, base_url: str) -> None:
    lines = console_of(page)
    open_demo(page, base_url, "/counter")
    click_reaches_python(page)
    for _ in range(STEP_MS // 100):  # the copy is kept in the background, after the first answer
        if any("kept the unpacked memory snapshot in this browser" in line for line in lines):
            break
        page.wait_for_timeout(100)
    assert any("kept the unpacked memory snapshot in this browser" in line for line in lines), lines

    second = context.new_page()
    second_lines = console_of(second)
    open_demo(second, base_url, "/counter")
    click_reaches_python(second)
    assert boot_timings(second).get("keptCopy") == 1
    assert any("restored from this browser's copy of the memory snapshot" in line for line in second_lines), second_lines

    # damage the copy (same size, wrong bytes): the next visit says so, downloads, and works
    second.evaluate("""async () => {
        const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle("fh-anywidget");
        for await (const [name, handle] of dir.entries()) {
            const size = (await handle.getFile()).size;
            const writable = await handle.createWritable();
            await writable.write(new Uint8Array(size).fill(7));
            await writable.close();
        }
    }""")
    second.close()
    third = context.new_page()
    third_lines = console_of(third)
    open_demo(third, base_url, "/counter")
    click_reaches_python(third)
    assert "keptCopy" not in boot_timings(third) and "restored" in boot_timings(third)
    assert any("copy of the snapshot did not restore" in line for line in third_lines), third_lines


def test_the_snapshot_has_the_apps_widget_modules_and_an_edited_one_runs_as_edited(page: Page, base_url: str) -> None:
    """`fh-anywidget dist examples.demo.app:app` imported the demo's widget modules into the
    snapshot. A page whose widget module has changed since gets a new bundle, and the worker
    runs the new code, not the snapshot's copy (here: Counter's parity, set by Python)."""
    manifest = (ROOT / "build" / "pyodide" / "fh-anywidget.json").read_text()
    assert '"examples.widgets.counter"' in manifest  # the snapshot entry's widget_modules
    open_demo(page, base_url, "/counter")
    click_reaches_python(page)
    expect(page.locator("#counter .counter-parity")).to_have_text("even")
    module = ROOT / "examples" / "widgets" / "counter.py"
    text = module.read_text()
    edited = text.replace('return "even" if n % 2 == 0 else "odd"', 'return "EVEN" if n % 2 == 0 else "ODD"')
    assert edited != text
    module.write_text(edited)
    try:
        second = page.context.new_page()
        open_demo(second, base_url, "/counter")
        expect(second.locator("#counter .counter-parity")).to_have_text("ODD", timeout=BOOT_MS)  # 3, from Python
        second.locator("#counter .counter-button").click()
        expect(second.locator("#counter .counter-parity")).to_have_text("EVEN", timeout=STEP_MS)
    finally:
        module.write_text(text)
