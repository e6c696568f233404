// The page side of the server transport: one WebSocket per page for every server-mode
// widget (docs/protocol.md, "Server transport"). A message is a text frame holding it plus
// `"nbuffers": N`, followed by N binary frames. When the socket drops, the placeholders say
// so, the transport reconnects with backoff, sends again what the server may not have
// handled (in order), then asks every model for its state.
// @ts-check

import { ACK, announcedBuffers, COMM_CLOSE, COMM_MSG, COMM_OPEN, CREATE, CREATED, DEGRADED, ERROR, NBUFFERS, OSEQ, READY, REQUEST_STATE, STATUS, unframe } from "../shared/protocol.js";

/** @typedef {import("../shared/protocol.js").Transport} Transport */
/** @typedef {import("../shared/protocol.js").PageMessage} PageMessage */
/** @typedef {import("../shared/protocol.js").PythonMessage} PythonMessage */
/**
 * The part of `WebSocket` used here (tests pass a fake).
 * @typedef {{binaryType: string, readyState: number, send(data: string | ArrayBuffer): void, close(code?: number): void,
 *   onopen: ((event: any) => void) | null, onclose: ((event: any) => void) | null,
 *   onmessage: ((event: {data: any}) => void) | null, onerror: ((event: any) => void) | null}} SocketLike
 * @typedef {"connecting" | "online" | "offline" | "degraded"} ConnectionState
 * @typedef {{state: ConnectionState, attempt: number, retryInMs: number, message?: string}} ConnectionInfo
 */

