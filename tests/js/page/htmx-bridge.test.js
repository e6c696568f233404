import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PAGE_HEADER, UPDATE_HEADER } from "../../../web/shared/protocol.js";
import { connectHtmx, sameOrigin, swapOutOfBand } from "../../../web/page/htmx-bridge.js";
import { FakeDocument } from "./fake-dom.js";

/** An htmx event as htmx dispatches it (it bubbles to the document). @param {string} type @param {object} detail */
const htmxEvent = (type, detail) => new CustomEvent(type, { bubbles: true, detail });

describe("the runtime in an htmx page", () => {
  test("same-origin htmx requests name the page's server side; other origins and pages without one do not", () => {
    const doc = new FakeDocument();
    let id = /** @type {string | null} */ ("page-1");
    connectHtmx(/** @type {any} */ (doc), { pageId: () => id, onUpdateHeader: () => {} });
    const ask = (/** @type {string} */ path) => {
      const detail = { headers: {}, path };
      doc.dispatchEvent(htmxEvent("htmx:configRequest", detail));
      return detail.headers;
    };
    assert.deepEqual(ask("/report"), { [PAGE_HEADER]: "page-1" });
    assert.deepEqual(ask("http://localhost/x"), { [PAGE_HEADER]: "page-1" });
    assert.deepEqual(ask("https://elsewhere.example/x"), {}); // the page id is not for other sites
    id = null;
    assert.deepEqual(ask("/report"), {});
  });

  test("a successful response's FHAW-Update header goes to onUpdateHeader with the element that asked", () => {
    const doc = new FakeDocument();
    const elt = doc.createElement("button");
    doc.body.append(elt);
    /** @type {any[]} */
    const got = [];
    const stop = connectHtmx(/** @type {any} */ (doc), { pageId: () => null, onUpdateHeader: (text, where) => got.push([text, where]) });
    const xhr = (/** @type {string | null} */ value) => ({ getResponseHeader: (/** @type {string} */ name) => (name === UPDATE_HEADER ? value : null) });
    doc.dispatchEvent(htmxEvent("htmx:afterRequest", { xhr: xhr('{"key":"a","state":{}}'), elt, successful: true }));
    doc.dispatchEvent(htmxEvent("htmx:afterRequest", { xhr: xhr('{"key":"b","state":{}}'), elt, successful: false }));
    doc.dispatchEvent(htmxEvent("htmx:afterRequest", { xhr: xhr(null), elt, successful: true }));
    assert.deepEqual(got, [['{"key":"a","state":{}}', elt]]);
    stop();
    doc.dispatchEvent(htmxEvent("htmx:afterRequest", { xhr: xhr('{"key":"c","state":{}}'), elt, successful: true }));
    assert.equal(got.length, 1);
  });

  test("pushed HTML goes through htmx's own swap, out of band only", () => {
    const doc = new FakeDocument();
    /** @type {any[]} */
    const calls = [];
    const htmx = { swap: (/** @type {any[]} */ ...args) => calls.push(args) };
    assert.deepEqual(swapOutOfBand(/** @type {any} */ (doc), '<div id="t" hx-swap-oob="true">1</div>', htmx), []);
    assert.deepEqual(calls, [[doc.body, '<div id="t" hx-swap-oob="true">1</div>', { swapStyle: "none" }]]);
  });

  test("same origin means the page's own scheme, host and port", () => {
    assert.equal(sameOrigin("/a", "http://localhost:5001/x"), true);
    assert.equal(sameOrigin("http://localhost:5002/a", "http://localhost:5001/x"), false);
    assert.equal(sameOrigin("::bad::", "not a url"), false);
  });
});
