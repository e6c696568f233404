import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Emitter } from "../../../web/page/events.js";

describe("Emitter", () => {
  test("emit calls the listeners of that name, in order, with the arguments", () => {
    const e = new Emitter();
    const calls = [];
    e.on("x", (...args) => calls.push(["first", ...args]));
    e.on("x", (...args) => calls.push(["second", ...args]));
    e.on("y", () => calls.push(["y"]));
    e.emit("x", 1, 2);
    assert.deepEqual(calls, [["first", 1, 2], ["second", 1, 2]]);
  });

  test("off(name, cb) removes that one listener", () => {
    const e = new Emitter();
    const a = () => {};
    const b = () => {};
    e.on("x", a);
    e.on("x", b);
    e.off("x", a);
    assert.equal(e.count("x"), 1);
  });

  test("off(name) removes every listener of the name", () => {
    const e = new Emitter();
    e.on("x", () => {});
    e.on("x", () => {});
    e.on("y", () => {});
    e.off("x");
    assert.equal(e.count("x"), 0);
    assert.equal(e.count("y"), 1);
  });

  test("off(null, cb) removes cb from every name (null is a wildcard)", () => {
    const e = new Emitter();
    const cb = () => {};
    e.on("x", cb);
    e.on("y", cb);
    e.on("y", () => {});
    e.off(null, cb);
    assert.equal(e.count(), 1);
  });

  test("off() removes everything", () => {
    const e = new Emitter();
    e.on("x", () => {});
    e.on("y", () => {}, "owner");
    e.off();
    assert.equal(e.count(), 0);
  });

  test("off(null, null, owner) and offOwner(owner) remove only that owner's listeners", () => {
    const e = new Emitter();
    const view = {};
    const other = {};
    e.on("x", () => {}, view);
    e.on("y", () => {}, view);
    e.on("x", () => {}, other);
    e.on("x", () => {});
    e.offOwner(view);
    assert.equal(e.count(), 2);
    e.off(null, null, other);
    assert.equal(e.count(), 1);
  });

  test("offOwner(null) removes nothing", () => {
    const e = new Emitter();
    e.on("x", () => {});
    e.offOwner(null);
    assert.equal(e.count(), 1);
  });

  test("space-separated names register one listener each", () => {
    const e = new Emitter();
    let n = 0;
    e.on("change:a change:b", () => n++);
    e.emit("change:a");
    e.emit("change:b");
    assert.equal(n, 2);
  });

  test("a listener that throws is logged and the next one still runs", (t) => {
    const errors = t.mock.method(console, "error", () => {});
    const e = new Emitter();
    let ran = false;
    e.on("x", () => {
      throw new Error("boom");
    });
    e.on("x", () => (ran = true));
    e.emit("x");
    assert.equal(ran, true);
    assert.equal(errors.mock.callCount(), 1);
    assert.match(String(errors.mock.calls[0].arguments[0]), /^\[fh-anywidget\]/);
  });

  test("a listener removed by an earlier listener during emit is not called", () => {
    const e = new Emitter();
    let called = false;
    const second = () => (called = true);
    e.on("x", () => e.off("x", second));
    e.on("x", second);
    e.emit("x");
    assert.equal(called, false);
  });

  test("on without a function is an error naming the event", () => {
    const e = new Emitter();
    assert.throws(() => e.on("x", /** @type {any} */ (null)), /on\("x", callback\) needs a function/);
  });
});
