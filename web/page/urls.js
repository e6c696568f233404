// Is an `_esm` / `_css` value a URL to load, or inline text?
// @ts-check

/**
 * True for one-line http(s), data:, blob: URLs and same-origin paths ("/x.js", "./x.js",
 * "../x.js"); false for inline text (a module or a style sheet usually spans lines; a
 * one-line one never looks like a path: "//" and "/*" start comments).
 * @param {unknown} value
 * @returns {value is string}
 */
export function isURL(value) {
  if (typeof value !== "string") return false;
  const text = value.trim();
  if (text === "" || /\s/.test(text)) return false;
  if (/^(https?:|data:|blob:)/i.test(text)) return true;
  return /^(\.{0,2}\/)(?![/*])/.test(text);
}
