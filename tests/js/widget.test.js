import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { Model } from "../../web/model.js";
import { WidgetBinding } from "../../web/widget.js";
import { FakeDocument, errorBoxes, settle } from "./fake-dom.js";

/**
 * Widgets whose modules are plain objects in this test (the importer is injected).
 * @param {Record<string, any>} modules  URL -> module namespace
 */
function setup(modules) {
  const doc = new FakeDocument();
  /** @type {Map<string, Model>} */
  const models = new Map();
  /** @type {Map<Model, WidgetBinding>} */
  const bindings = new Map();
  const sent = [];
  let seq = 0;
  const widget_manager = {
    get_model: async (/** @type {string} */ id) => {
      const m = models.get(id);
      if (!m) throw new Error(`no model ${id}`);
      return m;
    },
  };
  const importModule = async (/** @type {string} */ url) => {
    if (!(url in modules)) throw new Error(`Failed to fetch dynamically imported module: ${url}`);
    return modules[url];
  };
  /** @param {string} id @param {Record<string, any>} state */
  function bind(id, state) {
    const model = new Model({
      comm_id: id,
      data: { state, buffer_paths: [] },
      widget_manager,
      sendComm: (data, buffers) => (sent.push({ comm_id: id, data, buffers }), ++seq),
    });
    models.set(id, model);
    const binding = new WidgetBinding(model, { document: /** @type {any} */ (doc), importModule, bindingOf: (m) => bindings.get(m) });
    bindings.set(model, binding);
    return { model, binding };
  }
  const el = () => /** @type {any} */ (doc.createElement("div"));
  return { doc, bind, el, sent };
}

describe("WidgetBinding lifecycle", () => {
  test("initialize runs once per model, render once per view", async () => {
    const calls = [];
    const { bind, el } = setup({
      "https://w/a.js": {
        default: {
          initialize: ({ model }) => void calls.push(["initialize", model.get("value")]),
          render: ({ model, el }) => {
            calls.push(["render", model.get("value")]);
            el.textContent = `value ${model.get("value")}`;
          },
        },
      },
    });
    const { binding } = bind("m1", { _esm: "https://w/a.js", value: 7 });
    const one = el();
    const two = el();
    await Promise.all([binding.createView(one), binding.createView(two)]);
    assert.deepEqual(calls, [["initialize", 7], ["render", 7], ["render", 7]]);
    assert.equal(one.textContent, "value 7");
    assert.equal(two.textContent, "value 7");
  });

  test("render waits for an async initialize", async () => {
    const order = [];
    const { bind, el } = setup({
      "https://w/a.js": {
        default: {
          async initialize() {
            await settle(2);
            order.push("initialized");
          },
          render: () => void order.push("render"),
        },
      },
    });
    const { binding } = bind("m1", { _esm: "https://w/a.js" });
    await binding.createView(el());
    assert.deepEqual(order, ["initialized", "render"]);
  });

  test("initialize returning an object makes it the widget's exports", async () => {
    const api = { greet: () => "hi" };
    const { bind } = setup({ "https://w/a.js": { default: { initialize: () => api } } });
    const { binding } = bind("m1", { _esm: "https://w/a.js" });
    assert.equal(await binding.ready, api);
    assert.equal(binding.exports, api);
  });

  test("disposing a view runs its cleanup, aborts its signal and removes its listeners", async () => {
    let cleaned = 0;
    /** @type {AbortSignal | undefined} */
    let viewSignal;
    const { bind, el } = setup({
      "https://w/a.js": {
        default: {
          render({ model, signal }) {
            viewSignal = signal;
            model.on("change:value", () => {});
            return () => cleaned++;
          },
        },
      },
    });
    const { model, binding } = bind("m1", { _esm: "https://w/a.js", value: 0 });
    const controller = new AbortController();
    await binding.createView(el(), { signal: controller.signal });
    assert.equal(model.listenerCount("change:value"), 1);
    controller.abort();
    assert.equal(cleaned, 1);
    assert.equal(viewSignal?.aborted, true);
    assert.equal(model.listenerCount("change:value"), 0);
    assert.equal(binding.viewCount, 0);
  });

  test("an async render's cleanup still runs when the view went away during render", async () => {
    let cleaned = 0;
    const { bind, el } = setup({
      "https://w/a.js": { default: { render: async () => (await settle(2), () => cleaned++) } },
    });
    const { binding } = bind("m1", { _esm: "https://w/a.js" });
    const controller = new AbortController();
    const rendered = binding.createView(el(), { signal: controller.signal });
    await settle(1);
    controller.abort();
    await rendered;
    await settle();
    assert.equal(cleaned, 1);
  });

  test("messages for the model wait until initialize has finished", async () => {
    let release = () => {};
    const seen = [];
    const { bind } = setup({
      "https://w/a.js": {
        default: {
          initialize: ({ model }) => {
            model.on("change:value", (_m, v) => seen.push(v));
            return new Promise((resolve) => (release = () => resolve(undefined)));
          },
        },
      },
    });
    const { model } = bind("m1", { _esm: "https://w/a.js", value: 0 });
    await settle();
    model.receive({ method: "update", state: { value: 1 }, buffer_paths: [] }, [], null);
    assert.equal(model.get("value"), 0);
    release();
    await settle();
    assert.deepEqual(seen, [1]);
    assert.equal(model.get("value"), 1);
  });
});

