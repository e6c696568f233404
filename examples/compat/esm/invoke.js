// experimental.invoke of an @anywidget.experimental.command, and its timeout.
const hex = (view) => Array.from(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), (b) => b.toString(16).padStart(2, "0")).join("");

export default {
  render({ el, experimental }) {
    el.innerHTML = `<button class="add" type="button">invoke add</button> <button class="slow" type="button">invoke slow (200 ms timeout)</button>`;
    el.querySelector(".add").addEventListener("click", async () => {
      const [response, buffers] = await experimental.invoke("add", { a: 2, b: 3 }, { buffers: [new Uint8Array([7, 8, 9])] });
      el.dataset.response = JSON.stringify(response);
      el.dataset.buffers = buffers.map((b) => `${b.constructor.name}:${hex(b)}`).join(",");
    });
    el.querySelector(".slow").addEventListener("click", async () => {
      const started = performance.now();
      try {
        const [response] = await experimental.invoke("slow", {}, { timeout: 200 });
        el.dataset.slow = `resolved:${JSON.stringify(response)}`;
      } catch (err) {
        el.dataset.slow = `rejected:${String(err?.message ?? err)}`;
        el.dataset.slowMs = String(Math.round(performance.now() - started));
      }
    });
  },
};
