// Cleanups: render's and initialize's, logged in window.compatLog[tag] so a test can see them run.
function log(tag, what) {
  const all = (globalThis.compatLog ??= {});
  (all[tag] ??= []).push(what);
}

export default {
  initialize({ model }) {
    model.on("change:seen", () => {});
    return () => log(model.get("tag"), "initialize-cleanup");
  },
  render({ model, el }) {
    const tag = model.get("tag");
    el.dataset.modelId = model.model_id;
    el.innerHTML = `<button class="bump" type="button"></button> <span class="seen"></span>`;
    const show = () => {
      el.querySelector(".bump").textContent = `value ${model.get("value")}`;
      el.querySelector(".seen").textContent = `python saw ${model.get("seen")}`;
    };
    el.querySelector(".bump").addEventListener("click", () => {
      model.set("value", model.get("value") + 1);
      model.save_changes();
    });
    model.on("change:seen", show);
    model.on("change:value", show);
    show();
    log(tag, "render");
    return () => log(tag, "render-cleanup");
  },
};
