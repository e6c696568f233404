import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { acquireESM, importESM, loadWidget, normaliseModule } from "../../../web/page/esm.js";
import { isURL } from "../../../web/page/urls.js";

/** A data: URL of module text (node imports these; Blob URLs it cannot). */
const dataURL = (/** @type {string} */ text) => `data:text/javascript;base64,${Buffer.from(text).toString("base64")}`;
const textToURL = (/** @type {string} */ text) => ({ url: dataURL(text), release: () => {} });

describe("isURL", () => {
  test("http(s), data:, blob: and same-origin paths are URLs", () => {
    for (const url of ["https://cdn.example/w.js", "http://x/y.css", "data:text/javascript,1", "blob:http://x/1", "/static/w.js", "./w.js", "../w.js"]) {
      assert.equal(isURL(url), true, url);
    }
  });

  test("module and style text are not, even on one line", () => {
    for (const text of ["export default {}", "// a comment", "/* css */ .a{}", ".a { color: red }", "function render(){}\nexport default {render}", ""]) {
      assert.equal(isURL(text), false, text);
    }
  });
});

describe("loading _esm", () => {
  test("a URL is imported directly", async () => {
    const mod = await importESM(dataURL("export const x = 42;"));
    assert.equal(mod.x, 42);
  });

  test("inline text is imported through textToURL, and the URL released after", async () => {
    let released = 0;
    const mod = await importESM("export const y = 1;\n", {
      textToURL: (text) => ({ url: dataURL(text), release: () => released++ }),
    });
    assert.equal(mod.y, 1);
    assert.equal(released, 1);
  });

  test("each live widget gets a module of its own; a closed widget's module goes to the next with the same text", async () => {
    const imported = [];
    const importModule = async (/** @type {string} */ url) => {
      imported.push(url);
      return import(`${url}#${imported.length}`); // a fresh module per import, as Blob URLs are
    };
    const text = "export const state = {};\n";
    const a = await acquireESM(text, { importModule, textToURL });
    const b = await acquireESM(text, { importModule, textToURL });
    assert.notEqual(a.module.state, b.module.state); // two live widgets: two modules, as in anywidget
    a.release();
    a.release(); // once only
    const c = await acquireESM(text, { importModule, textToURL });
    assert.equal(c.module.state, a.module.state); // a's widget is gone: its module is reused
    const d = await acquireESM(text, { importModule, textToURL });
    assert.notEqual(d.module.state, a.module.state);
    assert.equal(imported.length, 3);
    const edited = await acquireESM("export const state = {}; // edited\n", { importModule, textToURL });
    assert.notEqual(edited.module.state, b.module.state); // an edited text is a new module (hot reload)
  });

  test("an empty _esm is an error that says to give the class one", async () => {
    await assert.rejects(importESM("", { name: "Counter" }), /Counter has no _esm/);
  });

  test("a syntax error in the module rejects (it is shown by the binding)", async () => {
    await assert.rejects(loadWidget("export default {\n", { textToURL }));
  });
});

describe("normalising a widget module", () => {
  test("export default {initialize, render} is used as is", async () => {
    const def = await loadWidget("export default { initialize() {}, render() {} };\n", { textToURL });
    assert.equal(typeof def.initialize, "function");
    assert.equal(typeof def.render, "function");
  });

  test("export default (async) function is called, once per load, and its object used", async () => {
    let calls = 0;
    const render = () => {};
    const mod = { default: async () => (calls++, { render }) };
    const first = await normaliseModule(mod);
    await normaliseModule(mod);
    assert.equal(first.render, render);
    assert.equal(calls, 2);
  });

  test("a legacy named render works and warns once per module", async (t) => {
    const warn = t.mock.method(console, "warn", () => {});
    const render = () => {};
    const def = await normaliseModule({ render }, { name: "Legacy", key: "legacy-module-1" });
    await normaliseModule({ render }, { name: "Legacy", key: "legacy-module-1" });
    assert.equal(def.render, render);
    assert.equal(warn.mock.callCount(), 1);
    assert.match(String(warn.mock.calls[0].arguments[0]), /\[fh-anywidget\] Legacy: a named `export function render` is deprecated/);
  });

  test("a module without default or render is an error that names the expected shape", async () => {
    await assert.rejects(normaliseModule({ helper: 1 }, { name: "Bad" }), (err) => {
      assert.match(err.message, /the _esm of Bad exports helper/);
      assert.match(err.message, /export default \{ initialize\?, render\? \}/);
      return true;
    });
  });

  test("a default export that is not an object (or gives none) is an error", async () => {
    await assert.rejects(normaliseModule({ default: 42 }), /gave a number; it must export default/);
    await assert.rejects(normaliseModule({ default: () => undefined }), /gave undefined/);
  });

  test("a render that is not a function is an error", async () => {
    await assert.rejects(normaliseModule({ default: { render: "x" } }), /render must be a function/);
  });
});
