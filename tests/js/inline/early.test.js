import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

import { BOOT, messageEnvelope } from "../../../web/shared/protocol.js";

const SOURCE = readFileSync(new URL("../../../web/inline/early.js", import.meta.url), "utf8");

/** Run web/inline/early.js as the browser would, inline with its data attribute, in a fake page. */
function runStarter({ config, existing } = {}) {
  const made = [];
  class Worker {
    constructor(url, options) {
      this.url = String(url);
      this.options = options;
      this.posted = [];
      made.push(this);
    }
    postMessage(data) {
      this.posted.push(data);
    }
  }
  const warnings = [];
  const window = existing ? { fhAnywidgetEarly: existing } : {};
  const script = { getAttribute: (name) => (name === "data-fh-anywidget-early" ? config : null) };
  const context = {
    window, Worker, URL, JSON, console: { warn: (...args) => warnings.push(args.join(" ")) },
    document: { currentScript: script, baseURI: "http://x/app/page" },
    location: { href: "http://x/app/page?fh-anywidget-snapshot=off" },
  };
  vm.runInNewContext(SOURCE, context);
  return { window, made, warnings };
}

test("starts the module worker at once and posts the protocol's boot with the config and the page URL", () => {
  const boot = { indexURL: "/_fhaw/pyodide-1/", packages: [] };
  const { window, made } = runStarter({ config: JSON.stringify({ workerURL: "/_fhaw/web-1/worker.js", boot }) });
  assert.equal(made.length, 1);
  assert.equal(made[0].url, "http://x/_fhaw/web-1/worker.js");
  assert.equal(made[0].options.type, "module");
  // spelled out in the classic script: the same envelope as the runtime's (web/shared/protocol.js)
  assert.deepEqual(JSON.parse(JSON.stringify(made[0].posted)), [messageEnvelope({ type: BOOT, config: boot, pageURL: "http://x/app/page?fh-anywidget-snapshot=off" }, [])]);
  assert.equal(window.fhAnywidgetEarly.worker, made[0]);
  // events before the runtime adopts the worker are kept, errors without the browser's own report
  let prevented = false;
  made[0].onerror({ type: "error", preventDefault: () => (prevented = true) });
  made[0].onmessage({ type: "message", data: 1 });
  assert.deepEqual([...window.fhAnywidgetEarly.events.map((e) => e.type)], ["error", "message"]);
  assert.ok(prevented);
});

test("a second starter on the page (another placeholder, an htmx swap) starts nothing", () => {
  const { made } = runStarter({ config: JSON.stringify({ workerURL: "/w.js", boot: {} }), existing: { taken: true } });
  assert.equal(made.length, 0);
});

test("a broken config is a console warning, not an exception: the runtime starts the worker later", () => {
  const { made, warnings, window } = runStarter({ config: "{not json" });
  assert.equal(made.length, 0);
  assert.equal(window.fhAnywidgetEarly, undefined);
  assert.match(warnings[0], /could not start the worker early/);
});