describe("WidgetBinding order: the first render sees the finished widget", () => {
  /** Python's reply to a custom message, as a transport would deliver it: later, not inside send. */
  const replyLater = (/** @type {Model} */ model, /** @type {any} */ content) =>
    setTimeout(() => model.receive({ method: "custom", content }, [], null), 5);

  test("updates Python sent after opening the comm are applied before the first render", async () => {
    const calls = [];
    const { bind, el } = setup({
      "https://w/a.js": {
        default: {
          async initialize({ model }) {
            calls.push(["initialize", model.get("data")]);
            model.on("change:data", (_m, v) => calls.push(["change", v]));
            await settle(2);
          },
          render: ({ model }) => void calls.push(["render", model.get("data")]),
        },
      },
    });
    // the comm opened with the state at super().__init__(); the constructor then set `data`
    const { model, binding } = bind("m1", { _esm: "https://w/a.js", data: [] });
    model.receive({ method: "update", state: { data: [1, 2, 3] }, buffer_paths: [] }, [], null);
    await binding.createView(el());
    assert.deepEqual(calls, [["initialize", []], ["change", [1, 2, 3]], ["render", [1, 2, 3]]]);
  });

  test("a render that awaits Python's reply to its model.send gets it", async () => {
    const { bind, el, sent } = setup({
      "https://w/a.js": {
        default: {
          render: ({ model, el }) =>
            new Promise((resolve) => {
              model.on("msg:custom", (/** @type {any} */ content) => {
                el.textContent = `rows ${content.rows.join(",")}`;
                resolve(undefined);
              });
              model.send({ ask: "rows" });
            }),
        },
      },
    });
    const { model, binding } = bind("m1", { _esm: "https://w/a.js" });
    const view = el();
    const rendered = binding.createView(view);
    await settle(3);
    assert.deepEqual(sent.map((m) => m.data.content), [{ ask: "rows" }]);
    replyLater(model, { rows: [1, 2] });
    const outcome = await Promise.race([rendered.then(() => "rendered"), new Promise((r) => setTimeout(() => r("stuck"), 500))]);
    assert.equal(outcome, "rendered");
    assert.equal(view.textContent, "rows 1,2");
  });

  test("an initialize that awaits experimental.invoke gets the response, after the updates sent before it", async () => {
    const order = [];
    const { bind, el, sent } = setup({
      "https://w/a.js": {
        default: {
          async initialize({ model, experimental }) {
            model.on("change:n", (_m, v) => order.push(`change ${v}`));
            const [response] = await experimental.invoke("first_rows", { limit: 2 });
            order.push(`response ${response} (n is ${model.get("n")})`);
          },
          render: ({ model }) => void order.push(`render n=${model.get("n")}`),
        },
      },
    });
    const { model, binding } = bind("m1", { _esm: "https://w/a.js", n: 0 });
    const rendered = binding.createView(el());
    await settle(3);
    const { id } = sent[0].data.content;
    // Python's command handler set a trait, then answered
    model.receive({ method: "update", state: { n: 5 }, buffer_paths: [] }, [], null);
    model.receive({ method: "custom", content: { id, kind: "anywidget-command-response", response: "ok" } }, [], null);
    const outcome = await Promise.race([rendered.then(() => "rendered"), new Promise((r) => setTimeout(() => r("stuck"), 500))]);
    assert.equal(outcome, "rendered");
    assert.deepEqual(order, ["change 5", "response ok (n is 5)", "render n=5"]);
  });
});

