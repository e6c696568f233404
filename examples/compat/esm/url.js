// Loaded by URL (`_esm = "http://.../url.js"`), not shipped as text.
export default {
  render({ model, el }) {
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
    el.dataset.loadedFrom = import.meta.url.startsWith("http") ? "url" : import.meta.url.slice(0, 5);
    show();
  },
};
