// The Choice's view: a button per option; the chosen one is pressed.

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  el.classList.add("choice");
  el.setAttribute("role", "group");
  const show = () => {
    el.replaceChildren(
      ...model.get("options").map((/** @type {string} */ option) => {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = option;
        button.setAttribute("aria-pressed", String(option === model.get("value")));
        button.style.fontWeight = option === model.get("value") ? "700" : "400";
        button.addEventListener("click", () => {
          model.set("value", option);
          model.save_changes();
        });
        return button;
      }),
    );
    el.dataset.value = model.get("value");
  };
  model.on("change:value", show);
  model.on("change:options", show);
  show();
  return () => {
    model.off("change:value", show);
    model.off("change:options", show);
  };
}

export default { render };
