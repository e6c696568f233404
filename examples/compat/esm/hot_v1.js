// Version 1 of a module that Python replaces at run time (what anywidget's hot reload does).
function log(what) {
  (globalThis.compatHot ??= []).push(what);
}

export default {
  initialize({ model }) {
    model.on("change:seen", () => log("v1-listener"));
    return () => log("v1-initialize-cleanup");
  },
  render({ model, el }) {
    el.dataset.version = "1";
    el.innerHTML = `<b>version 1</b> <button class="bump" type="button">bump</button>
      <button class="reload" type="button">reload _esm from Python</button> <span class="seen"></span>`;
    const show = () => (el.querySelector(".seen").textContent = `python saw ${model.get("seen")}`);
    el.querySelector(".bump").addEventListener("click", () => {
      model.set("value", model.get("value") + 1);
      model.save_changes();
    });
    el.querySelector(".reload").addEventListener("click", () => model.send({ op: "reload" }));
    model.on("change:seen", show);
    show();
    return () => log("v1-render-cleanup");
  },
};
