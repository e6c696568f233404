// Buffers nested in state: dict values and list elements, Python -> page and page -> Python.
const hex = (view) => view instanceof DataView
  ? Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), (b) => b.toString(16).padStart(2, "0")).join("")
  : `not-a-DataView:${JSON.stringify(view)}`;

export default {
  render({ model, el }) {
    el.innerHTML = `<button class="send" type="button">send nested buffers</button>`;
    const show = () => {
      const n = model.get("from_python");
      el.dataset.fromPython = JSON.stringify({ dict_value: hex(n.a.b), list_0: hex(n.items[0]), list_1: n.items[1], list_2: hex(n.items[2]), text: n.text });
      el.dataset.pythonSaw = model.get("python_saw");
    };
    model.on("change:python_saw", show);
    el.querySelector(".send").addEventListener("click", () => {
      model.set("from_page", {
        x: { y: new DataView(new Uint8Array([10, 11]).buffer) },
        l: [new Uint8Array([12]), "s", new DataView(new Uint8Array([13, 14, 15]).buffer)],
      });
      model.save_changes();
    });
    show();
  },
};
