// A small event emitter with Backbone's `on`/`off` semantics (null or undefined is a
// wildcard) and listener owners, so everything a view or an initialize registered can be
// removed at once when it is disposed.
// @ts-check

/** @typedef {(...args: any[]) => void} Listener */
/** @typedef {{name: string, callback: Listener, owner: unknown}} Entry */

export class Emitter {
  /** @type {Entry[]} */
  #entries = [];

  /**
   * @param {string} name  An event name; several may be given separated by spaces.
   * @param {Listener} callback
   * @param {unknown} [owner]  Who registered it (see `offOwner`).
   */
  on(name, callback, owner) {
    if (typeof callback !== "function") {
      throw new TypeError(`[fh-anywidget] on(${JSON.stringify(name)}, callback) needs a function as callback, got ${typeof callback}`);
    }
    for (const one of String(name).split(/\s+/).filter(Boolean)) this.#entries.push({ name: one, callback, owner });
  }

  /**
   * Remove listeners; each argument left out (or null) matches everything, as in Backbone.
   * @param {string | null} [name]
   * @param {Listener | null} [callback]
   * @param {unknown} [owner]
   */
  off(name, callback, owner) {
    const names = name == null ? null : String(name).split(/\s+/).filter(Boolean);
    this.#entries = this.#entries.filter(
      (e) =>
        !(
          (names === null || names.includes(e.name)) &&
          (callback == null || e.callback === callback) &&
          (owner == null || e.owner === owner)
        ),
    );
  }

  /** Remove every listener registered with `owner` (nothing if `owner` is null). @param {unknown} owner */
  offOwner(owner) {
    if (owner == null) return;
    this.#entries = this.#entries.filter((e) => e.owner !== owner);
  }

  /**
   * Call the listeners of `name` in the order they were added. A listener that throws is
   * logged and does not stop the others.
   * @param {string} name
   * @param {...any} args
   */
  emit(name, ...args) {
    for (const entry of this.#entries.filter((e) => e.name === name)) {
      if (!this.#entries.includes(entry)) continue; // removed by an earlier listener
      try {
        entry.callback(...args);
      } catch (err) {
        console.error(`[fh-anywidget] a "${name}" listener threw:`, err);
      }
    }
  }

  /** How many listeners are registered (for `name`, if given). @param {string} [name] */
  count(name) {
    return name === undefined ? this.#entries.length : this.#entries.filter((e) => e.name === name).length;
  }
}
