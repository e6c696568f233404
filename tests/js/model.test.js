import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Model, isEqual } from "../../web/model.js";
import { recordingModel, } from "./helpers.js";

describe("Model get/set", () => {
  test("get returns the comm_open state, with its buffers as DataViews", () => {
    const model = new Model({
      comm_id: "m",
      data: { state: { value: 3, pic: {} }, buffer_paths: [["pic", "bytes"]] },
      buffers: [new Uint8Array([4]).buffer],
      sendComm: () => 0,
      widget_manager: { get_model: async () => model },
    });
    assert.equal(model.get("value"), 3);
    assert.ok(model.get("pic").bytes instanceof DataView);
  });

  test("set fires change:x with (model, value) and then change, at once", () => {
    const { model } = recordingModel({ value: 0 });
    const calls = [];
    model.on("change:value", (m, v) => calls.push(["change:value", m, v]));
    model.on("change", (m) => calls.push(["change", m]));
    model.set("value", 5);
    assert.deepEqual(calls, [["change:value", model, 5], ["change", model]]);
    assert.equal(model.get("value"), 5);
  });

  test("set with an object fires one change:x per changed key and one change", () => {
    const { model } = recordingModel({ a: 1, b: 2 });
    const names = [];
    model.on("change:a", () => names.push("a"));
    model.on("change:b", () => names.push("b"));
    model.on("change", () => names.push("change"));
    model.set({ a: 10, b: 2 });
    assert.deepEqual(names, ["a", "change"]);
  });

  test("setting an equal value (deep) fires no change event but is still sent to Python", () => {
    const { model, sent } = recordingModel({ list: [1, { x: 2 }] });
    let fired = 0;
    model.on("change", () => fired++);
    model.set("list", [1, { x: 2 }]);
    model.save_changes();
    assert.equal(fired, 0);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0].data.state, { list: [1, { x: 2 }] });
  });

  test("a value mutated in place and set back reaches Python (drawdata does this)", () => {
    const { model, sent } = recordingModel({ points: [] });
    const points = model.get("points");
    points.push({ x: 1, y: 2 });
    model.set("points", points);
    model.save_changes();
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0].data.state, { points: [{ x: 1, y: 2 }] });
  });

  test("isEqual compares binary data by bytes and type", () => {
    assert.ok(isEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
    assert.ok(!isEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
    assert.ok(!isEqual(new Uint8Array([1]), new Int8Array([1])));
  });
});

describe("Model save_changes", () => {
  test("sends one update with the changed attributes and a fresh seq", () => {
    const { model, sent } = recordingModel({ a: 1, b: 2, c: 3 });
    model.set("a", 10);
    model.set("b", 20);
    model.save_changes();
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0].data, { method: "update", state: { a: 10, b: 20 }, buffer_paths: [] });
    model.set("c", 30);
    model.save_changes();
    assert.deepEqual(sent[1].data.state, { c: 30 });
    assert.equal(sent[1].seq, 2);
  });

  test("binary values travel as buffers with buffer_paths", () => {
    const { model, sent } = recordingModel({});
    model.set("pixels", new Uint8Array([1, 2, 3]));
    model.save_changes();
    assert.deepEqual(sent[0].data, { method: "update", state: {}, buffer_paths: [["pixels"]] });
    assert.deepEqual([...new Uint8Array(sent[0].buffers[0])], [1, 2, 3]);
  });

  test("with nothing changed, nothing is sent", () => {
    const { model, sent } = recordingModel({ a: 1 });
    model.save_changes();
    assert.equal(sent.length, 0);
  });
});

describe("Model incoming updates and echoes", () => {
  test("an update applies state and fires change:x and change", () => {
    const { model } = recordingModel({ a: 1 });
    const calls = [];
    model.on("change:a", (m, v) => calls.push(v));
    model.on("change", () => calls.push("change"));
    model.receive({ method: "update", state: { a: 2 }, buffer_paths: [] }, [], null);
    assert.deepEqual(calls, [2, "change"]);
  });

  test("an update's buffers arrive as DataViews at their paths", () => {
    const { model } = recordingModel({});
    model.receive({ method: "update", state: {}, buffer_paths: [["img"]] }, [new Uint8Array([7]).buffer], null);
    assert.ok(model.get("img") instanceof DataView);
    assert.equal(model.get("img").getUint8(0), 7);
  });

  test("an echo older than the last update sent for an attribute is dropped for it", () => {
    const { model } = recordingModel({ v: 0 });
    model.set("v", 1);
    model.save_changes(); // seq 1
    model.set("v", 2);
    model.save_changes(); // seq 2
    model.receive({ method: "echo_update", state: { v: 1 }, buffer_paths: [] }, [], 1);
    assert.equal(model.get("v"), 2);
  });

  test("the matching echo clears the entry and applies, later echoes apply", () => {
    const { model } = recordingModel({ v: 0 });
    model.set("v", 1);
    model.save_changes(); // seq 1
    model.receive({ method: "echo_update", state: { v: 1.5 }, buffer_paths: [] }, [], 1); // Python adjusted it
    assert.equal(model.get("v"), 1.5);
    model.receive({ method: "echo_update", state: { v: 9 }, buffer_paths: [] }, [], null); // another client
    assert.equal(model.get("v"), 9);
  });

  test("an echo is dropped per attribute: the others in it still apply", () => {
    const { model } = recordingModel({ a: 0, b: 0 });
    model.set("a", 1);
    model.save_changes(); // seq 1
    model.set("a", 2);
    model.save_changes(); // seq 2
    model.receive({ method: "echo_update", state: { a: 1, b: 5 }, buffer_paths: [] }, [], 1);
    assert.equal(model.get("a"), 2);
    assert.equal(model.get("b"), 5);
  });

  test("an echo with parent null while an echo is expected is dropped", () => {
    const { model } = recordingModel({ v: 0 });
    model.set("v", 1);
    model.save_changes();
    model.receive({ method: "echo_update", state: { v: 7 }, buffer_paths: [] }, [], null);
    assert.equal(model.get("v"), 1);
  });

  test("an echo for an attribute with no entry (another client) applies like an update", () => {
    const { model } = recordingModel({ v: 0 });
    model.receive({ method: "echo_update", state: { v: 3 }, buffer_paths: [] }, [], 4);
    assert.equal(model.get("v"), 3);
  });

  test("an incoming value is not sent back by the next save_changes", () => {
    const { model, sent } = recordingModel({ v: 0 });
    model.set("v", 1); // not saved
    model.receive({ method: "update", state: { v: 5 }, buffer_paths: [] }, [], null);
    model.save_changes();
    assert.equal(sent.length, 0);
  });
});

