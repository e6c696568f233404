// The browser worker: starts Pyodide from the site's own files, runs the widgets' Python,
// and relays the protocol (docs/protocol.md) between the page and fh_anywidget.kernel.
// Nothing is fetched from anywhere but the URLs the page's boot config names.
// @ts-check
import { bootConfig } from "./boot-config.js";
import { readPack, writeFiles, writePack } from "./pack.js";
import { RECYCLE_MIN_BYTES } from "./pool.js";
import { forget, opfsRoot, readStored, store, storedName } from "./store.js";
import { BOOT, CREATE, ERROR, READY, STATUS } from "./protocol.js";

/** @typedef {{type: string, [key: string]: any}} Message */
/** @typedef {import("./protocol.js").BootConfig} BootConfig */

const SITE = "/home/pyodide/fh_anywidget";

/** Python's handler of one page message: its JSON text, and its buffers (undefined, which Python
 * sees as None, when it has none: most messages, which then cost Python no JS array to look into).
 * @type {((text: string, buffers: ArrayBuffer[] | undefined) => void) | null} */
let handleInPython = null;
/** @type {any} */
let pyodide = null;
/** Messages are handled one at a time, in order (a create may wait for its bundles). */
let chain = Promise.resolve();
/** @type {Set<string>} */
const loadedBundles = new Set();
const started = performance.now();
/** @type {Record<string, number | string>} */
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
  const kernelBundle = settled(fetchBytes(absolute(config.kernelBundle))); // in parallel with the runtime
  const loader = import(indexURL + "pyodide.mjs");
  // Pyodide imports its 1.2 MB Emscripten module only once loadPyodide runs: load it now, alongside
  const asm = settled(import(indexURL + "pyodide.asm.mjs"));
  if (config.snapshot) {
    try {
      try {
        await restoreSnapshot(config, indexURL, loader, asm, true);
      } catch (err) {
        if (!kept.used) throw err;
        // this browser's copy could not be restored: drop it, download the snapshot
        console.info(`[fh-anywidget] this browser's copy of the snapshot did not restore (${err instanceof Error ? err.message : err}); downloading it`);
        await forget(kept.root, kept.name);
        pyodide = pendingFiles = null;
        await restoreSnapshot(config, indexURL, loader, asm, false);
      }
    } catch (err) {
      pyodide = null;
      console.warn(
        `[fh-anywidget] could not restore Python from the memory snapshot (${err instanceof Error ? err.message : err}); ` +
          "booting from the packages instead (slower). Rebuild the distribution with `fh-anywidget dist module:app` and restart the server.",
      );
    }
  } else {
    console.warn(`[fh-anywidget] booting Python without the memory snapshot (slower first load): ${config.snapshotProblem || "none was given"}`);
  }
  if (!pyodide) await bootFromPackages(config, indexURL, loader);
  if (pendingFiles) pendingFiles.kernel = await kernelBundle; // the snapshot has the kernel imported
  else unpackKernel(await kernelBundle);
  status("Importing widgets", 80);
  const bridge = pyodide.pyimport("fh_anywidget.kernel.bridge");
  handleInPython = bridge.start(
    // one frame of Python's messages (JSON text: one message or an array), parsed by the page,
    // and their buffers (undefined when there are none)
    (/** @type {string} */ text, /** @type {any} */ arrays) => {
      const list = /** @type {Uint8Array[]} */ (arrays ?? []);
      const buffers = list.map((a) => (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a.buffer : a.slice().buffer));
      self.postMessage({ text, buffers }, { transfer: buffers });
    },
  );
  if (pendingFiles) bridge.defer_files(writePendingFiles, topLevelNames(pendingFiles.files));
  bridge.destroy();
  mark("imported");
  const trampoline = callTrampolineSlot(pyodide._module);
  if (trampoline !== null) timings.callTrampoline = pyodide._module.HEAP32[trampoline] ? "wasm-gc" : "js";
  timings.timeOrigin = performance.timeOrigin; // lines these ms up with the page's clock
  post({ type: READY, timings });
}

