// The child of the composition fixture: exports from initialize, a button of its own.
export default {
  initialize() {
    return { answer: 42, kind: "child-exports" };
  },
  render({ model, el }) {
    el.innerHTML = `<button class="child-bump" type="button"></button>`;
    const show = () => (el.querySelector(".child-bump").textContent = `child value ${model.get("value")}`);
    el.querySelector(".child-bump").addEventListener("click", () => {
      model.set("value", model.get("value") + 1);
      model.save_changes();
    });
    model.on("change:value", show);
    show();
  },
};
