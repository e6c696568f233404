import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { WidgetManager } from "../../../web/page/manager.js";
import { FakeDocument, errorBoxes, settle } from "./fake-dom.js";

const LAYOUT_STATE = { _model_name: "LayoutModel", _model_module: "@jupyter-widgets/base" };

/** A manager on a fake transport; `python(msg)` plays a message from Python. */
function setup(modules = {}, options = {}) {
  const doc = new FakeDocument();
  /** @type {Array<{msg: any, buffers: ArrayBuffer[]}>} */
  const sent = [];
  const transport = {
    onmessage: /** @type {any} */ (null),
    send: (/** @type {any} */ msg, /** @type {ArrayBuffer[]} */ buffers = []) => void sent.push({ msg, buffers }),
    closed: false,
    close() {
      this.closed = true;
    },
  };
  const manager = new WidgetManager({
    transport,
    document: /** @type {any} */ (doc),
    importModule: async (url) => {
      if (!(url in modules)) throw new Error(`no module ${url}`);
      return /** @type {any} */ (modules)[url];
    },
    ...options,
  });
  const python = (/** @type {any} */ msg, /** @type {ArrayBuffer[]} */ buffers = []) => transport.onmessage(msg, buffers);
  /** Python's answer to a create: the layout model, the widget model, then created. */
  const answer = (/** @type {string} */ key, /** @type {string} */ id, /** @type {Record<string, any>} */ state) => {
    python({ type: "comm_open", comm_id: `${id}-layout`, target_name: "jupyter.widget", data: { state: LAYOUT_STATE, buffer_paths: [] } });
    python({
      type: "comm_open",
      comm_id: id,
      target_name: "jupyter.widget",
      data: { state: { layout: `IPY_MODEL_${id}-layout`, ...state }, buffer_paths: [] },
      metadata: { version: "2.1.0" },
    });
    python({ type: "created", key, model_id: id });
  };
  /** A placeholder element in the page. */
  const placeholder = (/** @type {Record<string, any>} */ spec) => {
    const el = /** @type {any} */ (doc.createElement("div"));
    el.className = "fh-anywidget";
    el.setAttribute("data-fh-anywidget", JSON.stringify(spec));
    doc.body.append(el);
    return el;
  };
  return { doc, manager, transport, sent, python, answer, placeholder };
}

const SPEC = { key: "k1", mode: "worker", target: "app.widgets:Counter", kwargs: { start: 1 }, bundles: ["/_fhaw/b/x.zip"] };
const COUNTER = {
  "https://w/counter.js": {
    default: {
      render({ model, el }) {
        el.textContent = `count ${model.get("count")}`;
        model.on("change:count", () => (el.textContent = `count ${model.get("count")}`));
      },
    },
  },
};

describe("WidgetManager.create", () => {
  test("sends create once per key and resolves every caller with the widget's own model", async () => {
    const { manager, sent, answer } = setup(COUNTER);
    const first = manager.create(SPEC);
    const second = manager.create({ ...SPEC, kwargs: { start: 1 } });
    assert.deepEqual(sent.map((s) => s.msg), [
      { type: "create", key: "k1", target: "app.widgets:Counter", kwargs: { start: 1 }, bundles: ["/_fhaw/b/x.zip"] },
    ]);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 0 });
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a, b);
    assert.equal(a.comm_id, "w1");
  });

  test("every comm_open makes a model, the LayoutModel included", () => {
    const { manager, answer } = setup(COUNTER);
    manager.create(SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js" });
    assert.deepEqual([...manager.models.keys()], ["w1-layout", "w1"]);
    assert.equal(manager.bindingOf(/** @type {any} */ (manager.models.get("w1-layout"))), undefined);
    assert.ok(manager.bindingOf(/** @type {any} */ (manager.models.get("w1"))));
  });

  test("the same key with other kwargs is an error that says to use another key", async () => {
    const { manager, sent } = setup();
    manager.create(SPEC);
    await assert.rejects(manager.create({ ...SPEC, kwargs: { start: 2 } }), /key "k1" is already used on this page.*own key/);
    assert.equal(sent.length, 1);
  });

  test("kwargs compare by value, whatever their key order", async () => {
    const { manager, sent } = setup();
    manager.create({ ...SPEC, kwargs: { a: 1, b: 2 } });
    manager.create({ ...SPEC, kwargs: { b: 2, a: 1 } });
    assert.equal(sent.length, 1);
  });

  test("a target without module:name is an error naming it", async () => {
    const { manager } = setup();
    await assert.rejects(manager.create({ key: "x", target: "Counter" }), /target "Counter"; it must be "module:name"/);
  });

  test("an error with the key rejects its create", async (t) => {
    t.mock.method(console, "error", () => {});
    const { manager, python } = setup();
    const pending = manager.create(SPEC);
    python({ type: "error", key: "k1", error: { type: "ImportError", message: "No module named 'app'", traceback: "Traceback..." } });
    await assert.rejects(pending, (err) => err.name === "ImportError" && /No module named/.test(err.message));
  });

  test("get_model finds any open model and rejects, saying so, for an unknown one", async () => {
    const { manager, answer } = setup(COUNTER);
    manager.create(SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js" });
    assert.equal((await manager.get_model("w1-layout")).comm_id, "w1-layout");
    await assert.rejects(manager.get_model("zz"), /no model "zz" on this page/);
  });
});

