// What the worker posts to the page, in the envelopes of docs/protocol.md ("Envelope"): its own
// JavaScript's messages (status, ready, errors) as {msg, buffers}, Python's frames as
// {text, buffers}, and the page buffers it is done with as {recycle}.
// @ts-check
import { RECYCLE_MIN_BYTES } from "../shared/pool.js";
import { ERROR, frameEnvelope, messageEnvelope, recycleEnvelope, STATUS } from "../shared/protocol.js";

/** @typedef {{type: string, [key: string]: any}} Message */

/**
 * @param {Message} msg
 * @param {ArrayBuffer[]} [buffers]
 */
export function post(msg, buffers = []) {
  self.postMessage(messageEnvelope(msg, buffers), { transfer: buffers });
}

/** Boot progress, shown in every placeholder. @param {string} stage @param {number} percent @param {string} [detail] */
export function status(stage, percent, detail = "") {
  post({ type: STATUS, stage, percent, detail });
}

/** An `error` message: a Python exception (a PythonError) or a JavaScript one.
 * @param {unknown} err @param {Partial<Message>} [where]  `key`, `comm_id` or `fatal`. */
export function postError(err, where = {}) {
  const e = /** @type {any} */ (err);
  const message = e && e.message ? String(e.message) : String(err);
  const isPython = e && e.type && typeof e.type === "string" && e.constructor && e.constructor.name === "PythonError";
  post({
    type: ERROR,
    ...where,
    error: { type: isPython ? e.type : (e && e.name) || "Error", message, traceback: (e && e.stack) || message },
  });
}

/** The ms spent in postFrame so far (relay.js takes it out of Python's share of a message). */
export const posting = { ms: 0 };

/** One frame of Python's messages (JSON text: one message or an array), parsed by the page, and
 * their buffers: Uint8Arrays fresh out of the wasm heap, transferred (undefined when there are
 * none). fh_anywidget.kernel.bridge calls it.
 * @param {string} text @param {any} arrays */
export function postFrame(text, arrays) {
  const started = performance.now();
  const list = /** @type {Uint8Array[]} */ (arrays ?? []);
  const buffers = /** @type {ArrayBuffer[]} */ (list.map((a) => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a.buffer : a.slice().buffer)));
  self.postMessage(frameEnvelope(text, buffers), { transfer: buffers });
  posting.ms += performance.now() - started;
}

/** Python has copied a page message's buffers into its memory: the large ones go back to the
 * page's pool (web/shared/pool.js). @param {ArrayBuffer[]} buffers */
export function recycle(buffers) {
  const spent = buffers.filter((b) => b.byteLength >= RECYCLE_MIN_BYTES);
  if (spent.length) self.postMessage(recycleEnvelope(spent), { transfer: spent });
}
