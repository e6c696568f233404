// The AFM model: one widget model's state on the page, kept in step with Python through
// comm messages (docs/protocol.md), with Backbone's event semantics.
// @ts-check

import { putBuffers, removeBuffers, toArrayBuffer, toDataView } from "./buffers.js";
import { Emitter } from "./events.js";
import { CUSTOM, ECHO_UPDATE, UPDATE } from "../shared/protocol.js";

/** @typedef {import("../shared/protocol.js").CommData} CommData */
/** @typedef {import("./events.js").Listener} Listener */
/** @typedef {{get_model(model_id: string): Promise<Model>}} WidgetManagerAPI */

/**
 * What a widget's module sees as `model`: the model's API with `on`/`off` bound to one
 * owner, so that a view or an initialize only ever removes its own listeners.
 * @typedef {object} ModelProxy
 * @property {(key: string) => any} get
 * @property {(key: string | Record<string, any>, value?: any) => void} set
 * @property {() => void} save_changes
 * @property {(content: any, callbacks?: unknown, buffers?: Array<ArrayBuffer | ArrayBufferView>) => void} send
 * @property {(name: string, callback: Listener) => void} on
 * @property {(name?: string | null, callback?: Listener | null) => void} off
 * @property {WidgetManagerAPI} widget_manager
 * @property {string} model_id
 */

/**
 * Deep equality for JSON-like values and binary data (Backbone uses `_.isEqual`).
 * @param {any} a @param {any} b @returns {boolean}
 */
export function isEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const aBinary = a instanceof ArrayBuffer || ArrayBuffer.isView(a);
  const bBinary = b instanceof ArrayBuffer || ArrayBuffer.isView(b);
  if (aBinary || bBinary) {
    if (!aBinary || !bBinary || a.constructor !== b.constructor) return false;
    const x = new Uint8Array(toArrayBuffer(a));
    const y = new Uint8Array(toArrayBuffer(b));
    return x.length === y.length && x.every((v, i) => v === y[i]);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((v, i) => isEqual(v, b[i]));
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && isEqual(a[k], b[k]));
}

export class Model {
  #attributes = /** @type {Record<string, any>} */ ({});
  #events = new Emitter();
  /** Attributes set on the page and not yet sent by save_changes. */
  #dirty = new Set();
  /** Per attribute, the seq of the last update sent with it, until its echo comes back. */
  #expectedEcho = /** @type {Map<string, number>} */ (new Map());
  /** Incoming messages held back until the first initialize has finished; null when not holding. */
  #queue = /** @type {Array<() => void> | null} */ (null);
  #sendComm;
  closed = false;
  /** The attributes the last change set, with their values (Backbone's `model.changed`). */
  changed = /** @type {Record<string, any>} */ ({});

  /**
   * @param {object} options
   * @param {string} options.comm_id
   * @param {import("../shared/protocol.js").StateData} [options.data]  The comm_open data.
   * @param {ArrayBuffer[]} [options.buffers]
   * @param {(data: CommData, buffers: ArrayBuffer[]) => number} options.sendComm
   *   Sends a comm_msg's data for this model and returns the seq it was given.
   * @param {WidgetManagerAPI} options.widget_manager
   */
  constructor({ comm_id, data = { state: {}, buffer_paths: [] }, buffers = [], sendComm, widget_manager }) {
    this.comm_id = comm_id;
    this.model_id = comm_id;
    this.widget_manager = widget_manager;
    this.#sendComm = sendComm;
    this.#attributes = putBuffers({ ...data.state }, data.buffer_paths || [], buffers);
  }

  /** @param {string} key */
  get(key) {
    return this.#attributes[key];
  }

