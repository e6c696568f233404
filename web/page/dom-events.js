// The DOM events a placeholder fires, so that the app (htmx's `hx-trigger`, or any
// `addEventListener`) can react to its widget. They bubble, so a listener on the widget's
// form or section sees them. docs/htmx.md lists them.
// @ts-check

/** The widget is rendered in its placeholder. `detail`: {@link ReadyDetail}. */
export const READY_EVENT = "fhaw:ready";
/** Traits of the widget changed, from the visitor or from Python; fired after the form fields
 * are updated, so `hx-include` sees the new values. `detail`: {@link ChangeDetail}. */
export const CHANGE_EVENT = "fhaw:change";
/** A custom message from the widget's Python (`widget.send(...)`). `detail`: {@link MessageDetail}. */
export const MESSAGE_EVENT = "fhaw:message";
/** An error shown in the placeholder, or an update the page could not apply. `detail`: {@link ErrorDetail}. */
export const ERROR_EVENT = "fhaw:error";

/**
 * @typedef {{key: string, target: string, mode: string}} ReadyDetail
 * @typedef {{key: string, changes: Record<string, any>}} ChangeDetail
 *   `changes`: the public traits (not `_`-prefixed) that changed, with their new values.
 * @typedef {{key: string, content: any, buffers: DataView[]}} MessageDetail
 * @typedef {{key: string | null, error: {type: string, message: string}, source: string}} ErrorDetail
 *   `source`: what failed ("python", "render", "create", "update", "field", ...).
 */

/**
 * Fire a bubbling `CustomEvent` on `el` (nothing when it is not in a document any more). A
 * listener that throws is reported by the browser, as for any event; it stops nothing here.
 * @param {EventTarget} el @param {string} name @param {object} detail
 */
export function fire(el, name, detail) {
  const Custom = /** @type {typeof CustomEvent | undefined} */ (globalThis.CustomEvent);
  if (!Custom) return;
  el.dispatchEvent(new Custom(name, { bubbles: true, detail }));
}

/** The key of the placeholder `el` is, or is in; null if none. @param {Element | null} el @returns {string | null} */
export function placeholderKey(el) {
  const holder = el?.closest?.("[data-fh-anywidget]");
  if (!holder) return null;
  try {
    const key = JSON.parse(holder.getAttribute("data-fh-anywidget") || "").key;
    return typeof key === "string" ? key : null;
  } catch {
    return null;
  }
}
