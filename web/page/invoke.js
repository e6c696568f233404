// `experimental.invoke`: call an `@anywidget.experimental.command` of the widget's Python
// and wait for its response.
// @ts-check

/** @typedef {{buffers?: Array<ArrayBuffer | ArrayBufferView>, signal?: AbortSignal, timeout?: number}} InvokeOptions */

export const DEFAULT_TIMEOUT_MS = 3000;

let counter = 0;
function newId() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID(); // secure contexts only
  counter += 1;
  return `${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Send custom `{id, kind: "anywidget-command", name, msg}` and resolve with
 * `[response, buffers]` when the custom `{id, kind: "anywidget-command-response", response}`
 * comes back. Rejects when `signal` aborts, and after `timeout` ms (default 3 s when no
 * signal is given, as anywidget; pass `timeout` to have both).
 * @param {import("./model.js").Model} model
 * @param {string} name
 * @param {any} msg
 * @param {InvokeOptions} [options]
 * @returns {Promise<[any, DataView[]]>}
 */
export function invoke(model, name, msg, { buffers = [], signal, timeout } = {}) {
  const id = newId();
  const ms = timeout ?? (signal ? undefined : DEFAULT_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const owner = { invoke: id };
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    const finish = () => {
      model.offOwner(owner);
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      finish();
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    if (ms !== undefined && Number.isFinite(ms)) {
      timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `[fh-anywidget] command "${name}" got no response in ${ms} ms; check that the widget's Python class ` +
              `has an @anywidget.experimental.command named "${name}", or pass a longer { timeout } to invoke`,
          ),
        );
      }, ms);
    }
    model.on(
      "msg:custom",
      (/** @type {any} */ content, /** @type {DataView[]} */ received) => {
        if (!content || content.id !== id) return;
        finish();
        resolve([content.response, received]);
      },
      owner,
    );
    model.send({ id, kind: "anywidget-command", name, msg }, undefined, buffers);
  });
}
