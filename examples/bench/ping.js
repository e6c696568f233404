// Ping's view, for scripts/bench. On render it clicks its own button once: the page's time of
// Python's answer is `window.fhBench.firstAnswerMs` (ms since navigation start). It also puts
// `window.fhBench` functions that scripts/bench calls to measure round trips and transfers.

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  el.innerHTML = `<button class="ping-button" type="button">Ping Python</button> <span class="ping-echo"></span>`;
  const button = el.querySelector(".ping-button");
  const echo = el.querySelector(".ping-echo");
  /** @type {Map<number, () => void>} */
  const waiting = new Map();
  /** @type {((content: any, buffers: DataView[]) => void) | null} */
  let onCustom = null;

  const show = () => {
    const n = model.get("echo");
    echo.textContent = `Python saw ${n}`;
    el.dataset.echo = String(n);
    if (n === 1 && window.fhBench.firstAnswerMs === null) window.fhBench.firstAnswerMs = performance.now();
    waiting.get(n)?.();
    waiting.delete(n);
  };
  model.on("change:echo", show);
  model.on("msg:custom", (content, buffers) => onCustom?.(content, buffers));
  button.addEventListener("click", () => {
    model.set("n", model.get("n") + 1);
    model.save_changes();
  });

  /** @param {number} n */
  const setAndWait = (n) =>
    new Promise((resolve) => {
      waiting.set(n, resolve);
      model.set("n", n);
      model.save_changes();
    });
  /** @param {any} content @param {ArrayBuffer[]} [buffers] */
  const request = (content, buffers = []) =>
    new Promise((resolve) => {
      onCustom = (reply, replyBuffers) => resolve([reply, replyBuffers]);
      model.send(content, undefined, buffers);
    });

  window.fhBench = {
    firstAnswerMs: null,
    /** µs per round trip (set n -> Python observer -> echo back), `count` times */
    async rtt(count) {
      const times = [];
      let n = model.get("n");
      for (let i = 0; i < count; i++) {
        const t = performance.now();
        await setAndWait(++n);
        times.push((performance.now() - t) * 1000);
      }
      return times;
    },
    /** turn ipywidgets' echo_update on or off in Python @param {boolean} on */
    async setEcho(on) {
      const [reply] = await request({ op: "echo", on });
      if (reply.on !== on) throw new Error(`Python's echo_update is ${reply.on}, not ${on}`);
    },
    /** ms to send `bytes` to Python in one buffer and hear that it arrived */
    async toPython(bytes) {
      const buffer = new Uint8Array(bytes).fill(7).buffer;
      const t = performance.now();
      const [reply] = await request({ op: "sink" }, [buffer]);
      if (reply.bytes !== bytes) throw new Error(`Python got ${reply.bytes} bytes, not ${bytes}`);
      return performance.now() - t;
    },
    /** ms for Python to send one buffer of `bytes` (made beforehand) to the page */
    async fromPython(bytes) {
      await request({ op: "prepare", bytes });
      const t = performance.now();
      const [, buffers] = await request({ op: "source" });
      const ms = performance.now() - t;
      if (buffers[0].byteLength !== bytes) throw new Error(`got ${buffers[0].byteLength} bytes, not ${bytes}`);
      return ms;
    },
  };
  show();
  if (el.closest("[data-autoclick]")) button.click();
}

export default { render };
