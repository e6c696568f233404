"""Widget targets: ``"module:name"`` imported to a callable, and the model id of what it made."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection
from typing import Any


def import_target(spec: str) -> Callable[..., Any]:
    """Import ``"module:name"`` (``name`` may be dotted) and return the callable it names."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"[fh-anywidget] target {spec!r} is not of the form 'module:name'")
    try:
        obj: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"[fh-anywidget] cannot import {module_name!r} for target {spec!r}: {exc}. If it is a PyPI "
            "package, name it in AnyWidgetHost(app, packages=[...]) and run `fh-anywidget dist`; if it is "
            "your own module, pass the widget class itself to host.widget(...) so its module is shipped."
        ) from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError(f"[fh-anywidget] module {module_name!r} has no attribute {attr!r} "
                                 f"(target {spec!r})") from None
    if not callable(obj):
        raise TypeError(f"[fh-anywidget] target {spec!r} is a {type(obj).__name__}, not a widget class "
                        "or a function returning a widget")
    return obj


def check_page_target(spec: str, obj: Any, app_modules: Collection[str], kwargs: Collection[str] = ()) -> None:
    """Refuse a target that a widget placeholder may not name in the worker, where the page's HTML
    says what Python runs: HTML the app did not write (a visitor's, if the app lets some through)
    must not be able to call any function with arguments of its choosing. A target may be a class
    or function of the app's own modules (those its widget bundles ship), or a widget class from
    anywhere (an ipywidgets widget, or a class with a widget mimebundle, as anywidget's descriptor
    widgets have); no part of its name may be a dunder. Nor may its arguments (``kwargs``' names)
    give the widget its front-end code or its model's identity (``_esm``, ``_css``,
    ``_anywidget_*``, ``_model_*``, ``_view_*``). Raises TypeError, naming the fix."""
    code = sorted(name for name in kwargs if name in ("_esm", "_css") or name.startswith(("_anywidget_", "_model_", "_view_")))
    if code:
        raise TypeError(f"[fh-anywidget] the arguments for target {spec!r} set {', '.join(code)}: a page's HTML does not give "
                        "a widget its front-end code in the worker; give the widget class its _esm and _css in Python")
    names = spec.partition(":")[2].split(".")
    if not any(part.startswith("__") for part in names):
        if isinstance(getattr(obj, "__module__", None), str) and obj.__module__ in app_modules:
            return
        if isinstance(obj, type) and (_is_widget_class(obj) or hasattr(obj, "_repr_mimebundle_")):
            return
    raise TypeError(f"[fh-anywidget] target {spec!r} is neither a widget class nor a class or function of the app's "
                    "own modules, so the worker does not make it (a page names its widgets in its HTML, which may not "
                    "all be the app's). To use a factory function of a package, call it from a function in your "
                    "app's module and pass that function to host.widget(...)")


def _is_widget_class(cls: type) -> bool:
    from ipywidgets import Widget  # noqa: PLC0415 - imported already wherever widgets are made

    return issubclass(cls, Widget)


def model_id_of(widget: Any, target: str = "") -> str:
    """The model id of an ipywidgets widget, or of anything with a widget mimebundle
    (``anywidget.experimental`` descriptor widgets and dataclasses)."""
    model_id = getattr(widget, "model_id", None)
    if isinstance(model_id, str):
        return model_id
    repr_bundle = getattr(widget, "_repr_mimebundle_", None)
    if callable(repr_bundle):
        bundle = repr_bundle()
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        view = (bundle or {}).get("application/vnd.jupyter.widget-view+json") or {}
        if isinstance(view.get("model_id"), str):
            return view["model_id"]
    raise TypeError(f"[fh-anywidget] target {target!r} returned a {type(widget).__name__}, not a widget; "
                    "it must be (or return) an anywidget.AnyWidget or another Jupyter widget")


