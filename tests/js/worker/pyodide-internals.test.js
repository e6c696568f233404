// The Pyodide internals fh-anywidget relies on (web/worker/pyodide-internals.js): its checks pass on
// the pinned npm `pyodide` (loaded here in Node, from the distribution `fh-anywidget dist` built),
// and fail, naming what changed, on a Pyodide that lacks one of them.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import {
  CHECKED_VERSION,
  LOADER_FILE,
  MODULE_FILE,
  PyodideChanged,
  SOURCE_FACTS,
  afterRestore,
  callTrampolineSlot,
  checkAPI,
  checkFactory,
  checkLoader,
  checkModule,
  checkSources,
  emscriptenModule,
  snapshotRestore,
} from "../../../web/worker/pyodide-internals.js";
import { callTrampolineKind, keepCallTrampoline } from "../../../web/worker/trampoline.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const PIN = JSON.parse(readFileSync(`${ROOT}py/fh_anywidget/pins/pyodide.json`, "utf8"));
/** A distribution with the pinned package's files: the test one (scripts/test builds both), or the demo's. */
const DIST = ["build/pyodide-test/", "build/pyodide/"].map((dir) => ROOT + dir).find((dir) => existsSync(dir + LOADER_FILE) && existsSync(dir + MODULE_FILE));
const NO_DIST = DIST ? false : "no Pyodide distribution in build/ (scripts/test builds it; or `fh-anywidget dist --no-snapshot --out build/pyodide-test`)";

/** A started Emscripten module as the checks want it: a heap, the trampoline's symbols, the API. */
function fakeModule({ slotValue = 0 } = {}) {
  const HEAP32 = new Int32Array(64);
  const module = { HEAP32, API: { restoreSnapshot: () => "state" }, __PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET: 8, __PyRuntime: 64 };
  HEAP32[2] = 16; // the trampoline's offset in _PyRuntime: slot (64 + 16) / 4 = 20
  HEAP32[20] = slotValue;
  return module;
}
const fakeAPI = () => ({
  loadPackage() {}, unpackArchive() {}, pyimport() {}, runPython() {},
  FS: { mkdirTree() {}, open() {}, write() {}, close() {} },
});
const changed = (/** @type {RegExp} */ detail) => (/** @type {unknown} */ err) => {
  assert.ok(err instanceof PyodideChanged);
  assert.match(err.message, new RegExp(`^\\[fh-anywidget\\] Pyodide 315\\.0\\.0 changed .*; fh-anywidget was checked against ${CHECKED_VERSION.replace(/\./g, "\\.")}: `));
  assert.match(err.message, detail);
  return true;
};

test("the internals were checked against the pinned Pyodide (a new pin needs a new look: run this file)", () => {
  assert.equal(PIN.package, "pyodide");
  assert.equal(CHECKED_VERSION, PIN.version);
});