/** The pyodide options both boots share. @param {BootConfig} config @param {string} indexURL */
function pyodideOptions(config, indexURL) {
  return {
    indexURL,
    lockFileURL: absolute(config.lockFileURL),
    packageBaseUrl: indexURL, // never the CDN: a package missing here is an error, not a download
    fullStdLib: false,
    stdout: (/** @type {string} */ s) => console.log(s),
    stderr: (/** @type {string} */ s) => console.warn(s),
  };
}

/** The fast boot: restore the memory snapshot `fh-anywidget dist` made (Python with the stack,
 * the kernel and the app's packages imported). The site-packages files it was made with (a
 * snapshot holds memory, not files) are written later, by writePendingFiles. Sets `pyodide`;
 * throws if anything fails.
 * @param {BootConfig} config @param {string} indexURL @param {Promise<any>} loader
 * @param {Promise<any>} asm  The import of Pyodide's Emscripten module (pyodide.asm.mjs).
 * @param {boolean} useKept  Whether this browser's copy of the snapshot may be used. */
async function restoreSnapshot(config, indexURL, loader, asm, useKept) {
  const snapshot = /** @type {NonNullable<BootConfig["snapshot"]>} */ (config.snapshot);
  const wasmURL = indexURL + "pyodide.asm.wasm";
  const compiled = settled(WebAssembly.compileStreaming(fetch(wasmURL)).then((module) => (mark("compiled"), module)));
  // Pyodide gets the snapshot's buffer at once, still empty, and fills in the bytes as they come:
  // so it instantiates the module (patched: the one compiled here) and sets up its runtime (the
  // dynamic linking, the standard library's files) while they download. Only then does it
  // wait for them: the restore that follows reads them.
  const memory = new Uint8Array(snapshot.size);
  const filled = settled(fillSnapshot(memory, snapshot, useKept).then(() => mark("snapshot")));
  const packURL = absolute(snapshot.packURL);
  const pack = settled(
    snapshot.packSize === undefined
      ? fetchBytes(packURL).then((buffer) => new Uint8Array(buffer))
      : fetchGunzip(packURL, new Uint8Array(snapshot.packSize)),
  );
  // the standard library's zip, which Pyodide would ask for only once its loader is in
  /** @type {{url: string, response: Promise<Response>, used?: boolean}} */
  const stdlib = { url: indexURL + "python_stdlib.zip", response: settled(fetch(indexURL + "python_stdlib.zip")) };
  const { loadPyodide } = await loader;
  mark("loader");
  status("Restoring Python", 20);
  const unpatch = patchInstantiation({ bytes: snapshot.size, wasmURL, compiled, stdlib });
  try {
    pyodide = await Promise.race([
      loadPyodide({
        ...pyodideOptions(config, indexURL),
        _loadSnapshot: memory,
        createPyodideModule: async (/** @type {any} */ settings) => {
          const module = await (await asm).default(settings);
          keepCallTrampoline(module);
          await filled;
          return module;
        },
      }),
      // Pyodide only logs a failed instantiation and waits forever: fail here instead
      Promise.all([compiled, filled]).then(() => new Promise(() => {})),
    ]);
  } finally {
    unpatch();
  }
  mark("restored");
  // Data files now (widgets read theirs when they are made); Python sources after the first message
  const bytes = await pack;
  const data = writePack(pyodide.FS, bytes, snapshot.sitePackages, (path) => !isSource(path));
  pendingFiles = { files: readPack(bytes).filter(({ path }) => isSource(path)), root: snapshot.sitePackages, kernel: null };
  pyodide.pyimport("fh_anywidget.kernel.bridge").invalidate_caches(); // in the snapshot: imported already
  mark("data");
  // every visitor restores the same memory: give `random` a seed of its own
  pyodide.runPython("import sys\nif 'random' in sys.modules: sys.modules['random'].seed()");
  const source = kept.used ? "this browser's copy of the memory snapshot" : "the memory snapshot";
  console.info(`[fh-anywidget] Python restored from ${source} in ${timings.restored} ms (${data} data files written)`);
}