/** Backoff before reconnect attempt n (1, 2, ...): 250 ms doubling to 8 s, with 20% jitter. @param {number} n */
export function backoffMs(n, random = Math.random) {
  const base = Math.min(8000, 250 * 2 ** Math.max(0, n - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** The sessionStorage key under which a page remembers its server page id (a reload resumes it). @param {{pathname: string, search: string}} loc */
export function pageKey(loc) {
  return `fh-anywidget:page:${loc.pathname}${loc.search}`;
}

/** The most messages kept for sending again after a drop; older ones are dropped (and warned about). */
export const MAX_UNACKED = 10_000;

/**
 * @param {object} options
 * @param {string | URL} options.url  The server's WebSocket URL (ws: or wss:, same origin).
 * @param {new (url: string) => SocketLike} [options.WebSocketClass]
 * @param {Pick<Storage, "getItem" | "setItem"> | null} [options.storage]  Where the page id survives a reload.
 * @param {{pathname: string, search: string}} [options.location]
 * @param {(info: ConnectionInfo) => void} [options.onconnection]  Called when the connection's state changes.
 * @param {(ms: number, fn: () => void) => unknown} [options.setTimer]
 * @returns {Transport & {readonly info: ConnectionInfo, readonly pageId: string | null}}
 */
export function createWebSocketTransport({
  url,
  WebSocketClass = /** @type {any} */ (globalThis.WebSocket),
  storage = globalThis.sessionStorage ?? null,
  location = globalThis.location,
  onconnection = () => {},
  setTimer = (ms, fn) => setTimeout(fn, ms),
}) {
  const key = location ? pageKey(location) : "";
  /** @type {string | null} */
  let pageId = safeGet(storage, key);
  let fresh = true; // this JavaScript has no models yet: the server restarts its seq count
  let everReady = false;
  let closed = false;
  let attempt = 0;
  /** @type {SocketLike | null} */
  let socket = null;
  /** @type {ConnectionInfo} */
  let info = { state: "connecting", attempt: 0, retryInMs: 0 };
  /**
   * Messages the server may not have handled yet, in order: comm_msgs until a reply names a
   * later seq (or `ready` reports it), creates until answered, the rest until sent once.
   * @type {Array<{msg: PageMessage, buffers: ArrayBuffer[], sent: boolean}>}
   */
  let unacked = [];
  /** The highest `oseq` of Python's custom messages received: acknowledged after each frame, and
   * named on a reconnect, so the server sends again only what the page missed. */
  let lastOseq = 0;
  /** Comm ids the page holds (for request_state after a reconnect). */
  const models = new Set();
  /** The frame being read, waiting for its binary frames. @type {{frame: any, buffers: ArrayBuffer[], expected: number} | null} */
  let incoming = null;

  /** @type {Transport & {readonly info: ConnectionInfo, readonly pageId: string | null}} */
  const transport = {
    onmessage: null,
    get info() {
      return info;
    },
    get pageId() {
      return pageId;
    },
    send(msg, buffers = []) {
      if (closed) return;
      if (msg.type === COMM_CLOSE) models.delete(msg.comm_id); // the page closed it: nothing to ask for after a reconnect
      // copies: the widget may reuse its buffers before they are (re)sent
      const entry = { msg, buffers: buffers.map((b) => b.slice(0)), sent: false };
      if (unacked.length >= MAX_UNACKED) {
        console.warn(`[fh-anywidget] more than ${MAX_UNACKED} messages wait for the server; the oldest is dropped`);
        unacked.shift();
      }
      unacked.push(entry);
      if (info.state === "online" || info.state === "degraded") write(entry); // degraded: the server holds it
    },
    close() {
      closed = true;
      socket?.close(1000);
      socket = null;
    },
  };

  /** @param {ConnectionInfo} next */
  function setInfo(next) {
    info = next;
    try {
      onconnection(info);
    } catch (err) {
      console.error("[fh-anywidget] onconnection failed:", err);
    }
  }

  /** @param {PythonMessage} msg @param {ArrayBuffer[]} buffers */
  function deliver(msg, buffers) {
    transport.onmessage?.(msg, buffers);
  }

  /** @param {{msg: PageMessage, buffers: ArrayBuffer[], sent: boolean}} entry */
  function write(entry) {
    if (!socket) return;
    const { msg, buffers } = entry;
    socket.send(JSON.stringify(buffers.length ? { ...msg, [NBUFFERS]: buffers.length } : msg));
    for (const b of buffers) socket.send(b);
    entry.sent = true;
    if (msg.type !== COMM_MSG && msg.type !== CREATE) unacked = unacked.filter((e) => e !== entry);
  }

  /** Forget what the server has certainly handled: comm_msgs up to `seq`. @param {number} seq */
  function ack(seq) {
    unacked = unacked.filter((e) => !(e.msg.type === COMM_MSG && typeof e.msg.seq === "number" && e.msg.seq <= seq));
  }

  /** @param {string} key */
  function answered(key) {
    unacked = unacked.filter((e) => !(e.msg.type === CREATE && e.msg.key === key));
  }

  function connect() {
    if (closed) return;
    const target = new URL(String(url), location ? String(/** @type {any} */ (location).href ?? "http://localhost/") : undefined);
    if (pageId) target.searchParams.set("page", pageId);
    if (fresh) target.searchParams.set("fresh", "1");
    if (lastOseq > 0) target.searchParams.set("ack", String(lastOseq));
    /** @type {SocketLike} */
    let ws;
    try {
      ws = new WebSocketClass(target.toString());
    } catch (err) {
      deliver(fatal(`[fh-anywidget] could not open the WebSocket ${target}: ${err instanceof Error ? err.message : err}`), []);
      return;
    }
    ws.binaryType = "arraybuffer";
    socket = ws;
    incoming = null;
    ws.onmessage = (event) => {
      if (socket !== ws) return;
      read(event.data);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (closed) return;
      attempt += 1;
      const retryInMs = backoffMs(attempt);
      setInfo({ state: "offline", attempt, retryInMs });
      setTimer(retryInMs, connect);
    };
    ws.onerror = () => {}; // onclose follows and reconnects
  }

  /** @param {string | ArrayBuffer} data */
  function read(data) {
    if (typeof data === "string") {
      let msg;
      try {
        msg = JSON.parse(data);
      } catch (err) {
        console.warn("[fh-anywidget] the server sent a text frame that is not JSON; ignored:", data.slice(0, 200));
        return;
      }
      const n = announcedBuffers(msg);
      if (incoming) console.warn("[fh-anywidget] a message from the server lost its binary frames; ignored");
      incoming = null;
      if (n > 0) incoming = { frame: msg, buffers: [], expected: n };
      else receiveFrame(msg, []);
      return;
    }
    if (!incoming) {
      console.warn("[fh-anywidget] the server sent a binary frame that no message announced; ignored");
      return;
    }
    incoming.buffers.push(data);
    if (incoming.buffers.length === incoming.expected) {
      const { frame, buffers } = incoming;
      incoming = null;
      receiveFrame(frame, buffers);
    }
  }

  /** One text frame's messages (one, or an array sent together), with its binary frames.
   * @param {any} frame @param {ArrayBuffer[]} buffers */
  function receiveFrame(frame, buffers) {
    const before = lastOseq;
    for (const [msg, own] of unframe(frame, buffers)) receive(msg, own);
    if (lastOseq > before) socket?.send(JSON.stringify({ type: ACK, [OSEQ]: lastOseq }));
  }

  /** @param {any} msg @param {ArrayBuffer[]} buffers */
  function receive(msg, buffers) {
    if (typeof msg[OSEQ] === "number") {
      if (msg[OSEQ] <= lastOseq) return; // sent again after a reconnect, but it had arrived
      lastOseq = msg[OSEQ];
    }
    if (typeof msg.parent === "number") ack(msg.parent);
    switch (msg.type) {
      case READY:
        return ready(msg);
      case DEGRADED: // the server lost its broker for now: the page stays usable, changes wait there
        if (info.state === "online" || info.state === "degraded") {
          setInfo({ state: msg.degraded ? "degraded" : "online", attempt: 0, retryInMs: 0, message: String(msg.message || "") });
        }
        return;
      case COMM_OPEN:
        models.add(msg.comm_id);
        break;
      case COMM_CLOSE:
        models.delete(msg.comm_id);
        break;
      case CREATED:
        answered(msg.key);
        break;
      case ERROR:
        if (typeof msg.key === "string") answered(msg.key);
        break;
    }
    deliver(msg, buffers);
  }

  /** @param {{page: string, resumed: boolean, last_seq: number}} msg */
  function ready(msg) {
    const resumedAfterDrop = everReady;
    if (resumedAfterDrop && !msg.resumed) {
      closed = true;
      socket?.close(1000);
      setInfo({ state: "offline", attempt, retryInMs: 0 });
      deliver(
        fatal(
          "[fh-anywidget] the server no longer has this page's widgets (it restarted, or the page was away longer " +
            "than its grace period): reload the page",
        ),
        [],
      );
      return;
    }
    pageId = msg.page;
    safeSet(storage, key, pageId);
    fresh = false;
    attempt = 0;
    ack(msg.last_seq);
    setInfo({ state: "online", attempt: 0, retryInMs: 0 });
    for (const entry of [...unacked]) write(entry);
    if (resumedAfterDrop) {
      // what Python changed while the page was away
      for (const comm_id of models) write({ msg: { type: COMM_MSG, comm_id, data: { method: REQUEST_STATE } }, buffers: [], sent: false });
    }
    if (!everReady) {
      everReady = true;
      deliver({ type: READY, timings: {} }, []);
    }
  }

  queueMicrotask(() => deliver({ type: STATUS, stage: "Connecting to the server", percent: 0 }, []));
  setInfo(info);
  connect();
  return transport;
}

/** @param {string} message @returns {import("../shared/protocol.js").ErrorMessage} */
function fatal(message) {
  return { type: ERROR, fatal: true, error: { type: "ConnectionError", message, traceback: "" } };
}

/** @param {Pick<Storage, "getItem"> | null} storage @param {string} key */
function safeGet(storage, key) {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null; // storage may be disabled
  }
}

/** @param {Pick<Storage, "setItem"> | null} storage @param {string} key @param {string} value */
function safeSet(storage, key, value) {
  try {
    storage?.setItem(key, value);
  } catch {
    /* storage may be disabled: a reload then starts a new page */
  }
}
