// Shows the point count that Python computed from a drawdata ScatterWidget.
export default {
  /** @param {{model: any, el: HTMLElement}} ctx */
  render({ model, el }) {
    const show = () => {
      el.dataset.count = String(model.get("count"));
      el.textContent = `Points Python has seen: ${model.get("count")}`;
    };
    model.on("change:count", show);
    show();
    return () => model.off("change:count", show);
  },
};
