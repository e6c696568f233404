import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { backoffMs, createWebSocketTransport, pageKey } from "../../../web/page/transport-ws.js";

/** A stand-in for WebSocket that records frames and lets a test play the server. */
class FakeSocket {
  /** @type {FakeSocket[]} */
  static made = [];
  /** @param {string} url */
  constructor(url) {
    this.url = new URL(url);
    this.binaryType = "blob";
    this.readyState = 0;
    /** @type {Array<string | ArrayBuffer>} */
    this.frames = [];
    /** @type {any} */ this.onopen = null;
    /** @type {any} */ this.onclose = null;
    /** @type {any} */ this.onmessage = null;
    /** @type {any} */ this.onerror = null;
    FakeSocket.made.push(this);
  }
  /** @param {string | ArrayBuffer} data */
  send(data) {
    this.frames.push(data);
  }
  close() {
    this.readyState = 3;
  }
  /** The messages the page sent, with their buffers. */
  messages() {
    const out = [];
    for (let i = 0; i < this.frames.length; i++) {
      const msg = JSON.parse(/** @type {string} */ (this.frames[i]));
      const n = msg.nbuffers || 0;
      out.push({ msg, buffers: /** @type {ArrayBuffer[]} */ (this.frames.slice(i + 1, i + 1 + n)) });
      i += n;
    }
    return out;
  }
  /** @param {any} msg @param {ArrayBuffer[]} [buffers] */
  serve(msg, buffers = []) {
    this.onmessage({ data: JSON.stringify(buffers.length ? { ...msg, nbuffers: buffers.length } : msg) });
    for (const b of buffers) this.onmessage({ data: b });
  }
  drop() {
    this.onclose({ code: 1006 });
  }
}

function setup({ stored = /** @type {string | null} */ (null) } = {}) {
  FakeSocket.made = [];
  /** @type {Map<string, string>} */
  const store = new Map(stored ? [[pageKey({ pathname: "/p", search: "" }), stored]] : []);
  /** @type {Array<() => void>} */
  const timers = [];
  /** @type {any[]} */
  const states = [];
  const transport = createWebSocketTransport({
    url: "ws://127.0.0.1:5001/_fhaw/ws",
    WebSocketClass: /** @type {any} */ (FakeSocket),
    storage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) },
    location: { pathname: "/p", search: "" },
    onconnection: (info) => states.push(info.state),
    setTimer: (_ms, fn) => timers.push(fn),
  });
  /** @type {Array<{msg: any, buffers: ArrayBuffer[]}>} */
  const received = [];
  transport.onmessage = (msg, buffers) => received.push({ msg, buffers });
  return { transport, store, timers, states, received, socket: () => FakeSocket.made[FakeSocket.made.length - 1] };
}

const bytes = (/** @type {number[]} */ ...xs) => new Uint8Array(xs).buffer;

