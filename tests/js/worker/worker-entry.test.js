// The worker's entry (web/worker/worker.js) starts a snapshot boot's downloads before its own
// modules are in, and the boot takes those responses instead of asking again.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SNAPSHOT_PARAM } from "../../../web/worker/boot-config.js";
import { dropEarly, fetchFirst, takeEarly, useEarly } from "../../../web/worker/download.js";

const HERE = "http://site.test/_fhaw/web-1/worker/worker.js";
/** @type {any[]} */
const posted = [];
/** @type {string[]} */
const fetched = [];
const scope = /** @type {any} */ (globalThis);
scope.self = Object.assign(new EventTarget(), { location: { href: HERE }, postMessage: (/** @type {any} */ m) => posted.push(m) });
scope.fetch = async (/** @type {string} */ url) => {
  fetched.push(String(url));
  return new Response(new Uint8Array(0), { status: 404 });
};
const { earlyRequests } = await import("../../../web/worker/worker.js");

const CONFIG = {
  indexURL: "/_fhaw/pyodide-1/", lockFileURL: "/_fhaw/pyodide-1/pyodide-lock.json", packages: [], kernelBundle: "/_fhaw/b/k.zip",
  snapshot: { url: "/_fhaw/pyodide-1/snapshot.bin", size: 10, packURL: "/_fhaw/pyodide-1/site-packages.pack", sitePackages: "/lib/python3.14/site-packages" },
  early: {
    fetch: ["/_fhaw/pyodide-1/pyodide.asm.wasm", "/_fhaw/pyodide-1/snapshot.bin", "/_fhaw/pyodide-1/site-packages.pack", "/_fhaw/b/k.zip"],
    imports: ["/_fhaw/pyodide-1/pyodide.mjs", "/_fhaw/pyodide-1/pyodide.asm.mjs"],
  },
};
const boot = (/** @type {any} */ config, pageURL = "http://site.test/page") => ({ msg: { type: "boot", config, pageURL }, buffers: [] });

test("a snapshot boot's early list is asked for at once, as absolute URLs", () => {
  const { fetch, imports } = earlyRequests(boot(CONFIG));
  assert.deepEqual(fetch, CONFIG.early.fetch.map((u) => "http://site.test" + u));
  assert.deepEqual(imports, CONFIG.early.imports.map((u) => "http://site.test" + u));
});

test("nothing is asked for early for a plain boot, whoever turned the snapshot off", () => {
  const none = { fetch: [], imports: [] };
  assert.deepEqual(earlyRequests(boot(CONFIG, `http://site.test/page?${SNAPSHOT_PARAM}=off`)), none);
  assert.deepEqual(earlyRequests(boot({ ...CONFIG, snapshot: null })), none);
  assert.deepEqual(earlyRequests(boot({ ...CONFIG, early: undefined })), none);
  assert.deepEqual(earlyRequests({ msg: { type: "create", config: CONFIG } }), none);
  assert.deepEqual(earlyRequests(null), none);
});

test("an early response is taken once; the ones left are cancelled", async () => {
  const controller = new AbortController();
  const other = new AbortController();
  const response = Promise.resolve(new Response("early"));
  useEarly(new Map([["http://a/x", { response, controller }], ["http://a/y", { response, controller: other }]]));
  assert.equal(await fetchFirst("http://a/x"), await response);
  assert.equal(takeEarly("http://a/x"), null);
  fetched.length = 0;
  await fetchFirst("http://a/x"); // asked for again: a real fetch
  assert.deepEqual(fetched, ["http://a/x"]);
  dropEarly();
  assert.equal(controller.signal.aborted, false, "taken: the boot owns it");
  assert.equal(other.signal.aborted, true);
  assert.equal(takeEarly("http://a/y"), null);
});

test("the entry fetches each early file once: the boot takes them, and a failed boot is reported", async () => {
  fetched.length = 0;
  posted.length = 0;
  scope.self.dispatchEvent(new MessageEvent("message", { data: boot(CONFIG) }));
  const early = CONFIG.early.fetch.map((u) => "http://site.test" + u);
  assert.deepEqual(fetched.slice(0, early.length), early, "asked for before the relay is loaded");
  // no Pyodide here: the boot fails (its imports of the loader do), and says so as a fatal error
  for (let i = 0; i < 200 && !posted.some((m) => m.msg?.type === "error"); i++) await new Promise((r) => setTimeout(r, 10));
  const error = posted.find((m) => m.msg?.type === "error");
  assert.ok(error, `no error was posted: ${JSON.stringify(posted)}`);
  assert.equal(error.msg.fatal, true);
  for (const url of early) assert.equal(fetched.filter((u) => u === url).length, 1, `${url} fetched again: ${fetched}`);
});
