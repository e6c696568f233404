// A widget's `_css` on the page: inline text in one <style>, a URL in one
// <link rel=stylesheet>, keyed by the model; a change replaces it, dispose removes it.
// @ts-check

import { isURL } from "./urls.js";

export const CSS_ATTRIBUTE = "data-fh-anywidget-css";

/**
 * The style sheet of one model.
 * @param {string} id  The model id (or `_anywidget_id`) the element is keyed by.
 * @param {Document} [doc]
 */
export function createStyleSheet(id, doc = document) {
  /** @type {HTMLStyleElement | HTMLLinkElement | null} */
  let element = null;
  let current = "";

  return {
    /** The element now in the page, if any. */
    get element() {
      return element;
    },
    /** Show `css` (text or URL; empty removes it). @param {unknown} css */
    update(css) {
      const value = typeof css === "string" ? css : "";
      if (value === current) return;
      current = value;
      if (!value.trim()) {
        element?.remove();
        element = null;
      } else if (isURL(value)) {
        const link = doc.createElement("link");
        link.rel = "stylesheet";
        link.href = value;
        link.setAttribute(CSS_ATTRIBUTE, id);
        const previous = element;
        element = link;
        if (previous) {
          // keep the old rules until the new sheet is in, so the widget does not flash unstyled
          const drop = () => previous.remove();
          link.addEventListener("load", drop);
          link.addEventListener("error", drop);
          previous.after(link);
        } else {
          doc.head.append(link);
        }
      } else if (element && element.tagName === "STYLE") {
        element.textContent = value;
      } else {
        const style = doc.createElement("style");
        style.setAttribute(CSS_ATTRIBUTE, id);
        style.textContent = value;
        if (element) element.replaceWith(style);
        else doc.head.append(style);
        element = style;
      }
    },
    remove() {
      element?.remove();
      element = null;
      current = "";
    },
  };
}