describe("Model custom messages", () => {
  test("incoming custom fires msg:custom with (content, DataView[])", () => {
    const { model } = recordingModel();
    const got = [];
    model.on("msg:custom", (content, buffers) => got.push([content, buffers]));
    model.receive({ method: "custom", content: { hi: 1 } }, [new Uint8Array([1, 2]).buffer], null);
    assert.deepEqual(got[0][0], { hi: 1 });
    assert.ok(got[0][1][0] instanceof DataView);
    assert.equal(got[0][1][0].byteLength, 2);
  });

  test("send(content, callbacks, buffers) sends a custom message with ArrayBuffers", () => {
    const { model, sent } = recordingModel();
    model.send({ go: true }, undefined, [new Uint8Array([1, 2, 3]).subarray(1)]);
    assert.deepEqual(sent[0].data, { method: "custom", content: { go: true } });
    assert.deepEqual([...new Uint8Array(sent[0].buffers[0])], [2, 3]);
  });
});

describe("Model queue and proxy", () => {
  test("messages arriving before initialize finishes are handled after it, in order", async () => {
    const { model } = recordingModel({ v: 0 });
    let finish = () => {};
    model.queueUntil(new Promise((resolve) => (finish = resolve)));
    const seen = [];
    model.on("change:v", (m, v) => seen.push(v));
    model.receive({ method: "update", state: { v: 1 }, buffer_paths: [] }, [], null);
    model.receive({ method: "update", state: { v: 2 }, buffer_paths: [] }, [], null);
    assert.equal(model.get("v"), 0);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, [1, 2]);
  });

  test("the queue is flushed even when initialize fails (so a fixed _esm can still arrive)", async () => {
    const { model } = recordingModel({ v: 0 });
    model.queueUntil(Promise.reject(new Error("init failed")));
    model.receive({ method: "update", state: { v: 1 }, buffer_paths: [] }, [], null);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(model.get("v"), 1);
  });

  test("a custom message is not held behind a listener that may be waiting for it; what was held goes first", () => {
    const { model } = recordingModel({ v: 0 });
    const release = model.holdMessages();
    const seen = [];
    model.receive({ method: "update", state: { v: 1 }, buffer_paths: [] }, [], null);
    model.receive({ method: "custom", content: "nobody listens yet" }, [], null);
    assert.deepEqual(seen, []);
    model.on("change:v", (m, v) => seen.push(`v ${v}`));
    model.on("msg:custom", (content) => seen.push(`custom ${content}`));
    model.receive({ method: "custom", content: "the reply" }, [], null);
    assert.deepEqual(seen, ["v 1", "custom nobody listens yet", "custom the reply"]);
    model.receive({ method: "update", state: { v: 2 }, buffer_paths: [] }, [], null);
    assert.deepEqual(seen.length, 3, "holding goes on for later updates");
    release();
    release();
    assert.deepEqual(seen, ["v 1", "custom nobody listens yet", "custom the reply", "v 2"]);
  });

  test("a proxy's off() removes only the listeners it registered", () => {
    const { model } = recordingModel({ v: 0 });
    const view = model.proxy({});
    const other = model.proxy({});
    view.on("change:v", () => {});
    other.on("change:v", () => {});
    view.off();
    assert.equal(model.listenerCount("change:v"), 1);
  });

  test("comm_close fires comm:close and destroy, then drops every listener", () => {
    const { model } = recordingModel();
    const events = [];
    model.on("comm:close", () => events.push("comm:close"));
    model.on("destroy", () => events.push("destroy"));
    model.receiveClose();
    assert.deepEqual(events, ["comm:close", "destroy"]);
    assert.equal(model.listenerCount(), 0);
    assert.equal(model.closed, true);
  });
});
