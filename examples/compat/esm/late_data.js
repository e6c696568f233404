// A chart that needs its data at the first render: the comm opened with an empty spec, Python set
// the real one right after. An empty spec throws, as a chart library would.

function render({ model, el }) {
  const spec = model.get("spec");
  if (!spec || !Array.isArray(spec.values) || spec.values.length === 0) {
    throw new Error(`invalid specification: ${JSON.stringify(spec)}`);
  }
  el.dataset.firstRender = JSON.stringify(spec.values);
  const draw = () => {
    const { values } = model.get("spec");
    el.innerHTML = `<div class="bars" style="display:flex;gap:4px;align-items:flex-end;height:90px"></div><p class="note"></p>`;
    values.forEach((v, i) => {
      const bar = document.createElement("button");
      bar.type = "button";
      bar.className = "bar";
      bar.dataset.index = String(i);
      bar.title = `bar ${i}`;
      bar.style.cssText = `width:24px;height:${10 * v}px;background:steelblue;border:0;padding:0`;
      bar.addEventListener("click", () => {
        model.set("picked", i);
        model.save_changes();
      });
      el.querySelector(".bars").append(bar);
    });
    el.querySelector(".note").textContent = model.get("note") || `${values.length} bars`;
  };
  model.on("change:spec", draw);
  model.on("change:note", () => (el.querySelector(".note").textContent = model.get("note")));
  draw();
}

export default { render };
