// What the runtime itself shows in a placeholder: boot progress and error boxes.
// @ts-check

import { ERROR_EVENT, fire, placeholderKey } from "./dom-events.js";
import { outsideRequests } from "./offline.js";

/** @typedef {import("../shared/protocol.js").ErrorInfo} ErrorInfo */

const STYLE_ID = "fh-anywidget-styles";
const CSS = `
.fh-anywidget-status { font: 13px/1.4 system-ui, sans-serif; opacity: .75; padding: .5em 0; }
.fh-anywidget-status progress { display: block; width: min(16em, 100%); height: .4em; margin-top: .3em; accent-color: currentColor; }
.fh-anywidget-error { font: 13px/1.4 system-ui, sans-serif; color: inherit; background: rgba(220, 38, 38, .08);
  border: 1px solid rgba(220, 38, 38, .55); border-left-width: 4px; border-radius: 4px; padding: .5em .75em; margin: .25em 0; }
.fh-anywidget-error-head { display: flex; gap: .5em; align-items: baseline; }
.fh-anywidget-error-head strong { color: #dc2626; }
.fh-anywidget-error-message { flex: 1; white-space: pre-wrap; overflow-wrap: anywhere; }
.fh-anywidget-error-close { background: none; border: 0; color: inherit; cursor: pointer; font-size: 1.1em; line-height: 1; padding: 0 .2em; }
.fh-anywidget-error pre { font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap;
  max-height: 16em; overflow: auto; margin: .4em 0 0; opacity: .85; }
@media (prefers-color-scheme: dark) { .fh-anywidget-error-head strong { color: #f87171; } }
.fh-anywidget-offline { font: 13px/1.4 system-ui, sans-serif; background: rgba(234, 179, 8, .12);
  border: 1px solid rgba(234, 179, 8, .6); border-radius: 4px; padding: .25em .75em; margin: .25em 0; }
[data-fh-anywidget-connection="offline"] > .fh-anywidget-view { opacity: .6; }
`;

/** Add the runtime's few CSS rules to the page, once. @param {Document} doc */
export function ensureStyles(doc) {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  doc.head.append(style);
}

/** @param {Element} container @param {string} className */
function childrenWithClass(container, className) {
  return Array.from(container.children).filter((child) => child.classList.contains(className));
}

/**
 * Show boot progress in a placeholder ("Loading Python 40%").
 * @param {HTMLElement} container
 * @param {{stage: string, percent?: number, detail?: string}} status
 */
export function showStatus(container, { stage, percent, detail = "" }) {
  const doc = container.ownerDocument;
  let box = childrenWithClass(container, "fh-anywidget-status")[0];
  if (!box) {
    box = doc.createElement("div");
    box.className = "fh-anywidget-status";
    container.prepend(box);
  }
  const label = doc.createElement("span");
  const hasPercent = typeof percent === "number" && Number.isFinite(percent);
  label.textContent = `${stage}${detail ? ` (${detail})` : ""}${hasPercent ? ` ${Math.round(percent)}%` : ""}…`;
  const bar = /** @type {HTMLProgressElement} */ (doc.createElement("progress"));
  bar.max = 100;
  if (hasPercent) bar.value = Math.max(0, Math.min(100, percent));
  box.setAttribute("role", "status");
  box.replaceChildren(label, bar);
}

/** Remove the status line of a placeholder. @param {HTMLElement} container */
export function clearStatus(container) {
  for (const box of childrenWithClass(container, "fh-anywidget-status")) box.remove();
}

/**
 * An error as `{type, message, traceback}`, whatever was thrown.
 * @param {unknown} err
 * @returns {ErrorInfo}
 */
export function toErrorInfo(err) {
  const e = /** @type {any} */ (err);
  if (e && typeof e === "object" && typeof e.message === "string" && typeof e.traceback === "string") {
    return { type: String(e.type || "Error"), message: e.message, traceback: e.traceback };
  }
  if (e instanceof Error) {
    // the runtime's own errors say the fix; their stack is noise to the page's author
    const own = e.message.startsWith("[fh-anywidget]");
    return { type: e.name || "Error", message: e.message, traceback: own ? "" : e.stack || "" };
  }
  const message = typeof e === "string" ? e : JSON.stringify(e) ?? String(e);
  return { type: "Error", message, traceback: "" };
}

/** Errors already explained (web/page/offline.js), so that every view and log line of one says the same. */
const explainedErrors = new WeakMap();

/**
 * `err` as `{type, message, traceback}`, explained if it is a failed load of an outside URL.
 * @param {unknown} err
 * @returns {{info: ErrorInfo, explained: boolean}}
 */
function describeError(err) {
  const keyed = err !== null && typeof err === "object";
  const known = keyed ? explainedErrors.get(err) : undefined;
  if (known) return { info: known, explained: true };
  const info = toErrorInfo(err);
  const explained = outsideRequests.explain(info);
  if (explained && keyed) explainedErrors.set(err, explained);
  return { info: explained ?? info, explained: Boolean(explained) };
}

