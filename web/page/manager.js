// The WidgetManager: the models of one Python (one transport), by comm id; the widgets
// made for placeholder keys (closed in Python once no placeholder shows them for a short
// grace); and where Python's messages and errors go.
// @ts-check

import { Model } from "./model.js";
import { Placeholder } from "./placeholder.js";
import { COMM_CLOSE, COMM_MSG, COMM_OPEN, CREATE, CREATED, ERROR, READY, STATUS, SWAP, UPDATE } from "../shared/protocol.js";
import { logError } from "./ui.js";
import { WidgetBinding } from "./widget.js";

/** @typedef {import("../shared/protocol.js").Transport} Transport */
/** @typedef {import("../shared/protocol.js").WidgetSpec} WidgetSpec */
/** @typedef {import("../shared/protocol.js").PythonMessage} PythonMessage */
/** @typedef {import("../shared/protocol.js").ErrorInfo} ErrorInfo */

/** An exception Python (or the worker) reported, as a JavaScript Error. */
export class RemoteError extends Error {
  /** @param {ErrorInfo} info */
  constructor(info) {
    super(String(info?.message ?? "unknown error"));
    this.name = String(info?.type || "Error");
    this.type = this.name;
    this.traceback = String(info?.traceback ?? "");
  }
}

/** JSON with sorted keys, so equal arguments compare equal. @param {unknown} value @returns {string} */
export function stableStringify(value) {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value && typeof value === "object") {
    const obj = /** @type {Record<string, unknown>} */ (value);
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * @typedef {object} ManagerOptions
 * @property {Transport} transport
 * @property {Document} [document]
 * @property {(url: string) => Promise<any>} [importModule]
 * @property {(text: string) => {url: string, release(): void}} [textToURL]
 * @property {(html: string) => void} [onswap]  HTML that server code pushed to the page (`host.push`).
 * @property {number} [closeGraceMs]  How long a widget no placeholder shows stays open (CLOSE_GRACE_MS).
 *
 * @typedef {{signature: string, target: string, promise: Promise<Model>, resolve(m: Model): void, reject(e: unknown): void,
 *   settled: boolean, model?: Model, closeTimer?: ReturnType<typeof setTimeout>}} KeyEntry
 */

/** How long a widget that no placeholder shows any more (an htmx swap took it away) stays open,
 * in case the same key comes back (a swap that puts it back, hx-boost navigation between two
 * pages that both show it); then it is closed in Python, and its models here. */
export const CLOSE_GRACE_MS = 2000;
/** How many closed models' ids are remembered, so that their late messages are dropped quietly. */
const CLOSED_IDS = 1000;

export class WidgetManager {
  /** @type {Map<string, Model>} */
  models = new Map();
  /** @type {WeakMap<Model, WidgetBinding>} */
  #bindings = new WeakMap();
  /** @type {Map<string, KeyEntry>} */
  #keys = new Map();
  /** @type {Set<Placeholder>} */
  placeholders = new Set();
  #seq = 0;
  /** Models this page closed, whose messages may still be on their way. @type {Set<string>} */
  #closedIds = new Set();
  #transport;
  #options;
  /** Boot progress; null once Python is ready. @type {{stage: string, percent?: number, detail?: string} | null} */
  status = { stage: "Loading Python", percent: 0 };
  /** The error that stopped Python, if one did. @type {RemoteError | null} */
  fatal = null;
  /** @type {Record<string, number | string> | null} */
  timings = null;
  /** @type {(timings: Record<string, number | string>) => void} */
  #resolveReady = () => {};
  /** Resolves with the boot timings when Python is ready. */
  ready = new Promise((resolve) => (this.#resolveReady = resolve));

  /** @param {ManagerOptions} options */
  constructor(options) {
    this.#options = options;
    this.#transport = options.transport;
    this.#transport.onmessage = (msg, buffers) => this.handle(msg, buffers);
  }

  /** The binding of a model (anywidget models only). @param {Model} model */
  bindingOf(model) {
    return this.#bindings.get(model);
  }

  /** The server-side id of the page (server mode, once connected), else null. @returns {string | null} */
  get pageId() {
    return /** @type {any} */ (this.#transport).pageId ?? null;
  }

  /** The model of `key`, if a placeholder of this page shows it (it may still be on its way). @param {string} key */
  modelFor(key) {
    return this.#keys.has(key) && this.#shown(key) ? /** @type {KeyEntry} */ (this.#keys.get(key)).promise : null;
  }

  /** The keys of the widgets the placeholders show. */
  keys() {
    return [...new Set([...this.placeholders].map((p) => p.spec.key))];
  }

  /** Whether a live placeholder shows `key`. @param {string} key */
  #shown(key) {
    for (const p of this.placeholders) if (p.spec.key === key && !p.disposed) return true;
    return false;
  }

  /** ipywidgets' `widget_manager.get_model`. @param {string} model_id @returns {Promise<Model>} */
  get_model(model_id) {
    const model = this.models.get(model_id);
    if (model) return Promise.resolve(model);
    return Promise.reject(new Error(`[fh-anywidget] no model ${JSON.stringify(model_id)} on this page (it was never opened, or it was closed)`));
  }

  /**
   * The widget model for `spec.key`: the first call sends `create`, every call with the
   * same key and arguments shares its answer.
   * @param {WidgetSpec} spec
   * @returns {Promise<Model>}
   */
  create(spec) {
    if (!spec || typeof spec.key !== "string" || !spec.key) {
      return Promise.reject(new Error(`[fh-anywidget] a placeholder has no "key" in data-fh-anywidget; render it with host.widget(...)`));
    }
    if (typeof spec.target !== "string" || !spec.target.includes(":")) {
      return Promise.reject(
        new Error(`[fh-anywidget] the placeholder ${JSON.stringify(spec.key)} has target ${JSON.stringify(spec.target)}; it must be "module:name"`),
      );
    }
    const kwargs = spec.kwargs ?? {};
    // a server-mode placeholder has no kwargs (they are sealed in its grant), but a digest of them: `args`
    const signature = stableStringify({ target: spec.target, kwargs, args: spec.args ?? null });
    let existing = this.#keys.get(spec.key);
    if (existing && existing.closeTimer !== undefined && existing.signature !== signature && !this.#shown(spec.key)) {
      this.#close(spec.key, existing); // it was on its way out: the key now names another widget
      existing = undefined;
    }
    if (existing) {
      clearTimeout(existing.closeTimer);
      existing.closeTimer = undefined;
      if (existing.signature === signature) return existing.promise;
      return Promise.reject(
        new Error(
          `[fh-anywidget] the key ${JSON.stringify(spec.key)} is already used on this page by ${existing.target} with other arguments; ` +
            "give each widget its own key, or the same target and kwargs",
        ),
      );
    }
    if (this.fatal) return Promise.reject(this.fatal);
    /** @type {any} */
    const entry = { signature, target: spec.target, settled: false };
    entry.promise = new Promise((resolve, reject) => {
      entry.resolve = (/** @type {Model} */ m) => ((entry.settled = true), (entry.model = m), resolve(m));
      entry.reject = (/** @type {unknown} */ e) => ((entry.settled = true), reject(e));
    });
    entry.promise.catch(() => {}); // shown by the placeholders
    this.#keys.set(spec.key, entry);
    const server = spec.grant === undefined ? {} : { scope: spec.scope, grant: spec.grant };
    this.send({ type: CREATE, key: spec.key, target: spec.target, kwargs, bundles: spec.bundles ?? [], ...server });
    return entry.promise;
  }

  /**
   * Show the widget of `spec` in the placeholder `el`.
   * @param {HTMLElement} el @param {WidgetSpec} spec
   */
  mount(el, spec) {
    const placeholder = new Placeholder(el, spec, this);
    this.placeholders.add(placeholder);
    return placeholder;
  }

  /** The placeholder left the page; its widget is closed if no other shows it within the grace. @param {Placeholder} placeholder */
  unmount(placeholder) {
    placeholder.dispose();
    this.placeholders.delete(placeholder);
    const key = placeholder.spec?.key;
    const entry = typeof key === "string" ? this.#keys.get(key) : undefined;
    if (!entry || this.#shown(key)) return;
    clearTimeout(entry.closeTimer);
    entry.closeTimer = setTimeout(() => {
      if (this.#keys.get(key) === entry && !this.#shown(key)) this.#close(key, entry);
    }, this.#options.closeGraceMs ?? CLOSE_GRACE_MS);
  }

  /** Forget `key` and close its widget in Python (`comm_close`: Python closes what it made with it). @param {string} key @param {KeyEntry} entry */
  #close(key, entry) {
    clearTimeout(entry.closeTimer);
    this.#keys.delete(key);
    const close = (/** @type {Model} */ model) => {
      if (model.closed || this.models.get(model.comm_id) !== model) return;
      this.send({ type: COMM_CLOSE, comm_id: model.comm_id });
      this.#remember(model.comm_id);
      model.closeHere();
    };
    if (entry.model) close(entry.model); // now: before anything sent after it (a create for the same key)
    else entry.promise.then(close, () => {}); // when it is made (or never, if it failed)
  }

  /** @param {string} comm_id */
  #remember(comm_id) {
    this.#closedIds.add(comm_id);
    if (this.#closedIds.size > CLOSED_IDS) this.#closedIds.delete(this.#closedIds.values().next().value ?? "");
  }

  /** @param {import("../shared/protocol.js").PageMessage} msg @param {ArrayBuffer[]} [buffers] */
  send(msg, buffers = []) {
    this.#transport.send(msg, buffers);
  }

  /**
   * A message from Python (the transport calls this).
   * @param {PythonMessage} msg @param {ArrayBuffer[]} [buffers]
   */
  handle(msg, buffers = []) {
    try {
      this.#route(msg, buffers);
    } catch (err) {
      logError(`handling a ${msg && msg.type} message`, err);
    }
  }

  /** @param {PythonMessage} msg @param {ArrayBuffer[]} buffers */
  #route(msg, buffers) {
    switch (msg.type) {
      case COMM_OPEN:
        return this.#open(msg, buffers);
      case COMM_MSG: {
        const model = this.models.get(msg.comm_id);
        if (!model && this.#closedIds.has(msg.comm_id)) return; // sent before Python heard that the page closed it
        if (!model) return console.warn(`[fh-anywidget] a comm_msg for unknown model ${msg.comm_id}; ignored`);
        return model.receive(msg.data, buffers, msg.parent ?? null);
      }
      case COMM_CLOSE:
        return this.models.get(msg.comm_id)?.receiveClose();
      case CREATED: {
        const entry = this.#keys.get(msg.key);
        if (!entry) return console.warn(`[fh-anywidget] "created" for key ${JSON.stringify(msg.key)} that this page never asked for; ignored`);
        const model = this.models.get(msg.model_id);
        if (model) entry.resolve(model);
        else entry.reject(new Error(`[fh-anywidget] Python made the widget ${JSON.stringify(msg.key)} as model ${msg.model_id} but never opened that model`));
        return;
      }
      case ERROR:
        if (msg.comm_id && this.#closedIds.has(msg.comm_id) && !this.models.has(msg.comm_id)) return;
        return this.#error(msg);
      case SWAP:
        return this.#options.onswap?.(String(msg.html ?? ""));
      case STATUS:
        this.status = { stage: msg.stage, percent: msg.percent, detail: msg.detail };
        for (const p of this.placeholders) p.showStatus(this.status);
        return;
      case READY:
        this.timings = msg.timings ?? {};
        this.status = { stage: "Starting the widget", percent: 100 };
        for (const p of this.placeholders) p.showStatus(this.status);
        this.status = null;
        this.#resolveReady(this.timings);
        return;
      default:
        console.warn(`[fh-anywidget] unknown message type ${JSON.stringify(/** @type {any} */ (msg).type)}; ignored`);
    }
  }

  /** @param {import("../shared/protocol.js").CommOpenMessage} msg @param {ArrayBuffer[]} buffers */
  #open(msg, buffers) {
    const comm_id = msg.comm_id;
    const open = this.models.get(comm_id);
    if (open && !open.closed) {
      // the server opens a model again when a page resumes: its state is news, the model is not
      return open.receive({ method: UPDATE, state: msg.data?.state ?? {}, buffer_paths: msg.data?.buffer_paths ?? [] }, buffers, null);
    }
    const model = new Model({
      comm_id,
      data: msg.data,
      buffers,
      widget_manager: this,
      sendComm: (data, out) => {
        const seq = ++this.#seq;
        this.send({ type: COMM_MSG, comm_id, data, seq }, out);
        return seq;
      },
    });
    this.models.set(comm_id, model);
    model.on(
      "destroy",
      () => {
        this.#bindings.get(model)?.dispose();
        this.#bindings.delete(model);
        if (this.models.get(comm_id) === model) this.models.delete(comm_id);
      },
      this,
    );
    if (typeof model.get("_esm") === "string") {
      const binding = new WidgetBinding(model, {
        bindingOf: (m) => this.bindingOf(m),
        document: this.#options.document,
        importModule: this.#options.importModule,
        textToURL: this.#options.textToURL,
      });
      this.#bindings.set(model, binding);
    }
  }

  /** docs/protocol.md: an error goes to its model's views, its key's placeholders, or all. @param {import("../shared/protocol.js").ErrorMessage} msg */
  #error(msg) {
    const error = new RemoteError(msg.error);
    const where = msg.comm_id ? `model ${msg.comm_id}` : msg.key ? `widget ${JSON.stringify(msg.key)}` : "Python";
    logError(`${msg.fatal ? "fatal error in " : ""}${where}`, error);
    if (msg.fatal) {
      this.fatal = error;
      this.status = null;
      for (const entry of this.#keys.values()) if (!entry.settled) entry.reject(error);
      for (const p of this.placeholders) p.showError(error, { source: "fatal" });
      return;
    }
    const model = msg.comm_id ? this.models.get(msg.comm_id) : undefined;
    const binding = model && this.#bindings.get(model);
    if (binding) return binding.showError(error);
    if (model) {
      for (const p of this.placeholders) if (p.model === model) p.showError(error, { source: "python", dismissible: true });
      return;
    }
    if (msg.key) {
      const entry = this.#keys.get(msg.key);
      if (entry && !entry.settled) return entry.reject(error);
      for (const p of this.placeholders) if (p.spec.key === msg.key) p.showError(error, { source: "python", dismissible: true });
      return;
    }
    if (msg.comm_id) return; // a model already gone: logged above
    for (const p of this.placeholders) p.showError(error, { source: "python", dismissible: true });
  }

  /** Dispose every placeholder and binding and close the transport. */
  dispose() {
    for (const p of this.placeholders) p.dispose();
    this.placeholders.clear();
    for (const model of this.models.values()) this.#bindings.get(model)?.dispose();
    this.#transport.close();
  }
}
