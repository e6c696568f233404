"""What the widgets of this app share: a button that sets `source`, and Python's `result`."""

from __future__ import annotations

import anywidget
import traitlets

ESM = """
function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "parse-button";
  button.textContent = "Parse";
  button.addEventListener("click", () => {
    model.set("source", "def f(x):\\n    return x + 1\\n");
    model.save_changes();
  });
  const out = document.createElement("output");
  out.className = "parse-result";
  const show = () => { out.textContent = model.get("result"); };
  model.on("change:result", show);
  show();
  el.append(button, out);
}
export default { render };
"""


class SourceWidget(anywidget.AnyWidget):
    """The page sets `source`; a subclass's observer sets `result`."""

    _esm = ESM
    source = traitlets.Unicode("").tag(sync=True)
    result = traitlets.Unicode("not parsed yet").tag(sync=True)
