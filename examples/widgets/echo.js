// The Echo widget's view: type hex bytes, send them to Python two ways, show what comes back.
// Every result is also put in a data- attribute as hex, so tests can compare byte for byte.

/** @param {unknown} value a DataView, ArrayBuffer or typed array @returns {Uint8Array} */
function bytesOf(value) {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new Uint8Array(0);
}

/** @param {Uint8Array} bytes */
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** @param {string} hex */
function fromHex(hex) {
  const clean = hex.replace(/[^0-9a-fA-F]/g, "");
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {{model: any, el: HTMLElement}} ctx */
function render({ model, el }) {
  el.classList.add("echo");
  el.innerHTML = `
    <label>Bytes (hex) <input class="echo-input" value="00017f80feff" spellcheck="false"></label>
    <button class="echo-set" type="button">Set payload trait</button>
    <button class="echo-send" type="button">Send as message (2 buffers)</button>
    <dl>
      <dt>sha256 from Python</dt><dd class="echo-digest"></dd>
      <dt>reversed_payload from Python</dt><dd class="echo-reversed"></dd>
      <dt>reply buffers from Python</dt><dd class="echo-reply"></dd>
    </dl>`;
  const input = /** @type {HTMLInputElement} */ (el.querySelector(".echo-input"));
  const show = () => {
    el.dataset.digest = model.get("digest");
    el.dataset.reversedHex = toHex(bytesOf(model.get("reversed_payload")));
    el.querySelector(".echo-digest").textContent = el.dataset.digest || "–";
    el.querySelector(".echo-reversed").textContent = el.dataset.reversedHex || "–";
  };

  el.querySelector(".echo-set").addEventListener("click", () => {
    const bytes = fromHex(input.value);
    el.dataset.sentHex = toHex(bytes);
    model.set("payload", new DataView(bytes.buffer));
    model.save_changes();
  });
  el.querySelector(".echo-send").addEventListener("click", () => {
    const bytes = fromHex(input.value);
    const doubled = new Uint8Array([...bytes, ...bytes]);
    el.dataset.sentHex = toHex(bytes);
    model.send({ op: "reverse" }, undefined, [new DataView(bytes.buffer), doubled.buffer]);
  });

  /** @param {any} content @param {DataView[]} buffers */
  const onCustom = (content, buffers) => {
    if (!content || content.op !== "reversed") return;
    const hexes = (buffers || []).map((b) => toHex(bytesOf(b)));
    el.dataset.replyHex = hexes.join(",");
    el.dataset.replyContent = JSON.stringify(content);
    el.querySelector(".echo-reply").textContent = `${hexes.join(" , ")} (lengths ${content.lengths.join(", ")})`;
  };

  model.on("change:digest", show);
  model.on("change:reversed_payload", show);
  model.on("msg:custom", onCustom);
  show();
  return () => {
    model.off("change:digest", show);
    model.off("change:reversed_payload", show);
    model.off("msg:custom", onCustom);
  };
}

export default { render };
