import assert from "node:assert/strict";
import { test } from "node:test";

import { MessageTimes, RECENT } from "../../../web/worker/timings.js";

test("a summary gives each share's median, 90th percentile and maximum in µs", () => {
  const times = new MessageTimes(8);
  for (const ms of [0.4, 0.1, 0.3, 0.2, 0.5]) times.add(ms, ms / 2, 0.01);
  const summary = times.summary();
  assert.equal(summary.count, 5);
  assert.deepEqual(summary.worker_us, { p50: 300, p90: 500, max: 500 });
  assert.deepEqual(summary.python_us, { p50: 150, p90: 250, max: 250 });
  assert.deepEqual(summary.post_us, { p50: 10, p90: 10, max: 10 });
});

test("only the last messages are kept, in a ring that never grows", () => {
  const times = new MessageTimes(4);
  for (let i = 1; i <= 10; i++) times.add(i, 0, 0); // 7, 8, 9 and 10 are left
  const summary = times.summary();
  assert.equal(summary.count, 4);
  assert.equal(summary.worker_us.max, 10_000);
  assert.equal(summary.worker_us.p50, 9_000);
  assert.equal(new MessageTimes().summary().count, 0);
  assert.ok(RECENT >= 500, "the bench reads a block of 500 round trips");
});

test("times sort as numbers, not as text, and clear() forgets them", () => {
  const times = new MessageTimes(4);
  for (const ms of [10, 9, 100]) times.add(ms, 0, 0);
  assert.deepEqual(times.summary().worker_us, { p50: 10_000, p90: 100_000, max: 100_000 });
  times.clear();
  const none = { p50: 0, p90: 0, max: 0 };
  assert.deepEqual(times.summary(), { count: 0, worker_us: none, python_us: none, post_us: none });
});