describe("the server transport", () => {
  test("backoff doubles from 250 ms up to 8 s, with jitter", () => {
    assert.deepEqual([1, 2, 3, 6, 12].map((n) => backoffMs(n, () => 0.5)), [250, 500, 1000, 8000, 8000]);
  });

  test("the first connect asks for a fresh page and keeps messages until the server is ready", () => {
    const { transport, socket, store, received } = setup();
    assert.equal(socket().url.searchParams.get("fresh"), "1");
    assert.equal(socket().url.searchParams.get("page"), null);
    transport.send({ type: "create", key: "k", target: "m:W", kwargs: {}, bundles: [], grant: "g" });
    assert.equal(socket().frames.length, 0);
    socket().serve({ type: "ready", page: "P1", resumed: false, last_seq: 0 });
    assert.deepEqual(socket().messages().map((m) => m.msg.key), ["k"]);
    assert.equal(store.get("fh-anywidget:page:/p"), "P1");
    assert.equal(received.at(-1)?.msg.type, "ready");
  });

  test("a message travels as a text frame with nbuffers and then one binary frame per buffer", () => {
    const { transport, socket, received } = setup();
    socket().serve({ type: "ready", page: "P1", resumed: false, last_seq: 0 });
    const mine = bytes(1, 2, 3);
    transport.send({ type: "comm_msg", comm_id: "m", seq: 1, data: { method: "custom", content: {} } }, [mine, bytes(9)]);
    const [sent] = socket().messages();
    assert.equal(sent.msg.nbuffers, 2);
    assert.deepEqual(sent.buffers.map((b) => [...new Uint8Array(b)]), [[1, 2, 3], [9]]);
    assert.equal(mine.byteLength, 3, "the caller's buffer is not detached");

    socket().serve({ type: "comm_msg", comm_id: "m", parent: 1, data: { method: "custom", content: { ok: 1 } } }, [bytes(7, 8)]);
    const got = received.at(-1);
    assert.equal(got?.msg.nbuffers, undefined);
    assert.deepEqual([...new Uint8Array(got?.buffers[0] ?? new ArrayBuffer(0))], [7, 8]);
  });

  test("after a drop it shows offline, reconnects to the same page, replays unhandled sets in order, then asks for state", () => {
    const { transport, socket, timers, states } = setup();
    const first = socket();
    first.serve({ type: "ready", page: "P1", resumed: false, last_seq: 0 });
    first.serve({ type: "comm_open", comm_id: "m", target_name: "jupyter.widget", data: { state: {}, buffer_paths: [] } });
    for (const seq of [1, 2, 3]) transport.send({ type: "comm_msg", comm_id: "m", seq, data: { method: "update", state: { v: seq } } });
    first.serve({ type: "comm_msg", comm_id: "m", parent: 1, data: { method: "echo_update", state: { v: 1 } } });
    first.drop();
    assert.equal(states.at(-1), "offline");
    transport.send({ type: "comm_msg", comm_id: "m", seq: 4, data: { method: "update", state: { v: 4 } } }); // while offline
    timers.shift()?.();
    const second = socket();
    assert.notEqual(second, first);
    assert.equal(second.url.searchParams.get("page"), "P1");
    assert.equal(second.url.searchParams.get("fresh"), null);
    second.serve({ type: "ready", page: "P1", resumed: true, last_seq: 2 }); // the server had handled seq 2
    assert.deepEqual(
      second.messages().map((m) => [m.msg.seq ?? null, m.msg.data.method]),
      [[3, "update"], [4, "update"], [null, "request_state"]],
    );
    assert.equal(states.at(-1), "online");
  });

  test("custom messages are acknowledged after each frame, named on a reconnect, and one sent again is not delivered twice", () => {
    const { socket, timers, received } = setup();
    const first = socket();
    first.serve({ type: "ready", page: "P1", resumed: false, last_seq: 0 });
    const custom = (/** @type {number} */ oseq) => ({ oseq, type: "comm_msg", comm_id: "m", data: { method: "custom", content: { n: oseq } } });
    first.serve([custom(1), custom(2)]);
    assert.deepEqual(first.messages().map((m) => m.msg), [{ type: "ack", oseq: 2 }]);
    first.drop();
    timers.shift()?.();
    const second = socket();
    assert.equal(second.url.searchParams.get("ack"), "2");
    second.serve({ type: "ready", page: "P1", resumed: true, last_seq: 0 });
    second.serve([custom(2), custom(3)]); // 2 again: the server had not seen the ack yet
    const ns = received.filter((r) => r.msg.type === "comm_msg").map((r) => r.msg.data.content.n);
    assert.deepEqual(ns, [1, 2, 3]);
  });

  test("a degraded server is shown with its message, the page keeps sending, and the notice goes when it recovers", () => {
    const { transport, socket, states, received } = setup();
    socket().serve({ type: "ready", page: "P1", resumed: false, last_seq: 0 });
    socket().serve({ type: "degraded", degraded: true, message: "no broker" });
    assert.equal(states.at(-1), "degraded");
    assert.equal(transport.info.message, "no broker");
    transport.send({ type: "comm_msg", comm_id: "m", seq: 1, data: { method: "update", state: { v: 1 } } });
    assert.equal(socket().messages().length, 1, "sent at once: the server holds it");
    socket().serve({ type: "degraded", degraded: false, message: "" });
    assert.equal(states.at(-1), "online");
    assert.ok(!received.some((r) => r.msg.type === "degraded"), "the transport's own business, not the widgets'");
  });

  test("a create not answered before a drop is sent again", () => {
    const { transport, socket, timers } = setup();
    socket().serve({ type: "ready", page: "P1", resumed: false, last_seq: 0 });
    transport.send({ type: "create", key: "a", target: "m:W", kwargs: {}, bundles: [], grant: "g" });
    transport.send({ type: "create", key: "b", target: "m:W", kwargs: {}, bundles: [], grant: "g" });
    socket().serve({ type: "created", key: "a", model_id: "x" });
    socket().drop();
    timers.shift()?.();
    socket().serve({ type: "ready", page: "P1", resumed: true, last_seq: 0 });
    assert.deepEqual(socket().messages().map((m) => m.msg.key), ["b"]);
  });

  test("a reload resumes the stored page id", () => {
    const { socket } = setup({ stored: "P9" });
    assert.equal(socket().url.searchParams.get("page"), "P9");
    assert.equal(socket().url.searchParams.get("fresh"), "1");
  });

  test("a page the server lost is a fatal error that says to reload", () => {
    const { socket, timers, received } = setup();
    socket().serve({ type: "ready", page: "P1", resumed: false, last_seq: 0 });
    socket().drop();
    timers.shift()?.();
    socket().serve({ type: "ready", page: "P2", resumed: false, last_seq: 0 });
    const last = received.at(-1)?.msg;
    assert.equal(last.type, "error");
    assert.equal(last.fatal, true);
    assert.match(last.error.message, /reload the page/);
    assert.equal(timers.length, 0);
  });
});
