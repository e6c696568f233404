// Hot reload in development for worker-mode widgets: the host streams the changes of the widget
// files anywidget watches on the server (ANYWIDGET_HMR=1); each one is set on the models of that
// widget class as an ordinary `_esm`/`_css` change from the page. The binding re-imports and
// re-renders (as when Python re-sends `_esm`), and save_changes gives the worker's Python the new
// text too. Server-mode widgets need none of this: their Python watches the files itself.
// @ts-check

/** @typedef {import("./model.js").Model} Model */
/** @typedef {{id: string, name: "_esm" | "_css", text: string}} DevChange */

/**
 * Set `change` on every open model whose `_anywidget_id` is `change.id`.
 * @param {Iterable<Model>} models @param {unknown} change
 * @returns {number} how many models took it
 */
export function applyDevChange(models, change) {
  const c = /** @type {Partial<DevChange> | null} */ (change);
  if (!c || typeof c.id !== "string" || (c.name !== "_esm" && c.name !== "_css") || typeof c.text !== "string") {
    console.warn('[fh-anywidget] a development reload event is not {id, name: "_esm" | "_css", text}; ignored:', change);
    return 0;
  }
  let count = 0;
  for (const model of models) {
    if (model.closed || model.get("_anywidget_id") !== c.id) continue;
    model.set(c.name, c.text);
    model.save_changes();
    count += 1;
  }
  return count;
}

/**
 * Listen to the host's development events and apply each to the models `models()` gives then.
 * @param {object} options
 * @param {string | URL} options.url  The host's event stream (`devEventsURL` in the runtime config).
 * @param {() => Iterable<Model>} options.models
 * @param {new (url: string | URL) => EventSource} [options.EventSourceImpl]
 * @returns {() => void} stops listening
 */
export function listenForDevChanges({ url, models, EventSourceImpl = globalThis.EventSource }) {
  const source = new EventSourceImpl(url);
  source.addEventListener("message", (event) => {
    /** @type {unknown} */
    let change;
    try {
      change = JSON.parse(/** @type {MessageEvent} */ (event).data);
    } catch {
      console.warn("[fh-anywidget] a development reload event is not JSON; ignored");
      return;
    }
    const count = applyDevChange(models(), change);
    const c = /** @type {DevChange} */ (change);
    if (count) console.info(`[fh-anywidget] development reload: new ${c.name} for ${c.id} (${count} widget(s))`);
  });
  return () => source.close();
}
