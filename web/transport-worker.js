// The page side of the worker transport: one module Worker running Pyodide (web/worker.js),
// messages as `{msg, buffers}` over postMessage (docs/protocol.md).
// @ts-check

import { BOOT, ERROR } from "./protocol.js";

/** @typedef {import("./protocol.js").Transport} Transport */
/** @typedef {import("./protocol.js").BootConfig} BootConfig */
/**
 * The part of `Worker` used here (tests pass a fake).
 * @typedef {{postMessage(data: any, transfer?: Transferable[]): void, terminate(): void,
 *   addEventListener(type: string, listener: (event: any) => void): void}} WorkerLike
 */

/**
 * Start the worker and boot Python in it. The worker's failures (it cannot load, a message
 * cannot be read) arrive as protocol `error` messages.
 * @param {object} options
 * @param {string | URL} options.url  The worker script (same origin).
 * @param {BootConfig} options.boot
 * @param {new (url: string | URL, options?: WorkerOptions) => WorkerLike} [options.WorkerClass]
 * @returns {Transport}
 */
export function createWorkerTransport({ url, boot, WorkerClass = globalThis.Worker }) {
  /** @type {Transport} */
  const transport = {
    onmessage: null,
    send(msg, buffers = []) {
      // The widget keeps its own ArrayBuffers (it may set or send them again), so the worker gets
      // copies made with one memcpy each and transferred: twice as fast as postMessage's clone.
      const copies = buffers.map((buffer) => buffer.slice(0));
      worker?.postMessage({ msg, buffers: copies }, copies);
    },
    close() {
      worker?.terminate();
      worker = null;
    },
  };
  /** @param {string} message @param {string} traceback @param {boolean} fatal */
  const fail = (message, traceback, fatal) => {
    const msg = /** @type {const} */ ({ type: ERROR, fatal, error: { type: "WorkerError", message, traceback } });
    queueMicrotask(() => transport.onmessage?.(msg, []));
  };

  /** @type {WorkerLike | null} */
  let worker = null;
  try {
    worker = new WorkerClass(url, { type: "module", name: "fh-anywidget" });
  } catch (err) {
    fail(`[fh-anywidget] could not start the worker ${url}: ${err instanceof Error ? err.message : err}; it must be a same-origin URL`, "", true);
    return transport;
  }
  worker.addEventListener("message", (event) => {
    const { msg, buffers = [] } = event.data || {};
    if (!msg || typeof msg.type !== "string") {
      console.warn("[fh-anywidget] the worker sent something that is not {msg, buffers}; ignored:", event.data);
      return;
    }
    transport.onmessage?.(msg, buffers);
  });
  worker.addEventListener("error", (event) => {
    event.preventDefault?.();
    const where = event.filename ? `${event.filename}:${event.lineno}` : String(url);
    fail(
      `[fh-anywidget] the worker failed: ${event.message || `${url} could not be loaded; check that it is served (same origin) as JavaScript`}`,
      where,
      true,
    );
  });
  worker.addEventListener("messageerror", () => {
    fail("[fh-anywidget] a message from the worker could not be read (structured clone failed); it was lost", "", false);
  });
  worker.postMessage({ msg: { type: BOOT, config: boot }, buffers: [] });
  return transport;
}