/**
 * Call `then` with `err` explained, if its explanation comes after it (a policy report can
 * follow the rejection it explains).
 * @param {unknown} err @param {ErrorInfo} info @param {(explained: ErrorInfo) => void} then
 */
function explainLater(err, info, then) {
  outsideRequests.whenExplained(info, (explained) => {
    if (err !== null && typeof err === "object") explainedErrors.set(err, explained);
    then(explained);
  });
}

/**
 * Show an error in `container`: a visible box with the message and the traceback, and a
 * `fhaw:error` event on it. A box of the same `source` already there is replaced, so one failure shows once. An error that says a
 * load failed names the outside URL that was tried, once that is known (web/page/offline.js).
 * @param {HTMLElement} container
 * @param {unknown} err
 * @param {{source?: string, dismissible?: boolean}} [options]
 * @returns {HTMLElement} the box
 */
export function showError(container, err, { source = "runtime", dismissible = false } = {}) {
  const { info, explained } = describeError(err);
  clearErrors(container, source);
  const box = errorBox(container.ownerDocument, info, source, dismissible);
  container.prepend(box);
  if (container.isConnected) {
    fire(container, ERROR_EVENT, { key: placeholderKey(container), error: { type: info.type, message: info.message }, source });
  }
  if (!explained) {
    explainLater(err, info, (later) => {
      if (box.isConnected) box.replaceWith(errorBox(container.ownerDocument, later, source, dismissible));
    });
  }
  return box;
}

/**
 * @param {Document} doc @param {ErrorInfo} info @param {string} source @param {boolean} dismissible
 * @returns {HTMLElement}
 */
function errorBox(doc, info, source, dismissible) {
  const box = doc.createElement("div");
  box.className = "fh-anywidget-error";
  box.setAttribute("role", "alert");
  box.setAttribute("data-source", source);
  const head = doc.createElement("div");
  head.className = "fh-anywidget-error-head";
  const type = doc.createElement("strong");
  type.textContent = info.type;
  const message = doc.createElement("span");
  message.className = "fh-anywidget-error-message";
  message.textContent = info.message;
  head.append(type, message);
  if (dismissible) {
    const close = doc.createElement("button");
    close.className = "fh-anywidget-error-close";
    close.setAttribute("type", "button");
    close.setAttribute("aria-label", "Dismiss this error");
    close.textContent = "×";
    close.addEventListener("click", () => box.remove());
    head.append(close);
  }
  box.append(head);
  const detail = info.traceback && info.traceback.trim() !== info.message.trim() ? info.traceback : "";
  if (detail) {
    const pre = doc.createElement("pre");
    pre.textContent = detail;
    box.append(pre);
  }
  return box;
}

/**
 * Remove the error boxes of `container` (only those of `source`, if given).
 * @param {HTMLElement} container @param {string} [source]
 */
export function clearErrors(container, source) {
  for (const box of childrenWithClass(container, "fh-anywidget-error")) {
    if (source === undefined || box.getAttribute("data-source") === source) box.remove();
  }
}

/**
 * Log an error with the runtime's prefix (explained as `showError` explains it; an explanation
 * that comes later is logged when it comes).
 * @param {string} where  What failed ("loading the _esm of counter").
 * @param {unknown} err
 */
export function logError(where, err) {
  const { info, explained } = describeError(err);
  console.error(`[fh-anywidget] ${where}: ${info.type}: ${info.message}${info.traceback ? `\n${info.traceback}` : ""}`);
  if (!explained) explainLater(err, info, (later) => console.error(`[fh-anywidget] ${where}: ${later.type}: ${later.message}`));
}

/**
 * Show a server-mode placeholder's connection: a notice while its socket is down (it stays
 * usable: what the visitor changes is sent when the socket is back) or while the server has lost
 * its broker ("degraded": changes wait on the server), nothing once online.
 * @param {HTMLElement} container
 * @param {{state: string, attempt: number, retryInMs: number, message?: string}} info
 */
export function showConnection(container, { state, attempt, retryInMs, message }) {
  container.setAttribute("data-fh-anywidget-connection", state);
  let box = childrenWithClass(container, "fh-anywidget-offline")[0];
  if (state !== "offline" && state !== "degraded") {
    box?.remove();
    return;
  }
  if (!box) {
    ensureStyles(container.ownerDocument);
    box = container.ownerDocument.createElement("div");
    box.className = "fh-anywidget-offline";
    box.setAttribute("role", "status");
    container.prepend(box);
  }
  box.textContent = state === "degraded"
    ? message || "The server is degraded; changes are kept and applied when it recovers."
    : retryInMs
    ? `Connection to the server lost; reconnecting in ${Math.max(1, Math.round(retryInMs / 1000))} s (attempt ${attempt})…`
    : "Connection to the server lost.";
}
