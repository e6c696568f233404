// The AFM binding of one model: imports its `_esm`, runs `initialize` once (again after
// each `_esm` change: hot reload), renders its views, and shows what fails in the views.
// @ts-check

import { createStyleSheet } from "./css.js";
import { loadWidget } from "./esm.js";
import { invoke } from "./invoke.js";
import { WIDGET_REF_PREFIX } from "../shared/protocol.js";
import { clearErrors, logError, showError } from "./ui.js";

/** @typedef {import("./model.js").Model} Model */
/** @typedef {import("./esm.js").WidgetDefinition} WidgetDefinition */
/**
 * @typedef {object} BindingOptions
 * @property {(model: Model) => WidgetBinding | undefined} [bindingOf]  Finds another model's binding (host.getWidget).
 * @property {Document} [document]
 * @property {(url: string) => Promise<any>} [importModule]
 * @property {(text: string) => {url: string, release(): void}} [textToURL]
 * @property {number} [getWidgetTimeout]  ms host.getWidget waits for the child's initialize (default 10 s).
 *
 * @typedef {{el: HTMLElement, errorTarget: HTMLElement, signal: AbortSignal, controller: AbortController | null}} View
 * @typedef {{resolve(value: any): void, reject(reason: unknown): void, promise: Promise<any>, settled: boolean}} Deferred
 */

/** @returns {Deferred} */
function deferred() {
  /** @type {any} */
  const d = { settled: false };
  d.promise = new Promise((resolve, reject) => {
    d.resolve = (/** @type {any} */ v) => ((d.settled = true), resolve(v));
    d.reject = (/** @type {any} */ e) => ((d.settled = true), reject(e));
  });
  d.promise.catch(() => {}); // a failure is shown in the views; waiting on it is optional
  return /** @type {Deferred} */ (d);
}

/**
 * An AbortSignal that aborts when any of `signals` does (AbortSignal.any where available).
 * @param {AbortSignal[]} signals
 */
