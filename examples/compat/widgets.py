"""The conformance fixtures: one small widget per feature of the anywidget contract.

Each is an ordinary anywidget widget (it would run unchanged in Jupyter). Its front end
(esm/*.js) writes what it observed into ``data-`` attributes of its element, so that the
browser tests (tests/browser/test_compat.py) can compare it with what the contract says.
Most of them answer a change made in the page with a change made by Python: ``value`` set in
the page, ``seen`` (``value * 10``) set by Python's observer.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import anywidget
import psygnal
import traitlets
from anywidget.experimental import MimeBundleDescriptor

HERE = Path(__file__).parent
ESM = HERE / "esm"
CSS = HERE / "css"
STATIC = "/compat/static"
"""Where the app serves esm/ and css/ for the widgets that load them by URL (see pages.py)."""


class Probe(anywidget.AnyWidget):
    """``_esm`` as a Path, ``export default { render }``: the page sets value, Python sets seen."""

    _esm = ESM / "probe.js"
    value = traitlets.Int(0).tag(sync=True)
    seen = traitlets.Int(0).tag(sync=True)
    """Set by Python only: ``value * 10``."""

    @traitlets.observe("value")
    def _on_value(self, change: dict[str, Any]) -> None:
        self.seen = change["new"] * 10


class FactoryProbe(Probe):
    """``export default async function () { return {render} }``."""

    _esm = ESM / "factory.js"


class LegacyProbe(Probe):
    """A named ``export function render`` (works, warns once)."""

    _esm = ESM / "legacy.js"


class AsyncRenderProbe(Probe):
    """``async render``."""

    _esm = ESM / "async_render.js"


class InitializeProbe(Probe):
    """``initialize`` runs once per model, before render; its listeners outlive views."""

    _esm = ESM / "initialize.js"


class InlineProbe(Probe):
    """``_esm`` given as inline module text."""

    _esm = """
