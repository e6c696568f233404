// The page side of the worker transport: one module Worker running Pyodide (web/worker/worker.js),
// messages as `{msg, buffers}` over postMessage (docs/protocol.md).
// @ts-check

import { BufferPool } from "../shared/pool.js";
import { BOOT, ERROR, messageEnvelope, openEnvelope, unframe } from "../shared/protocol.js";

/** @typedef {import("../shared/protocol.js").Transport} Transport */
/** @typedef {import("../shared/protocol.js").BootConfig} BootConfig */
/**
 * The part of `Worker` used here (tests pass a fake).
 * @typedef {{postMessage(data: any, transfer?: Transferable[]): void, terminate(): void,
 *   addEventListener(type: string, listener: (event: any) => void): void,
 *   onmessage?: any, onerror?: any, onmessageerror?: any}} WorkerLike
 */
/** A worker that web/inline/early.js started (and sent `boot`) while the page loaded, with the events
 * it got before the runtime took it. @typedef {{worker: WorkerLike, events: any[]}} EarlyWorker */

/**
 * Take the worker web/inline/early.js started, once: the first worker transport of the page adopts it.
 * @param {any} scope  The page's global object.
 * @returns {EarlyWorker | null}
 */
export function takeEarlyWorker(scope) {
  const early = scope && scope.fhAnywidgetEarly;
  if (!early || !early.worker) return null;
  scope.fhAnywidgetEarly = { taken: true }; // a later starter on this page (htmx swap) does nothing
  return early;
}

/**
 * Start the worker and boot Python in it. The worker's failures (it cannot load, a message
 * cannot be read) arrive as protocol `error` messages.
 * @param {object} options
 * @param {string | URL} options.url  The worker script (same origin).
 * @param {BootConfig} options.boot
 * @param {string} [options.pageURL]  The page's URL (the worker reads `?fh-anywidget-snapshot=off` in it).
 * @param {EarlyWorker | null} [options.early]  A worker already started and booting (web/inline/early.js).
 * @param {new (url: string | URL, options?: WorkerOptions) => WorkerLike} [options.WorkerClass]
 * @returns {Transport}
 */
export function createWorkerTransport({ url, boot, pageURL, early = null, WorkerClass = globalThis.Worker }) {
  const pool = new BufferPool();
  /** @type {Transport} */
  const transport = {
    onmessage: null,
    send(msg, buffers = []) {
      // The widget keeps its own ArrayBuffers (it may set or send them again), so the worker gets
      // copies made with one memcpy each and transferred: twice as fast as postMessage's clone.
      // Large copies go into buffers the worker gave back (web/shared/pool.js).
      const copies = buffers.map((buffer) => pool.copy(buffer));
      worker?.postMessage(messageEnvelope(msg, copies), copies);
    },
    close() {
      worker?.terminate();
      worker = null;
      pool.clear();
    },
  };
  /** @param {string} message @param {string} traceback @param {boolean} fatal */
  const fail = (message, traceback, fatal) => {
    const msg = /** @type {const} */ ({ type: ERROR, fatal, error: { type: "WorkerError", message, traceback } });
    queueMicrotask(() => transport.onmessage?.(msg, []));
  };

  /** @type {WorkerLike | null} */
  let worker = null;
  if (early) {
    worker = early.worker;
    worker.onmessage = worker.onerror = worker.onmessageerror = null; // the early starter's queue
  } else {
    try {
      worker = new WorkerClass(url, { type: "module", name: "fh-anywidget" });
    } catch (err) {
      fail(`[fh-anywidget] could not start the worker ${url}: ${err instanceof Error ? err.message : err}; it must be a same-origin URL`, "", true);
      return transport;
    }
  }
  /** @param {any} event */
  const onMessage = (event) => {
    const { msg, text, recycle, buffers } = openEnvelope(event.data);
    if (Array.isArray(recycle)) {
      recycle.forEach((buffer) => pool.put(buffer)); // copies the worker is done with
      return;
    }
    if (typeof text === "string") {
      // Python's messages: one frame of JSON text (a message, or an array sent together)
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch {
        console.warn("[fh-anywidget] the worker sent text that is not JSON; ignored:", text.slice(0, 200));
        return;
      }
      for (const [one, own] of unframe(parsed, buffers)) transport.onmessage?.(one, own);
      return;
    }
    if (!msg || typeof msg.type !== "string") {
      console.warn("[fh-anywidget] the worker sent something that is neither {msg, buffers} nor {text, buffers}; ignored:", event.data);
      return;
    }
    transport.onmessage?.(msg, buffers);
  };
  /** @param {any} event */
  const onError = (event) => {
    event.preventDefault?.();
    const where = event.filename ? `${event.filename}:${event.lineno}` : String(url);
    fail(
      `[fh-anywidget] the worker failed: ${event.message || `${url} could not be loaded; check that it is served (same origin) as JavaScript`}`,
      where,
      true,
    );
  };
  const onMessageError = () => {
    fail("[fh-anywidget] a message from the worker could not be read (structured clone failed); it was lost", "", false);
  };
  worker.addEventListener("message", onMessage);
  worker.addEventListener("error", onError);
  worker.addEventListener("messageerror", onMessageError);
  if (early) {
    // what the worker said before the runtime was there, in order, once the manager listens
    const handlers = /** @type {Record<string, (event: any) => void>} */ ({ message: onMessage, error: onError, messageerror: onMessageError });
    const missed = early.events.splice(0);
    queueMicrotask(() => missed.forEach((event) => handlers[event.type]?.(event)));
  } else {
    worker.postMessage(messageEnvelope({ type: BOOT, config: boot, pageURL }, []));
  }
  return transport;
}
