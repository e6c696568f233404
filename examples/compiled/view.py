"""The front end both widgets share: a button that sets `source`, and Python's `result`."""

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
