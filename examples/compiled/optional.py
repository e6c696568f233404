"""`Optional`: a module that treats the compiled `ast_serialize` as optional, as many libraries
treat numpy (`try: import ... except ImportError`). The memory snapshot cannot import compiled
code; had it kept this module with the fallback, the widget would say "unavailable" forever. It
leaves the module out instead, and the worker imports it, with the real package, after the restore."""

from __future__ import annotations

import traitlets

from .view import SourceWidget

try:
    import ast_serialize
except ImportError:
    ast_serialize = None


class Optional(SourceWidget):
    @traitlets.observe("source")
    def _parse(self, change: dict) -> None:
        self.result = "ast_serialize: " + ("available" if ast_serialize is not None else "unavailable")