/** Keep the call trampoline CPython chose in this browser across the restore. CPython calls C
 * functions through a trampoline; at start-up it picks one made with wasm-gc where the engine has
 * wasm-gc, else one through JS, and notes its choice in its runtime state, in memory. A restore
 * overwrites that memory with the snapshot's, which holds the choice made where the snapshot was
 * made (Node.js 20, no wasm-gc: the JS one, which CPython says breaks stack switching; a Node.js
 * with wasm-gc would leave a table index that means nothing here). So: read this browser's choice
 * before the restore, put it back right after. Does nothing on a Pyodide that does not lay its
 * runtime out this way.
 * @param {any} module  Pyodide's Emscripten module, started, not yet restored. */
function keepCallTrampoline(module) {
  const slot = callTrampolineSlot(module);
  const api = module.API;
  if (slot === null || typeof api?.restoreSnapshot !== "function") return;
  const chosen = module.HEAP32[slot];
  const restore = api.restoreSnapshot;
  api.restoreSnapshot = function (/** @type {Uint8Array} */ bytes) {
    const state = restore.call(this, bytes);
    module.HEAP32[slot] = chosen;
    return state;
  };
}

/** Where in `module.HEAP32` CPython notes its call trampoline (0: the JS one, else the wasm-gc
 * one's table index), or null if this Pyodide does not say. @param {any} module */
function callTrampolineSlot(module) {
  const offsetAt = module.__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET;
  const runtime = module.__PyRuntime;
  if (typeof offsetAt !== "number" || typeof runtime !== "number") return null;
  return (runtime + module.HEAP32[offsetAt / 4]) / 4;
}

/** This browser's copy of the unpacked snapshot (web/store.js): where it is, whether this boot
 * used it, and the downloaded bytes to keep once the first widget answered.
 * @type {{root: any, name: string, used: boolean, toKeep: Uint8Array | null}} */
const kept = { root: null, name: "", used: false, toKeep: null };

/** Fill `memory` with the unpacked snapshot: this browser's copy if it has one, else downloaded
 * and gunzipped. The download starts at once, while the copy is looked for (a first visit does
 * not wait for the lookup), and is cancelled if the copy is there.
 * @param {Uint8Array} memory @param {NonNullable<BootConfig["snapshot"]>} snapshot @param {boolean} useKept */
async function fillSnapshot(memory, snapshot, useKept) {
  const url = absolute(snapshot.url);
  const download = new AbortController();
  const response = settled(fetch(url, { signal: download.signal }));
  kept.root = await opfsRoot();
  kept.name = storedName(url);
  kept.used = false;
  delete timings.keptCopy;
  if (useKept && (await readStored(kept.root, kept.name, memory))) {
    download.abort();
    kept.used = true;
    timings.keptCopy = 1;
    return;
  }
  await gunzipInto(await response, url, memory);
  kept.toKeep = memory;
}

/** Keep the downloaded snapshot in this browser for the next visit (once, in the background). */
async function keepSnapshot() {
  const bytes = kept.toKeep;
  kept.toKeep = null;
  if (!bytes) return;
  if (await store(kept.root, kept.name, bytes)) {
    console.info(`[fh-anywidget] kept the unpacked memory snapshot in this browser for the next visit (${bytes.byteLength} bytes)`);
  }
}

/** What a snapshot boot has not written yet: the site-packages Python sources, and the kernel's
 * files (its modules are in the snapshot). @type {{files: Array<{path: string, data: Uint8Array}>,
 * root: string, kernel: ArrayBuffer | null, writing?: boolean} | null} */
let pendingFiles = null;
/** Sources written per task, when they are written in the background. */
const FILES_PER_TASK = 100;

/** Python source files (`.py`): what a snapshot boot writes only after the first message. @param {string} path */
const isSource = (path) => path.endsWith(".py");

/** The top-level packages and modules that `files` (paths relative to site-packages) are of:
 * `IPython/core/x.py` -> `IPython`, `typing_extensions.py` -> `typing_extensions`.
 * @param {Array<{path: string}>} files */
function topLevelNames(files) {
  return [...new Set(files.map(({ path }) => path.split("/")[0].replace(/\.py$/, "")))];
}

/** Write what a snapshot boot left out, all of it, now (later calls do nothing). Python calls this
 * itself the moment it needs a source (an import nothing finds, package metadata, a traceback:
 * fh_anywidget.kernel.bridge); otherwise writePendingFilesSoon does it in the background. */
