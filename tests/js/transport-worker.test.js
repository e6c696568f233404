import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { createWorkerTransport } from "../../web/transport-worker.js";

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
  const transport = createWorkerTransport({ url: "http://x/worker.js", boot: BOOT, WorkerClass: /** @type {any} */ (FakeWorker) });
  const received = [];
  transport.onmessage = (msg, buffers) => received.push({ msg, buffers });
  return { transport, worker: FakeWorker.made[FakeWorker.made.length - 1], received };
}

describe("the worker transport", () => {
  test("starts a module worker and posts boot first", () => {
    const { worker } = start();
    assert.equal(worker.options.type, "module");
    assert.deepEqual(worker.posted[0].data, { msg: { type: "boot", config: BOOT }, buffers: [] });
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
