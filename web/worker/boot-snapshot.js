// The fast boot: restore the memory snapshot `fh-anywidget dist` made (Python with the stack, the
// kernel and the app's packages imported). Everything it needs is fetched at once: the snapshot
// (or this browser's copy of it: snapshot-copy.js), the site-packages data files' pack and the
// wasm (compiled while the snapshot downloads: patch-instantiation.js); the Python sources and
// the standard library wait until after the first answer (pending-files.js). Pyodide gets
// the snapshot's buffer before its bytes are in, and sets itself up meanwhile. A snapshot holds
// memory, not files: the site-packages files it was made with are written back, the data files at
// once, the Python sources later (pending-files.js).
// @ts-check
import { pyodideOptions } from "./boot-plain.js";
import { absolute, fetchBytes, fetchFirst, fetchGunzip, settled } from "./download.js";
import { status } from "./outbox.js";
import { readPack, writePack } from "./pack.js";
import { patchInstantiation } from "./patch-instantiation.js";
import { isSource, PendingFiles, topLevelNames } from "./pending-files.js";
import { checkLoader, PyodideChanged, snapshotRestore, STDLIB_FILE, WASM_FILE } from "./pyodide-internals.js";
import { fillSnapshot, forgetKeptCopy, keepSnapshot, usedKeptCopy } from "./snapshot-copy.js";
import { xorImage } from "./snapshot-delta.js";
import { mark, timings } from "./timings.js";
import { keepCallTrampoline } from "./trampoline.js";

/** @typedef {import("../shared/protocol.js").BootConfig} BootConfig */

/** Where Pyodide keeps the standard library's zip: "/lib/python3.14/site-packages" -> "/lib/python314.zip".
 * @param {string} sitePackages */
export const stdlibPath = (sitePackages) => sitePackages.replace(/\/python(\d+)\.(\d+)\/site-packages$/, "/python$1$2.zip");

/** The snapshot delta this worker undoes (the manifest's word, py/fh_anywidget/dist/snapshot.py DELTA). */
const DELTA = "initial-memory";

/** @param {unknown} err */
const reason = (err) => (err instanceof Error ? err.message : err);

/** Restore Python from the snapshot: from this browser's copy first, downloaded if that copy
 * does not restore. Returns null if it could not (the console says why: the caller boots from
 * the packages).
 * @param {BootConfig} config @param {string} indexURL @param {Promise<any>} loader  The import of pyodide.mjs.
 * @param {Promise<any>} asm  The import of Pyodide's Emscripten module (pyodide.asm.mjs).
 * @returns {Promise<{pyodide: any, pending: PendingFiles} | null>} */
export async function bootFromSnapshot(config, indexURL, loader, asm) {
  try {
    try {
      return await restoreSnapshot(config, indexURL, loader, asm, true);
    } catch (err) {
      if (!usedKeptCopy() || err instanceof PyodideChanged) throw err;
      // this browser's copy could not be restored: drop it, download the snapshot
      console.info(`[fh-anywidget] this browser's copy of the snapshot did not restore (${reason(err)}); downloading it`);
      await forgetKeptCopy();
      return await restoreSnapshot(config, indexURL, loader, asm, false);
    }
  } catch (err) {
    console.warn(
      `[fh-anywidget] could not restore Python from the memory snapshot (${reason(err)}); ` +
        "booting from the packages instead (slower). Rebuild the distribution with `fh-anywidget dist module:app` and restart the server.",
    );
    return null;
  }
}

/** One restore; throws if anything fails.
 * @param {BootConfig} config @param {string} indexURL @param {Promise<any>} loader @param {Promise<any>} asm
 * @param {boolean} useKept  Whether this browser's copy of the snapshot may be used. */
