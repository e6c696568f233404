// An async render: it awaits before drawing; the host must wait for it (and keep its cleanup).
export default {
  async render({ model, el }) {
    el.dataset.phase = "awaiting";
    await new Promise((resolve) => setTimeout(resolve, 150));
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
    el.dataset.phase = "rendered";
    show();
    return () => {};
  },
};
