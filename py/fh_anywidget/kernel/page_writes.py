"""Which traits a page may set (server mode, where every page is a stranger's).

A page never writes the widget's front-end code or the framework's own traits: ``_esm``,
``_css``, ``_anywidget_*``, ipywidgets' ``_model_*``, ``_view_*``, ``_dom_classes`` and
``layout``. A widget marks more as read-only from the page with a class attribute
(``_page_read_only = ("owner",)``) or a trait tag (``.tag(sync=True, page_writable=False)``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FRAMEWORK_TRAITS = frozenset({"_esm", "_css", "_dom_classes", "layout"})
FRAMEWORK_PREFIXES = ("_anywidget_", "_model_", "_view_")


def refused_page_writes(widget: Any, names: Iterable[str]) -> list[str]:
    """The names among ``names`` that a page may not set on ``widget`` (a widget or None)."""
    read_only = set(getattr(type(widget), "_page_read_only", ()) or ()) if widget is not None else set()
    traits_of = getattr(widget, "traits", None)
    traits = traits_of() if callable(traits_of) else {}
    refused = []
    for name in names:
        trait = traits.get(name)
        if (name in FRAMEWORK_TRAITS or name.startswith(FRAMEWORK_PREFIXES) or name in read_only
                or (trait is not None and trait.metadata.get("page_writable") is False)):
            refused.append(name)
    return refused
