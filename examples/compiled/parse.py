"""`Parse`: Python parses the source the page sets, with the compiled `ast_serialize`, and says
how many bytes of mypy's AST it made. Its module imports the compiled code at the top: the memory
snapshot cannot hold that, so the worker imports this module after it restores Python."""

from __future__ import annotations

import ast_serialize
import traitlets

from .view import SourceWidget


class Parse(SourceWidget):
    @traitlets.observe("source")
    def _parse(self, change: dict) -> None:
        tree, errors, *_ = ast_serialize.parse("widget.py", change["new"])
        self.result = f"parsed: {len(tree)} bytes, {len(errors)} errors"