describe("WidgetManager comm messages", () => {
  test("save_changes becomes a comm_msg with a seq; Python's echo with that parent is applied", async () => {
    const { manager, sent, answer, python } = setup(COUNTER);
    const pending = manager.create(SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 0 });
    const model = await pending;
    await manager.bindingOf(model)?.loaded;
    model.set("count", 1);
    model.save_changes();
    const msg = sent[sent.length - 1].msg;
    assert.deepEqual(msg, { type: "comm_msg", comm_id: "w1", data: { method: "update", state: { count: 1 }, buffer_paths: [] }, seq: 1 });
    python({ type: "comm_msg", comm_id: "w1", data: { method: "echo_update", state: { count: 2 }, buffer_paths: [] }, parent: 1 });
    assert.equal(model.get("count"), 2);
  });

  test("comm_close disposes the widget: its views' cleanups run and the model is gone", async () => {
    let cleaned = 0;
    const { manager, python, answer, placeholder } = setup({
      "https://w/a.js": { default: { render: () => () => cleaned++ } },
    });
    const p = manager.mount(placeholder(SPEC), SPEC);
    answer("k1", "w1", { _esm: "https://w/a.js" });
    await p.mounted;
    python({ type: "comm_close", comm_id: "w1" });
    assert.equal(cleaned, 1);
    assert.equal(manager.models.has("w1"), false);
  });
});

