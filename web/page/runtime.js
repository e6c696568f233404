// The page entry: <script type="module" src=".../runtime.js" data-config='{...}'>.
// Mounts every placeholder present and later added, disposes the ones that leave, runs each
// placeholder's widget through the transport of its mode, and applies the updates responses
// carry (`host.update`, updates.js) and the HTML server code pushes (htmx-bridge.js).
// @ts-check

import { listenForDevChanges } from "./dev-reload.js";
import { connectHtmx, swapOutOfBand } from "./htmx-bridge.js";
import { WidgetManager } from "./manager.js";
import { watchOutsideRequests } from "./offline.js";
import { createWorkerTransport, takeEarlyWorker } from "./transport-worker.js";
import { createWebSocketTransport } from "./transport-ws.js";
import { ensureStyles, logError, showConnection, showError } from "./ui.js";
import { UPDATE_SELECTOR, applyUpdate, parseUpdateElement, parseUpdateHeader, reportUpdateError } from "./updates.js";

/** @typedef {import("../shared/protocol.js").Transport} Transport */
/** @typedef {import("./placeholder.js").Placeholder} Placeholder */
/** @typedef {{worker?: import("../shared/protocol.js").BootConfig, workerURL?: string, serverURL?: string,
 *   devEventsURL?: string | null, serviceWorker?: {url: string, scope: string}}} RuntimeConfig
 *   `serviceWorker` is set on pages of an exported static site (`fh-anywidget build`). */

export const PLACEHOLDER_SELECTOR = ".fh-anywidget[data-fh-anywidget]";
/** htmx's own rule for content the app does not vouch for (visitors' HTML): nothing in it acts,
 * neither htmx's attributes nor our placeholders and update elements. */
const UNVOUCHED_SELECTOR = "[hx-disable],[data-hx-disable]";
export const DEFAULT_MODE = "worker";

/**
 * Read the runtime's config from its own script tag.
 * @param {Document} doc
 * @param {string} scriptURL  The runtime's own URL (import.meta.url).
 * @returns {RuntimeConfig}
 */
export function readConfig(doc, scriptURL) {
  const scripts = Array.from(doc.querySelectorAll("script[data-config]"));
  const script =
    scripts.find((s) => /** @type {HTMLScriptElement} */ (s).src === scriptURL) ||
    scripts.find((s) => (s.getAttribute("src") || "").includes("runtime.js"));
  if (!script) {
    throw new Error(
      "[fh-anywidget] the page has no <script type=module src=.../runtime.js data-config='...'>; " +
        "add the runtime to the page head with the fh-anywidget host",
    );
  }
  const text = script.getAttribute("data-config") || "";
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`[fh-anywidget] the runtime's data-config is not JSON (${err instanceof Error ? err.message : err}): ${text.slice(0, 200)}`);
  }
}

/**
 * The transports this runtime can start, by placeholder mode.
 * @param {RuntimeConfig} config @param {Document} doc @param {string} scriptURL
 * @returns {Record<string, () => Transport>}
 */
export function defaultTransports(config, doc, scriptURL) {
  return {
    worker() {
      if (!config.worker) {
        throw new Error("[fh-anywidget] the runtime's data-config has no \"worker\" boot config; render the page with the fh-anywidget host");
      }
      const url = config.workerURL ? new URL(config.workerURL, doc.baseURI) : new URL("../worker/worker.js", scriptURL);
      return createWorkerTransport({ url, boot: config.worker, pageURL: doc.URL, early: takeEarlyWorker(globalThis) });
    },
    server() {
      if (!config.serverURL) {
        throw new Error('[fh-anywidget] the runtime\'s data-config has no "serverURL"; render the page with the fh-anywidget host');
      }
      const url = new URL(config.serverURL, doc.baseURI);
      url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
      return createWebSocketTransport({
        url,
        onconnection(info) {
          // every server-mode placeholder says when its socket is down, and that it reconnects
          for (const el of Array.from(doc.querySelectorAll(PLACEHOLDER_SELECTOR))) {
            if ((el.getAttribute("data-fh-anywidget") || "").includes('"mode":"server"')) showConnection(/** @type {HTMLElement} */ (el), info);
          }
        },
      });
    },
  };
}

/**
 * Start the runtime on `doc`.
 * @param {object} options
 * @param {Document} options.document
 * @param {Record<string, () => Transport>} options.transports  Transport factories by mode.
 * @param {(url: string) => Promise<any>} [options.importModule]
 * @param {number} [options.closeGraceMs]  How long a widget no placeholder shows stays open (manager.js CLOSE_GRACE_MS).
 */
