"""drawdata's ScatterWidget, a PyPI package, in the browser's Python and on the server."""

from __future__ import annotations

from browser_support import BOOT_MS, STEP_MS, open_demo
from playwright.sync_api import Page, expect


def test_drawdata_scatter_renders_and_a_drawn_point_reaches_python(page: Page, base_url: str) -> None:
    open_demo(page, base_url, "/drawing")
    canvas = page.locator("#scatter svg.dd-scatter-svg")
    expect(canvas).to_be_visible(timeout=BOOT_MS)
    count = page.locator("#point-count")
    expect(count).to_contain_text("Points Python has seen: 0", timeout=BOOT_MS)

    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 3, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 20, steps=8)
    page.mouse.move(x + 120, y - 20, steps=8)
    page.mouse.up()

    drawn = page.locator("#scatter circle.drawn")
    expect(drawn.first).to_be_attached(timeout=STEP_MS)
    n = drawn.count()
    assert n > 0
    # the ScatterWidget's Python `data` trait got every point: its observer counted them
    expect(count).to_contain_text(f"Points Python has seen: {n}", timeout=STEP_MS)