function render({ model, el }) {
  el.innerHTML = `<button class="bump" type="button"></button> <span class="seen"></span>`;
  const show = () => {
    el.querySelector(".bump").textContent = `value ${model.get("value")}`;
    el.querySelector(".seen").textContent = `python saw ${model.get("seen")}`;
  };
  el.querySelector(".bump").addEventListener("click", () => {
    model.set("value", model.get("value") + 1);
    model.save_changes();
  });
  model.on("change:seen", show);
  el.dataset.rendered = "inline";
  show();
}
export default { render };
"""


class UrlProbe(Probe):
    """``_esm`` given as an http URL (the app serves the file; ``base`` is the page's origin)."""

    def __init__(self, base: str = "", **kwargs: Any) -> None:
        super().__init__(_esm=f"{base}{STATIC}/url.js", **kwargs)


class Lifecycle(Probe):
    """Cleanups of render and initialize, logged in the page's ``window.compatLog[tag]``."""

    _esm = ESM / "lifecycle.js"
    tag = traitlets.Unicode("").tag(sync=True)


class HotReload(Probe):
    """Python replaces ``_esm`` while the page is open (what anywidget's hot reload does)."""

    _esm = ESM / "hot_v1.js"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    def _on_msg(self, widget: Any, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("op") == "reload":
            self._esm = (ESM / "hot_v2.js").read_text()


class QueuedMessages(anywidget.AnyWidget):
    """Sends a custom message and an update the moment it opens, before the page's
    (slow) initialize has registered its listeners."""

    _esm = ESM / "queue.js"
    greeting = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.send({"hello": "early"})
        self.greeting = "early-update"


class Events(anywidget.AnyWidget):
    """``change:x``, ``change`` and ``off``: Python bumps two traits in one update on request."""

    _esm = ESM / "events.js"
    count = traitlets.Int(0).tag(sync=True)
    other = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    def _on_msg(self, widget: Any, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("op") == "bump":
            with self.hold_sync():
                self.count += 1
                self.other += 1


class CustomBuffers(anywidget.AnyWidget):
    """``msg:custom`` with buffers: Python answers each buffer reversed."""

    _esm = ESM / "custom_buffers.js"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    def _on_msg(self, widget: Any, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("op") == "reverse":
            data = [bytes(b) for b in buffers]
            self.send({"op": "reversed", "lengths": [len(b) for b in data]}, buffers=[b[::-1] for b in data])


def _hex(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return f"not-bytes:{value!r}"


class NestedBuffers(anywidget.AnyWidget):
    """Buffers inside state: a dict value and list elements, both ways."""

    _esm = ESM / "nested.js"
    from_python = traitlets.Dict().tag(sync=True)
    from_page = traitlets.Dict().tag(sync=True)
    python_saw = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("from_python", {"a": {"b": b"\x01\x02"}, "items": [b"\x03", 5, b"\x04\x05"], "text": "t"})
        super().__init__(**kwargs)

    @traitlets.observe("from_page")
    def _on_from_page(self, change: dict[str, Any]) -> None:
        new = change["new"]
        items = new.get("l", [])
        self.python_saw = " ".join([
            f"x.y={_hex(new.get('x', {}).get('y'))}",
            *(f"l{i}={_hex(v) if not isinstance(v, str) else v}" for i, v in enumerate(items)),
        ])


class BytesTrait(anywidget.AnyWidget):
    """A ``traitlets.Bytes`` trait set in the page; Python answers with another, reversed."""

    _esm = ESM / "bytes.js"
    payload = traitlets.Bytes(b"").tag(sync=True)
    reply = traitlets.Bytes(b"").tag(sync=True)

    @traitlets.observe("payload")
    def _on_payload(self, change: dict[str, Any]) -> None:
        self.reply = bytes(change["new"])[::-1]


class EchoFlags(anywidget.AnyWidget):
    """``plain`` is echoed back after a page update; ``quiet`` has ``echo_update=False``.
    Python records the keys of the echo_update messages it sends and reports them."""

    _esm = ESM / "echo.js"
    plain = traitlets.Int(0).tag(sync=True)
    quiet = traitlets.Int(0).tag(sync=True, echo_update=False)

    def __init__(self, **kwargs: Any) -> None:
        self._echoed: list[str] = []
        self._received: dict[str, int] = {}
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    def _send(self, msg: dict[str, Any], buffers: Any = None) -> None:
        if msg.get("method") == "echo_update":
            self._echoed.extend(sorted(msg.get("state", {})))
        super()._send(msg, buffers)

    @traitlets.observe("plain", "quiet")
    def _on_change(self, change: dict[str, Any]) -> None:
        self._received[change["name"]] = change["new"]

    def _on_msg(self, widget: Any, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("op") == "report":
            self.send({"op": "report", "report": {"echoed": self._echoed, "received": self._received}})


class Commands(anywidget.AnyWidget):
    """``@anywidget.experimental.command``: ``add`` answers at once, ``slow`` after 600 ms."""

    _esm = ESM / "invoke.js"

    @anywidget.experimental.command
    def add(self, msg: dict[str, Any], buffers: list[memoryview]) -> tuple[dict[str, Any], list[bytes]]:
        return {"sum": msg["a"] + msg["b"], "got": [bytes(b).hex() for b in buffers]}, [b"\xca\xfe"]

    @anywidget.experimental.command
    def slow(self, msg: Any, buffers: list[memoryview]) -> tuple[dict[str, Any], list[bytes]]:
        time.sleep(0.6)
        return {"late": True}, []


# -- anywidget.experimental: widgets that are not ipywidgets ----------------------------

@psygnal.evented
@dataclasses.dataclass
class DescriptorCounter:
    """A psygnal evented dataclass shown through an explicit ``MimeBundleDescriptor``."""

    value: int = 0
    seen: int = 0
    _repr_mimebundle_ = MimeBundleDescriptor(_esm=ESM / "descriptor.js")

    def __post_init__(self) -> None:
        self.events.value.connect(lambda value: setattr(self, "seen", value * 10))


@anywidget.experimental.widget(esm=ESM / "descriptor.js")
class DecoratedCounter(traitlets.HasTraits):
    """A plain ``traitlets.HasTraits`` class made a widget by ``@anywidget.experimental.widget``."""

    value = traitlets.Int(0).tag(sync=True)
    seen = traitlets.Int(0).tag(sync=True)

    @traitlets.observe("value")
    def _on_value(self, change: dict[str, Any]) -> None:
        self.seen = change["new"] * 10


@anywidget.experimental.dataclass(esm=ESM / "descriptor.js")
class DataclassCounter:
    """``@anywidget.experimental.dataclass``: an evented dataclass that is a widget."""

    value: int = 0
    seen: int = 0

    def __post_init__(self) -> None:
        self.events.value.connect(lambda value: setattr(self, "seen", value * 10))


# -- composition, CSS, layout ----------------------------------------------------------

class Child(anywidget.AnyWidget):
    _esm = ESM / "child.js"
    value = traitlets.Int(0).tag(sync=True)


class Parent(anywidget.AnyWidget):
    """0.11 composition: ``child`` is an ``anywidget.WidgetTrait``; Python sums the child's value."""

    _esm = ESM / "parent.js"
    child = anywidget.WidgetTrait().tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        child = Child()
        super().__init__(child=child, **kwargs)
        child.observe(lambda change: setattr(self, "total", 100 + change["new"]), names="value")


class _CssSwap(anywidget.AnyWidget):
    _esm = ESM / "css.js"
    kind = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    def _on_msg(self, widget: Any, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("op") == "swap":
            self._css = self.swapped_css()

    def swapped_css(self) -> str:
        raise NotImplementedError


class CssInline(_CssSwap):
    """``_css`` as inline text (green), replaced by other text (blue)."""

    _css = ".css-probe-inline { color: rgb(0, 128, 0); }\n"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(kind="inline", **kwargs)

    def swapped_css(self) -> str:
        return ".css-probe-inline { color: rgb(0, 0, 255); }\n"


class CssPath(_CssSwap):
    """``_css`` as a Path (green), replaced by another file's text (blue)."""

    _css = CSS / "path_v1.css"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(kind="path", **kwargs)

    def swapped_css(self) -> str:
        return (CSS / "path_v2.css").read_text()


class CssUrl(_CssSwap):
    """``_css`` as an http URL (green), replaced by another URL (blue)."""

    _css = "/* replaced by a URL in __init__ */\n"  # a class without _css gets no _css trait

    def __init__(self, base: str = "", **kwargs: Any) -> None:
        self.base = base
        super().__init__(kind="url", _css=f"{base}{STATIC}/url_v1.css", **kwargs)

    def swapped_css(self) -> str:
        return f"{self.base}{STATIC}/url_v2.css"


class OwnLayout(Probe):
    """A class that overrides ``layout`` with a trait of its own (so no LayoutModel opens)."""

    _esm = ESM / "layout.js"
    layout = traitlets.Unicode("own layout").tag(sync=True)


# -- the order of construction, initialize and render -----------------------------------

def _chart(points: list[int]) -> dict[str, Any]:
    return {"mark": "bar", "values": points}


class LateData(anywidget.AnyWidget):
    """Sets its data after ``super().__init__()``, as popular widgets do: the comm opens with an
    empty spec, and the first render must see the finished one (it throws on an empty spec,
    as a chart library does: "invalid specification")."""

    _esm = ESM / "late_data.js"
    spec = traitlets.Dict().tag(sync=True)
    picked = traitlets.Int(-1).tag(sync=True)
    """Set in the page (a click on a bar); Python answers with ``note``."""
    note = traitlets.Unicode("").tag(sync=True)

    def __init__(self, points: list[int] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = _chart(points or [3, 1, 4, 1, 5])

    @traitlets.observe("picked")
    def _on_picked(self, change: dict[str, Any]) -> None:
        self.note = f"python saw bar {change['new']} = {self.spec['values'][change['new']]}"


def late_data_factory() -> LateData:
    """A factory that changes the widget after making it: ``w = W(); w.x = ...; return w``."""
    w = LateData(points=[1])
    w.spec = _chart([2, 7, 1, 8])
    return w


class RenderAsks(anywidget.AnyWidget):
    """A query widget: its render asks Python for the first rows (``model.send``) and waits for
    the reply before it draws."""

    _esm = ESM / "render_asks.js"
    rows = [["ada", 36], ["grace", 85], ["alan", 41]]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    def _on_msg(self, widget: Any, content: dict[str, Any], buffers: list[memoryview]) -> None:
        if content.get("ask") == "rows":
            self.send({"rows": self.rows[: int(content.get("limit", 10))]})


class InitializeInvokes(anywidget.AnyWidget):
    """An initialize that awaits ``experimental.invoke`` (a ``@command`` that also sets a trait
    before it answers); render draws what initialize got."""

    _esm = ESM / "initialize_invokes.js"
    loaded = traitlets.Int(0).tag(sync=True)

    @anywidget.experimental.command
    def first_rows(self, msg: dict[str, Any], buffers: list[memoryview]) -> tuple[dict[str, Any], list[bytes]]:
        self.loaded = int(msg["limit"])
        return {"rows": [f"row {i}" for i in range(self.loaded)]}, []
