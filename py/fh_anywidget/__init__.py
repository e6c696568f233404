"""fh-anywidget: anywidget widgets in FastHTML pages.

Python runs in the browser (Pyodide in a Web Worker, the default) or on the server.
The server-side names are imported lazily so that the worker, which ships only the
protocol and kernel modules of this package, never imports FastHTML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["AnyWidgetHost", "WidgetLookupError", "WidgetSpecError", "__version__", "push"]

if TYPE_CHECKING:
    from .host import AnyWidgetHost, WidgetSpecError
    from .server import WidgetLookupError
    from .server.access import push


def __getattr__(name: str) -> Any:
    if name in ("AnyWidgetHost", "WidgetSpecError"):
        from . import host

        return getattr(host, name)
    if name in ("WidgetLookupError", "push"):
        from .server import access

        return getattr(access, name)
    raise AttributeError(f"module 'fh_anywidget' has no attribute {name!r}")
