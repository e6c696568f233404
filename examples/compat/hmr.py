"""Hot reload in development, the way anywidget does it: with ``ANYWIDGET_HMR=1`` (and the
watchfiles package), a widget class whose ``_esm`` is a Path watches that file, and each
change is sent to the page as an ordinary ``_esm`` update from the watching thread. In server
mode that is all; in worker mode the host relays the server's watcher to the page
(py/fh_anywidget/dev.py, which is on when the server runs with ANYWIDGET_HMR=1).

The module writes its own scratch copy of the widget (in the browser's Python too, where it is
not watched), so that a test can edit the server's copy; the page names it (``data-path``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .widgets import Probe

VERSION_1 = """
export default {
  render({ model, el }) {
    el.dataset.version = "1";
    el.innerHTML = `<b>version 1</b> <button class="bump" type="button"></button> <span class="seen"></span>`;
    const show = () => {
      el.querySelector(".bump").textContent = `value ${model.get("value")}`;
      el.querySelector(".seen").textContent = `python saw ${model.get("seen")}`;
    };
    el.querySelector(".bump").addEventListener("click", () => {
      model.set("value", model.get("value") + 1);
      model.save_changes();
    });
    model.on("change:seen", show);
    show();
  },
};
"""

HMR_FILE = Path(tempfile.mkdtemp(prefix="fhaw-compat-hmr-")) / "widget.js"
HMR_FILE.write_text(VERSION_1)

_before = os.environ.get("ANYWIDGET_HMR")
os.environ["ANYWIDGET_HMR"] = "1"  # read by anywidget when the class below is created
try:

    class DevReload(Probe):
        """A Probe whose ``_esm`` file is watched (anywidget's development hot reload)."""

        _esm = HMR_FILE

finally:
    if _before is None:
        del os.environ["ANYWIDGET_HMR"]
    else:
        os.environ["ANYWIDGET_HMR"] = _before
