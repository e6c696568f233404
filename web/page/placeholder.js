// One placeholder on the page (`.fh-anywidget[data-fh-anywidget]`): its boot status, its
// errors, the view of its widget, its form fields and the DOM events it fires (dom-events.js).
// @ts-check

import { CHANGE_EVENT, MESSAGE_EVENT, READY_EVENT, fire } from "./dom-events.js";
import { fieldInputs, missingTrait, writeFields } from "./fields.js";
import { clearStatus, ensureStyles, logError, showError, showStatus } from "./ui.js";

/** @typedef {import("../shared/protocol.js").WidgetSpec} WidgetSpec */
/** @typedef {import("./model.js").Model} Model */
/**
 * What a placeholder needs from its manager.
 * @typedef {object} PlaceholderHost
 * @property {(spec: WidgetSpec) => Promise<Model>} create
 * @property {(model: Model) => import("./widget.js").WidgetBinding | undefined} bindingOf
 * @property {{stage: string, percent?: number, detail?: string} | null} status  Boot progress, null once booted.
 * @property {unknown} fatal  The error that stopped Python, if one did.
 */

export class Placeholder {
  #controller = new AbortController();
  #host;
  /** The widget's model, once created. @type {Model | null} */
  model = null;
  /** The element the widget renders into, once created. @type {HTMLElement | null} */
  viewElement = null;
  failed = false;

  /**
   * @param {HTMLElement} el  The placeholder element.
   * @param {WidgetSpec} spec  Its parsed `data-fh-anywidget`.
   * @param {PlaceholderHost} host
   */
  constructor(el, spec, host) {
    this.el = el;
    this.spec = spec;
    this.#host = host;
    ensureStyles(el.ownerDocument);
    // a copy of a page as it was drawn (htmx's history on "back") holds the old view: it is dead
    for (const child of Array.from(el.children)) {
      if (["fh-anywidget-view", "fh-anywidget-error", "fh-anywidget-offline"].some((c) => child.classList.contains(c))) child.remove();
    }
    if (host.status && !host.fatal) showStatus(el, host.status);
    /** Settles when the widget is rendered here, or failed (the failure is shown, not thrown). */
    this.mounted = this.#mount();
  }

  get disposed() {
    return this.#controller.signal.aborted;
  }

  async #mount() {
    const host = this.#host;
    /** @type {Model} */
    let model;
    try {
      model = await host.create(this.spec);
    } catch (err) {
      if (this.disposed) return;
      const source = err === host.fatal ? "fatal" : "create";
      this.showError(err, { source });
      // what the page found itself (a key used twice, a bad target) goes to the console too;
      // Python's errors and fatal ones were logged where they arrived (manager.js)
      if (source === "create" && !fromPython(err)) logError(`making the widget ${JSON.stringify(this.spec.key)}`, err);
      return;
    }
    if (this.disposed) return;
    this.model = model;
    clearStatus(this.el);
    const binding = host.bindingOf(model);
    if (!binding) {
      this.showError(
        new Error(`[fh-anywidget] ${this.spec.target} made a widget without _esm; fh-anywidget shows anywidget.AnyWidget subclasses only`),
        { source: "create" },
      );
      return;
    }
    this.#connect(model);
    const view = this.el.ownerDocument.createElement("div");
    view.className = "fh-anywidget-view";
    this.el.append(view);
    this.viewElement = view;
    await binding.createView(view, { signal: this.#controller.signal, errorTarget: this.el });
    if (!this.disposed) fire(this.el, READY_EVENT, { key: this.spec.key, target: this.spec.target, mode: this.spec.mode ?? "worker" });
  }

  /** The form fields and DOM events of this placeholder, until it is disposed. @param {Model} model */
  #connect(model) {
    const owner = this.#controller;
    const key = this.spec.key;
    let inputs = fieldInputs(this.el);
    const problem = missingTrait(inputs, model.getState(), this.spec.target);
    const fieldError = (/** @type {Error} */ err) => {
      this.showError(err, { source: "field" });
      logError(`the form field of ${JSON.stringify(key)}`, err);
    };
    if (problem) {
      fieldError(new Error(problem));
      inputs = [];
    }
    const write = (/** @type {Record<string, any>} */ values) => {
      for (const err of writeFields(inputs, values)) fieldError(err);
    };
    write(model.getState());
    model.on(
      "change",
      () => {
        const changes = Object.fromEntries(Object.entries(model.changed).filter(([name]) => !name.startsWith("_")));
        if (Object.keys(changes).length === 0) return;
        write(changes);
        fire(this.el, CHANGE_EVENT, { key, changes });
      },
      owner,
    );
    model.on("msg:custom", (/** @type {any} */ content, /** @type {DataView[]} */ buffers) => fire(this.el, MESSAGE_EVENT, { key, content, buffers }), owner);
    this.#controller.signal.addEventListener("abort", () => model.offOwner(owner), { once: true });
  }

  /** Show boot progress, while the widget is not there yet. @param {{stage: string, percent?: number, detail?: string}} status */
  showStatus(status) {
    if (!this.model && !this.failed && !this.disposed) showStatus(this.el, status);
  }

  /**
   * @param {unknown} err
   * @param {{source?: string, dismissible?: boolean}} [options]
   */
  showError(err, options = {}) {
    if (!this.model) {
      this.failed = true;
      clearStatus(this.el);
    }
    showError(this.el, err, options);
  }

  /** The placeholder left the page: its view is disposed (the render's cleanup runs). */
  dispose() {
    this.#controller.abort();
  }
}

/** Whether `err` is an error Python (or the worker) reported: a RemoteError, which carries its traceback.
 * @param {unknown} err */
function fromPython(err) {
  return typeof err === "object" && err !== null && typeof (/** @type {any} */ (err).traceback) === "string";
}
