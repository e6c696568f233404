// A traitlets.Bytes trait both ways: the page sets `payload`, Python answers `reply` (reversed).
const hex = (v) => (v ? Array.from(new Uint8Array(v.buffer ?? v, v.byteOffset ?? 0, v.byteLength), (b) => b.toString(16).padStart(2, "0")).join("") : "");

export default {
  render({ model, el }) {
    el.innerHTML = `<button class="send" type="button">set payload</button>`;
    const show = () => {
      const reply = model.get("reply");
      el.dataset.reply = hex(reply);
      el.dataset.replyKind = reply?.constructor?.name ?? "none";
    };
    model.on("change:reply", show);
    el.querySelector(".send").addEventListener("click", () => {
      model.set("payload", new DataView(new Uint8Array([1, 2, 3, 0, 254]).buffer));
      model.save_changes();
    });
  },
};
