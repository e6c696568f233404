// initialize runs once per model, before any render, and its listeners outlive the views.
let initializeCalls = 0;
const order = [];

export default {
  initialize({ model }) {
    initializeCalls += 1;
    order.push("initialize");
    let seenChanges = 0;
    model.on("change:seen", () => {
      seenChanges += 1;
      for (const el of document.querySelectorAll(`[data-init-model="${model.model_id}"]`)) {
        el.dataset.initializeSawChanges = String(seenChanges);
      }
    });
  },
  render({ model, el }) {
    order.push("render");
    el.dataset.initModel = model.model_id;
    el.dataset.initializeCalls = String(initializeCalls);
    el.dataset.order = order.join(",");
    el.innerHTML = `<button class="bump" type="button">bump</button>`;
    el.querySelector(".bump").addEventListener("click", () => {
      model.set("value", model.get("value") + 1);
      model.save_changes();
    });
  },
};
