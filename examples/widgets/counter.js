// The Counter's view. Plain ES module, no imports: anywidget's render/initialize API.

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  el.classList.add("counter");
  el.innerHTML = `
    <button class="counter-button" type="button"></button>
    <span class="counter-parity"></span>
    <span class="counter-seen"></span>
    <button class="counter-add" type="button">+10 in Python</button>
    <button class="counter-reset" type="button">Reset in Python</button>`;
  const button = el.querySelector(".counter-button");
  const parity = el.querySelector(".counter-parity");
  const seen = el.querySelector(".counter-seen");

  const show = () => {
    button.textContent = `${model.get("label")}: ${model.get("value")}`;
    el.dataset.value = String(model.get("value"));
    parity.textContent = model.get("parity");
    el.dataset.parity = model.get("parity");
    seen.textContent = `Python saw ${model.get("seen_by_python")} change(s)`;
    el.dataset.seenByPython = String(model.get("seen_by_python"));
  };

  button.addEventListener("click", () => {
    model.set("value", model.get("value") + 1);
    model.save_changes();
  });
  el.querySelector(".counter-add").addEventListener("click", () => model.send({ op: "add", by: 10 }));
  el.querySelector(".counter-reset").addEventListener("click", () => model.send({ op: "reset" }));

  model.on("change:value", show);
  model.on("change:parity", show);
  model.on("change:seen_by_python", show);
  model.on("change:label", show);
  show();
  return () => {
    model.off("change:value", show);
    model.off("change:parity", show);
    model.off("change:seen_by_python", show);
    model.off("change:label", show);
  };
}

export default { render };
