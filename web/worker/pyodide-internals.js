// The Pyodide internals fh-anywidget relies on, in one place, with the checks that fail loudly
// when a Pyodide release changes one of them. Checked against CHECKED_VERSION, the pinned npm
// `pyodide` (py/fh_anywidget/pins/pyodide.json). After bumping the pin, run
// tests/js/worker/pyodide-internals.test.js (it loads the pinned package in Node, and fails until
// CHECKED_VERSION says the new version was looked at).
//
// What we rely on beyond Pyodide's documented API:
// - loadPyodide's private options `_loadSnapshot` (the memory to restore: Pyodide reads it only
//   in API.restoreSnapshot, after createPyodideModule resolved, so it may still be filling until
//   then), `createPyodideModule` (the Emscripten module's factory: we start the module ourselves,
//   to read its call trampoline before the restore), and `_makeSnapshot` with
//   `pyodide.makeMemorySnapshot()` (py/fh_anywidget/dist/make_snapshot.mjs, at build time);
// - the Emscripten module: `API.restoreSnapshot` (wrapped: trampoline.js), `HEAP32`, and the slot
//   where CPython notes its call trampoline, HEAP32[(__PyRuntime +
//   HEAP32[__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET / 4]) / 4] (0: the JS trampoline, else the wasm-gc
//   one's table index); after the boot, the same module as `pyodide._module`;
// - the distribution's files: pyodide.mjs (exports loadPyodide and version), pyodide.asm.mjs (its
//   default export is the module's factory), pyodide.asm.wasm, python_stdlib.zip; and how Pyodide
//   loads them in a browser (patch-instantiation.js): the wasm with
//   WebAssembly.instantiateStreaming(fetch(indexURL + "pyodide.asm.wasm"), imports), a failed
//   instantiation only logged, never thrown, the standard library with fetch(indexURL +
//   "python_stdlib.zip");
// - the snapshot's header (py/fh_anywidget/snapshot.py reads the magic number and the build id);
// - loadPackage's messageCallback lines "Loaded a, b, c" (a plain boot's progress bar only).
// The check* functions run at every boot: a change makes the snapshot restore fail with a message
// that names it (the worker then boots from the packages, and says why in the console). What
// only Pyodide's code shows (how it loads its files, the trampoline's slot, the snapshot header)
// is in SOURCE_FACTS, which the test reads in the pinned package's files.
// @ts-check

/** The Pyodide version these internals were last checked against. */
export const CHECKED_VERSION = "314.0.7";

/** Pyodide's files in a distribution's folder (indexURL). */
export const LOADER_FILE = "pyodide.mjs";
export const MODULE_FILE = "pyodide.asm.mjs";
export const WASM_FILE = "pyodide.asm.wasm";
export const STDLIB_FILE = "python_stdlib.zip";

/** A Pyodide that no longer has what fh-anywidget relies on (a newer pin, most likely). */
export class PyodideChanged extends Error {
  /** @param {string} version  The Pyodide found. @param {string} what @param {string} detail */
  constructor(version, what, detail) {
    super(`[fh-anywidget] Pyodide ${version} changed ${what}; fh-anywidget was checked against ${CHECKED_VERSION}: ${detail}`);
    this.name = "PyodideChanged";
  }
}

/** pyodide.mjs's exports: loadPyodide, and the version (for messages; "unknown" if it has none).
 * @param {any} loader  The imported module. @returns {{loadPyodide: (options: any) => Promise<any>, version: string}} */
export function checkLoader(loader) {
  const version = typeof loader?.version === "string" ? loader.version : "(version unknown)";
  if (typeof loader?.loadPyodide !== "function") throw new PyodideChanged(version, `${LOADER_FILE}'s exports`, "it has no loadPyodide function");
  return { loadPyodide: loader.loadPyodide, version };
}

/** pyodide.asm.mjs's default export: the Emscripten module's factory.
 * @param {any} asm  The imported module. @param {string} version @returns {(settings: any) => Promise<any>} */
