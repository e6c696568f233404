// Shows a styled line for the `_css` fixtures; Python swaps `_css` when asked.
export default {
  render({ model, el }) {
    el.innerHTML = `<p class="css-probe-${model.get("kind")}">styled by _css (${model.get("kind")})</p>
      <button class="swap" type="button">swap _css in Python</button>`;
    el.querySelector(".swap").addEventListener("click", () => model.send({ op: "swap" }));
  },
};
