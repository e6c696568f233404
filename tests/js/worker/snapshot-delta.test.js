import assert from "node:assert/strict";
import { test } from "node:test";

import { initialImage, xorImage } from "../../../web/worker/snapshot-delta.js";

/** A snapshot file as Pyodide writes one: a header (its length at byte 4) and the memory. */
function snapshotOf(/** @type {Uint8Array} */ memory, header = 32) {
  const file = new Uint8Array(header + memory.length);
  new DataView(file.buffer).setUint32(4, header, true);
  file.fill(0xab, 8, header); // the header's JSON is never touched
  file.set(memory, header);
  return file;
}

test("the initial image is the module's memory up to its last byte that is not zero", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  new Uint8Array(memory.buffer).set([1, 2, 3], 100);
  const image = initialImage(memory);
  assert.equal(image.length, 104);
  assert.deepEqual([...image.subarray(100, 104)], [1, 2, 3, 0]);
  new Uint8Array(memory.buffer)[100] = 9; // a copy: later writes do not change it
  assert.equal(image[100], 1);
});

test("a snapshot XORed with the image is zeros where memory kept its initial bytes, and XORed again is itself", () => {
  const image = new Uint8Array(64).map((_, i) => i + 1);
  const memory = new Uint8Array(128).fill(7);
  memory.set(image);
  memory[10] = 200; // changed since instantiation
  const file = snapshotOf(memory);
  const original = file.slice();
  xorImage(file, image);
  assert.deepEqual([...file.subarray(32, 42)], new Array(10).fill(0));
  assert.equal(file[32 + 10], 200 ^ 11);
  assert.deepEqual(file.subarray(0, 32), original.subarray(0, 32));
  assert.deepEqual(file.subarray(32 + 64), original.subarray(32 + 64)); // past the image: as it was
  xorImage(file, image);
  assert.deepEqual(file, original);
});

test("an unaligned header still XORs byte by byte", () => {
  const image = new Uint8Array([5, 6, 7]);
  const file = snapshotOf(new Uint8Array([5, 6, 8, 1]), 13);
  xorImage(file, image);
  assert.deepEqual([...file.subarray(13)], [0, 0, 15, 1]);
});