export function startRuntime({ document: doc, transports, importModule, closeGraceMs }) {
  /** @type {Map<string, WidgetManager>} */
  const managers = new Map();
  /** @type {Map<Element, {placeholder: Placeholder | null, manager: WidgetManager | null}>} */
  const mounted = new Map();

  /** @param {string} mode */
  function managerFor(mode) {
    let manager = managers.get(mode);
    if (manager) return manager;
    const factory = Object.hasOwn(transports, mode) ? transports[mode] : undefined;
    if (!factory) {
      throw new Error(`[fh-anywidget] a placeholder has mode ${JSON.stringify(mode)}; the modes are ${Object.keys(transports).map((m) => `"${m}"`).join(", ")}`);
    }
    manager = new WidgetManager({ transport: factory(), document: doc, importModule, onswap, closeGraceMs });
    managers.set(mode, manager);
    return manager;
  }

  /** HTML pushed by server code (`host.push`). @param {string} html */
  function onswap(html) {
    try {
      for (const problem of swapOutOfBand(doc, html)) console.warn(`[fh-anywidget] HTML pushed by the server: ${problem}`);
    } catch (err) {
      logError("swapping in HTML pushed by the server", err);
    }
  }

  /** The model of `key` on this page, in whichever mode. @param {string} key */
  function modelFor(key) {
    for (const manager of managers.values()) {
      const model = manager.modelFor(key);
      if (model) return model;
    }
    return null;
  }

  const keys = () => [...managers.values()].flatMap((m) => m.keys());

  /**
   * Set traits of the widget of `key` as its own `model.set` + `save_changes` would.
   * @param {string} key @param {Record<string, any>} state
   * @returns {Promise<void>} rejects, naming what is wrong, for an unknown key or trait (nothing is set)
   */
  function update(key, state) {
    return applyUpdate({ key, state }, modelFor, keys);
  }

  /** @param {import("./updates.js").WidgetUpdate[]} updates @param {EventTarget} where */
  function applyAll(updates, where) {
    for (const u of updates) applyUpdate(u, modelFor, keys).catch((err) => reportUpdateError(err, where, u.key));
  }

  /** The update elements found by `scan`, applied (and removed) once every placeholder is mounted. @param {Element[]} found */
  function applyElements(found) {
    for (const el of found) {
      if (!el.isConnected) continue; // handled already (found twice in one batch), or taken away again
      const where = el.parentElement ?? doc;
      el.remove();
      if (where !== doc && /** @type {Element} */ (where).closest(UNVOUCHED_SELECTOR)) {
        console.warn("[fh-anywidget] an update element inside hx-disable was ignored");
        continue;
      }
      try {
        applyAll([parseUpdateElement(el)], where);
      } catch (err) {
        reportUpdateError(err, where, null);
      }
    }
  }

  /** @param {HTMLElement} el */
  function mount(el) {
    if (mounted.has(el)) return mounted.get(el)?.placeholder ?? null;
    if (el.closest(UNVOUCHED_SELECTOR)) {
      mounted.set(el, { placeholder: null, manager: null }); // looked at once
      console.warn("[fh-anywidget] a widget placeholder inside hx-disable was not started (that is HTML the app does not vouch for); render widgets outside it");
      return null;
    }
    /** @type {any} */
    let spec;
    try {
      spec = JSON.parse(el.getAttribute("data-fh-anywidget") || "");
    } catch (err) {
      fail(el, new Error(`[fh-anywidget] this placeholder's data-fh-anywidget is not JSON; render it with host.widget(...)`));
      return null;
    }
    let manager;
    try {
      manager = managerFor(spec && spec.mode ? String(spec.mode) : DEFAULT_MODE);
    } catch (err) {
      fail(el, err);
      return null;
    }
    const placeholder = manager.mount(el, spec);
    mounted.set(el, { placeholder, manager });
    return placeholder;
  }

  /** @param {HTMLElement} el @param {unknown} err */
  function fail(el, err) {
    mounted.set(el, { placeholder: null, manager: null });
    ensureStyles(doc);
    for (const child of Array.from(el.children)) if (child.classList.contains("fh-anywidget-status")) child.remove();
    showError(el, err, { source: "runtime" });
    logError("mounting a placeholder", err);
  }

  /**
   * Mount the placeholders in `root` (and `root` itself); collect its update elements in `updates`.
   * @param {ParentNode} root @param {Element[]} [updates]
   */
  function scan(root, updates = []) {
    /** @type {Placeholder[]} */
    const found = [];
    const add = (/** @type {Element} */ el) => {
      const p = mount(/** @type {HTMLElement} */ (el));
      if (p) found.push(p);
    };
    const self = /** @type {Partial<Element>} */ (root);
    const matches = (/** @type {string} */ selector) => typeof self.matches === "function" && self.matches(selector);
    if (matches(PLACEHOLDER_SELECTOR)) add(/** @type {Element} */ (root));
    root.querySelectorAll(PLACEHOLDER_SELECTOR).forEach(add);
    if (matches(UPDATE_SELECTOR)) updates.push(/** @type {Element} */ (root));
    updates.push(...Array.from(root.querySelectorAll(UPDATE_SELECTOR)));
    return found;
  }

  /**
   * Whether a change made in `node` happened in a widget's own element (a placeholder, or
   * inside one). What a widget's views draw there is the widget's, not the app's HTML, and is not
   * looked at: no placeholder or update element in it acts (a widget showing user HTML cannot
   * start widgets or set their traits), and a view that redraws often (a chart, thousands of
   * nodes a frame) costs the page no scan of them.
   * @param {Node | undefined} node
   */
  function inWidget(node) {
    const el = node && (node.nodeType === 1 ? /** @type {Element} */ (node) : node.parentElement);
    return !!el && typeof el.closest === "function" && el.closest(PLACEHOLDER_SELECTOR) !== null;
  }

  /** Dispose the placeholders no longer in the document. */
  function sweep() {
    for (const [el, entry] of mounted) {
      if (el.isConnected) continue;
      mounted.delete(el);
      if (entry.manager && entry.placeholder) entry.manager.unmount(entry.placeholder);
    }
  }

  const observer = new MutationObserver((allRecords) => {
    const records = allRecords.filter((record) => !inWidget(record.target));
    // what left first: a key that leaves and comes back in one swap keeps its widget
    if (records.some((record) => record.removedNodes.length)) sweep();
    /** @type {Element[]} */
    const updates = [];
    for (const record of records) {
      for (const node of Array.from(record.addedNodes)) if (node.nodeType === 1 && node.isConnected) scan(/** @type {Element} */ (node), updates);
    }
    applyElements(updates);
  });
  observer.observe(doc.documentElement, { childList: true, subtree: true });
  const stopHtmx = connectHtmx(doc, {
    pageId: () => managers.get("server")?.pageId ?? null,
    onUpdateHeader(text, where) {
      try {
        applyAll(parseUpdateHeader(text), where);
      } catch (err) {
        reportUpdateError(err, where, null);
      }
    },
  });

  /** @type {Element[]} */
  const initialUpdates = [];
  const initial = scan(doc, initialUpdates);
  applyElements(initialUpdates);
  return {
    managers,
    update,
    /** The server-side id of this page (server mode, once connected): the `FHAW-Page` header of its requests. */
    get pageId() {
      return managers.get("server")?.pageId ?? null;
    },
    /** The worker-mode manager, once a worker placeholder exists. */
    get manager() {
      return managers.get(DEFAULT_MODE) ?? null;
    },
    /** Settles when every placeholder present at start is rendered or shows its error. */
    ready: Promise.all(initial.map((p) => p.mounted)).then(() => undefined),
    mount,
    scan,
    dispose() {
      observer.disconnect();
      stopHtmx();
      for (const manager of managers.values()) manager.dispose();
      managers.clear();
      mounted.clear();
    },
  };
}

