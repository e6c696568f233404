// web/page/offline.js: the outside requests a page made, and the explanation of an error they caused.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { LATE_MS, OutsideRequests, RECENT_MS, watchOutsideRequests } from "../../../web/page/offline.js";
import { FakeDocument, FakeEvent } from "./fake-dom.js";

const PAGE = "http://127.0.0.1:5001";
const CDN_MODULE = "https://cdn.jsdelivr.net/npm/d3-array@3.2.4/+esm";
const CDN_WASM = "https://cdn.jsdelivr.net/npm/sql.js@1.10.3/dist/sql-wasm.wasm";
const IMPORT_FAILED = { type: "TypeError", message: "Failed to fetch dynamically imported module: blob:http://127.0.0.1:5001/3f2a", traceback: "" };
const FETCH_FAILED = { type: "TypeError", message: "Failed to fetch", traceback: "TypeError: Failed to fetch\n    at render (blob:http://127.0.0.1:5001/9c1d:6:32)" };

/** A log on a clock the test moves. */
function clocked(start = 50000) {
  const clock = { t: start };
  const log = new OutsideRequests({ origin: PAGE, now: () => clock.t });
  return { log, clock };
}

/** @param {string} url @param {string} directive @param {string} [disposition] */
const violation = (url, directive, disposition = "report") => ({ blockedURI: url, effectiveDirective: directive, disposition });

/** A Resource Timing entry of a request that got no answer (what Chromium records for a failed one). */
const failedEntry = (/** @type {string} */ name, /** @type {string} */ initiatorType, startTime = 49990) => ({
  name, initiatorType, startTime, responseEnd: startTime + 4, duration: 4, responseStatus: 0, encodedBodySize: 0, decodedBodySize: 0,
});

