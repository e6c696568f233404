import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { createWorkerTransport, takeEarlyWorker } from "../../../web/page/transport-worker.js";

/** A stand-in for Worker that records what the page posts and lets a test play events. */
class FakeWorker {
  /** @type {FakeWorker[]} */
  static made = [];
  /** @param {string | URL} url @param {any} options */
  constructor(url, options) {
    this.url = String(url);
    this.options = options;
    /** @type {Array<{data: any, transfer: any}>} */
    this.posted = [];
    /** @type {Record<string, Function[]>} */
    this.listeners = {};
    this.terminated = false;
    FakeWorker.made.push(this);
  }
  /** @param {any} data @param {any} [transfer] */
  postMessage(data, transfer) {
    this.posted.push({ data, transfer });
  }
  /** @param {string} type @param {Function} listener */
  addEventListener(type, listener) {
    (this.listeners[type] ||= []).push(listener);
  }
  /** @param {string} type @param {any} event */
  fire(type, event) {
    for (const l of this.listeners[type] || []) l(event);
  }
  terminate() {
    this.terminated = true;
  }
}

const BOOT = { indexURL: "http://x/pyodide/", lockFileURL: "http://x/lock.json", packages: ["micropip"], kernelBundle: "http://x/k.zip" };

/** @returns {{transport: any, worker: FakeWorker, received: any[]}} */
function start() {
  const transport = createWorkerTransport({ url: "http://x/worker.js", boot: BOOT, pageURL: "http://x/page", WorkerClass: /** @type {any} */ (FakeWorker) });
  const received = [];
  transport.onmessage = (msg, buffers) => received.push({ msg, buffers });
  return { transport, worker: FakeWorker.made[FakeWorker.made.length - 1], received };
}

