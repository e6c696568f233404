// msg:custom with binary buffers, both ways.
const hex = (view) => Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), (b) => b.toString(16).padStart(2, "0")).join("");

export default {
  render({ model, el }) {
    el.innerHTML = `<button class="send" type="button">send 2 buffers</button>`;
    model.on("msg:custom", (content, buffers) => {
      if (content?.op !== "reversed") return;
      el.dataset.kinds = buffers.map((b) => b.constructor.name).join(",");
      el.dataset.reply = buffers.map(hex).join(",");
      el.dataset.lengths = JSON.stringify(content.lengths);
    });
    el.querySelector(".send").addEventListener("click", () => {
      const first = new Uint8Array([0, 1, 2, 255]);
      const second = new DataView(new Uint8Array([16, 32, 48]).buffer);
      model.send({ op: "reverse" }, undefined, [first, second]);
    });
  },
};
