"""A probe for the tests: asked with a custom message, it tells what its Python holds: the widgets
its connection made (its page's keys), the comms open on it, and ipywidgets' live widgets. So a
test can check that widgets an htmx swap took away are closed in Python, in either mode."""

from __future__ import annotations

from typing import Any

import anywidget


class Census(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "census-ask";
        button.textContent = "Count Python's widgets";
        const out = document.createElement("output");
        el.append(button, out);
        let seq = 0;
        button.addEventListener("click", () => model.send({ op: "census" }));
        const got = (msg) => {
          out.textContent = `widgets ${msg.widgets}, comms ${msg.comms}, live ${msg.live}`;
          el.dataset.widgets = String(msg.widgets);
          el.dataset.comms = String(msg.comms);
          el.dataset.live = String(msg.live);
          el.dataset.seq = String(++seq);
        };
        model.on("msg:custom", got);
        return () => model.off("msg:custom", got);
      },
    };
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("op") == "census":
            from fh_anywidget.kernel.ipywidgets_api import live_widget_count

            kernel = self.comm.kernel
            self.send({"widgets": len(kernel.widgets), "comms": len(kernel.manager.comms), "live": live_widget_count()})
