// Load a widget's ES module from `_esm` and normalise it to `{initialize?, render?}`.
// @ts-check

import { isURL } from "./urls.js";

/**
 * @typedef {object} WidgetDefinition  What a widget module provides (the AFM).
 * @property {(context: {model: any, signal: AbortSignal, experimental: any}) => any} [initialize]
 * @property {(context: {model: any, el: HTMLElement, signal: AbortSignal, host: any, experimental: any}) => any} [render]
 *
 * @typedef {object} LoadOptions
 * @property {(url: string) => Promise<any>} [importModule]  Imports a URL (default: dynamic `import()`).
 * @property {(text: string) => {url: string, release(): void}} [textToURL]
 *   Makes an importable URL of inline module text (default: a Blob URL, revoked after import).
 * @property {string} [name]  Names the widget in messages (its `_anywidget_id` or model id).
 */

/** @param {string} url */
const defaultImport = (url) => import(/* webpackIgnore: true */ /* @vite-ignore */ url);

/** @param {string} text */
function blobURL(text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  return { url, release: () => URL.revokeObjectURL(url) };
}

/** Modules already warned about the legacy `export function render`. */
const warnedLegacy = new Set();

/** The modules of inline texts whose widgets were closed, per import function and text: the next
 * widget with the same text takes one instead of importing it again.
 * @type {WeakMap<Function, Map<string, any[]>>} */
const freeModules = new WeakMap();

/**
 * Import `_esm` (inline text or a URL) and return the module namespace and its `release`.
 *
 * An inline text is imported afresh for each widget, as anywidget does (through a Blob URL: so
 * each live widget has its own module and module-level state), except that a module whose widget
 * was closed (`release`) is given to the next widget with the same text. The browser never lets an
 * imported module go, so a page that swaps widgets in and out a thousand times would otherwise keep
 * a thousand copies. A URL is imported once by the browser anyway: every widget shares it.
 * @param {string} esm
 * @param {LoadOptions} [options]
 * @returns {Promise<{module: any, release(): void}>}
 */
export async function acquireESM(esm, { importModule = defaultImport, textToURL = blobURL, name = "widget" } = {}) {
  if (typeof esm !== "string" || esm.trim() === "") {
    throw new Error(`[fh-anywidget] ${name} has no _esm: give the widget class an _esm (module text, a Path or a URL)`);
  }
  if (isURL(esm)) return { module: await importModule(esm), release() {} };
  let byText = freeModules.get(importModule);
  if (!byText) freeModules.set(importModule, (byText = new Map()));
  const free = byText.get(esm);
  let module = free?.pop();
  if (free && free.length === 0) byText.delete(esm);
  if (module === undefined) {
    const { url, release } = textToURL(esm);
    try {
      module = await importModule(url);
    } finally {
      release();
    }
  }
  let released = false;
  return {
    module,
    release() {
      if (released) return;
      released = true;
      const pool = byText.get(esm) ?? [];
      pool.push(module);
      byText.set(esm, pool);
    },
  };
}

/**
 * Import `_esm` and return the module namespace (a module of its own; see `acquireESM`).
 * @param {string} esm
 * @param {LoadOptions} [options]
 */
export async function importESM(esm, options = {}) {
  return (await acquireESM(esm, options)).module;
}

/**
 * Turn a module namespace into a widget definition, as anywidget does: a default export
 * object; a default export function returning one (called now, may be async); or, with a
 * deprecation warning, a named `render` export.
 * @param {any} mod
 * @param {{name?: string, key?: string}} [options]  `key` identifies the module for the once-only warning.
 * @returns {Promise<WidgetDefinition>}
 */
export async function normaliseModule(mod, { name = "widget", key = name } = {}) {
  const expected =
    "export default { initialize?, render? }, or export default a function returning that object " +
    "(e.g. `function render({ model, el }) { ... }; export default { render };`)";
  if (mod && mod.default !== undefined) {
    const value = typeof mod.default === "function" ? await mod.default() : mod.default;
    return checkDefinition(value, name, expected);
  }
  if (mod && typeof mod.render === "function") {
    if (!warnedLegacy.has(key)) {
      warnedLegacy.add(key);
      console.warn(
        `[fh-anywidget] ${name}: a named \`export function render\` is deprecated; ` +
          "remove `export` from it and add `export default { render };`",
      );
    }
    return { initialize: typeof mod.initialize === "function" ? mod.initialize : undefined, render: mod.render };
  }
  const exported = mod ? Object.keys(mod).join(", ") || "nothing" : "nothing";
  throw new Error(`[fh-anywidget] the _esm of ${name} exports ${exported}; it must ${expected}`);
}

/**
 * @param {any} value @param {string} name @param {string} expected
 * @returns {WidgetDefinition}
 */
function checkDefinition(value, name, expected) {
  if (!value || typeof value !== "object") {
    throw new Error(`[fh-anywidget] the default export of ${name}'s _esm gave ${describe(value)}; it must ${expected}`);
  }
  for (const hook of ["initialize", "render"]) {
    if (value[hook] !== undefined && typeof value[hook] !== "function") {
      throw new Error(`[fh-anywidget] ${name}'s _esm exports ${hook} as ${describe(value[hook])}; ${hook} must be a function`);
    }
  }
  return { initialize: value.initialize, render: value.render };
}

/** @param {unknown} value */
function describe(value) {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/**
 * Import `_esm` and normalise it; `release` gives the module back when the widget is closed (see `acquireESM`).
 * @param {string} esm
 * @param {LoadOptions} [options]
 * @returns {Promise<WidgetDefinition & {release(): void}>}
 */
export async function loadWidget(esm, options = {}) {
  const { module, release } = await acquireESM(esm, options);
  try {
    return { ...(await normaliseModule(module, { name: options.name, key: esm })), release };
  } catch (err) {
    release();
    throw err;
  }
}