export function checkFactory(asm, version) {
  if (typeof asm?.default !== "function") {
    throw new PyodideChanged(version, `${MODULE_FILE}'s exports`, "its default export is not the Emscripten module's factory (a function)");
  }
  return asm.default;
}

/** Where in `module.HEAP32` CPython notes its call trampoline, or null if the module does not
 * say (no such symbols). @param {any} module */
export function callTrampolineSlot(module) {
  const offsetAt = module.__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET;
  const runtime = module.__PyRuntime;
  if (typeof offsetAt !== "number" || typeof runtime !== "number") return null;
  return (runtime + module.HEAP32[offsetAt / 4]) / 4;
}

/** The Emscripten module, started and not yet restored: what a restore and the trampoline need.
 * @param {any} module @param {string} version */
export function checkModule(module, version) {
  const problems = [];
  if (typeof module?.API?.restoreSnapshot !== "function") problems.push("module.API.restoreSnapshot is not a function");
  if (!(module?.HEAP32 instanceof Int32Array)) problems.push("module.HEAP32 is not an Int32Array");
  for (const symbol of ["__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET", "__PyRuntime"]) {
    const address = module?.[symbol];
    if (!Number.isInteger(address) || address <= 0 || address % 4) problems.push(`module.${symbol} is not the address of an int32 (${address})`);
  }
  if (!problems.length) {
    const slot = callTrampolineSlot(module);
    if (slot === null || !Number.isInteger(slot) || slot <= 0 || slot >= module.HEAP32.length) {
      problems.push(`the call trampoline's slot, (__PyRuntime + HEAP32[__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET / 4]) / 4, is ${slot}: not an int32 in HEAP32`);
    } else if (module.HEAP32[slot] < 0) {
      problems.push(`the call trampoline's slot holds ${module.HEAP32[slot]}: neither 0 (the JS trampoline) nor a table index`);
    }
  }
  if (problems.length) throw new PyodideChanged(version, "its Emscripten module", problems.join("; "));
}

/** What fh-anywidget calls on a booted Pyodide.
 * @param {any} pyodide @param {string} version @param {boolean} files  Whether the boot writes files itself (`FS`). */
export function checkAPI(pyodide, version, files) {
  const problems = [];
  for (const name of ["loadPackage", "unpackArchive", "pyimport", "runPython"]) {
    if (typeof pyodide?.[name] !== "function") problems.push(`pyodide.${name} is not a function`);
  }
  if (files) {
    for (const name of ["mkdirTree", "open", "write", "close"]) {
      if (typeof pyodide?.FS?.[name] !== "function") problems.push(`pyodide.FS.${name} is not a function`);
    }
  }
  if (problems.length) throw new PyodideChanged(version, "its API", problems.join("; "));
}

/** The Emscripten module under a booted Pyodide (`pyodide._module`), or null.
 * @param {any} pyodide @returns {any} */
export function emscriptenModule(pyodide) {
  const module = pyodide?._module;
  return module && typeof module === "object" ? module : null;
}

/** Have `then` run right after every API.restoreSnapshot: the snapshot's memory is in, nothing
 * has run on it yet. @param {any} module  Checked by checkModule. @param {() => void} then */
export function afterRestore(module, then) {
  const api = module.API;
  const restore = api.restoreSnapshot;
  api.restoreSnapshot = function (/** @type {Uint8Array} */ bytes) {
    const state = restore.call(this, bytes);
    then();
    return state;
  };
}

/**
 * loadPyodide's options for restoring `memory`, and the check of what it returned. The
 * `createPyodideModule` hook makes the module with pyodide.asm.mjs's factory, checks it, hands it
 * to `started` (before the restore), and returns it only once `ready` (the memory's bytes are in).
 * @param {{memory: Uint8Array, asm: Promise<any>, version: string, started: (module: any) => void,
 *   ready: Promise<unknown>}} options  `asm`: the import of pyodide.asm.mjs.
 */