describe("the worker transport", () => {
  test("starts a module worker and posts boot first", () => {
    const { worker } = start();
    assert.equal(worker.options.type, "module");
    assert.deepEqual(worker.posted[0].data, { msg: { type: "boot", config: BOOT, pageURL: "http://x/page" }, buffers: [] });
  });

  test("adopts the worker the inline starter made: no second worker, no second boot, missed events replayed in order", async () => {
    const early = new FakeWorker("http://x/worker.js", { type: "module" });
    early.posted.push({ data: { msg: { type: "boot" } }, transfer: undefined }); // what web/inline/early.js sent
    const missed = [
      { type: "message", data: { msg: { type: "status", stage: "Loading Python", percent: 5 }, buffers: [] } },
      { type: "message", data: { msg: { type: "ready", timings: {} }, buffers: [] } },
    ];
    const scope = { fhAnywidgetEarly: { worker: early, events: missed.slice() } };
    const made = FakeWorker.made.length;
    const transport = createWorkerTransport({ url: "http://x/worker.js", boot: BOOT, early: takeEarlyWorker(scope),
      WorkerClass: /** @type {any} */ (FakeWorker) });
    const received = [];
    transport.onmessage = (msg) => received.push(msg.type);
    assert.equal(FakeWorker.made.length, made, "no new worker");
    assert.equal(early.posted.length, 1, "boot was posted once, by the starter");
    await Promise.resolve();
    early.fire("message", { data: { msg: { type: "created", key: "k", model_id: "m" }, buffers: [] } });
    assert.deepEqual(received, ["status", "ready", "created"]);
    assert.equal(takeEarlyWorker(scope), null, "taken once");
  });

  test("an early worker that failed to load is reported like one the runtime started", async () => {
    const early = new FakeWorker("http://x/worker.js", { type: "module" });
    const transport = createWorkerTransport({ url: "http://x/worker.js", boot: BOOT,
      early: { worker: /** @type {any} */ (early), events: [{ type: "error", message: "", preventDefault() {} }] } });
    const received = [];
    transport.onmessage = (msg) => received.push(msg);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(received[0].type, "error");
    assert.equal(received[0].fatal, true);
    assert.match(received[0].error.message, /could not be loaded/);
  });

  test("takeEarlyWorker finds nothing on a page without the starter", () => {
    assert.equal(takeEarlyWorker({}), null);
    assert.equal(takeEarlyWorker(undefined), null);
  });

  test("transfers copies of the buffers, so the page's own buffers stay usable", () => {
    const { transport, worker } = start();
    const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
    transport.send({ type: "comm_close", comm_id: "a" }, [buffer]);
    const last = worker.posted[worker.posted.length - 1];
    assert.deepEqual(last.data.msg, { type: "comm_close", comm_id: "a" });
    const [sent] = last.data.buffers;
    assert.notEqual(sent, buffer);
    assert.deepEqual([...new Uint8Array(sent)], [1, 2, 3, 4]);
    assert.deepEqual(last.transfer, [sent]);
    assert.equal(buffer.byteLength, 4);
  });

  test("hands the worker's {msg, buffers} to onmessage", () => {
    const { worker, received } = start();
    const buffer = new ArrayBuffer(1);
    worker.fire("message", { data: { msg: { type: "ready", timings: {} }, buffers: [buffer] } });
    assert.deepEqual(received, [{ msg: { type: "ready", timings: {} }, buffers: [buffer] }]);
  });

  test("a large copy the worker gives back is reused for the next send of that size", () => {
    const { transport, worker } = start();
    const big = new Uint8Array(1 << 20).fill(3).buffer;
    transport.send({ type: "comm_msg", comm_id: "m" }, [big]);
    const [first] = worker.posted[worker.posted.length - 1].data.buffers;
    assert.notEqual(first, big);
    worker.fire("message", { data: { recycle: [first] } });
    transport.send({ type: "comm_msg", comm_id: "m" }, [big]);
    const [second] = worker.posted[worker.posted.length - 1].data.buffers;
    assert.equal(second, first, "the given-back buffer carries the next copy");
    assert.equal(new Uint8Array(second)[12], 3);
    assert.equal(big.byteLength, 1 << 20, "the widget's own buffer is never detached");
    transport.close();
  });

  test("Python's frame of JSON text is split into its messages, each with its own buffers", () => {
    const { worker, received } = start();
    const [a, b] = [new ArrayBuffer(1), new ArrayBuffer(2)];
    const text = JSON.stringify([{ type: "comm_msg", comm_id: "m", data: { method: "echo_update" } },
      { type: "comm_msg", comm_id: "m", nbuffers: 2, data: { method: "custom" } }]);
    worker.fire("message", { data: { text, buffers: [a, b] } });
    assert.deepEqual(received.map((r) => r.msg.data.method), ["echo_update", "custom"]);
    assert.deepEqual(received.map((r) => r.buffers), [[], [a, b]]);
    assert.equal("nbuffers" in received[1].msg, false);
  });

  test("a worker error event becomes a fatal error message that says what to check", async () => {
    const { worker, received } = start();
    worker.fire("error", { message: "", preventDefault() {} });
    await Promise.resolve();
    assert.equal(received[0].msg.type, "error");
    assert.equal(received[0].msg.fatal, true);
    assert.match(received[0].msg.error.message, /worker\.js could not be loaded; check that it is served/);
  });

  test("a messageerror becomes a non-fatal error message", async () => {
    const { worker, received } = start();
    worker.fire("messageerror", {});
    await Promise.resolve();
    assert.equal(received[0].msg.fatal, false);
    assert.match(received[0].msg.error.message, /could not be read/);
  });

  test("a Worker that cannot be constructed is a fatal error, not a throw", async () => {
    class Refused {
      constructor() {
        throw new Error("SecurityError: cross-origin");
      }
    }
    const transport = createWorkerTransport({ url: "https://other/worker.js", boot: BOOT, WorkerClass: /** @type {any} */ (Refused) });
    const received = [];
    transport.onmessage = (msg) => received.push(msg);
    await Promise.resolve();
    assert.equal(received[0].fatal, true);
    assert.match(received[0].error.message, /could not start the worker.*same-origin/);
  });

  test("close terminates the worker", () => {
    const { transport, worker } = start();
    transport.close();
    assert.equal(worker.terminated, true);
  });
});
