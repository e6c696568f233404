// Version 2: what the page must run after Python replaced `_esm`.
export default {
  render({ model, el }) {
    el.dataset.version = "2";
    el.innerHTML = `<b>version 2</b> <button class="bump" type="button">bump</button> <span class="seen"></span>`;
    const show = () => {
      el.querySelector(".seen").textContent = `python saw ${model.get("seen")}`;
      el.dataset.seen = String(model.get("seen"));
    };
    el.querySelector(".bump").addEventListener("click", () => {
      model.set("value", model.get("value") + 1);
      model.save_changes();
    });
    model.on("change:seen", show);
    show();
  },
};