function writePendingFiles() {
  if (!pendingFiles) return;
  const { files, root, kernel } = pendingFiles;
  pendingFiles = null;
  writeFiles(pyodide.FS, files, root);
  if (kernel) pyodide.unpackArchive(kernel, "zip", { extractDir: `${SITE}/kernel` });
  pyodide.pyimport("fh_anywidget.kernel.bridge").files_written();
  mark("files");
  console.info("[fh-anywidget] site-packages sources written");
  setTimeout(keepSnapshot, 0);
}

/** Write the left-out sources a few at a time, one task each, so that the page's messages are
 * handled in between (the first widget's answers are not held up by them). */
function writePendingFilesSoon() {
  if (!pendingFiles || pendingFiles.writing) return;
  pendingFiles.writing = true;
  const step = () => {
    if (!pendingFiles) return;
    if (pendingFiles.files.length <= FILES_PER_TASK) return writePendingFiles();
    writeFiles(pyodide.FS, pendingFiles.files.splice(0, FILES_PER_TASK), pendingFiles.root);
    setTimeout(step, 0);
  };
  setTimeout(step, 0);
}

/** The slow boot (and the fallback): start Python, then install the packages from the lock.
 * @param {BootConfig} config @param {string} indexURL @param {Promise<any>} loader */
async function bootFromPackages(config, indexURL, loader) {
  const { loadPyodide } = await loader;
  pyodide = await loadPyodide(pyodideOptions(config, indexURL));
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
}

/** Three changes to how Pyodide starts, for the duration of a snapshot restore:
 * - it gets the module compiled by `compiled` (started with the snapshot's download, so compiling
 *   and gunzipping overlap; Pyodide itself would start compiling only once the snapshot is in),
 *   and its own request for the same file is answered with an empty response it never reads;
 * - the instance's memory grows to `bytes` as soon as it exists: restoring a snapshot bigger than
 *   the module's initial memory fails (RangeError in restoreSnapshot);
 * - its request for the standard library's zip gets the response of the request made earlier.
 * Returns the function that undoes them.
 * @param {{bytes: number, wasmURL: string, compiled: Promise<WebAssembly.Module>,
 *   stdlib: {url: string, response: Promise<Response>, used?: boolean}}} options */
function patchInstantiation({ bytes, wasmURL, compiled, stdlib }) {
  const wasm = /** @type {any} */ (WebAssembly);
  const originals = { instantiate: wasm.instantiate, instantiateStreaming: wasm.instantiateStreaming, fetch: self.fetch };
  const pages = Math.ceil(bytes / 65536);
  /** @param {WebAssembly.Instance} instance */
  const grow = (instance) => {
    const memory = instance.exports.memory; // Pyodide also instantiates a tiny module without one
    if (memory instanceof WebAssembly.Memory && pages > memory.buffer.byteLength / 65536) {
      memory.grow(pages - memory.buffer.byteLength / 65536);
    }
  };
  wasm.instantiate = async function (/** @type {any[]} */ ...args) {
    const result = await originals.instantiate.apply(WebAssembly, args);
    grow(result.instance ?? result);
    return result;
  };
  wasm.instantiateStreaming = async function (/** @type {any} */ _response, /** @type {any} */ imports) {
    const module = await compiled;
    const instance = await originals.instantiate.call(WebAssembly, module, imports);
    grow(instance);
    return { module, instance };
  };
  self.fetch = function (input, init) {
    const url = String(input instanceof Request ? input.url : input);
    if (url === wasmURL) return Promise.resolve(new Response(new Uint8Array(0)));
    if (url === stdlib.url && !stdlib.used) {
      stdlib.used = true; // a response is read once
      return stdlib.response;
    }
    return originals.fetch.call(self, input, init);
  };
  return () => {
    Object.assign(wasm, { instantiate: originals.instantiate, instantiateStreaming: originals.instantiateStreaming });
    self.fetch = originals.fetch;
  };
}

/** A promise that never counts as an unhandled rejection (it is awaited later, maybe not at all).
 * @template T @param {Promise<T>} promise */
