import assert from "node:assert/strict";
import { test } from "node:test";

import { BufferPool, RECYCLE_MIN_BYTES } from "../../../web/shared/pool.js";

const MB = RECYCLE_MIN_BYTES;
const filled = (n, value) => new Uint8Array(n).fill(value).buffer;

test("a copy goes into a given-back buffer of the same size, and holds the source's bytes", () => {
  const pool = new BufferPool();
  const back = new ArrayBuffer(2 * MB);
  pool.put(back);
  assert.equal(pool.bytes, 2 * MB);
  const source = filled(2 * MB, 9);
  const copy = pool.copy(source);
  assert.equal(copy, back);
  assert.equal(new Uint8Array(copy)[2 * MB - 1], 9);
  assert.notEqual(copy, source);
  assert.equal(pool.bytes, 0);
});

test("without a buffer of that size, a copy is a fresh slice", () => {
  const pool = new BufferPool();
  pool.put(new ArrayBuffer(3 * MB));
  const source = filled(2 * MB, 1);
  const copy = pool.copy(source);
  assert.notEqual(copy, source);
  assert.equal(copy.byteLength, 2 * MB);
  assert.equal(pool.bytes, 3 * MB, "the other size is still kept");
});

test("small buffers are not kept, nor anything past the byte limit", () => {
  const pool = new BufferPool({ maxBytes: 3 * MB });
  pool.put(new ArrayBuffer(MB - 1));
  assert.equal(pool.bytes, 0);
  pool.put(new ArrayBuffer(2 * MB));
  pool.put(new ArrayBuffer(2 * MB));
  assert.equal(pool.bytes, 2 * MB);
});

test("an idle pool lets everything go", async () => {
  const pool = new BufferPool({ idleMs: 5 });
  pool.put(new ArrayBuffer(MB));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(pool.bytes, 0);
});