/**
 * Register the static site's service worker (it precaches the site for offline visits), if the
 * config names one, once `ready` settles (the page's widgets are drawn) or after `maxWaitMs`:
 * its precache then finds what the page loaded in the HTTP cache, instead of downloading the same
 * files again while the page boots. A failure is logged, never fatal: the page works without it, online.
 * @param {RuntimeConfig} config @param {{serviceWorker?: {register(url: string, options: object): Promise<unknown>}}} nav
 * @param {Promise<unknown>} [ready] @param {number} [maxWaitMs]
 * @returns {Promise<unknown> | null}
 */
export function registerServiceWorker(config, nav, ready = Promise.resolve(), maxWaitMs = 20000) {
  const sw = config.serviceWorker;
  if (!sw) return null;
  const container = nav.serviceWorker;
  if (!container) {
    console.warn("[fh-anywidget] this browser has no service workers (or the page is not on https/localhost): the site will not work offline");
    return null;
  }
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const waited = new Promise((resolve) => {
    timer = setTimeout(resolve, maxWaitMs);
  });
  return Promise.race([ready.catch(() => undefined), waited]).then(() => {
    clearTimeout(timer);
    return container.register(sw.url, { type: "module", scope: sw.scope }).catch((err) => {
      console.warn(`[fh-anywidget] could not register the offline service worker ${sw.url}: ${err instanceof Error ? err.message : err}`);
    });
  });
}

function autostart() {
  const w = /** @type {any} */ (window);
  if (w.fhAnywidget) return; // the runtime was included twice: keep the first
  watchOutsideRequests(window); // so that a widget's failed load of an outside URL names it
  const scriptURL = import.meta.url;
  /** @type {RuntimeConfig} */
  let config = {};
  /** @type {Record<string, () => Transport>} */
  let transports;
  try {
    config = readConfig(document, scriptURL);
    transports = defaultTransports(config, document, scriptURL);
  } catch (err) {
    const broken = () => {
      throw err;
    };
    transports = { worker: broken, server: broken };
  }
  const runtime = startRuntime({ document, transports });
  w.fhAnywidget = runtime;
  registerServiceWorker(config, navigator, runtime.ready);
  if (config.devEventsURL && typeof EventSource === "function") {
    // development: worker-mode widgets follow their files (server-mode ones reload from Python)
    listenForDevChanges({
      url: new URL(config.devEventsURL, document.baseURI),
      models: () => runtime.managers.get(DEFAULT_MODE)?.models.values() ?? [],
    });
  }
}

if (typeof window !== "undefined" && typeof document !== "undefined" && typeof MutationObserver !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autostart, { once: true });
  else autostart();
}
