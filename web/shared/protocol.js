// The names of the fh-anywidget protocol, defined once for the page (mirrors
// py/fh_anywidget/kernel/protocol.py; see docs/protocol.md). Every message is a JSON-able
// object plus a list of binary buffers.
// @ts-check

/** The Jupyter widget message protocol version that comm_open metadata announces. */
export const PROTOCOL_VERSION = "2.1.0";
export const WIDGET_TARGET = "jupyter.widget";

// message types, page -> Python
export const CREATE = "create";
export const COMM_MSG = "comm_msg";
export const COMM_CLOSE = "comm_close";
/** Server mode: the page has received Python's custom messages up to `oseq` (see OSEQ). */
export const ACK = "ack";
// message types, Python -> page
export const COMM_OPEN = "comm_open";
export const CREATED = "created";
export const ERROR = "error";
// worker-only messages (the worker's own JavaScript)
export const BOOT = "boot";
export const STATUS = "status";
export const READY = "ready";
// server mode (docs/protocol.md, "Server transport")
/** Server mode, Python -> page: `{type: "degraded", degraded: boolean, message: string}`: the server cannot reach its broker (Redis) for now, or can again. */
export const DEGRADED = "degraded";
/** Server mode: the number Python gives each custom message it sends a page; held until acknowledged. */
export const OSEQ = "oseq";
/** Server mode: HTML for the page to swap in out of band (`host.push`), `{type, html}`. */
export const SWAP = "swap";
/** The field of a message that counts its buffers, when a frame carries several (see unframe). */
export const NBUFFERS = "nbuffers";

// the page in the FastHTML app (docs/protocol.md, "In the app"): the header naming a page's server
// side on its htmx requests, the response header and the element carrying `host.update`s
export const PAGE_HEADER = "FHAW-Page";
export const UPDATE_HEADER = "FHAW-Update";
export const UPDATE_ATTR = "data-fh-anywidget-update";

// data.method values of comm_msg
export const UPDATE = "update";
export const ECHO_UPDATE = "echo_update";
export const REQUEST_STATE = "request_state";
export const CUSTOM = "custom";

// the worker's envelope: the keys of what one postMessage between the page and the worker carries
// (docs/protocol.md, "Envelope"): `{msg, buffers}` one message as an object (the page's, and the
// worker's own JavaScript's), `{text, buffers}` one frame of Python's messages (see unframe),
// `{recycle}` page buffers the worker gives back (web/shared/pool.js)
export const ENVELOPE_MSG = "msg";
export const ENVELOPE_TEXT = "text";
export const ENVELOPE_BUFFERS = "buffers";
export const ENVELOPE_RECYCLE = "recycle";

/** One message and its buffers, as the page sends it and the worker's JavaScript answers.
 * @template M @param {M} msg @param {ArrayBuffer[]} buffers */
export const messageEnvelope = (msg, buffers) => ({ [ENVELOPE_MSG]: msg, [ENVELOPE_BUFFERS]: buffers });

/** One frame of Python's messages (JSON text) and its buffers, as the worker sends it.
 * @param {string} text @param {ArrayBuffer[]} buffers */
export const frameEnvelope = (text, buffers) => ({ [ENVELOPE_TEXT]: text, [ENVELOPE_BUFFERS]: buffers });

/** Page buffers the worker is done with, given back for the page's pool. @param {ArrayBuffer[]} buffers */
export const recycleEnvelope = (buffers) => ({ [ENVELOPE_RECYCLE]: buffers });

/**
 * What a received envelope holds; a key it lacks is undefined (`buffers`: an empty list).
 * @param {any} data  A MessageEvent's `data`.
 * @returns {{msg: any, text: any, recycle: any, buffers: ArrayBuffer[]}}
 */
export function openEnvelope(data) {
  const envelope = data || {};
  const buffers = envelope[ENVELOPE_BUFFERS];
  return { msg: envelope[ENVELOPE_MSG], text: envelope[ENVELOPE_TEXT], recycle: envelope[ENVELOPE_RECYCLE], buffers: buffers === undefined ? [] : buffers };
}

/**
 * The buffers a parsed frame announces: the sum of its messages' `nbuffers`.
 * @param {any} parsed  A frame's parsed JSON: one message object or an array of them.
 */
export function announcedBuffers(parsed) {
  const msgs = Array.isArray(parsed) ? parsed : [parsed];
  return msgs.reduce((n, msg) => n + (msg && Number.isInteger(msg[NBUFFERS]) && msg[NBUFFERS] > 0 ? msg[NBUFFERS] : 0), 0);
}

/**
 * The messages of one frame, each with its buffers (mirrors `frame` in py/fh_anywidget/kernel/protocol.py):
 * an object is one message, an array several; a message takes `nbuffers` buffers, in order, and
 * a lone message without `nbuffers` takes them all. `nbuffers` is removed from the messages.
 * @param {any} parsed  The frame's parsed JSON.
 * @param {ArrayBuffer[]} buffers  The frame's buffers.
 * @returns {Array<[any, ArrayBuffer[]]>}
 */
export function unframe(parsed, buffers) {
  if (!Array.isArray(parsed)) {
    if (parsed && typeof parsed === "object") delete parsed[NBUFFERS];
    return [[parsed, buffers]];
  }
  /** @type {Array<[any, ArrayBuffer[]]>} */
  const out = [];
  let at = 0;
  for (const msg of parsed) {
    const n = msg && Number.isInteger(msg[NBUFFERS]) && msg[NBUFFERS] > 0 ? msg[NBUFFERS] : 0;
    if (msg && typeof msg === "object") delete msg[NBUFFERS];
    out.push([msg, buffers.slice(at, at + n)]);
    at += n;
  }
  return out;
}

