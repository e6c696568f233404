// The runtime in an htmx app: its same-origin requests name the page's server side (the
// `FHAW-Page` header, so a route can reach the page's server-mode widgets), the updates a
// response carries in its `FHAW-Update` header are applied, and HTML that server code pushes
// (`host.push`) is swapped in out of band: by htmx when the page has it, else by id.
// @ts-check

import { PAGE_HEADER, UPDATE_HEADER } from "../shared/protocol.js";

/**
 * Listen to htmx's request events on `doc` (they bubble from the element that made the request;
 * htmx may load before or after the runtime).
 * @param {Document} doc
 * @param {object} hooks
 * @param {() => string | null} hooks.pageId  The page's server-side id, once it has one.
 * @param {(headerText: string, elt: EventTarget) => void} hooks.onUpdateHeader
 * @returns {() => void} stop listening
 */
export function connectHtmx(doc, { pageId, onUpdateHeader }) {
  /** @param {Event} event */
  const configRequest = (event) => {
    const detail = /** @type {any} */ (event).detail;
    const id = pageId();
    if (!id || !detail || typeof detail.headers !== "object") return;
    if (sameOrigin(String(detail.path ?? ""), doc.baseURI)) detail.headers[PAGE_HEADER] = id;
  };
  /** @param {Event} event */
  const afterRequest = (event) => {
    const detail = /** @type {any} */ (event).detail;
    const xhr = detail?.xhr;
    if (!xhr || detail.successful === false || typeof xhr.getResponseHeader !== "function") return;
    const text = xhr.getResponseHeader(UPDATE_HEADER);
    if (text) onUpdateHeader(text, detail.elt && detail.elt.isConnected ? detail.elt : doc);
  };
  doc.addEventListener("htmx:configRequest", configRequest);
  doc.addEventListener("htmx:afterRequest", afterRequest);
  return () => {
    doc.removeEventListener("htmx:configRequest", configRequest);
    doc.removeEventListener("htmx:afterRequest", afterRequest);
  };
}

/** Whether `path` (as htmx resolves it against the page) is on the page's own origin. @param {string} path @param {string} base */
export function sameOrigin(path, base) {
  try {
    return new URL(path, base).origin === new URL(base).origin;
  } catch {
    return false;
  }
}

/**
 * Swap HTML pushed by the server in, out of band: htmx's own out-of-band swap when the page has
 * htmx; without it, each top-level element marked `hx-swap-oob` ("true"/"outerHTML" or
 * "innerHTML") replaces the element with its id. Returns the problems (nothing is thrown).
 * @param {Document} doc @param {string} html @param {any} [htmx]  The page's htmx (window.htmx).
 * @returns {string[]}
 */
export function swapOutOfBand(doc, html, htmx = /** @type {any} */ (globalThis).htmx) {
  if (htmx && typeof htmx.swap === "function") {
    htmx.swap(doc.body, html, { swapStyle: "none" });
    return [];
  }
  /** @type {string[]} */
  const problems = [];
  const template = doc.createElement("template");
  template.innerHTML = html;
  for (const el of Array.from(template.content.children)) {
    const how = el.getAttribute("hx-swap-oob") ?? el.getAttribute("data-hx-swap-oob");
    const target = el.id ? doc.getElementById(el.id) : null;
    if (how === null) problems.push(`<${el.localName}${el.id ? ` id="${el.id}"` : ""}> has no hx-swap-oob; only out-of-band elements are swapped in`);
    else if (!target) problems.push(`no element with id ${JSON.stringify(el.id)} on the page to swap <${el.localName}> into`);
    else if (how === "true" || how === "outerHTML") {
      el.removeAttribute("hx-swap-oob");
      el.removeAttribute("data-hx-swap-oob");
      target.replaceWith(el);
    } else if (how === "innerHTML") target.replaceChildren(...Array.from(el.childNodes));
    else problems.push(`hx-swap-oob=${JSON.stringify(how)} needs htmx on the page (without it: "true" or "innerHTML")`);
  }
  return problems;
}
