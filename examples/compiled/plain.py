"""`Plain`: the same round trip as `Parse` with no compiled code (what it is measured against)."""

from __future__ import annotations

import traitlets

from .view import SourceWidget


class Plain(SourceWidget):
    @traitlets.observe("source")
    def _parse(self, change: dict) -> None:
        self.result = f"counted: {len(change['new'])} characters"