describe("WidgetBinding hot reload (change of _esm)", () => {
  test("aborts the old binding, re-initializes and re-renders every live view in place", async () => {
    const log = [];
    const version = (/** @type {number} */ n) => ({
      default: {
        initialize({ model, signal }) {
          log.push(`init v${n}`);
          model.on("change:value", () => log.push(`v${n} saw change`));
          signal.addEventListener("abort", () => log.push(`init v${n} aborted`));
          return () => log.push(`init v${n} cleanup`);
        },
        render({ el }) {
          el.textContent = `v${n}`;
          return () => log.push(`view v${n} cleanup`);
        },
      },
    });
    const { bind, el } = setup({ "https://w/v1.js": version(1), "https://w/v2.js": version(2) });
    const { model, binding } = bind("m1", { _esm: "https://w/v1.js", value: 0 });
    const view = el();
    await binding.createView(view);
    log.length = 0;

    model.receive({ method: "update", state: { _esm: "https://w/v2.js" }, buffer_paths: [] }, [], null);
    await settle();
    assert.deepEqual(log, ["init v1 aborted", "init v1 cleanup", "view v1 cleanup", "init v2"]);
    assert.equal(view.textContent, "v2");

    log.length = 0;
    model.set("value", 1);
    assert.deepEqual(log, ["v2 saw change"]);
  });

  test("a broken new _esm shows its error in the views; a fixed one clears it", async (t) => {
    t.mock.method(console, "error", () => {});
    const good = { default: { render: ({ el }) => void (el.textContent = "ok") } };
    const { bind, el } = setup({ "https://w/good.js": good });
    const { model, binding } = bind("m1", { _esm: "https://w/good.js" });
    const view = el();
    await binding.createView(view);
    model.receive({ method: "update", state: { _esm: "https://w/missing.js" }, buffer_paths: [] }, [], null);
    await settle();
    assert.equal(errorBoxes(view).length, 1);
    assert.match(errorBoxes(view)[0].textContent, /Failed to fetch dynamically imported module: https:\/\/w\/missing\.js/);
    model.receive({ method: "update", state: { _esm: "https://w/good.js" }, buffer_paths: [] }, [], null);
    await settle();
    assert.equal(errorBoxes(view).length, 0);
    assert.equal(view.textContent, "ok");
  });
});

describe("WidgetBinding errors", () => {
  test("an import error is shown in the view's element and logged with the prefix", async (t) => {
    const errors = t.mock.method(console, "error", () => {});
    const { bind, el } = setup({});
    const { binding } = bind("m1", { _esm: "https://w/nope.js", _anywidget_id: "pkg.Nope" });
    const view = el();
    await binding.createView(view);
    const [box] = errorBoxes(view);
    assert.ok(box, "an error box is shown");
    assert.match(box.textContent, /nope\.js/);
    assert.match(String(errors.mock.calls[0].arguments[0]), /^\[fh-anywidget\] loading the widget pkg\.Nope/);
  });

  test("an initialize that throws is shown, with its stack", async (t) => {
    t.mock.method(console, "error", () => {});
    const { bind, el } = setup({
      "https://w/a.js": {
        default: {
          initialize() {
            throw new TypeError("bad init");
          },
          render() {},
        },
      },
    });
    const { binding } = bind("m1", { _esm: "https://w/a.js" });
    const view = el();
    await binding.createView(view);
    const [box] = errorBoxes(view);
    assert.match(box.textContent, /TypeError/);
    assert.match(box.textContent, /bad init/);
    assert.match(box.textContent, /widget\.test\.js/); // the stack
    await assert.rejects(binding.ready, /bad init/);
  });

  test("a render that throws breaks only its own view, not other widgets", async (t) => {
    t.mock.method(console, "error", () => {});
    const { bind, el } = setup({
      "https://w/bad.js": {
        default: {
          render() {
            throw new Error("render broke");
          },
        },
      },
      "https://w/good.js": { default: { render: ({ el }) => void (el.textContent = "fine") } },
    });
    const bad = bind("bad", { _esm: "https://w/bad.js" });
    const good = bind("good", { _esm: "https://w/good.js" });
    const badView = el();
    const goodView = el();
    await Promise.all([bad.binding.createView(badView), good.binding.createView(goodView)]);
    assert.match(errorBoxes(badView)[0].textContent, /render broke/);
    assert.equal(goodView.textContent, "fine");
  });

  test("errors go to errorTarget when one is given, and Python's errors can be dismissed", async () => {
    const { bind, el } = setup({ "https://w/a.js": { default: { render() {} } } });
    const { binding } = bind("m1", { _esm: "https://w/a.js" });
    const placeholder = el();
    const view = el();
    placeholder.append(view);
    await binding.createView(view, { errorTarget: placeholder });
    binding.showError({ type: "ValueError", message: "bad value", traceback: "Traceback...\nValueError: bad value" });
    const [box] = errorBoxes(placeholder);
    assert.match(box.textContent, /ValueError/);
    const close = box.querySelector(".fh-anywidget-error-close");
    close.click();
    assert.equal(errorBoxes(placeholder).length, 0);
  });
});