export function anySignal(signals) {
  if (typeof AbortSignal.any === "function") return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) controller.abort(s.reason);
    else s.addEventListener("abort", () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

/** Run a widget's cleanup; what it throws is logged. @param {unknown} cleanup @param {string} what */
function runCleanup(cleanup, what) {
  if (typeof cleanup !== "function") return;
  try {
    const result = cleanup();
    if (result && typeof result.catch === "function") result.catch((/** @type {unknown} */ err) => logError(`cleaning up ${what}`, err));
  } catch (err) {
    logError(`cleaning up ${what}`, err);
  }
}

/** @param {unknown} ref */
export function parseWidgetRef(ref) {
  if (typeof ref === "string" && ref.startsWith(WIDGET_REF_PREFIX)) return ref.slice(WIDGET_REF_PREFIX.length);
  throw new Error(
    `[fh-anywidget] ${JSON.stringify(ref)} is not a widget reference; pass the value of an anywidget.WidgetTrait ("anywidget:<model_id>")`,
  );
}

export class WidgetBinding {
  #model;
  #options;
  #css;
  /** @type {WidgetDefinition | null} */
  #definition = null;
  /** Aborted when the current initialize's binding ends (its cleanup, its listeners). */
  /** @type {AbortController | null} */
  #controller = null;
  #generation = 0;
  /** @type {Set<View>} */
  #views = new Set();
  #ready = deferred();
  /** @type {Promise<void>} */
  #loading;
  /** Hands Python's messages over once the first initialize has finished (or failed); null after. */
  /** @type {(() => void) | null} */
  #releaseMessages;
  /** The widget's exports: what its initialize returned, when that is an object. */
  exports = /** @type {any} */ (undefined);
  /** Gives the current `_esm`'s module back (esm.js acquireESM). @type {(() => void) | null} */
  #releaseModule = null;
  /** Why the current `_esm` could not be loaded or initialized, if it could not. */
  error = /** @type {unknown} */ (null);
  experimental;

  /** @param {Model} model @param {BindingOptions} [options] */
  constructor(model, options = {}) {
    this.#model = model;
    this.#options = options;
    this.name = String(model.get("_anywidget_id") || `model ${model.comm_id}`);
    this.experimental = {
      /** @param {string} name @param {any} msg @param {import("./invoke.js").InvokeOptions} [opts] */
      invoke: (name, msg, opts) => invoke(model, name, msg, opts),
    };
    this.#css = createStyleSheet(model.comm_id, options.document ?? globalThis.document);
    this.#css.update(model.get("_css"));
    model.on("change:_css", (/** @type {Model} */ _m, /** @type {unknown} */ css) => this.#css.update(css), this);
    model.on("change:_esm", () => this.reload(), this);
    // Python's messages wait for the first initialize (its listeners), not for the renders:
    // the views render after them, so a first render sees the finished widget (every trait the
    // constructor set after it opened the comm), and a render may await a reply from Python.
    this.#releaseMessages = model.holdMessages();
    this.#loading = this.#load();
    /** Settles when the first `_esm` is loaded, initialized and rendered (or failed). */
    this.loaded = this.#loading;
  }

  /** Resolves with the exports once the current `_esm` is initialized; rejects if that failed. */
  get ready() {
    return this.#ready.promise;
  }

  /** How many views are alive. */
  get viewCount() {
    return this.#views.size;
  }

  /** Load `_esm` again: the old binding is aborted, every live view re-rendered in place. */
  reload() {
    this.#loading = this.#load();
    return this.#loading;
  }

  /**
   * Render a view of the widget into `el` (now, or when the widget is initialized). Its
   * render's cleanup runs and its listeners go when `signal` aborts.
   * @param {HTMLElement} el
   * @param {{signal?: AbortSignal, errorTarget?: HTMLElement}} [options]
   *   `errorTarget` is where errors of this view are shown (default `el`).
   * @returns {Promise<void>} settles after the first render (errors are shown, not thrown)
   */
  createView(el, { signal = new AbortController().signal, errorTarget = el } = {}) {
    if (signal.aborted) return Promise.resolve();
    /** @type {View} */
    const view = { el, errorTarget, signal, controller: null };
    this.#views.add(view);
    signal.addEventListener(
      "abort",
      () => {
        this.#views.delete(view);
        view.controller?.abort();
      },
      { once: true },
    );
    if (this.#definition) return this.#render(view);
    if (this.error) {
      showError(errorTarget, this.error, { source: "binding" });
      return Promise.resolve();
    }
    return this.#loading; // #load renders every view once initialized
  }

  /**
   * Show an error that Python reported for this widget in every view; it can be dismissed.
   * @param {unknown} error
   */
  showError(error) {
    for (const view of this.#views) showError(view.errorTarget, error, { source: "python", dismissible: true });
  }

  /** End everything: views, initialize, CSS, listeners; the module goes back for the next widget with the same `_esm`. */
  dispose() {
    this.#handOverMessages();
    this.#generation += 1;
    this.#controller?.abort();
    for (const view of this.#views) view.controller?.abort();
    this.#views.clear();
    this.#css.remove();
    this.#model.offOwner(this);
    this.#releaseModule?.();
    this.#releaseModule = null;
  }

  /** Let Python's held messages through, in order (once). */
  #handOverMessages() {
    const release = this.#releaseMessages;
    this.#releaseMessages = null;
    release?.();
  }

  async #load() {
    const generation = ++this.#generation;
    this.#controller?.abort();
    this.#controller = null;
    this.#definition = null;
    for (const view of this.#views) view.controller?.abort();
    const previous = this.#ready;
    this.#ready = deferred();
    if (!previous.settled) previous.resolve(this.#ready.promise);
    const model = this.#model;
    /** @type {AbortController | null} */
    let controller = null;
    try {
      const definition = await loadWidget(model.get("_esm"), {
        importModule: this.#options.importModule,
        textToURL: this.#options.textToURL,
        name: this.name,
      });
      if (generation !== this.#generation) {
        definition.release(); // a newer load (or dispose) came first
        return;
      }
      this.#releaseModule?.(); // the previous _esm's module (hot reload)
      this.#releaseModule = definition.release;
      const current = new AbortController();
      controller = current;
      this.#controller = current;
      current.signal.addEventListener("abort", () => model.offOwner(current), { once: true });
      const result = await definition.initialize?.({
        model: model.proxy(current),
        signal: current.signal,
        experimental: this.experimental,
      });
      if (current.signal.aborted) {
        runCleanup(result, `the initialize of ${this.name}`);
        return;
      }
      if (typeof result === "function") {
        current.signal.addEventListener("abort", () => runCleanup(result, `the initialize of ${this.name}`), { once: true });
      }
      this.exports = result && typeof result === "object" ? result : undefined;
      this.error = null;
      this.#definition = definition;
      this.#ready.resolve(this.exports);
      this.#handOverMessages();
      await Promise.all([...this.#views].map((view) => this.#render(view)));
    } catch (err) {
      if (generation !== this.#generation) return;
      controller?.abort();
      this.error = err;
      this.#ready.reject(err);
      logError(`loading the widget ${this.name}`, err);
      this.#handOverMessages(); // a fixed _esm may be among them
      for (const view of this.#views) {
        view.el.replaceChildren(); // what an aborted render left behind is dead
        showError(view.errorTarget, err, { source: "binding" });
      }
    }
  }

  /** @param {View} view */
  async #render(view) {
    view.controller?.abort();
    const definition = this.#definition;
    if (!definition || view.signal.aborted) return;
    const controller = new AbortController();
    view.controller = controller;
    const signal = anySignal([view.signal, controller.signal]);
    const model = this.#model;
    /** @type {unknown} */
    let cleanup;
    signal.addEventListener(
      "abort",
      () => {
        model.offOwner(controller);
        runCleanup(cleanup, `a view of ${this.name}`);
      },
      { once: true },
    );
    clearErrors(view.errorTarget, "binding");
    clearErrors(view.errorTarget, "render");
    view.el.replaceChildren();
    if (!definition.render) return;
    try {
      const result = await definition.render({
        model: model.proxy(controller),
        el: view.el,
        signal,
        host: this.#host(signal),
        experimental: this.experimental,
      });
      if (signal.aborted) runCleanup(result, `a view of ${this.name}`);
      else cleanup = result;
    } catch (err) {
      if (signal.aborted) return;
      logError(`rendering the widget ${this.name}`, err);
      showError(view.errorTarget, err, { source: "render" });
    }
  }

  /** The 0.11 `host` of a view: its children's models and widgets. @param {AbortSignal} signal */
  #host(signal) {
    const model = this.#model;
    const options = this.#options;
    return {
      /** @param {string} ref */
      async getModel(ref) {
        const child = await model.widget_manager.get_model(parseWidgetRef(ref));
        const owner = {};
        signal.addEventListener("abort", () => child.offOwner(owner), { once: true });
        return child.proxy(owner);
      },
      /** @param {string} ref */
      async getWidget(ref) {
        const id = parseWidgetRef(ref);
        const child = await model.widget_manager.get_model(id);
        const binding = options.bindingOf?.(child);
        if (!binding) {
          throw new Error(`[fh-anywidget] model ${id} is not an anywidget (it has no _esm), so host.getWidget cannot render it`);
        }
        const ms = options.getWidgetTimeout ?? 10000;
        /** @type {ReturnType<typeof setTimeout> | undefined} */
        let timer;
        const timeout = new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`[fh-anywidget] widget ${id} did not finish initialize within ${ms} ms`)), ms);
        });
        const exports = await Promise.race([binding.ready, timeout]).finally(() => clearTimeout(timer));
        return {
          exports,
          /** @param {{el: HTMLElement, signal?: AbortSignal}} target */
          render: ({ el, signal: viewSignal }) => binding.createView(el, { signal: viewSignal ?? signal }),
        };
      },
    };
  }
}
