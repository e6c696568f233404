// The RangeSlider's view: two range inputs over one track, and the pair as text.

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  el.classList.add("range-slider");
  el.innerHTML = `
    <span class="range-label"></span>
    <span class="range-track">
      <input class="range-low" type="range" aria-label="low">
      <input class="range-high" type="range" aria-label="high">
    </span>
    <output class="range-text"></output>`;
  const [low, high] = /** @type {HTMLInputElement[]} */ (Array.from(el.querySelectorAll("input")));
  const text = /** @type {HTMLOutputElement} */ (el.querySelector(".range-text"));
  const show = () => {
    for (const input of [low, high]) {
      input.min = String(model.get("min"));
      input.max = String(model.get("max"));
      input.step = String(model.get("step"));
    }
    const [lo, hi] = model.get("value");
    low.value = String(lo);
    high.value = String(hi);
    text.textContent = `${lo} – ${hi}`;
    el.dataset.value = JSON.stringify([lo, hi]);
    el.dataset.seenByPython = String(model.get("seen_by_python"));
    /** @type {HTMLElement} */ (el.querySelector(".range-label")).textContent = model.get("label");
  };
  const send = () => {
    model.set("value", [Number(low.value), Number(high.value)]);
    model.save_changes();
  };
  low.addEventListener("input", send);
  high.addEventListener("input", send);
  const names = ["change:value", "change:min", "change:max", "change:step", "change:label", "change:seen_by_python"];
  for (const name of names) model.on(name, show);
  show();
  return () => {
    for (const name of names) model.off(name, show);
  };
}

export default { render };
