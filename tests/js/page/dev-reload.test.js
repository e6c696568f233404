import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { applyDevChange, listenForDevChanges } from "../../../web/page/dev-reload.js";
import { recordingModel } from "./helpers.js";

const V1 = "export default { render() {} }";
const V2 = "export default { render({ el }) { el.textContent = 2; } }";

describe("development reload", () => {
  test("a change goes to the models of its widget class, locally and to Python", () => {
    const { model: mine, sent } = recordingModel({ _anywidget_id: "pkg.Widget", _esm: V1 });
    const { model: other, sent: otherSent } = recordingModel({ _anywidget_id: "pkg.Other", _esm: V1 });
    const changes = [];
    mine.on("change:_esm", (_m, text) => changes.push(text));
    assert.equal(applyDevChange([mine, other], { id: "pkg.Widget", name: "_esm", text: V2 }), 1);
    assert.deepEqual(changes, [V2]); // the binding's change:_esm listener re-imports
    assert.deepEqual(sent.map((s) => s.data), [{ method: "update", state: { _esm: V2 }, buffer_paths: [] }]);
    assert.equal(other.get("_esm"), V1);
    assert.deepEqual(otherSent, []);
  });

  test("closed models are left alone", () => {
    const { model, sent } = recordingModel({ _anywidget_id: "pkg.Widget", _esm: V1 });
    model.closed = true;
    assert.equal(applyDevChange([model], { id: "pkg.Widget", name: "_css", text: "p {}" }), 0);
    assert.deepEqual(sent, []);
  });

  test("a malformed event is refused with a warning, nothing set", (t) => {
    const warn = t.mock.method(console, "warn", () => {});
    const { model, sent } = recordingModel({ _anywidget_id: "pkg.Widget", _esm: V1 });
    assert.equal(applyDevChange([model], { id: "pkg.Widget", name: "value", text: "1" }), 0);
    assert.equal(applyDevChange([model], null), 0);
    assert.deepEqual(sent, []);
    assert.equal(warn.mock.callCount(), 2);
    assert.match(String(warn.mock.calls[0].arguments[0]), /_esm.*_css/);
  });

  test("listenForDevChanges applies each message of the event stream until stopped", (t) => {
    t.mock.method(console, "info", () => {});
    /** @type {any} */
    let source;
    class FakeEventSource {
      constructor(url) {
        this.url = String(url);
        this.closed = false;
        this.listeners = [];
        source = this;
      }
      addEventListener(type, listener) {
        if (type === "message") this.listeners.push(listener);
      }
      close() {
        this.closed = true;
      }
    }
    const { model } = recordingModel({ _anywidget_id: "pkg.Widget", _esm: V1 });
    const stop = listenForDevChanges({ url: "/_fhaw/dev/events", models: () => [model], EventSourceImpl: FakeEventSource });
    assert.equal(source.url, "/_fhaw/dev/events");
    for (const listener of source.listeners) listener({ data: JSON.stringify({ id: "pkg.Widget", name: "_esm", text: V2 }) });
    assert.equal(model.get("_esm"), V2);
    stop();
    assert.equal(source.closed, true);
  });
});
