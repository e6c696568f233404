import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { readConfig, startRuntime } from "../../../web/page/runtime.js";
import { FakeDocument, errorBoxes, settle } from "./fake-dom.js";

/** MutationObserver stand-in: tests deliver the records themselves. */
class FakeObserver {
  /** @type {FakeObserver[]} */
  static made = [];
  /** @param {Function} callback */
  constructor(callback) {
    this.callback = callback;
    FakeObserver.made.push(this);
  }
  observe() {}
  disconnect() {}
  /** @param {any[]} records */
  deliver(records) {
    this.callback(records);
  }
}

let saved;
beforeEach(() => {
  saved = globalThis.MutationObserver;
  globalThis.MutationObserver = /** @type {any} */ (FakeObserver);
});
afterEach(() => {
  globalThis.MutationObserver = saved;
});

function page() {
  const doc = new FakeDocument();
  const transports = [];
  const fakeTransport = () => {
    const t = { sent: /** @type {any[]} */ ([]), onmessage: null, send: (/** @type {any} */ msg) => t.sent.push(msg), close() {} };
    transports.push(t);
    return t;
  };
  const add = (/** @type {any} */ spec, raw = JSON.stringify(spec)) => {
    const el = doc.createElement("div");
    el.className = "fh-anywidget";
    el.setAttribute("data-fh-anywidget", raw);
    doc.body.append(el);
    return el;
  };
  return { doc, transports, fakeTransport, add };
}

const spec = (/** @type {string} */ key, extra = {}) => ({ key, mode: "worker", target: "app:W", kwargs: {}, bundles: [], ...extra });

describe("the runtime", () => {
  test("mounts the placeholders present at start through one transport per mode", () => {
    const { doc, transports, fakeTransport, add } = page();
    add(spec("a"));
    add(spec("b"));
    const runtime = startRuntime({ document: /** @type {any} */ (doc), transports: { worker: fakeTransport } });
    assert.equal(transports.length, 1);
    assert.deepEqual(transports[0].sent.map((m) => m.key), ["a", "b"]);
    assert.equal(runtime.manager?.placeholders.size, 2);
  });

  test("starts no transport on a page without placeholders", () => {
    const { doc, transports, fakeTransport } = page();
    const runtime = startRuntime({ document: /** @type {any} */ (doc), transports: { worker: fakeTransport } });
    assert.equal(transports.length, 0);
    assert.equal(runtime.manager, null);
  });

  test("an unknown mode is shown in that placeholder, naming the modes there are", () => {
    const { doc, fakeTransport, add } = page();
    const el = add(spec("a", { mode: "quantum" }));
    startRuntime({ document: /** @type {any} */ (doc), transports: { worker: fakeTransport } });
    assert.match(errorBoxes(el)[0].textContent, /mode "quantum"; the modes are "worker"/);
  });

  test("a placeholder whose data is not JSON shows an error saying how to render it", (t) => {
    t.mock.method(console, "error", () => {});
    const { doc, fakeTransport, add } = page();
    const el = add(null, "{oops");
    startRuntime({ document: /** @type {any} */ (doc), transports: { worker: fakeTransport } });
    assert.match(errorBoxes(el)[0].textContent, /not JSON; render it with host\.widget/);
  });

  test("mounts placeholders added later and disposes those that leave the page", async () => {
    const { doc, transports, fakeTransport, add } = page();
    const runtime = startRuntime({ document: /** @type {any} */ (doc), transports: { worker: fakeTransport } });
    const observer = FakeObserver.made[FakeObserver.made.length - 1];
    const wrapper = doc.createElement("section");
    doc.body.append(wrapper);
    const el = add(spec("late"));
    wrapper.append(el); // an htmx swap brings a subtree with a placeholder in it
    observer.deliver([{ addedNodes: [wrapper], removedNodes: [] }]);
    assert.deepEqual(transports[0].sent.map((m) => m.key), ["late"]);
    assert.equal(runtime.manager?.placeholders.size, 1);
    wrapper.remove();
    observer.deliver([{ addedNodes: [], removedNodes: [wrapper] }]);
    await settle();
    assert.equal(runtime.manager?.placeholders.size, 0);
  });

  test("a placeholder inside hx-disable (HTML the app does not vouch for) is not started, at start or later", (t) => {
    const warn = t.mock.method(console, "warn", () => {});
    const { doc, transports, fakeTransport, add } = page();
    const ugc = doc.createElement("div");
    ugc.setAttribute("hx-disable", "");
    doc.body.append(ugc);
    ugc.append(add(spec("at-start")));
    add(spec("app"));
    startRuntime({ document: /** @type {any} */ (doc), transports: { worker: fakeTransport } });
    const observer = FakeObserver.made[FakeObserver.made.length - 1];
    const comment = doc.createElement("p");
    comment.setAttribute("data-hx-disable", "");
    doc.body.append(comment);
    const later = add(spec("later"));
    comment.append(later);
    observer.deliver([{ target: comment, addedNodes: [later], removedNodes: [] }]);
    observer.deliver([{ target: comment, addedNodes: [later], removedNodes: [] }]); // looked at once
    assert.deepEqual(transports[0].sent.map((m) => m.key), ["app"]);
    assert.equal(warn.mock.callCount(), 2);
    assert.match(String(warn.mock.calls[0].arguments[0]), /inside hx-disable was not started.*render widgets outside it/);
  });

  test("a widget's own element is not looked at: a placeholder a view draws there does not start", () => {
    const { doc, transports, fakeTransport, add } = page();
    const host = add(spec("host"));
    const runtime = startRuntime({ document: /** @type {any} */ (doc), transports: { worker: fakeTransport } });
    const observer = FakeObserver.made[FakeObserver.made.length - 1];
    // the view of "host" draws user HTML holding a placeholder, deep in its own element
    const view = doc.createElement("div");
    host.append(view);
    const injected = add(spec("injected"));
    view.append(injected);
    observer.deliver([{ target: view, addedNodes: [injected], removedNodes: [] }]);
    assert.deepEqual(transports[0].sent.map((m) => m.key), ["host"]);
    // the same markup where the app puts it (an htmx swap into the page) starts
    const outside = add(spec("outside"));
    observer.deliver([{ target: doc.body, addedNodes: [outside], removedNodes: [] }]);
    assert.deepEqual(transports[0].sent.map((m) => m.key), ["host", "outside"]);
    assert.equal(runtime.manager?.placeholders.size, 2);
  });
});

