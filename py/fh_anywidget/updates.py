"""Responses that drive widgets: ``host.update(key, **traits)`` is an element a partial carries
(once it is in the page, the runtime sets those traits as a widget's own ``model.set`` +
``save_changes`` would, so Python's observers run and every view updates); ``host.update_header``
is the same as a response header, for responses that swap nothing (web/page/updates.js applies both).
"""

from __future__ import annotations

import json
from typing import Any

from fastcore.xml import FT
from fasthtml.common import HttpHeader, Template

from .kernel.protocol import UPDATE_ATTR, UPDATE_HEADER
from .specs import WidgetSpecError, json_problem

FRAMEWORK_TRAITS = frozenset({"layout", "tabbable", "tooltip"})
"""ipywidgets' own public traits, which an update does not set either (web/page/fields.js has the same)."""


def update_data(key: str, traits: dict[str, Any]) -> dict[str, Any]:
    """``{"key", "state"}`` of one update, after checking that the page can carry it."""
    if not isinstance(key, str) or not key:
        raise WidgetSpecError(f"[fh-anywidget] host.update({key!r}, ...): the key must be the widget's key, a non-empty "
                              "string (give the widget one with host.widget(..., key='chart'))")
    if not traits:
        raise WidgetSpecError(f"[fh-anywidget] host.update({key!r}) names no trait; pass them as keywords, "
                              f"host.update({key!r}, value=3)")
    for name, value in traits.items():
        if name.startswith("_") or name in FRAMEWORK_TRAITS:
            raise WidgetSpecError(f"[fh-anywidget] host.update({key!r}, {name}=...): an update sets only a widget's own "
                                  "traits, not its private ones or the framework's (its front-end code, its layout); "
                                  "the page refuses it. Change it in Python (host.instance, or the widget's observers)")
        problem = json_problem(value)
        if problem:
            raise WidgetSpecError(f"[fh-anywidget] host.update({key!r}, {name}=...): {problem}. An update travels to "
                                  "the page as JSON: pass dict, list, str, int, float, bool or None")
    return {"key": key, "state": traits}


def update_element(key: str, traits: dict[str, Any]) -> FT:
    """The element that carries one update in a partial (it renders nothing; the runtime removes it)."""
    return Template(**{UPDATE_ATTR: json.dumps(update_data(key, traits), separators=(",", ":"))})


def update_header(updates: dict[str, dict[str, Any]]) -> HttpHeader:
    """The response header carrying updates, ``{key: {trait: value}}``: ASCII JSON (a header cannot
    carry more), a list of ``{"key", "state"}``. Keep it small: proxies limit headers to about 8 KB."""
    if not isinstance(updates, dict) or not updates:
        raise WidgetSpecError("[fh-anywidget] host.update_header takes {key: {trait: value}}, e.g. "
                              f"host.update_header({{'chart': {{'data': [1, 2]}}}}); got {updates!r:.80}")
    items = []
    for key, traits in updates.items():
        if not isinstance(traits, dict):
            raise WidgetSpecError(f"[fh-anywidget] host.update_header({{{key!r}: ...}}): the traits must be a dict "
                                  f"{{trait: value}}, got a {type(traits).__name__}")
        items.append(update_data(key, traits))
    return HttpHeader(UPDATE_HEADER, json.dumps(items, separators=(",", ":"), ensure_ascii=True))