describe("WidgetManager placeholders", () => {
  test("a placeholder shows boot status, then the widget's view", async () => {
    const { manager, python, answer, placeholder } = setup(COUNTER);
    const el = placeholder(SPEC);
    const p = manager.mount(el, SPEC);
    python({ type: "status", stage: "Installing packages", percent: 50, detail: "3/6" });
    const status = el.querySelector(".fh-anywidget-status");
    assert.match(status.textContent, /Installing packages \(3\/6\) 50%/);
    assert.equal(status.querySelector("progress").value, 50);
    python({ type: "ready", timings: { pyodide: 1 } });
    assert.deepEqual(await manager.ready, { pyodide: 1 });
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 3 });
    await p.mounted;
    assert.equal(el.querySelector(".fh-anywidget-status"), null);
    assert.equal(el.querySelector(".fh-anywidget-view").textContent, "count 3");
  });

  test("two placeholders with one key show one model", async () => {
    const { manager, answer, placeholder, python } = setup(COUNTER);
    const a = manager.mount(placeholder(SPEC), SPEC);
    const b = manager.mount(placeholder(SPEC), SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 0 });
    await Promise.all([a.mounted, b.mounted]);
    python({ type: "comm_msg", comm_id: "w1", data: { method: "update", state: { count: 9 }, buffer_paths: [] }, parent: null });
    assert.equal(a.el.textContent, "count 9");
    assert.equal(b.el.textContent, "count 9");
  });

  test("a placeholder reusing a key with other kwargs shows the error in that element only", async (t) => {
    const errors = t.mock.method(console, "error", () => {});
    const { manager, answer, placeholder } = setup(COUNTER);
    const good = manager.mount(placeholder(SPEC), SPEC);
    const badSpec = { ...SPEC, kwargs: { start: 99 } };
    const bad = manager.mount(placeholder(badSpec), badSpec);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 0 });
    await Promise.all([good.mounted, bad.mounted]);
    assert.match(errorBoxes(bad.el)[0].textContent, /already used on this page/);
    assert.equal(errorBoxes(good.el).length, 0);
    // and in the console, once, naming the key (the page found it: no Python message logged it)
    const logged = errors.mock.calls.map((c) => String(c.arguments[0]));
    assert.equal(logged.filter((line) => /making the widget "k1".*already used on this page/s.test(line)).length, 1, logged.join("\n"));
  });

  test("an error with comm_id shows in every view of that model, dismissibly, and the view lives on", async (t) => {
    t.mock.method(console, "error", () => {});
    const { manager, answer, placeholder, python } = setup(COUNTER);
    const a = manager.mount(placeholder(SPEC), SPEC);
    const b = manager.mount(placeholder(SPEC), SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 0 });
    await Promise.all([a.mounted, b.mounted]);
    python({ type: "error", comm_id: "w1", error: { type: "ZeroDivisionError", message: "division by zero", traceback: "Traceback ...\nZeroDivisionError" } });
    for (const p of [a, b]) assert.match(errorBoxes(p.el)[0].textContent, /ZeroDivisionError.*division by zero/s);
    errorBoxes(a.el)[0].querySelector(".fh-anywidget-error-close").click();
    assert.equal(errorBoxes(a.el).length, 0);
    python({ type: "comm_msg", comm_id: "w1", data: { method: "update", state: { count: 4 }, buffer_paths: [] }, parent: null });
    assert.match(a.el.textContent, /count 4/);
  });

  test("an error with a key shows in every placeholder of that key, only", async (t) => {
    t.mock.method(console, "error", () => {});
    const { manager, placeholder, python } = setup();
    const other = { ...SPEC, key: "k2" };
    const a = manager.mount(placeholder(SPEC), SPEC);
    const b = manager.mount(placeholder(SPEC), SPEC);
    const c = manager.mount(placeholder(other), other);
    python({ type: "error", key: "k1", error: { type: "ModuleNotFoundError", message: "No module named 'app'", traceback: "" } });
    await Promise.all([a.mounted, b.mounted]);
    await settle();
    assert.equal(errorBoxes(a.el).length, 1);
    assert.equal(errorBoxes(b.el).length, 1);
    assert.equal(errorBoxes(c.el).length, 0);
    assert.equal(a.el.querySelector(".fh-anywidget-status"), null);
  });

  test("a fatal error shows once in every placeholder, and later creates fail with it", async (t) => {
    t.mock.method(console, "error", () => {});
    const { manager, placeholder, python } = setup();
    const other = { ...SPEC, key: "k2" };
    const a = manager.mount(placeholder(SPEC), SPEC);
    const c = manager.mount(placeholder(other), other);
    python({ type: "error", fatal: true, error: { type: "WorkerError", message: "could not load pyodide.mjs", traceback: "" } });
    await Promise.all([a.mounted, c.mounted]);
    for (const p of [a, c]) {
      assert.equal(errorBoxes(p.el).length, 1);
      assert.match(errorBoxes(p.el)[0].textContent, /could not load pyodide\.mjs/);
    }
    await assert.rejects(manager.create({ ...SPEC, key: "k3" }), /could not load pyodide/);
  });

  test("an error with neither key nor comm_id shows in every placeholder", async (t) => {
    t.mock.method(console, "error", () => {});
    const { manager, placeholder, python } = setup();
    const els = [placeholder(SPEC), placeholder({ ...SPEC, key: "k2" })];
    els.forEach((el) => manager.mount(el, JSON.parse(el.getAttribute("data-fh-anywidget"))));
    python({ type: "error", error: { type: "RuntimeError", message: "the kernel broke", traceback: "" } });
    for (const el of els) assert.match(errorBoxes(el)[0].textContent, /the kernel broke/);
  });

  test("unmounting a placeholder disposes its view (cleanup runs)", async () => {
    let cleaned = 0;
    const { manager, answer, placeholder } = setup({ "https://w/a.js": { default: { render: () => () => cleaned++ } } });
    const p = manager.mount(placeholder(SPEC), SPEC);
    answer("k1", "w1", { _esm: "https://w/a.js" });
    await p.mounted;
    manager.unmount(p);
    assert.equal(cleaned, 1);
    assert.equal(manager.placeholders.size, 0);
  });
});

