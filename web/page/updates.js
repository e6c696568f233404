// Responses that drive widgets (`host.update` / `host.update_header`): the updates a
// response carries, read from its elements or its header, and applied to the widget of each
// key as its own `model.set` + `save_changes` would. A bad update changes nothing, is logged
// and fires `fhaw:error` where it came from; the page goes on.
// @ts-check

import { ERROR_EVENT, fire } from "./dom-events.js";
import { ownTraits } from "./fields.js";
import { UPDATE_ATTR } from "../shared/protocol.js";
import { logError, toErrorInfo } from "./ui.js";

/** @typedef {{key: string, state: Record<string, any>}} WidgetUpdate */
/** @typedef {import("./model.js").Model} Model */

export const UPDATE_SELECTOR = `template[${UPDATE_ATTR}]`;

/**
 * The updates of one `FHAW-Update` header. A response may repeat the header (the browser then
 * joins the values with ", "), each value a JSON list of updates or one update.
 * @param {string} text
 * @returns {WidgetUpdate[]}
 */
export function parseUpdateHeader(text) {
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(`[${text}]`);
  } catch (err) {
    throw new Error(
      `[fh-anywidget] the response's FHAW-Update header is not JSON (${err instanceof Error ? err.message : err}): ` +
        `${text.slice(0, 120)}; make it with host.update_header(key, trait=value)`,
    );
  }
  return /** @type {unknown[]} */ (parsed).flat().map(checkUpdate);
}

/**
 * The update an element carries (`host.update(...)`).
 * @param {Element} el
 * @returns {WidgetUpdate}
 */
export function parseUpdateElement(el) {
  const text = el.getAttribute(UPDATE_ATTR) || "";
  try {
    return checkUpdate(JSON.parse(text));
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new Error(`[fh-anywidget] an update element's ${UPDATE_ATTR} is not JSON: ${text.slice(0, 120)}; make it with host.update(key, trait=value)`);
    }
    throw err;
  }
}

/** @param {unknown} value @returns {WidgetUpdate} */
function checkUpdate(value) {
  const u = /** @type {any} */ (value);
  if (!u || typeof u !== "object" || typeof u.key !== "string" || !u.state || typeof u.state !== "object" || Array.isArray(u.state)) {
    throw new Error(`[fh-anywidget] ${JSON.stringify(value)?.slice(0, 120)} is not an update {"key": ..., "state": {...}}; make it with host.update(key, trait=value)`);
  }
  return { key: u.key, state: u.state };
}

/**
 * Apply one update to its widget's model: every trait it names must be one the model has, or
 * nothing is set. Resolves once it is sent to Python; rejects, naming what is wrong, otherwise.
 * @param {WidgetUpdate} update
 * @param {(key: string) => Promise<Model> | null} modelFor  The model of a key on this page, or null.
 * @param {() => string[]} keys  The keys on this page (for the error).
 */
export async function applyUpdate(update, modelFor, keys) {
  const pending = modelFor(update.key);
  if (!pending) {
    throw new Error(
      `[fh-anywidget] an update names the widget ${JSON.stringify(update.key)}, which is not on this page; ` +
        `its widgets' keys: ${keys().map((k) => JSON.stringify(k)).join(", ") || "none"} (give the widget its key with host.widget(..., key=...))`,
    );
  }
  const model = await pending;
  const state = model.getState();
  const unknown = Object.keys(update.state).filter((name) => !Object.hasOwn(state, name));
  if (unknown.length) {
    const traits = ownTraits(state);
    throw new Error(
      `[fh-anywidget] an update sets ${unknown.map((n) => JSON.stringify(n)).join(", ")} on the widget ` +
        `${JSON.stringify(update.key)}, which has no such trait; its traits: ${traits.join(", ") || "none"}. Nothing was set`,
    );
  }
  const own = new Set(ownTraits(state));
  const theirs = Object.keys(update.state).filter((name) => !own.has(name));
  if (theirs.length) {
    throw new Error(
      `[fh-anywidget] an update sets ${theirs.map((n) => JSON.stringify(n)).join(", ")} on the widget ${JSON.stringify(update.key)}: ` +
        `an update sets only a widget's own traits (${[...own].join(", ") || "none"}), not its private ones or the framework's ` +
        `(its front-end code, its layout); change those in Python. Nothing was set`,
    );
  }
  model.set(update.state);
  model.save_changes();
}

/**
 * Report an update that failed: the console, and `fhaw:error` on `where` (or the document).
 * @param {unknown} err @param {EventTarget} where @param {string | null} key
 */
export function reportUpdateError(err, where, key) {
  logError("applying an update from a response", err);
  const { type, message } = toErrorInfo(err);
  fire(where, ERROR_EVENT, { key, error: { type, message }, source: "update" });
}
