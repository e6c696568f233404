// 0.11 composition: the parent reaches its WidgetTrait child through host.getModel and renders it
// with host.getWidget.
export default {
  async render({ model, el, host, signal }) {
    const ref = model.get("child");
    el.dataset.ref = String(ref).startsWith("anywidget:") ? "anywidget:<id>" : String(ref);
    const child = await host.getModel(ref);
    const show = () => {
      el.dataset.childValue = String(child.get("value"));
      el.dataset.total = String(model.get("total"));
    };
    child.on("change:value", show);
    model.on("change:total", show);
    const widget = await host.getWidget(ref);
    el.dataset.exports = JSON.stringify(widget.exports);
    const slot = document.createElement("div");
    slot.className = "child-slot";
    el.append(slot);
    await widget.render({ el: slot, signal });
    show();
  },
};