describe("readConfig", () => {
  test("reads data-config from the runtime's own script tag", () => {
    const doc = new FakeDocument();
    const script = doc.createElement("script");
    script.setAttribute("src", "/_fhaw/web-1/runtime.js");
    script.setAttribute("data-config", JSON.stringify({ workerURL: "/w.js", worker: { indexURL: "/p/" } }));
    doc.head.append(script);
    assert.deepEqual(readConfig(/** @type {any} */ (doc), "http://localhost/_fhaw/web-1/runtime.js"), { workerURL: "/w.js", worker: { indexURL: "/p/" } });
  });

  test("a missing script tag or bad JSON is an error that says the fix", () => {
    const doc = new FakeDocument();
    assert.throws(() => readConfig(/** @type {any} */ (doc), "x"), /no <script type=module src=\.\.\.\/runtime\.js data-config/);
    const script = doc.createElement("script");
    script.setAttribute("src", "/runtime.js");
    script.setAttribute("data-config", "{");
    doc.head.append(script);
    assert.throws(() => readConfig(/** @type {any} */ (doc), "x"), /data-config is not JSON/);
  });
});

test("an exported site's page registers its service worker as a module, with the site's scope", async () => {
  const { registerServiceWorker } = await import("../../../web/page/runtime.js");
  /** @type {any[]} */
  const calls = [];
  const nav = { serviceWorker: { register: async (/** @type {string} */ url, /** @type {object} */ options) => calls.push([url, options]) } };
  await registerServiceWorker({ serviceWorker: { url: "/my-repo/fhaw-sw.js", scope: "/my-repo/" } }, nav);
  assert.deepEqual(calls, [["/my-repo/fhaw-sw.js", { type: "module", scope: "/my-repo/" }]]);
  assert.equal(registerServiceWorker({}, nav), null); // a page served by the app registers none
});

test("the service worker is registered once the page's widgets are drawn, not while they boot", async () => {
  const { registerServiceWorker } = await import("../../../web/page/runtime.js");
  /** @type {string[]} */
  const calls = [];
  const nav = { serviceWorker: { register: async (/** @type {string} */ url) => calls.push(url) } };
  const config = { serviceWorker: { url: "/fhaw-sw.js", scope: "/" } };
  /** @type {(v?: unknown) => void} */
  let drawn = () => {};
  const registered = registerServiceWorker(config, nav, new Promise((resolve) => { drawn = resolve; }));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(calls, []); // the widgets are still booting
  drawn();
  await registered;
  assert.deepEqual(calls, ["/fhaw-sw.js"]);
  // a page whose widgets failed, or never finish, still gets its offline copy
  await registerServiceWorker(config, nav, Promise.reject(new Error("worker failed")));
  await registerServiceWorker(config, nav, new Promise(() => {}), 10);
  assert.deepEqual(calls, ["/fhaw-sw.js", "/fhaw-sw.js", "/fhaw-sw.js"]);
});
