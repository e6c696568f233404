import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { putBuffers, removeBuffers } from "../../../web/page/buffers.js";

describe("removeBuffers", () => {
  test("a binary dict value is deleted from the state and its path recorded", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const { state, buffer_paths, buffers } = removeBuffers({ a: 1, data: bytes });
    assert.deepEqual(state, { a: 1 });
    assert.deepEqual(buffer_paths, [["data"]]);
    assert.deepEqual([...new Uint8Array(buffers[0])], [1, 2, 3]);
  });

  test("a binary list element is replaced by null", () => {
    const { state, buffer_paths } = removeBuffers({ list: [1, new ArrayBuffer(2), 3] });
    assert.deepEqual(state, { list: [1, null, 3] });
    assert.deepEqual(buffer_paths, [["list", 1]]);
  });

  test("nested buffers get full key/index paths", () => {
    const { state, buffer_paths } = removeBuffers({ x: { y: [{ z: new DataView(new ArrayBuffer(1)) }] } });
    assert.deepEqual(state, { x: { y: [{}] } });
    assert.deepEqual(buffer_paths, [["x", "y", 0, "z"]]);
  });

  test("ArrayBuffer, every TypedArray and DataView count as binary", () => {
    const values = [new ArrayBuffer(1), new Float64Array(1), new Int16Array(1), new DataView(new ArrayBuffer(1))];
    const { buffers } = removeBuffers({ values });
    assert.equal(buffers.length, 4);
    assert.ok(buffers.every((b) => b instanceof ArrayBuffer));
  });

  test("a view over part of a buffer sends only its own bytes", () => {
    const whole = new Uint8Array([0, 1, 2, 3, 4, 5]);
    const { buffers } = removeBuffers({ part: whole.subarray(2, 4) });
    assert.deepEqual([...new Uint8Array(buffers[0])], [2, 3]);
  });

  test("a view over a whole buffer sends that buffer without copying", () => {
    const whole = new Uint8Array([7, 8]);
    const { buffers } = removeBuffers({ whole });
    assert.equal(buffers[0], whole.buffer);
  });

  test("the input state is not mutated", () => {
    const input = { a: { b: new Uint8Array(1) }, list: [new Uint8Array(1)] };
    removeBuffers(input);
    assert.ok(input.a.b instanceof Uint8Array);
    assert.ok(input.list[0] instanceof Uint8Array);
  });

  test("a state without buffers comes back unchanged", () => {
    const input = { a: [1, { b: "c" }] };
    const { state, buffer_paths, buffers } = removeBuffers(input);
    assert.deepEqual(state, input);
    assert.deepEqual(buffer_paths, []);
    assert.deepEqual(buffers, []);
  });
});

describe("putBuffers", () => {
  test("puts DataViews at the paths, dict keys and list indexes alike", () => {
    const state = { list: [1, null], x: {} };
    putBuffers(state, [["list", 1], ["x", "y"]], [new Uint8Array([9]).buffer, new Uint8Array([5, 6])]);
    assert.ok(state.list[1] instanceof DataView);
    assert.equal(state.list[1].getUint8(0), 9);
    assert.ok(state.x.y instanceof DataView);
    assert.equal(state.x.y.byteLength, 2);
  });

  test("round-trips what removeBuffers took out", () => {
    const original = { img: new Uint8Array([1, 2]), meta: { frames: [new Uint8Array([3])] } };
    const { state, buffer_paths, buffers } = removeBuffers(original);
    putBuffers(state, buffer_paths, buffers);
    assert.equal(state.img.getUint8(1), 2);
    assert.equal(state.meta.frames[0].getUint8(0), 3);
  });

  test("more paths than buffers is an error that says so", () => {
    assert.throws(() => putBuffers({}, [["a"]], []), /names 1 buffer paths but carries 0 buffers/);
  });
});
