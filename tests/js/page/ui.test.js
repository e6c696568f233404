// The runtime's error boxes and console lines (web/page/ui.js) explain a failed load of an outside
// URL with what web/page/offline.js learned about it.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";

import { RECENT_MS, outsideRequests } from "../../../web/page/offline.js";
import { logError, showError } from "../../../web/page/ui.js";
import { FakeDocument, errorBoxes } from "./fake-dom.js";

const CDN_MODULE = "https://cdn.jsdelivr.net/npm/d3-array@3.2.4/+esm";
const CDN_WASM = "https://cdn.jsdelivr.net/npm/sql.js@1.10.3/dist/sql-wasm.wasm";
const IMPORT_FAILED = "Failed to fetch dynamically imported module: blob:http://127.0.0.1:5001/3f2a";

/** @param {string} url @param {string} directive */
const violation = (url, directive) => ({ blockedURI: url, effectiveDirective: directive, disposition: "report" });

describe("the runtime's error boxes and console lines (web/page/ui.js)", () => {
  const now = outsideRequests.now;
  afterEach(() => {
    outsideRequests.now = now;
    outsideRequests.setSource(false);
  });

  test("an import error shows the URL the page reported, in the box and the console", (t) => {
    const errors = t.mock.method(console, "error", () => {});
    let clock = 1e6;
    outsideRequests.now = () => clock;
    outsideRequests.noteViolation(violation(CDN_MODULE, "script-src-elem"));
    const err = new TypeError(IMPORT_FAILED);
    logError("loading the widget w.CdnImport", err);
    const doc = new FakeDocument();
    const el = doc.createElement("div");
    doc.body.append(el);
    clock += RECENT_MS * 2; // a view made later shows the same explanation
    showError(/** @type {any} */ (el), err, { source: "binding" });
    const [box] = errorBoxes(el);
    assert.match(box.textContent, /imports https:\/\/cdn\.jsdelivr\.net\/npm\/d3-array@3\.2\.4\/\+esm from the internet, and this site runs offline/);
    assert.match(box.textContent, /Failed to fetch dynamically imported module: blob:/, "the browser's words stay below");
    assert.equal(errors.mock.callCount(), 1);
    assert.match(String(errors.mock.calls[0].arguments[0]), /^\[fh-anywidget\] loading the widget w\.CdnImport: TypeError: \[fh-anywidget\] this widget's front end imports https:\/\/cdn\.jsdelivr\.net\S+ from the internet, and this site runs offline/);
  });

  test("a report that comes after the error updates the box in place and adds a console line", (t) => {
    const errors = t.mock.method(console, "error", () => {});
    const clock = 5e6;
    outsideRequests.now = () => clock;
    outsideRequests.setSource(true, () => []);
    const err = new TypeError("Failed to fetch");
    logError("rendering the widget w.CdnWasm", err);
    const doc = new FakeDocument();
    const el = doc.createElement("div");
    doc.body.append(el);
    const other = doc.createElement("p");
    el.append(other);
    showError(/** @type {any} */ (el), err, { source: "render" });
    assert.doesNotMatch(el.textContent, /runs offline/);
    outsideRequests.noteViolation(violation(CDN_WASM, "connect-src"));
    const boxes = errorBoxes(el);
    assert.equal(boxes.length, 1);
    assert.equal(el.children[0], boxes[0], "in the same place");
    assert.equal(boxes[0].getAttribute("data-source"), "render");
    assert.match(boxes[0].textContent, /fetches https:\/\/cdn\.jsdelivr\.net\/npm\/sql\.js@1\.10\.3\/dist\/sql-wasm\.wasm from the internet, and this site runs offline/);
    assert.equal(errors.mock.callCount(), 2);
    assert.match(String(errors.mock.calls[1].arguments[0]), /^\[fh-anywidget\] rendering the widget w\.CdnWasm: TypeError: \[fh-anywidget\] this widget's front end fetches https:\/\/cdn\.jsdelivr\.net\/npm\/sql\.js/);
  });
});
