import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { UPDATE_ATTR } from "../../../web/shared/protocol.js";
import { applyUpdate, parseUpdateElement, parseUpdateHeader, reportUpdateError } from "../../../web/page/updates.js";
import { FakeDocument } from "./fake-dom.js";

/** A model stand-in that records what the update did. @param {Record<string, any>} state */
function fakeModel(state) {
  const calls = [];
  return {
    calls,
    getState: () => ({ ...state }),
    set: (/** @type {any} */ s) => calls.push(["set", s]),
    save_changes: () => calls.push(["save_changes"]),
  };
}

describe("host.update on the page", () => {
  test("a header holds one update or a list; a header sent twice (joined with ', ') holds both", () => {
    assert.deepEqual(parseUpdateHeader('{"key":"a","state":{"v":1}}'), [{ key: "a", state: { v: 1 } }]);
    assert.deepEqual(parseUpdateHeader('[{"key":"a","state":{"v":1}},{"key":"b","state":{}}]').map((u) => u.key), ["a", "b"]);
    assert.deepEqual(parseUpdateHeader('[{"key":"a","state":{"v":1}}], [{"key":"b","state":{"w":2}}]').map((u) => u.key), ["a", "b"]);
  });

  test("a header that is not JSON, or not updates, is an error that shows it and says how to make one", () => {
    assert.throws(() => parseUpdateHeader("{not json"), /FHAW-Update header is not JSON .*: \{not json; make it with host.update_header/);
    assert.throws(() => parseUpdateHeader('{"key": 3, "state": {}}'), /is not an update \{"key": \.\.\., "state": \{\.\.\.\}\}/);
    assert.throws(() => parseUpdateHeader('{"key": "a", "state": [1]}'), /is not an update/);
  });

  test("an update element carries one update", () => {
    const el = new FakeDocument().createElement("template");
    el.setAttribute(UPDATE_ATTR, '{"key":"chart","state":{"data":[1,2]}}');
    assert.deepEqual(parseUpdateElement(/** @type {any} */ (el)), { key: "chart", state: { data: [1, 2] } });
    el.setAttribute(UPDATE_ATTR, "{");
    assert.throws(() => parseUpdateElement(/** @type {any} */ (el)), /an update element's data-fh-anywidget-update is not JSON/);
  });

  test("it sets the traits as model.set + save_changes would", async () => {
    const model = fakeModel({ data: [], title: "" });
    await applyUpdate({ key: "chart", state: { data: [1], title: "t" } }, () => Promise.resolve(/** @type {any} */ (model)), () => ["chart"]);
    assert.deepEqual(model.calls, [["set", { data: [1], title: "t" }], ["save_changes"]]);
  });

  test("an unknown key names the keys the page has; an unknown trait names the traits, and nothing is set", async () => {
    await assert.rejects(applyUpdate({ key: "nope", state: { v: 1 } }, () => null, () => ["chart", "range"]),
      /names the widget "nope", which is not on this page; its widgets' keys: "chart", "range"/);
    const model = fakeModel({ data: [], title: "", _esm: "" });
    await assert.rejects(applyUpdate({ key: "chart", state: { data: [2], datta: [1] } }, () => Promise.resolve(/** @type {any} */ (model)), () => ["chart"]),
      /sets "datta" on the widget "chart", which has no such trait; its traits: data, title. Nothing was set/);
    assert.deepEqual(model.calls, []);
  });

  test("an update never sets a widget's front-end code, layout or private traits, and then sets nothing", async () => {
    const model = fakeModel({ data: [], title: "", _esm: "export default {}", _css: "", layout: "IPY_MODEL_1", _private: 0 });
    const modelFor = () => Promise.resolve(/** @type {any} */ (model));
    for (const name of ["_esm", "_css", "layout", "_private"]) {
      await assert.rejects(applyUpdate({ key: "chart", state: { title: "t", [name]: "evil" } }, modelFor, () => ["chart"]),
        new RegExp(`sets "${name}" on the widget "chart": an update sets only a widget's own traits \\(data, title\\).*change those in Python. Nothing was set`));
    }
    assert.deepEqual(model.calls, []);
  });

  test("a failed update is logged and fires fhaw:error (bubbling) where it came from", (t) => {
    const logged = t.mock.method(console, "error", () => {});
    const doc = new FakeDocument();
    const where = doc.createElement("div");
    doc.body.append(where);
    /** @type {any[]} */
    const seen = [];
    doc.addEventListener("fhaw:error", (/** @type {any} */ e) => seen.push(e.detail));
    reportUpdateError(new Error("[fh-anywidget] bad"), /** @type {any} */ (where), "chart");
    assert.deepEqual(seen, [{ key: "chart", error: { type: "Error", message: "[fh-anywidget] bad" }, source: "update" }]);
    assert.equal(logged.mock.callCount(), 1);
  });
});
