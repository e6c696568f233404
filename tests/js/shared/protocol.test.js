import assert from "node:assert/strict";
import { test } from "node:test";

import { announcedBuffers, frameEnvelope, messageEnvelope, openEnvelope, recycleEnvelope, unframe } from "../../../web/shared/protocol.js";

const buf = (n) => new ArrayBuffer(n);

test("a lone message without nbuffers takes every buffer of its frame (the worker's single messages)", () => {
  const buffers = [buf(1), buf(2)];
  const [[msg, own]] = unframe({ type: "comm_msg" }, buffers);
  assert.deepEqual(msg, { type: "comm_msg" });
  assert.equal(own, buffers);
});

test("an array frame hands each message its own nbuffers buffers, in order, and drops nbuffers", () => {
  const buffers = [buf(1), buf(2), buf(3)];
  const frame = [{ type: "a" }, { type: "b", nbuffers: 2 }, { type: "c", nbuffers: 1 }];
  assert.equal(announcedBuffers(frame), 3);
  const out = unframe(frame, buffers);
  assert.deepEqual(out.map(([m]) => m), [{ type: "a" }, { type: "b" }, { type: "c" }]);
  assert.deepEqual(out.map(([, own]) => own.map((b) => b.byteLength)), [[], [1, 2], [3]]);
});

test("a bad nbuffers counts as none", () => {
  assert.equal(announcedBuffers([{ nbuffers: -1 }, { nbuffers: "2" }, { nbuffers: 1.5 }, null]), 0);
  assert.equal(announcedBuffers({ type: "x", nbuffers: 2 }), 2);
});

test("the worker's envelopes are {msg, buffers}, {text, buffers} and {recycle}, and open back into their parts", () => {
  const buffers = [buf(4)];
  assert.deepEqual(messageEnvelope({ type: "boot" }, buffers), { msg: { type: "boot" }, buffers });
  assert.deepEqual(frameEnvelope('{"type":"created"}', buffers), { text: '{"type":"created"}', buffers });
  assert.deepEqual(recycleEnvelope(buffers), { recycle: buffers });
  assert.deepEqual(openEnvelope(messageEnvelope({ type: "boot" }, buffers)), { msg: { type: "boot" }, text: undefined, recycle: undefined, buffers });
  assert.deepEqual(openEnvelope(recycleEnvelope(buffers)), { msg: undefined, text: undefined, recycle: buffers, buffers: [] });
  assert.deepEqual(openEnvelope(null), { msg: undefined, text: undefined, recycle: undefined, buffers: [] });
});