  /** A shallow copy of every attribute. */
  getState() {
    return { ...this.#attributes };
  }

  /**
   * Set attributes on the page; `change:<key>` (with `(model, value)`) and then `change`
   * fire at once for the values that actually changed. Python sees every key given on
   * `save_changes`, changed or not: widgets often mutate the object `get()` returned and set
   * it back, which compares equal to itself but is news to Python.
   * @param {string | Record<string, any>} key
   * @param {any} [value]
   */
  set(key, value) {
    const attrs = typeof key === "string" ? { [key]: value } : key;
    if (!attrs || typeof attrs !== "object") {
      throw new TypeError(`[fh-anywidget] model.set takes (name, value) or an object of values, got ${typeof key}`);
    }
    this.#assign(attrs);
    for (const name of Object.keys(attrs)) this.#dirty.add(name);
  }

  /** Send the attributes changed since the last save_changes to Python, as one update. */
  save_changes() {
    if (this.#dirty.size === 0) return;
    if (this.closed) {
      console.warn(`[fh-anywidget] model ${this.comm_id} is closed; save_changes() sent nothing`);
      return;
    }
    /** @type {Record<string, any>} */
    const changed = {};
    for (const name of this.#dirty) changed[name] = this.#attributes[name];
    this.#dirty.clear();
    const { state, buffer_paths, buffers } = removeBuffers(changed);
    const seq = this.#sendComm({ method: UPDATE, state, buffer_paths }, buffers);
    for (const name of Object.keys(changed)) this.#expectedEcho.set(name, seq);
  }

  /**
   * Send a custom message to the widget's Python (`on_msg` there).
   * @param {any} content
   * @param {unknown} [_callbacks]  Jupyter kernel callbacks; there is no kernel here, they are ignored.
   * @param {Array<ArrayBuffer | ArrayBufferView>} [buffers]
   */
  send(content, _callbacks, buffers = []) {
    if (this.closed) {
      console.warn(`[fh-anywidget] model ${this.comm_id} is closed; send() sent nothing`);
      return;
    }
    this.#sendComm({ method: CUSTOM, content }, buffers.map(toArrayBuffer));
  }

  /** @param {string} name @param {Listener} callback @param {unknown} [owner] */
  on(name, callback, owner) {
    this.#events.on(name, callback, owner);
  }

  /** @param {string | null} [name] @param {Listener | null} [callback] @param {unknown} [owner] */
  off(name, callback, owner) {
    this.#events.off(name, callback, owner);
  }

  /** Remove every listener registered with `owner`. @param {unknown} owner */
  offOwner(owner) {
    this.#events.offOwner(owner);
  }

  /** @param {string} [name] */
  listenerCount(name) {
    return this.#events.count(name);
  }

  /**
   * The model as a widget's module sees it, its listeners owned by `owner`.
   * @param {unknown} owner
   * @returns {ModelProxy}
   */
  proxy(owner) {
    const model = this;
    return {
      get: (key) => model.get(key),
      set: (key, value) => model.set(key, value),
      save_changes: () => model.save_changes(),
      send: (content, callbacks, buffers) => model.send(content, callbacks, buffers),
      on: (name, callback) => model.on(name, callback, owner),
      off: (name, callback) => model.off(name, callback, owner),
      widget_manager: model.widget_manager,
      model_id: model.model_id,
    };
  }

  /**
   * Hold incoming messages until the returned `release` is called, then handle them in order
   * (the binding holds them while the first `initialize` runs). A custom message is not held
   * behind a pending initialize that listens for custom messages: it may be the reply that the
   * initialize awaits (a `model.send` answered by Python, `experimental.invoke`). Then what is
   * held is handled at once, in order, that message last; holding goes on for later ones.
   * @returns {() => void} release (idempotent)
   */
  holdMessages() {
    if (this.#queue === null) this.#queue = [];
    return () => {
      const held = this.#queue || [];
      this.#queue = null;
      for (const handle of held) handle();
    };
  }

  /**
   * Hold incoming messages until `promise` settles (see `holdMessages`).
   * @param {Promise<unknown>} promise
   */
  queueUntil(promise) {
    const release = this.holdMessages();
    promise.then(release, release);
  }

  /**
   * A comm_msg from Python for this model.
   * @param {CommData} data
   * @param {ArrayBuffer[]} [buffers]
   * @param {number | null} [parent]  The page's seq this message answers, if any.
   */
  receive(data, buffers = [], parent = null) {
    this.#later(() => this.#handle(data, buffers, parent));
    if (this.#queue && data?.method === CUSTOM && this.#events.count("msg:custom") > 0) {
      const held = this.#queue;
      this.#queue = [];
      for (const handle of held) handle();
    }
  }

  /** Python closed the model: `comm:close` then `destroy` fire, and every listener is removed. */
  receiveClose() {
    this.#later(() => this.#end());
  }

  /** The page closed the model (its last view left): as `receiveClose`, at once. */
  closeHere() {
    this.#queue = null;
    this.#end();
  }

  #end() {
    if (this.closed) return;
    this.closed = true;
    this.#events.emit("comm:close", this);
    this.#events.emit("destroy", this);
    this.#events.off();
  }

  /** @param {() => void} handle */
  #later(handle) {
    if (this.#queue) this.#queue.push(handle);
    else handle();
  }

  /** @param {CommData} data @param {ArrayBuffer[]} buffers @param {number | null} parent */
  #handle(data, buffers, parent) {
    if (data.method === UPDATE || data.method === ECHO_UPDATE) {
      const state = putBuffers({ ...data.state }, data.buffer_paths || [], buffers);
      if (data.method === ECHO_UPDATE) this.#dropStaleEchoes(state, parent);
      this.#assign(state);
      for (const name of Object.keys(state)) this.#dirty.delete(name); // Python's value wins
    } else if (data.method === CUSTOM) {
      this.#events.emit("msg:custom", data.content, buffers.map(toDataView));
    } else {
      console.warn(`[fh-anywidget] model ${this.comm_id} got a comm_msg with unknown method ${JSON.stringify(data.method)}; ignored`);
    }
  }

  /**
   * docs/protocol.md, "Echo updates": an echo older than the last update the page sent for
   * an attribute is dropped for it; the matching one clears the entry and applies.
   * @param {Record<string, any>} state @param {number | null} parent
   */
  #dropStaleEchoes(state, parent) {
    for (const name of Object.keys(state)) {
      const expected = this.#expectedEcho.get(name);
      if (expected === undefined) continue; // another client changed it: apply
      if (parent === null || parent < expected) delete state[name];
      else this.#expectedEcho.delete(name);
    }
  }

  /**
   * Store `attrs`, fire `change:<key>` per changed value and then `change` once.
   * @param {Record<string, any>} attrs
   * @returns {string[]} the names that changed
   */
  #assign(attrs) {
    const changed = Object.keys(attrs).filter((name) => !isEqual(this.#attributes[name], attrs[name]));
    for (const name of changed) this.#attributes[name] = attrs[name];
    this.changed = Object.fromEntries(changed.map((name) => [name, attrs[name]]));
    for (const name of changed) this.#events.emit(`change:${name}`, this, attrs[name]);
    if (changed.length) this.#events.emit("change", this);
    return changed;
  }
}
