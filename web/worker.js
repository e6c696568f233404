// The browser worker: starts Pyodide from the site's own files, runs the widgets' Python,
// and relays the protocol (docs/protocol.md) between the page and fh_anywidget.kernel.
// Nothing is fetched from anywhere but the URLs the page's boot config names.
// @ts-check
import { BOOT, CREATE, ERROR, READY, STATUS } from "./protocol.js";

/** @typedef {{type: string, [key: string]: any}} Message */
/** @typedef {import("./protocol.js").BootConfig} BootConfig */

const SITE = "/home/pyodide/fh_anywidget";

/** @type {((text: string, buffers: ArrayBuffer[]) => void) | null} */
let handleInPython = null;
/** @type {any} */
let pyodide = null;
/** Messages are handled one at a time, in order (a create may wait for its bundles). */
let chain = Promise.resolve();
/** @type {Set<string>} */
const loadedBundles = new Set();
const started = performance.now();
/** @type {Record<string, number>} */
const timings = {};

/**
 * @param {Message} msg
 * @param {ArrayBuffer[]} [buffers]
 */
function post(msg, buffers = []) {
  self.postMessage({ msg, buffers }, { transfer: buffers });
}

/** @param {string} stage @param {number} percent @param {string} [detail] */
function status(stage, percent, detail = "") {
  post({ type: STATUS, stage, percent, detail });
}

/** @param {unknown} err @param {Partial<Message>} [where] */
function postError(err, where = {}) {
  const e = /** @type {any} */ (err);
  const message = e && e.message ? String(e.message) : String(err);
  const isPython = e && e.type && typeof e.type === "string" && e.constructor && e.constructor.name === "PythonError";
  post({
    type: ERROR,
    ...where,
    error: { type: isPython ? e.type : (e && e.name) || "Error", message, traceback: (e && e.stack) || message },
  });
}

self.addEventListener("error", (event) => {
  event.preventDefault(); // reported once, as a protocol error, not again as a worker error
  postError(event.error || event.message, { fatal: true });
});
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  postError(event.reason, { fatal: true });
});

/** @param {string} url */
const absolute = (url) => new URL(url, self.location.href).href;

/** @param {string} name */
function mark(name) {
  timings[name] = Math.round(performance.now() - started);
}

/** @param {BootConfig} config */
async function boot(config) {
  if (!config || !config.indexURL) {
    throw new Error(
      "[fh-anywidget] the page has no Python distribution to load; run `fh-anywidget dist module:app` and restart the server",
    );
  }
  const indexURL = absolute(config.indexURL);
  status("Loading Python", 5);
  const kernelBundle = fetchBytes(absolute(config.kernelBundle)); // in parallel with the runtime
  const { loadPyodide } = await import(indexURL + "pyodide.mjs");
  pyodide = await loadPyodide({
    indexURL,
    lockFileURL: absolute(config.lockFileURL),
    packageBaseUrl: indexURL, // never the CDN: a package missing here is an error, not a download
    fullStdLib: false,
    stdout: (/** @type {string} */ s) => console.log(s),
    stderr: (/** @type {string} */ s) => console.warn(s),
  });
  mark("pyodide");
  const total = config.packages.length;
  let loaded = 0;
  status("Installing packages", 45, `0/${total}`);
  await pyodide.loadPackage(config.packages, {
    checkIntegrity: true,
    messageCallback: (/** @type {string} */ line) => {
      if (line.startsWith("Loaded ")) {
        loaded += line.slice(7).split(",").length;
        status("Installing packages", 45 + Math.round((30 * Math.min(loaded, total)) / Math.max(total, 1)), `${Math.min(loaded, total)}/${total}`);
      }
    },
    errorCallback: (/** @type {string} */ line) => console.warn(line),
  });
  mark("packages");
  await unpack(await kernelBundle, `${SITE}/kernel`);
  status("Importing widgets", 80);
  const bridge = pyodide.pyimport("fh_anywidget.bridge");
  handleInPython = bridge.start(
    (/** @type {string} */ text, /** @type {any} */ arrays) => {
      const list = /** @type {Uint8Array[]} */ (arrays);
      const buffers = list.map((a) => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a.buffer : a.slice().buffer));
      post(JSON.parse(text), /** @type {ArrayBuffer[]} */ (buffers));
    },
  );
  bridge.destroy();
  mark("imported");
  post({ type: READY, timings });
}

/** @param {string} url */
async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`[fh-anywidget] ${url} answered ${response.status}: ${await response.text()}`);
  return response.arrayBuffer();
}

/** Unpack a zip into a folder and put that folder first on sys.path.
 * @param {ArrayBuffer} bytes @param {string} dir */
async function unpack(bytes, dir) {
  pyodide.unpackArchive(bytes, "zip", { extractDir: dir });
  pyodide.runPython(`import sys, importlib\nif ${JSON.stringify(dir)} not in sys.path: sys.path.insert(0, ${JSON.stringify(dir)})\nimportlib.invalidate_caches()`);
}

/** @param {string[]} urls */
async function ensureBundles(urls) {
  for (const url of urls || []) {
    if (loadedBundles.has(url)) continue;
    const name = url.split("/").pop() || "bundle";
    await unpack(await fetchBytes(absolute(url)), `${SITE}/bundles/${name.replace(/\W/g, "_")}`);
    loadedBundles.add(url);
  }
}

/** @param {Message} msg @param {ArrayBuffer[]} buffers */
async function handle(msg, buffers) {
  if (msg.type === CREATE) {
    try {
      await ensureBundles(msg.bundles);
    } catch (err) {
      postError(err, { key: msg.key });
      return;
    }
  }
  if (!handleInPython) throw new Error("[fh-anywidget] Python is not running");
  handleInPython(JSON.stringify(msg), buffers);
}

/** @type {Promise<void> | null} */
let booting = null;

self.addEventListener("message", (/** @type {MessageEvent} */ event) => {
  const { msg, buffers = [] } = /** @type {{msg: Message, buffers?: ArrayBuffer[]}} */ (event.data || {});
  if (!msg || typeof msg.type !== "string") {
    postError(new Error(`[fh-anywidget] the worker got a message without a type: ${JSON.stringify(event.data).slice(0, 200)}`));
    return;
  }
  if (msg.type === BOOT) {
    if (!booting) {
      const started = boot(msg.config).catch((err) => postError(err, { fatal: true }));
      booting = started;
      chain = chain.then(() => started);
    }
    return;
  }
  chain = chain.then(() => {
    if (!handleInPython) return; // boot failed: the fatal error was already reported
    return handle(msg, buffers).catch((err) => postError(err, { key: msg.key, comm_id: msg.comm_id }));
  });
});