describe("explaining a failed load", () => {
  test("an import that failed names the module the policy reported, and says the site runs offline", () => {
    const { log } = clocked();
    log.noteViolation(violation(CDN_MODULE, "script-src-elem"));
    const explained = log.explain(IMPORT_FAILED);
    assert.ok(explained);
    assert.equal(explained.type, "TypeError");
    assert.match(explained.message, /^\[fh-anywidget\] this widget's front end imports https:\/\/cdn\.jsdelivr\.net\/npm\/d3-array@3\.2\.4\/\+esm from the internet/);
    assert.match(explained.message, /this site runs offline: nothing is fetched from the internet at run time/);
    assert.match(explained.message, /Bundle that module into the widget's _esm/);
    assert.equal(explained.traceback, `TypeError: ${IMPORT_FAILED.message}`, "the browser's own words are kept");
  });

  test("a failed fetch names the fetched URL, not an import reported before it", () => {
    const { log, clock } = clocked();
    log.noteViolation(violation(CDN_MODULE, "script-src-elem"));
    clock.t += 100;
    log.noteViolation(violation(CDN_WASM, "connect-src"));
    const explained = log.explain(FETCH_FAILED);
    assert.ok(explained);
    assert.match(explained.message, /fetches https:\/\/cdn\.jsdelivr\.net\/npm\/sql\.js@1\.10\.3\/dist\/sql-wasm\.wasm from the internet/);
    assert.doesNotMatch(explained.message, /d3-array/);
    assert.match(explained.message, /vendor it into the widget's package/);
    assert.equal(explained.traceback, FETCH_FAILED.traceback);
  });

  test("a failed request in the Resource Timing entries names the URL with no policy at all (a static export's pages)", () => {
    const { log } = clocked();
    const entries = [failedEntry(`${PAGE}/_fhaw/web-1/widget.js`, "script"), failedEntry(CDN_WASM, "fetch")];
    log.setSource(true, () => entries);
    assert.match(log.explain(FETCH_FAILED)?.message ?? "", /fetches https:\/\/cdn\.jsdelivr\.net\/npm\/sql\.js/);
    assert.deepEqual(log.requests.map((r) => r.url), [CDN_WASM], "the page's own requests are not outside");
  });

  test("an outside URL in the browser's message is named as it is", () => {
    const { log } = clocked();
    const explained = log.explain({ type: "TypeError", message: "Failed to fetch dynamically imported module: https://esm.sh/confetti@1", traceback: "" });
    assert.match(explained?.message ?? "", /imports https:\/\/esm\.sh\/confetti@1 from the internet/);
  });

  test("several outside requests are all named, newest first", () => {
    const { log, clock } = clocked();
    for (const url of ["https://a.example/x.wasm", "https://b.example/y.wasm"]) {
      log.noteViolation(violation(url, "connect-src"));
      clock.t += 10;
    }
    assert.match(log.explain(FETCH_FAILED)?.message ?? "", /fetches https:\/\/b\.example\/y\.wasm and https:\/\/a\.example\/x\.wasm from/);
  });

  test("a request that the page's own enforced policy blocked says so instead", () => {
    const { log } = clocked();
    log.noteViolation(violation(CDN_MODULE, "script-src-elem", "enforce"));
    const message = log.explain(IMPORT_FAILED)?.message ?? "";
    assert.match(message, /imports https:\/\/cdn\.jsdelivr\.net\S+, which the page's Content-Security-Policy blocks/);
    assert.doesNotMatch(message, /runs offline/);
  });

  test("nothing to explain: other errors, no outside request, old or answered requests, non-URL reports", () => {
    const { log, clock } = clocked();
    assert.equal(log.explain(FETCH_FAILED), null, "no outside request seen");
    log.noteViolation(violation(CDN_MODULE, "script-src-elem"));
    assert.equal(log.explain({ type: "ValueError", message: "bad value", traceback: "" }), null);
    clock.t += RECENT_MS + 1;
    assert.equal(log.explain(IMPORT_FAILED), null, "too long ago to be this error's cause");
    log.noteViolation(violation("inline", "script-src-elem"));
    log.noteViolation(violation("eval", "script-src"));
    log.noteViolation(violation(`${PAGE}/own.js`, "script-src-elem"));
    assert.equal(log.explain(IMPORT_FAILED), null);
    log.noteEntry({ ...failedEntry(CDN_WASM, "fetch", clock.t - 5), responseStatus: 200, encodedBodySize: 1000 });
    assert.equal(log.explain(FETCH_FAILED), null, "it was answered: it did not fail for want of a network");
  });

  test("an explanation is not explained again", () => {
    const { log } = clocked();
    log.noteViolation(violation(CDN_WASM, "connect-src"));
    const once = log.explain(FETCH_FAILED);
    assert.ok(once);
    assert.equal(log.explain(once), null);
  });
});

describe("a report that comes after the error", () => {
  test("explains the error when it comes within LATE_MS, and only then", () => {
    const { log, clock } = clocked();
    log.setSource(true, () => []);
    /** @type {string[]} */
    const heard = [];
    log.whenExplained(FETCH_FAILED, (explained) => heard.push(explained.message));
    clock.t += 50;
    log.noteViolation(violation(CDN_WASM, "connect-src"));
    assert.equal(heard.length, 1);
    assert.match(heard[0], /fetches https:\/\/cdn\.jsdelivr\.net\/npm\/sql\.js/);
    log.noteViolation(violation("https://other.example/z.wasm", "connect-src"));
    assert.equal(heard.length, 1, "one explanation per error");

    log.whenExplained(IMPORT_FAILED, (explained) => heard.push(explained.message));
    clock.t += LATE_MS + 1;
    log.noteViolation(violation(CDN_MODULE, "script-src-elem"));
    assert.equal(heard.length, 1, "too late");
  });

  test("nothing waits while nothing feeds the log (no page)", () => {
    const { log } = clocked();
    const heard = [];
    log.whenExplained(FETCH_FAILED, () => heard.push(1));
    log.noteViolation(violation(CDN_WASM, "connect-src"));
    assert.equal(heard.length, 0);
  });
});

describe("watchOutsideRequests", () => {
  test("feeds the log from the page's policy reports and Resource Timing entries, until stopped", () => {
    const doc = new FakeDocument();
    /** @type {Array<(list: {getEntries(): any[]}) => void>} */
    const observers = [];
    const win = {
      document: doc,
      performance: { getEntriesByType: () => [] },
      PerformanceObserver: class {
        /** @param {(list: {getEntries(): any[]}) => void} callback */
        constructor(callback) {
          observers.push(callback);
        }
        /** @param {{type: string, buffered: boolean}} options */
        observe(options) {
          assert.deepEqual(options, { type: "resource", buffered: true });
        }
        disconnect() {}
      },
    };
    const { log } = clocked();
    const stop = watchOutsideRequests(win, log);
    assert.equal(log.listening, true);
    doc.dispatchEvent(new FakeEvent("securitypolicyviolation", violation(CDN_MODULE, "script-src-elem")));
    observers[0]({ getEntries: () => [failedEntry(CDN_WASM, "fetch")] });
    assert.deepEqual(log.requests.map((r) => [r.url, r.kind]), [[CDN_MODULE, "script"], [CDN_WASM, "connect"]]);
    stop();
    assert.equal(log.listening, false);
    doc.dispatchEvent(new FakeEvent("securitypolicyviolation", violation("https://later.example/x.js", "script-src-elem")));
    assert.equal(log.requests.length, 2);
  });
});
