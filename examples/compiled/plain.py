"""`Plain`: the same round trip as `Parse` with no compiled code (what it is measured against)."""

from __future__ import annotations

import anywidget
import traitlets

from .view import ESM


class Plain(anywidget.AnyWidget):
    _esm = ESM
    source = traitlets.Unicode("").tag(sync=True)
    result = traitlets.Unicode("not parsed yet").tag(sync=True)

    @traitlets.observe("source")
    def _parse(self, change: dict) -> None:
        self.result = f"counted: {len(change['new'])} characters"