function settled(promise) {
  promise.catch(() => {});
  return promise;
}

/** Fetch a `.gz` file and gunzip it in the worker (DecompressionStream) into `out`, which has
 * the size the manifest gives, with no intermediate copies.
 * @param {string} url @param {Uint8Array} out */
async function fetchGunzip(url, out) {
  return gunzipInto(await fetch(url), url, out);
}

/** fetchGunzip for a response already there. @param {Response} response @param {string} url @param {Uint8Array} out */
async function gunzipInto(response, url, out) {
  if (!response.ok || !response.body) throw new Error(`[fh-anywidget] ${url} answered ${response.status}`);
  const reader = response.body.pipeThrough(new DecompressionStream("gzip")).getReader();
  const size = out.byteLength;
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.length > size) throw new Error(`[fh-anywidget] ${url} is bigger than the ${size} bytes the manifest says`);
    out.set(value, offset);
    offset += value.length;
  }
  if (offset !== size) throw new Error(`[fh-anywidget] ${url} has ${offset} bytes, not the ${size} the manifest says`);
  return out;
}

/** @param {string} url */
async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`[fh-anywidget] ${url} answered ${response.status}: ${await response.text()}`);
  return response.arrayBuffer();
}

/** Unpack the kernel's own modules (the slow boot: the snapshot has them imported) and put their
 * folder first on sys.path. @param {ArrayBuffer} bytes */
function unpackKernel(bytes) {
  const dir = `${SITE}/kernel`;
  pyodide.unpackArchive(bytes, "zip", { extractDir: dir });
  pyodide.runPython(`import sys, importlib\nif ${JSON.stringify(dir)} not in sys.path: sys.path.insert(0, ${JSON.stringify(dir)})\nimportlib.invalidate_caches()`);
}

/** Unpack a widget bundle into a folder and put that folder first on sys.path (through the
 * bridge, which spares the standard library's zip a re-read). @param {ArrayBuffer} bytes @param {string} dir */
function unpackBundle(bytes, dir) {
  pyodide.unpackArchive(bytes, "zip", { extractDir: dir });
  pyodide.pyimport("fh_anywidget.kernel.bridge").add_to_path(dir);
}

/** Bundle downloads by URL: started when a `create` arrives, even while Python still boots.
 * @type {Map<string, Promise<ArrayBuffer>>} */
const bundleDownloads = new Map();

/** @param {string} url */
function downloadBundle(url) {
  let download = bundleDownloads.get(url);
  if (!download) {
    download = fetchBytes(absolute(url));
    download.catch(() => {}); // reported when ensureBundles awaits it
    bundleDownloads.set(url, download);
  }
  return download;
}

/** @param {string[]} urls */
async function ensureBundles(urls) {
  for (const url of urls || []) {
    if (loadedBundles.has(url)) continue;
    const name = url.split("/").pop() || "bundle";
    unpackBundle(await downloadBundle(url), `${SITE}/bundles/${name.replace(/\W/g, "_")}`);
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
  try {
    handleInPython(JSON.stringify(msg), buffers.length ? buffers : undefined);
  } finally {
    // Python copied them into its memory: large ones go back to the page's pool (web/pool.js)
    const spent = buffers.filter((b) => b.byteLength >= RECYCLE_MIN_BYTES);
    if (spent.length) self.postMessage({ recycle: spent }, { transfer: spent });
    writePendingFilesSoon(); // after the first message, between the next ones
  }
}

/** @type {Promise<void> | null} */
let booting = null;

self.addEventListener("message", (/** @type {MessageEvent} */ event) => {
  const { msg, buffers = [] } = /** @type {{msg: Message, buffers?: ArrayBuffer[]}} */ (event.data || {});
  if (!msg || typeof msg.type !== "string") {
    postError(new Error(`[fh-anywidget] the worker got a message without a type: ${JSON.stringify(event.data).slice(0, 200)}`));
    return;
  }
  if (msg.type === CREATE) (msg.bundles || []).forEach(downloadBundle); // while Python boots
  if (msg.type === BOOT) {
    if (!booting) {
      const started = boot(bootConfig(msg.config, msg.pageURL)).catch((err) => postError(err, { fatal: true }));
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