async function restoreSnapshot(config, indexURL, loader, asm, useKept) {
  const snapshot = /** @type {NonNullable<BootConfig["snapshot"]>} */ (config.snapshot);
  const wasmURL = indexURL + WASM_FILE;
  const compiled = settled(WebAssembly.compileStreaming(fetchFirst(wasmURL)).then((module) => (mark("compiled"), module)));
  // Pyodide gets the snapshot's buffer at once, still empty, and fills in the bytes as they come:
  // so it instantiates the module (patched: the one compiled here) and sets up its runtime (the
  // dynamic linking, the standard library's files) while they download. Only then does it
  // wait for them: the restore that follows reads them.
  const memory = new Uint8Array(snapshot.size);
  if (snapshot.delta && snapshot.delta !== DELTA) throw new Error(`[fh-anywidget] the snapshot is a delta of a kind this worker does not know (${snapshot.delta})`);
  /** @type {(image: Uint8Array) => void} */
  let imaged = () => {};
  /** The module's memory right after instantiation: the downloaded snapshot is XORed with it (snapshot-delta.js). */
  const image = new Promise((resolve) => (imaged = resolve));
  const filled = settled(
    fillSnapshot(memory, absolute(snapshot.url), useKept).then(async () => {
      if (snapshot.delta && !usedKeptCopy()) xorImage(memory, await image); // this browser's copy is kept whole
      mark("snapshot");
    }),
  );
  const packURL = absolute(snapshot.packURL);
  const pack = settled(
    snapshot.packSize === undefined
      ? fetchBytes(packURL).then((buffer) => new Uint8Array(buffer))
      : fetchGunzip(packURL, new Uint8Array(snapshot.packSize)),
  );
  // the standard library's zip: the restored Python has what it needs of it imported, and its
  // directory read; Pyodide gets an empty file for now, the zip comes after the first answer
  /** @type {{url: string, response: Promise<Response>, used?: boolean}} */
  const stdlib = { url: indexURL + STDLIB_FILE, response: Promise.resolve(new Response(new Uint8Array(0))) };
  const { loadPyodide, version } = checkLoader(await loader);
  mark("loader");
  status("Restoring Python", 20);
  const restore = snapshotRestore({ memory, asm, version, started: keepCallTrampoline, ready: filled });
  const unpatch = patchInstantiation({ bytes: snapshot.size, wasmURL, compiled, stdlib, image: imaged });
  let pyodide;
  try {
    pyodide = await Promise.race([
      loadPyodide({ ...pyodideOptions(config, indexURL), ...restore.options }),
      // Pyodide only logs a failed instantiation and waits forever: fail here instead
      Promise.all([compiled, filled]).then(() => new Promise(() => {})),
    ]);
  } finally {
    unpatch();
  }
  restore.verify(pyodide);
  mark("restored");
  // The data files now (their contents too, from an older dist; else empty placeholders, filled in
  // after the first message or when Python opens one); the Python sources after the first message
  const bytes = await pack;
  const data = writePack(pyodide.FS, bytes, snapshot.sitePackages, (path) => !isSource(path));
  const inPack = readPack(bytes).filter(({ path }) => isSource(path)); // a dist without a sources pack
  const sources = snapshot.sourcesURL ? { url: absolute(snapshot.sourcesURL), size: snapshot.sourcesSize } : inPack;
  const pending = new PendingFiles(
    pyodide,
    {
      sources,
      names: snapshot.sourcesURL ? snapshot.sourceNames || [] : topLevelNames(inPack),
      stdlib: { url: stdlib.url, path: stdlibPath(snapshot.sitePackages) },
      root: snapshot.sitePackages,
      data: snapshot.dataURL ? { url: absolute(snapshot.dataURL), size: snapshot.dataSize } : null,
    },
    () => setTimeout(keepSnapshot, 0),
  );
  pyodide.pyimport("fh_anywidget.kernel.bridge").invalidate_caches(); // in the snapshot: imported already
  mark("data");
  if (snapshot.loadPackages && snapshot.loadPackages.length) await loadCompiled(pyodide, config, snapshot.loadPackages);
  // every visitor restores the same memory: give `random` a seed of its own
  pyodide.runPython("import sys\nif 'random' in sys.modules: sys.modules['random'].seed()");
  const source = usedKeptCopy() ? "this browser's copy of the memory snapshot" : "the memory snapshot";
  const what = snapshot.dataURL ? "data files named, their contents come later" : "data files written";
  console.info(`[fh-anywidget] Python restored from ${source} in ${timings.restored} ms (${data} ${what})`);
  return { pyodide, pending };
}

/** Install the packages with compiled code (which a snapshot cannot hold) from the dist's lock,
 * as the plain boot does; the packed ones count as loaded, so that none is fetched twice.
 * @param {any} pyodide @param {BootConfig} config @param {string[]} names */
async function loadCompiled(pyodide, config, names) {
  status("Installing packages", 70, names.join(", "));
  for (const name of config.packages) if (!names.includes(name)) pyodide.loadedPackages[name] = "fh-anywidget pack";
  await pyodide.loadPackage(names, { checkIntegrity: true, errorCallback: (/** @type {string} */ line) => console.warn(line) });
  mark("compiled-packages");
}