export function snapshotRestore({ memory, asm, version, started, ready }) {
  /** @type {any} */
  let module = null;
  let restored = false;
  return {
    options: {
      _loadSnapshot: memory,
      createPyodideModule: async (/** @type {any} */ settings) => {
        const made = await checkFactory(await asm, version)(settings);
        checkModule(made, version);
        module = made;
        afterRestore(module, () => {
          restored = true;
        });
        started(module);
        await ready;
        return module;
      },
    },
    /** Throws unless loadPyodide used the hook and restored the memory. @param {any} pyodide */
    verify(pyodide) {
      if (!module) throw new PyodideChanged(version, "loadPyodide's createPyodideModule option", "loadPyodide did not call it");
      if (!restored) throw new PyodideChanged(version, "loadPyodide's _loadSnapshot option", "loadPyodide did not restore it with API.restoreSnapshot");
      if (emscriptenModule(pyodide) !== module) throw new PyodideChanged(version, "pyodide._module", "it is not the module createPyodideModule made");
      checkAPI(pyodide, version, true);
    },
  };
}

/** What the pinned package's code shows, and fh-anywidget relies on: [file, what, pattern]. */
export const SOURCE_FACTS = /** @type {const} */ ([
  [LOADER_FILE, "loadPyodide takes the module's factory from createPyodideModule", /if\(\w+\.createPyodideModule\)return \w+\.createPyodideModule/],
  [LOADER_FILE, "loadPyodide takes the memory to restore from _loadSnapshot", /\w+\._loadSnapshot\b/],
  [LOADER_FILE, "the bootstrap restores the snapshot with API.restoreSnapshot", /\.restoreSnapshot\(/],
  [LOADER_FILE, `the wasm is ${WASM_FILE}, instantiated from its response`, new RegExp(`"${WASM_FILE.replace(/\./g, "\\.")}"[^]{0,600}WebAssembly\\.instantiateStreaming\\(`)],
  [LOADER_FILE, "a failed instantiation is only logged", /catch\(\w+\)\{console\.warn\("wasm instantiation failed!"\)/],
  [LOADER_FILE, `the standard library is indexURL + "${STDLIB_FILE}"`, new RegExp(`indexURL\\+"${STDLIB_FILE.replace(/\./g, "\\.")}"`)],
  [LOADER_FILE, `the module's factory is ${MODULE_FILE}'s default export`, new RegExp(`\\$\\{\\w+\\.indexURL\\}${MODULE_FILE.replace(/\./g, "\\.")}\`;return\\(await \\w+\\(\\w+\\)\\)\\.default`)],
  [MODULE_FILE, "CPython notes its call trampoline in HEAP32[(__PyRuntime + HEAP32[__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET / 4]) / 4]",
    /const (\w+)=HEAP32\[__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET\/4>>>0\];HEAP32\[\(__PyRuntime\+\1\)\/4>>>0\]=/],
  [MODULE_FILE, "the module's API has restoreSnapshot", /API\.restoreSnapshot=function/],
  [MODULE_FILE, "makeMemorySnapshot needs _makeSnapshot", /makeMemorySnapshot\([^)]*\)\{if\(!API\.config\._makeSnapshot\)/],
  [MODULE_FILE, "the public API's _module is the Emscripten module", /\w+\._module=Module\b/],
  [MODULE_FILE, "a snapshot starts with its magic, its heap's offset, and the build id in words 4-11 (py/fh_anywidget/snapshot.py)",
    /\w+\[0\]=\$?\w+,\w+\[1\]=\w+,\w+\[2\]=\w+,\w+\[3\]=0,\w+\(API\.config\.BUILD_ID,\w+\.subarray\(4,12\)\),\w+\.subarray\(\w+\)\.set\(Module\.HEAP8\)/],
]);

/** Check SOURCE_FACTS in a distribution's files. @param {(file: string) => string} read  A file's text.
 * @param {string} version */
export function checkSources(read, version) {
  const missing = SOURCE_FACTS.filter(([file, , pattern]) => !pattern.test(read(file))).map(([file, what]) => `${file}: ${what}`);
  if (missing.length) throw new PyodideChanged(version, "its code", `no longer shows that ${missing.join("; ")}`);
}
