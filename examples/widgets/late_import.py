"""LateImport: a widget whose constructor imports a module and reads package metadata that no
widget had needed before, the way a plugin or an optional dependency loads on first use.

In worker mode its files come from site-packages right after a snapshot restore, before the
worker wrote site-packages back (it does that after the first message; see web/worker/pending-files.js): the
browser tests check that Python finds them anyway.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from pathlib import Path
from typing import Any

import anywidget
import traitlets


class LateImport(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        const show = () => { el.className = "late-import"; el.textContent = model.get("found"); };
        model.on("change:found", show);
        show();
      },
    };
    """
    found = traitlets.Unicode("").tag(sync=True)

    def __init__(self, module: str = "wcwidth", distribution: str = "traitlets", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        imported = importlib.import_module(module)
        # a package's own file: an empty namespace package (its folder, without its code) has none
        code = Path(imported.__file__).name if imported.__file__ else "no code"
        self.found = f"{imported.__name__} ({code}) {distribution} {importlib.metadata.version(distribution)}"
