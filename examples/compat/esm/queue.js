// Messages that arrive while initialize is still running must wait for it: this initialize
// registers its listeners only after a pause, and Python sent a message and an update at once.
const received = new Map();

export default {
  async initialize({ model }) {
    await new Promise((resolve) => setTimeout(resolve, 400));
    const got = [];
    received.set(model.model_id, got);
    model.on("msg:custom", (content) => got.push(`custom:${content.hello}`));
    model.on("change:greeting", (_m, value) => got.push(`change:${value}`));
  },
  render({ model, el }) {
    const show = () => (el.dataset.received = (received.get(model.model_id) ?? []).join(" "));
    el.innerHTML = `<button class="look" type="button">look</button>`;
    el.querySelector(".look").addEventListener("click", show);
    show();
  },
};