/** The prefix of 0.11 widget references (`anywidget.WidgetTrait`). */
export const WIDGET_REF_PREFIX = "anywidget:";

/**
 * @typedef {{type: string, message: string, traceback: string}} ErrorInfo
 *   A Python exception (or a JavaScript one, with the stack as `traceback`).
 *
 * @typedef {Record<string, any>} State  A model's attributes.
 *
 * @typedef {{state: State, buffer_paths: Array<Array<string | number>>}} StateData
 *
 * @typedef {{method: "update", state: State, buffer_paths?: Array<Array<string | number>>}} UpdateData
 * @typedef {{method: "echo_update", state: State, buffer_paths?: Array<Array<string | number>>}} EchoUpdateData
 * @typedef {{method: "request_state"}} RequestStateData
 * @typedef {{method: "custom", content: any}} CustomData
 * @typedef {UpdateData | EchoUpdateData | RequestStateData | CustomData} CommData
 *
 * @typedef {{key: string, mode?: string, target: string, kwargs?: Record<string, any>, bundles?: string[],
 *   scope?: "page" | "app", grant?: string, args?: string}} WidgetSpec
 *   What a placeholder's `data-fh-anywidget` holds (`scope`, `grant` and `args`, a keyed digest of
 *   the arguments sealed in the grant: server mode only, which has no `kwargs`).
 *
 * @typedef {{type: "create", key: string, target: string, kwargs: Record<string, any>, bundles: string[],
 *   scope?: "page" | "app", grant?: string}} CreateMessage
 * @typedef {{type: "comm_msg", comm_id: string, data: CommData, seq?: number}} PageCommMessage
 *   `seq` is left out only by the server transport's own request_state after a reconnect.
 * @typedef {{type: "comm_close", comm_id: string}} CommCloseMessage
 * @typedef {{type: "boot", config: BootConfig, pageURL?: string}} BootMessage
 *   `pageURL`: the page's URL; `?fh-anywidget-snapshot=off` in it turns the snapshot off (web/worker/boot-config.js).
 *
 * @typedef {{type: "comm_open", comm_id: string, target_name: string, data: StateData, metadata?: {version: string}}} CommOpenMessage
 * @typedef {{type: "comm_msg", comm_id: string, data: CommData, parent: number | null}} PythonCommMessage
 * @typedef {{type: "created", key: string, model_id: string}} CreatedMessage
 * @typedef {{type: "error", key?: string, comm_id?: string, fatal?: boolean, error: ErrorInfo}} ErrorMessage
 * @typedef {{type: "swap", html: string}} SwapMessage  Server mode: HTML to swap in out of band (`host.push`).
 * @typedef {{type: "status", stage: string, percent: number, detail?: string}} StatusMessage
 * @typedef {{type: "ready", timings?: Record<string, number | string>, page?: string, resumed?: boolean, last_seq?: number}} ReadyMessage
 *   In server mode `page`, `resumed` and `last_seq` describe the page's server side (docs/protocol.md).
 *
 * @typedef {CreateMessage | PageCommMessage | CommCloseMessage | BootMessage} PageMessage
 * @typedef {CommOpenMessage | PythonCommMessage | CommCloseMessage | CreatedMessage | ErrorMessage | StatusMessage | ReadyMessage | SwapMessage} PythonMessage
 *
 * @typedef {{url: string, size: number, packURL: string, packSize?: number, sitePackages: string,
 *   dataURL?: string, dataSize?: number,
 *   sourcesURL?: string, sourcesSize?: number, sourceNames?: string[], delta?: string, loadPackages?: string[]}} SnapshotConfig
 *   The memory snapshot to restore (its URL, gunzipped by the worker if it ends in `.gz`, and its raw size) and the site-packages pack it needs
 *   (gzipped when `packSize`, its raw size, is given: in a newer dist, the data files as empty
 *   placeholders, and `dataURL` the pack of their contents, downloaded after the first answer or when
 *   Python opens one of them, gzipped when `dataSize` is given); the pack of the Python sources, downloaded
 *   after the first answer (gzipped when `sourcesSize` is given), and the top-level names they are
 *   of (a dist without `sourcesURL` has the sources in the first pack); `delta` "initial-memory":
 *   the snapshot is XORed with the module's initial memory (web/worker/snapshot-delta.js);
 *   `loadPackages`: the lock names of the packages with compiled code, which a snapshot cannot hold,
 *   installed after the restore.
 * @typedef {{indexURL: string, lockFileURL: string, packages: string[], kernelBundle: string,
 *   snapshot?: SnapshotConfig | null, snapshotProblem?: string | null,
 *   early?: {fetch: string[], imports: string[]}}} BootConfig
 *   `early`: what a snapshot boot fetches and imports first, asked for by the worker's entry
 *   (web/worker/worker.js) before its other modules are in.
 *
 * @typedef {object} Transport  How messages cross to Python (worker: postMessage; server: WebSocket).
 * @property {(msg: PageMessage, buffers?: ArrayBuffer[]) => void} send
 *   Send one message. The transport must not detach the caller's buffers.
 * @property {((msg: PythonMessage, buffers: ArrayBuffer[]) => void) | null} onmessage
 *   Set by the manager; the transport calls it for every message from Python, and turns its
 *   own failures into `error` messages (with `fatal: true` when nothing more will arrive).
 * @property {() => void} close
 */
