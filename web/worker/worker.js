// The Pyodide worker's entry. It imports nothing, so that it runs as soon as its own bytes are in:
// a module with imports runs only once all of them are fetched, a round trip (and, over
// HTTP/1.1, a wait for one of the browser's six connections) that the boot's big downloads
// would otherwise wait for too. It starts those downloads at once, from the boot config's
// `early` list (py/fh_anywidget/host.py: the wasm, the memory snapshot, the data files' pack, the
// kernel bundle; Pyodide's two modules as imports), then loads the relay (relay.js, which takes
// the responses from download.js's takeEarly) and hands it every message, in order.
// Nothing is asked for early when the boot is not a snapshot boot: the plain boot is unchanged.
// @ts-check

/** The page URL's switch that turns the snapshot off (web/worker/boot-config.js SNAPSHOT_PARAM,
 * spelled out: this module imports nothing; tests/js/worker/worker-entry.test.js checks they agree). */
const SNAPSHOT_OFF = "fh-anywidget-snapshot";

/** Responses asked for early, by absolute URL; relay.js takes them (each once). @type {Map<string, {response: Promise<Response>, controller: AbortController}>} */
const early = new Map();
/** Messages that arrived before the relay: handed to it in order. @type {MessageEvent[]} */
const waiting = [];
/** @type {((event: MessageEvent) => void) | null} */
let receive = null;

/** The URLs a boot message's config asks for early, if it is a snapshot boot the page URL keeps.
 * @param {any} data  The first message's envelope ({msg, buffers}). @returns {{fetch: string[], imports: string[]}} */
export function earlyRequests(data) {
  const msg = data && data.msg;
  const config = msg && msg.type === "boot" ? msg.config : null;
  const list = config && config.snapshot && config.early;
  if (!list) return { fetch: [], imports: [] };
  try {
    if (new URL(String(msg.pageURL)).searchParams.get(SNAPSHOT_OFF) === "off") return { fetch: [], imports: [] };
  } catch {
    // not a URL (about:blank, tests): the host's config stands
  }
  const absolute = (/** @type {unknown} */ url) => new URL(String(url), self.location.href).href;
  return { fetch: (list.fetch || []).map(absolute), imports: (list.imports || []).map(absolute) };
}

/** @param {any} data */
function startEarly(data) {
  const { fetch: urls, imports } = earlyRequests(data);
  for (const url of urls) {
    const controller = new AbortController();
    const response = fetch(url, { signal: controller.signal });
    response.catch(() => {}); // the relay reports a failure when it takes the response
    early.set(url, { response, controller });
  }
  for (const url of imports) import(url).catch(() => {}); // the boot's own import of it joins this one
}

/** The relay could not load: say so as the protocol's fatal error, spelled out (outbox.js postError). @param {unknown} err */
function failed(err) {
  const e = /** @type {any} */ (err);
  const message = `[fh-anywidget] the worker could not load its modules (${e && e.message ? e.message : String(err)}); reload the page`;
  self.postMessage({ msg: { type: "error", fatal: true, error: { type: (e && e.name) || "Error", message, traceback: (e && e.stack) || message } }, buffers: [] });
}

self.addEventListener("message", (/** @type {MessageEvent} */ event) => {
  if (receive) return receive(event);
  if (!waiting.length) {
    startEarly(event.data);
    import("./relay.js").then((relay) => {
      receive = relay.start(early);
      for (const queued of waiting.splice(0)) receive(queued);
    }, failed);
  }
  waiting.push(event);
});