describe("experimental.invoke", () => {
  /** @returns {Promise<{model: Model, experimental: any, sent: any[]}>} */
  async function invoker() {
    let experimental;
    const { bind, sent } = setup({ "https://w/a.js": { default: { initialize: (ctx) => void (experimental = ctx.experimental) } } });
    const { model, binding } = bind("m1", { _esm: "https://w/a.js" });
    await binding.ready;
    return { model, experimental, sent };
  }

  test("sends an anywidget-command and resolves with [response, DataView[]]", async () => {
    const { model, experimental, sent } = await invoker();
    const pending = experimental.invoke("add", { a: 1 }, { buffers: [new Uint8Array([1])] });
    const { content } = sent[0].data;
    assert.deepEqual({ ...content, id: "-" }, { id: "-", kind: "anywidget-command", name: "add", msg: { a: 1 } });
    assert.equal(sent[0].buffers.length, 1);
    model.receive({ method: "custom", content: { id: "other", kind: "anywidget-command-response", response: 0 } }, [], null);
    model.receive(
      { method: "custom", content: { id: content.id, kind: "anywidget-command-response", response: 3 } },
      [new Uint8Array([5]).buffer],
      null,
    );
    const [response, buffers] = await pending;
    assert.equal(response, 3);
    assert.ok(buffers[0] instanceof DataView);
    assert.equal(model.listenerCount("msg:custom"), 0);
  });

  test("rejects after the timeout with a message that says what to check", async () => {
    const { model, experimental } = await invoker();
    await assert.rejects(experimental.invoke("slow", {}, { timeout: 20 }), /command "slow" got no response in 20 ms/);
    assert.equal(model.listenerCount("msg:custom"), 0);
  });

  test("rejects when its signal aborts", async () => {
    const { experimental } = await invoker();
    const controller = new AbortController();
    const pending = experimental.invoke("x", {}, { signal: controller.signal });
    controller.abort(new Error("user left"));
    await assert.rejects(pending, /user left/);
  });
});

describe("host (0.11 composition)", () => {
  test("getWidget waits for the child's initialize and renders it into the given element", async () => {
    const { bind, el } = setup({
      "https://w/child.js": {
        default: {
          initialize: async () => (await settle(2), { name: "child" }),
          render: ({ el }) => void (el.textContent = "child view"),
        },
      },
      "https://w/parent.js": {
        default: {
          async render({ model, el, host }) {
            const child = await host.getWidget(model.get("child"));
            const slot = el.ownerDocument.createElement("div");
            el.append(slot);
            await child.render({ el: slot });
            el.setAttribute("data-exports", child.exports.name);
          },
        },
      },
    });
    bind("c1", { _esm: "https://w/child.js" });
    const parent = bind("p1", { _esm: "https://w/parent.js", child: "anywidget:c1" });
    const view = el();
    await parent.binding.createView(view);
    assert.equal(view.getAttribute("data-exports"), "child");
    assert.equal(view.textContent, "child view");
  });

  test("getModel gives the child's model; a bad ref is an error that shows the expected form", async (t) => {
    t.mock.method(console, "error", () => {});
    let childValue;
    const { bind, el } = setup({
      "https://w/child.js": { default: {} },
      "https://w/parent.js": {
        default: {
          async render({ model, host }) {
            childValue = (await host.getModel(model.get("child"))).get("value");
            await host.getModel("c1");
          },
        },
      },
    });
    bind("c1", { _esm: "https://w/child.js", value: 5 });
    const parent = bind("p1", { _esm: "https://w/parent.js", child: "anywidget:c1" });
    const view = el();
    await parent.binding.createView(view);
    assert.equal(childValue, 5);
    assert.match(errorBoxes(view)[0].textContent, /"c1" is not a widget reference.*"anywidget:<model_id>"/);
  });
});

describe("_css", () => {
  test("inline CSS goes in one <style> keyed by the model; a change replaces it; dispose removes it", async () => {
    const { bind, doc } = setup({ "https://w/a.js": { default: {} } });
    const { model, binding } = bind("m1", { _esm: "https://w/a.js", _css: ".a { color: red }\n" });
    const styles = () => doc.head.querySelectorAll('style[data-fh-anywidget-css="m1"]');
    assert.equal(styles().length, 1);
    model.receive({ method: "update", state: { _css: ".a { color: blue }\n" }, buffer_paths: [] }, [], null);
    await settle();
    assert.equal(styles().length, 1);
    assert.match(styles()[0].textContent, /blue/);
    binding.dispose();
    assert.equal(styles().length, 0);
  });

  test("a CSS URL becomes a <link rel=stylesheet>", () => {
    const { bind, doc } = setup({ "https://w/a.js": { default: {} } });
    bind("m1", { _esm: "https://w/a.js", _css: "https://cdn.example/w.css" });
    const [link] = doc.head.querySelectorAll("link");
    assert.equal(link.rel, "stylesheet");
    assert.equal(link.href, "https://cdn.example/w.css");
  });
});
