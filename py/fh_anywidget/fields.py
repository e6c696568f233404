"""Widgets as form fields: ``host.widget(..., name="range")`` puts a hidden ``<input name="range">``
in the placeholder holding a trait of the widget (its ``value``, or ``field=``, or several with
``fields={"lo": "low", "hi": "high"}``). The page runtime keeps it in step with every change
(web/page/fields.js); a plain form submit, ``hx-post``, ``hx-include`` and ``hx-vals`` carry it.
A string travels as it is, every other value as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastcore.xml import FT
from fasthtml.common import Input

from .specs import WidgetSpecError, json_problem

FIELD_ATTR = "data-fh-anywidget-field"
"""The attribute of a field's ``<input>`` naming the trait it holds (web/page/fields.js reads it)."""


def field_map(target: str, name: str | None, field: str | None, fields: Mapping[str, str] | None) -> dict[str, str]:
    """``{input name: trait}`` of a placeholder, from ``name``/``field`` and ``fields``; a bad one is an error naming it."""
    out: dict[str, str] = {}
    if field is not None and name is None:
        raise WidgetSpecError(f"[fh-anywidget] host.widget({target}, field={field!r}) needs name=... too: the form "
                              "field's name (field= says which trait it holds, 'value' by default)")
    if name is not None:
        out[_check_name(target, "name", name)] = _check_name(target, "field", "value" if field is None else field)
    if fields is not None:
        if not isinstance(fields, Mapping):
            raise WidgetSpecError(f"[fh-anywidget] host.widget({target}, fields=...) takes a dict of "
                                  f"{{form field name: trait}}, got a {type(fields).__name__}")
        for input_name, trait in fields.items():
            if input_name in out:
                raise WidgetSpecError(f"[fh-anywidget] host.widget({target}): the form field {input_name!r} is named twice")
            out[_check_name(target, "fields key", input_name)] = _check_name(target, f"fields[{input_name!r}]", trait)
    return out


def _check_name(target: str, what: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise WidgetSpecError(f"[fh-anywidget] host.widget({target}, {what}={value!r}): it must be a non-empty string")
    return value


def synced_traits(factory: Any) -> set[str] | None:
    """The synced trait names of a widget class, or None when ``factory`` is not one (a function)."""
    class_traits = getattr(factory, "class_traits", None)
    if not isinstance(factory, type) or not callable(class_traits):
        return None
    try:
        return set(class_traits(sync=True))
    except Exception:  # noqa: BLE001 - a class we cannot inspect is checked in the browser instead
        return None


def check_traits(target: str, factory: Any, fields: Mapping[str, str]) -> None:
    """Where the widget's class is known, refuse a field naming a trait it does not sync to the page."""
    traits = synced_traits(factory)
    if traits is None:
        return
    from traitlets import Bytes  # noqa: PLC0415

    for input_name, trait in fields.items():
        if trait in traits and isinstance(factory.class_traits().get(trait), Bytes):
            raise WidgetSpecError(f"[fh-anywidget] host.widget({target}, ...): the form field {input_name!r} would hold "
                                  f"the trait {trait!r}, which holds bytes, and a form field carries text; make it hold "
                                  "a JSON trait, or read the bytes in Python (mode='server', host.instance)")
        if trait not in traits:
            own = _own_traits(factory, traits)
            public = ", ".join(sorted(t for t in own if not t.startswith("_"))) or "none"
            hint = ("; to pass the widget an argument called name, use args={'name': ...}"
                    if "name" in traits and input_name != "name" else "")
            raise WidgetSpecError(f"[fh-anywidget] host.widget({target}, ...): the form field {input_name!r} would hold "
                                  f"the trait {trait!r}, which {target} does not have (or does not sync); its traits: "
                                  f"{public}{hint}")


def _own_traits(factory: type, traits: set[str]) -> set[str]:
    """The traits a widget class adds to its framework's (``layout``, ``tooltip``... are noise in a list)."""
    for base in factory.__mro__[1:]:
        if base.__module__.split(".")[0] in ("anywidget", "ipywidgets"):
            framework = synced_traits(base) or set()
            return (traits - framework) or traits
    return traits


def encode(value: Any) -> str:
    """A trait's value as a form field holds it: a string as it is, anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), allow_nan=False)


def initial_value(factory: Any, trait: str, kwargs: Mapping[str, Any]) -> str:
    """What the field holds before the widget is there: the argument given for the trait, else the
    class's default when it is JSON, else ""."""
    if trait in kwargs:
        return encode(kwargs[trait])
    traits = getattr(factory, "class_traits", None)
    if isinstance(factory, type) and callable(traits):
        try:
            default = traits().get(trait).default()
        except Exception:  # noqa: BLE001 - a dynamic default: the page fills it in
            return ""
        if json_problem(default) is None:
            return encode(default)
    return ""


def inputs(factory: Any, fields: Mapping[str, str], kwargs: Mapping[str, Any]) -> list[FT]:
    """The hidden inputs of a placeholder's form fields, holding their first values."""
    return [Input(type="hidden", name=name, value=initial_value(factory, trait, kwargs), **{FIELD_ATTR: trait})
            for name, trait in fields.items()]
