// Shared by the anywidget.experimental fixtures (MimeBundleDescriptor, @widget, @dataclass).
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
    model.on("change:value", show);
    model.on("change:seen", show);
    show();
  },
};
