// The NumpyWave's view: draws the float32 samples numpy made on the server.

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  el.classList.add("wave");
  el.innerHTML = `
    <canvas class="wave-canvas" width="320" height="80" style="border:1px solid #ccc"></canvas>
    <div><button class="wave-faster" type="button">Frequency + 1</button>
    <button class="wave-sum" type="button">Ask numpy for a sum</button>
    <span class="wave-stats"></span> <span class="wave-reply"></span></div>`;
  const canvas = /** @type {HTMLCanvasElement} */ (el.querySelector(".wave-canvas"));
  const stats = el.querySelector(".wave-stats");

  const values = () => {
    const view = model.get("samples"); // a DataView over the binary buffer
    return view && view.byteLength ? new Float32Array(view.buffer, view.byteOffset, view.byteLength / 4) : new Float32Array(0);
  };
  const show = () => {
    const v = values();
    const ctx = canvas.getContext("2d");
    if (ctx) {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      ctx.beginPath();
      v.forEach((y, i) => ctx.lineTo((i / Math.max(1, v.length - 1)) * canvas.width, (1 - y) * canvas.height / 2));
      ctx.stroke();
    }
    const s = model.get("stats") || {};
    stats.textContent = `numpy: ${s.points} points, frequency ${s.frequency}, max ${s.max}`;
    el.dataset.frequency = String(model.get("frequency"));
    el.dataset.points = String(v.length);
    el.dataset.quarter = v.length ? v[Math.floor(v.length / 4)].toFixed(3) : "";
    el.dataset.statsFrequency = String(s.frequency);
  };
  el.querySelector(".wave-faster").addEventListener("click", () => {
    model.set("frequency", model.get("frequency") + 1);
    model.save_changes();
  });
  el.querySelector(".wave-sum").addEventListener("click", () => {
    model.send({ op: "sum" }, undefined, [new Float32Array([1.5, 2.5, 3])]);
  });
  /** @param {any} content @param {DataView[]} buffers */
  const onReply = (content, buffers) => {
    if (content.op !== "sum") return;
    const doubled = new Float32Array(buffers[0].buffer, buffers[0].byteOffset, buffers[0].byteLength / 4);
    el.dataset.sum = String(content.sum);
    el.dataset.doubled = Array.from(doubled).join(",");
    el.querySelector(".wave-reply").textContent = `sum ${content.sum}, doubled ${el.dataset.doubled}`;
  };
  model.on("change:samples", show);
  model.on("change:stats", show);
  model.on("change:frequency", show);
  model.on("msg:custom", onReply);
  show();
}

export default { render };