describe("on a Pyodide that lacks what fh-anywidget relies on, the checks throw, naming it", () => {
  test("the loader and the module's factory", () => {
    assert.deepEqual(Object.keys(checkLoader({ loadPyodide() {}, version: "315.0.0" })), ["loadPyodide", "version"]);
    assert.throws(() => checkLoader({ version: "315.0.0" }), changed(/pyodide\.mjs's exports.*no loadPyodide function/));
    assert.throws(() => checkLoader({}), /Pyodide \(version unknown\) changed/);
    assert.throws(() => checkFactory({ createPyodide() {} }, "315.0.0"), changed(/pyodide\.asm\.mjs's exports.*default export/));
  });

  test("the started module: restoreSnapshot, HEAP32, the trampoline's slot", () => {
    checkModule(fakeModule(), "315.0.0");
    assert.equal(callTrampolineSlot(fakeModule()), 20);
    const noRestore = fakeModule();
    delete (/** @type {any} */ (noRestore.API)).restoreSnapshot;
    assert.throws(() => checkModule(noRestore, "315.0.0"), changed(/module\.API\.restoreSnapshot is not a function/));
    assert.throws(() => checkModule({ ...fakeModule(), HEAP32: [] }, "315.0.0"), changed(/HEAP32 is not an Int32Array/));
    assert.throws(() => checkModule({ ...fakeModule(), __PyRuntime: undefined }, "315.0.0"), changed(/module\.__PyRuntime is not the address/));
    const renamed = /** @type {any} */ (fakeModule());
    delete renamed.__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET;
    assert.throws(() => checkModule(renamed, "315.0.0"), changed(/__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET/));
    const outside = fakeModule();
    outside.HEAP32[2] = 4096;
    assert.throws(() => checkModule(outside, "315.0.0"), changed(/the call trampoline's slot.*not an int32 in HEAP32/));
    assert.throws(() => checkModule(fakeModule({ slotValue: -3 }), "315.0.0"), changed(/holds -3/));
  });

  test("the API a booted Pyodide has", () => {
    checkAPI(fakeAPI(), "315.0.0", true);
    assert.throws(() => checkAPI({ ...fakeAPI(), unpackArchive: undefined }, "315.0.0", false), changed(/pyodide\.unpackArchive is not a function/));
    const noFS = { ...fakeAPI(), FS: {} };
    checkAPI(noFS, "315.0.0", false); // a boot from the packages writes no files itself
    assert.throws(() => checkAPI(noFS, "315.0.0", true), changed(/pyodide\.FS\.mkdirTree is not a function/));
  });

  test("a loadPyodide that ignores createPyodideModule, or _loadSnapshot, fails the restore's check", async () => {
    const asm = Promise.resolve({ default: async () => fakeModule() });
    const ignored = snapshotRestore({ memory: new Uint8Array(8), asm, version: "315.0.0", started() {}, ready: Promise.resolve() });
    assert.throws(() => ignored.verify(fakeAPI()), changed(/createPyodideModule option.*did not call it/));

    const unrestored = snapshotRestore({ memory: new Uint8Array(8), asm, version: "315.0.0", started() {}, ready: Promise.resolve() });
    const module = await unrestored.options.createPyodideModule({});
    assert.throws(() => unrestored.verify({ ...fakeAPI(), _module: module }), changed(/_loadSnapshot option.*did not restore it/));
    module.API.restoreSnapshot(new Uint8Array(8));
    assert.throws(() => unrestored.verify({ ...fakeAPI(), _module: fakeModule() }), changed(/pyodide\._module.*not the module createPyodideModule made/));
    unrestored.verify({ ...fakeAPI(), _module: module });
  });

  test("the hook checks the module it makes, and waits for the snapshot's bytes", async () => {
    /** @type {any[]} */
    const started = [];
    /** @type {(v?: unknown) => void} */
    let fill = () => {};
    const ready = new Promise((resolve) => { fill = resolve; });
    const restore = snapshotRestore({ memory: new Uint8Array(8), asm: Promise.resolve({ default: async () => fakeModule({ slotValue: 5 }) }), version: "315.0.0", started: (m) => started.push(m), ready });
    let made = null;
    const making = restore.options.createPyodideModule({}).then((m) => (made = m));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(started.length, 1);
    assert.equal(made, null); // not before the bytes are in
    fill();
    assert.equal(await making, started[0]);
    const bad = snapshotRestore({ memory: new Uint8Array(8), asm: Promise.resolve({ default: async () => ({}) }), version: "315.0.0", started() {}, ready });
    await assert.rejects(bad.options.createPyodideModule({}), changed(/its Emscripten module/));
  });

  test("the trampoline's choice is put back after a restore", () => {
    const module = fakeModule({ slotValue: 11 }); // this engine's choice: a wasm-gc table index
    const restore = module.API.restoreSnapshot;
    module.API.restoreSnapshot = (/** @type {any} */ bytes) => {
      module.HEAP32[20] = 0; // the snapshot's memory: the JS trampoline of the machine that made it
      return restore(bytes);
    };
    keepCallTrampoline(module);
    assert.equal(module.API.restoreSnapshot(new Uint8Array(8)), "state");
    assert.equal(module.HEAP32[20], 11);
    assert.equal(callTrampolineKind({ _module: module }), "wasm-gc");
    module.HEAP32[20] = 0;
    assert.equal(callTrampolineKind({ _module: module }), "js");
    assert.equal(callTrampolineKind({}), null);
    assert.equal(emscriptenModule({ _module: 3 }), null);
  });

  test("the pinned package's code, doctored, no longer shows a fact", { skip: NO_DIST }, () => {
    const read = (/** @type {string} */ file) => readFileSync(DIST + file, "utf8");
    const [file, what, pattern] = SOURCE_FACTS.find(([, w]) => w.startsWith("CPython notes its call trampoline")) ?? [];
    assert.ok(file && what && pattern);
    const doctored = (/** @type {string} */ name) => (name === file ? read(name).replace(pattern, "/* moved */") : read(name));
    assert.throws(() => checkSources(doctored, "315.0.0"), changed(new RegExp(`its code.*no longer shows that ${file.replace(/\./g, "\\.")}: CPython notes its call trampoline`)));
  });
});

describe("the pinned Pyodide, loaded in Node, has what fh-anywidget relies on", { skip: NO_DIST }, () => {
  const dist = /** @type {string} */ (DIST);
  const quiet = { stdout: () => {}, stderr: () => {} };

  test("its code shows every fact the worker relies on", () => {
    checkSources((file) => readFileSync(dist + file, "utf8"), PIN.version);
  });

  test("a snapshot made as make_snapshot.mjs makes it restores through the worker's hook, with this engine's trampoline", async () => {
    const { loadPyodide, version } = checkLoader(await import(pathToFileURL(dist + LOADER_FILE).href));
    assert.equal(version, PIN.version);

    // the build's side: a plain boot with _makeSnapshot, then makeMemorySnapshot (make_snapshot.mjs)
    const maker = await loadPyodide({ indexURL: dist, _makeSnapshot: true, ...quiet });
    checkAPI(maker, version, true);
    checkModule(emscriptenModule(maker), version);
    const slot = /** @type {number} */ (callTrampolineSlot(emscriptenModule(maker)));
    maker.runPython("import sys; fh_anywidget_test = 42");
    const snapshot = maker.makeMemorySnapshot();
    // the snapshot's memory says another machine's trampoline (a table index that means nothing here)
    const heapAt = new Uint32Array(snapshot.buffer, snapshot.byteOffset, 4)[1];
    const view = new DataView(snapshot.buffer, snapshot.byteOffset);
    view.setInt32(heapAt + slot * 4, 7, true);

    // the worker's side: the restore options and hook of web/worker/boot-snapshot.js
    /** @type {number | null} */
    let chosen = null;
    /** @type {number | null} */
    let restored = null;
    const restore = snapshotRestore({
      memory: snapshot,
      asm: import(pathToFileURL(dist + MODULE_FILE).href),
      version,
      started: (module) => {
        chosen = module.HEAP32[slot];
        afterRestore(module, () => (restored = module.HEAP32[slot])); // runs first: what the snapshot says
        keepCallTrampoline(module);
      },
      ready: Promise.resolve(),
    });
    const pyodide = await loadPyodide({ indexURL: dist, ...quiet, ...restore.options });
    restore.verify(pyodide);
    assert.equal(restored, 7, "the slot the worker keeps is where the snapshot's memory holds the trampoline");
    assert.notEqual(chosen, null);
    assert.equal(emscriptenModule(pyodide).HEAP32[slot], chosen, "this engine's trampoline, not the snapshot's");
    assert.equal(pyodide.runPython("fh_anywidget_test + sum(len(str(i)) for i in range(100))"), 42 + 190);
    assert.ok(["js", "wasm-gc"].includes(/** @type {string} */ (callTrampolineKind(pyodide))));
  });

  test("a module the hook refuses makes loadPyodide fail with the check's message, not hang", async () => {
    const { loadPyodide, version } = checkLoader(await import(pathToFileURL(dist + LOADER_FILE).href));
    const restore = snapshotRestore({
      memory: new Uint8Array(64),
      asm: Promise.resolve({ default: async () => ({ API: {} }) }), // a release without API.restoreSnapshot
      version,
      started() {},
      ready: Promise.resolve(),
    });
    await assert.rejects(loadPyodide({ indexURL: dist, ...quiet, ...restore.options }), (err) => {
      assert.ok(err instanceof PyodideChanged);
      assert.match(err.message, new RegExp(`Pyodide ${version.replace(/\./g, "\\.")} changed its Emscripten module; .*restoreSnapshot is not a function`));
      return true;
    });
  });
});
