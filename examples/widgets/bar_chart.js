// The BarChart's view: one SVG bar per number, its label under it, and Python's total.

const SVG = "http://www.w3.org/2000/svg";

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  el.classList.add("bar-chart");
  el.style.font = "13px system-ui, sans-serif";
  const title = document.createElement("div");
  title.style.fontWeight = "600";
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", "360");
  svg.setAttribute("height", "140");
  const total = document.createElement("div");
  total.className = "bar-total";
  el.append(title, svg, total);
  const show = () => {
    const data = model.get("data") || [];
    const labels = model.get("labels") || [];
    const top = Math.max(1, ...data);
    const width = 360 / Math.max(1, data.length);
    svg.replaceChildren(
      ...data.flatMap((v, i) => {
        const h = Math.round((v / top) * 110);
        const bar = document.createElementNS(SVG, "rect");
        bar.setAttribute("x", String(i * width + 2));
        bar.setAttribute("y", String(118 - h));
        bar.setAttribute("width", String(Math.max(1, width - 4)));
        bar.setAttribute("height", String(h));
        bar.setAttribute("fill", "#3b82f6");
        const label = document.createElementNS(SVG, "text");
        label.setAttribute("x", String(i * width + width / 2));
        label.setAttribute("y", "134");
        label.setAttribute("text-anchor", "middle");
        label.textContent = labels[i] ?? String(v);
        return [bar, label];
      }),
    );
    title.textContent = model.get("title");
    total.textContent = `total ${model.get("total")}`;
    el.dataset.bars = String(data.length);
    el.dataset.total = String(model.get("total"));
  };
  const names = ["change:data", "change:labels", "change:title", "change:total"];
  for (const name of names) model.on(name, show);
  show();
  return () => {
    for (const name of names) model.off(name, show);
  };
}

export default { render };