describe("WidgetManager lifecycle: what no placeholder shows is closed", () => {
  const GRACE = { closeGraceMs: 5 };
  const wait = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

  test("a placeholder that leaves closes its widget in Python after the grace, and its models here", async () => {
    const { manager, answer, placeholder, sent, python } = setup(COUNTER, GRACE);
    const el = placeholder(SPEC);
    const p = manager.mount(el, SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 0 });
    await p.mounted;
    el.remove();
    manager.unmount(p);
    assert.equal(sent.filter((s) => s.msg.type === "comm_close").length, 0); // not at once
    await wait(20);
    assert.deepEqual(sent.filter((s) => s.msg.type === "comm_close").map((s) => s.msg), [{ type: "comm_close", comm_id: "w1" }]);
    assert.equal(manager.models.has("w1"), false);
    python({ type: "comm_close", comm_id: "w1-layout" }); // Python closes what it made with it
    assert.deepEqual([...manager.models.keys()], []);
    assert.equal(manager.modelFor("k1"), null);
  });

  test("the same key mounted again within the grace keeps its widget; a late message of a closed one is dropped quietly", async (t) => {
    const warn = t.mock.method(console, "warn", () => {});
    const { manager, answer, placeholder, sent, python } = setup(COUNTER, GRACE);
    const first = manager.mount(placeholder(SPEC), SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 0 });
    await first.mounted;
    manager.unmount(first);
    const again = manager.mount(placeholder(SPEC), SPEC); // an htmx swap that puts it back
    await again.mounted;
    await wait(20);
    assert.equal(sent.filter((s) => s.msg.type === "comm_close" || s.msg.type === "create").length, 1); // one create, no close
    assert.equal(again.model, first.model);
    manager.unmount(again);
    await wait(20);
    python({ type: "comm_msg", comm_id: "w1", data: { method: "update", state: { count: 1 }, buffer_paths: [] }, parent: null });
    assert.equal(warn.mock.callCount(), 0);
  });

  test("a key on its way out that comes back with other arguments is closed at once and made anew", async () => {
    const { manager, answer, placeholder, sent } = setup(COUNTER, { closeGraceMs: 60_000 });
    const first = manager.mount(placeholder(SPEC), SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 0 });
    await first.mounted;
    manager.unmount(first);
    const other = { ...SPEC, kwargs: { start: 5 } };
    manager.mount(placeholder(other), other);
    await settle();
    assert.deepEqual(sent.map((s) => s.msg.type), ["create", "comm_close", "create"]);
    assert.deepEqual(sent[2].msg.kwargs, { start: 5 });
  });
});

describe("WidgetManager placeholders in the app: form fields and DOM events", () => {
  /** A placeholder element holding a field input. */
  const withField = (/** @type {any} */ el, /** @type {string} */ name, /** @type {string} */ trait) => {
    const input = el.ownerDocument.createElement("input");
    input.name = name;
    input.setAttribute("name", name);
    input.setAttribute("data-fh-anywidget-field", trait);
    input.value = "";
    el.prepend(input);
    return input;
  };

  test("the field holds the trait, follows every change, and fhaw:change fires after it with the public changes", async () => {
    const { manager, answer, placeholder, python, doc } = setup(COUNTER);
    const el = placeholder(SPEC);
    const input = withField(el, "n", "count");
    /** @type {any[]} */
    const seen = [];
    for (const name of ["fhaw:ready", "fhaw:change", "fhaw:message"]) {
      doc.addEventListener(name, (/** @type {any} */ e) => seen.push([name, e.detail, name === "fhaw:change" ? input.value : undefined]));
    }
    const p = manager.mount(el, SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 4 });
    await p.mounted;
    assert.equal(input.value, "4");
    python({ type: "comm_msg", comm_id: "w1", data: { method: "update", state: { count: 5, _private: 1 }, buffer_paths: [] }, parent: null });
    p.model?.set("count", 6); // from the view
    python({ type: "comm_msg", comm_id: "w1", data: { method: "update", state: { _private: 2 }, buffer_paths: [] }, parent: null });
    python({ type: "comm_msg", comm_id: "w1", data: { method: "custom", content: { hi: 1 } }, parent: null });
    assert.deepEqual(seen, [
      ["fhaw:ready", { key: "k1", target: SPEC.target, mode: "worker" }, undefined],
      ["fhaw:change", { key: "k1", changes: { count: 5 } }, "5"],
      ["fhaw:change", { key: "k1", changes: { count: 6 } }, "6"],
      ["fhaw:message", { key: "k1", content: { hi: 1 }, buffers: [] }, undefined],
    ]);
    manager.unmount(p);
    python({ type: "comm_msg", comm_id: "w1", data: { method: "update", state: { count: 7 }, buffer_paths: [] }, parent: null });
    assert.equal(seen.length, 4); // a disposed placeholder fires nothing
  });

  test("a field naming a trait the widget lacks is an error in its element (and fhaw:error); the widget still renders", async (t) => {
    t.mock.method(console, "error", () => {});
    const { manager, answer, placeholder, doc } = setup(COUNTER);
    const el = placeholder(SPEC);
    withField(el, "n", "cuont");
    /** @type {any[]} */
    const errors = [];
    doc.addEventListener("fhaw:error", (/** @type {any} */ e) => errors.push(e.detail));
    const p = manager.mount(el, SPEC);
    answer("k1", "w1", { _esm: "https://w/counter.js", count: 4 });
    await p.mounted;
    assert.match(errorBoxes(el)[0].textContent, /the form field "n" would hold the trait "cuont", which app.widgets:Counter does not have; its traits: count/);
    assert.equal(errors[0].key, "k1");
    assert.equal(errors[0].source, "field");
    assert.equal(el.querySelector(".fh-anywidget-view").textContent, "count 4");
  });
});
