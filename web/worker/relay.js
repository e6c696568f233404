// The Pyodide worker's relay (loaded by the entry, worker.js): relays the protocol
// (docs/protocol.md) between the page and fh_anywidget's kernel in Python. `boot` starts Python
// (boot.js); every other message waits for it and is handled in order, one at a time (a `create`
// first gets its bundles: bundles.js). Nothing is fetched from anywhere but the URLs the page's
// boot config names.
// @ts-check
import { BOOT, CREATE, openEnvelope } from "../shared/protocol.js";
import { bootConfig } from "./boot-config.js";
import { boot } from "./boot.js";
import { downloadBundle, ensureBundles } from "./bundles.js";
import { dropEarly, useEarly } from "./download.js";
import { postError, posting, recycle } from "./outbox.js";
import { MessageTimes } from "./timings.js";
// Every other module the worker runs, named here so that the browser fetches them all at once (it
// learns a module's imports only once it has the module): one round trip, not one per level.
import "../shared/pool.js";
import "./boot-plain.js";
import "./boot-snapshot.js";
import "./pack.js";
import "./patch-instantiation.js";
import "./pending-files.js";
import "./pyodide-internals.js";
import "./snapshot-copy.js";
import "./snapshot-delta.js";
import "./store.js";
import "./trampoline.js";

/** @typedef {{type: string, [key: string]: any}} Message */

/** Python, once booted. @type {import("./boot.js").Python | null} */
let python = null;
/** Messages are handled one at a time, in order (a create may wait for its bundles). */
let chain = Promise.resolve();
/** @type {Promise<void> | null} */
let booting = null;
/** When Python was ready (performance.now()); a message that came before waited for the boot. */
let readyAt = 0;
/** The last messages' times (timings.js), for the worker's console and the bench. */
const times = new MessageTimes();
/** @type {any} */ (self).fhAnywidgetWorker = {
  /** How long the worker took over the last messages from the page, and Python's share (µs). */
  messageTimes: () => times.summary(),
  clearMessageTimes: () => times.clear(),
};

self.addEventListener("error", (event) => {
  event.preventDefault(); // reported once, as a protocol error, not again as a worker error
  postError(event.error || event.message, { fatal: true });
});
self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  postError(event.reason, { fatal: true });
});

/** @param {import("./boot.js").Python} python @param {Message} msg @param {ArrayBuffer[]} buffers
 * @param {number} arrived  performance.now() when the message came */
async function handle(python, msg, buffers, arrived) {
  if (msg.type === CREATE) {
    try {
      await ensureBundles(python.pyodide, msg.bundles);
    } catch (err) {
      postError(err, { key: msg.key });
      return;
    }
  }
  const posted = posting.ms;
  const called = performance.now();
  try {
    python.handle(JSON.stringify(msg), buffers.length ? buffers : undefined);
  } finally {
    const done = performance.now();
    const post = posting.ms - posted;
    times.add(done - Math.max(arrived, readyAt), done - called - post, post);
    recycle(buffers); // Python has copied them into its memory
    python.pending?.writeSoon(); // after the first message, between the next ones
  }
}

/** Start relaying: the entry's early responses go to download.js, and the returned function
 * takes every message from the page, in order.
 * @param {Map<string, import("./download.js").Early>} early @returns {(event: MessageEvent) => void} */
export function start(early) {
  useEarly(early);
  return receive;
}

/** @param {MessageEvent} event */
function receive(event) {
  const arrived = performance.now();
  const { msg, buffers } = /** @type {{msg: Message, buffers: ArrayBuffer[]}} */ (openEnvelope(event.data));
  if (!msg || typeof msg.type !== "string") {
    postError(new Error(`[fh-anywidget] the worker got a message without a type: ${JSON.stringify(event.data).slice(0, 200)}`));
    return;
  }
  if (msg.type === CREATE) (msg.bundles || []).forEach(downloadBundle); // while Python boots
  if (msg.type === BOOT) {
    if (!booting) {
      const started = boot(bootConfig(msg.config, msg.pageURL)).then(
        (booted) => {
          python = booted;
          readyAt = performance.now();
        },
        (err) => postError(err, { fatal: true }),
      );
      booting = started;
      chain = chain.then(() => started).finally(dropEarly); // what the boot did not take is not needed
    }
    return;
  }
  chain = chain.then(() => {
    if (!python) return; // boot failed: the fatal error was already reported
    return handle(python, msg, buffers, arrived).catch((err) => postError(err, { key: msg.key, comm_id: msg.comm_id }));
  });
}
