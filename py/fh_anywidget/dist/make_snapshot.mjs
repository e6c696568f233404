// Run by `fh-anywidget dist` (py/fh_anywidget/dist/snapshot.py) as `node make_snapshot.mjs JOB.json`:
// boots the dist's own Pyodide in Node, offline, writes the site-packages pack and the kernel
// modules into its file system, imports the worker stack, the kernel and the app's packages,
// and saves a memory snapshot that the browser worker restores instead of booting.
// Prints one JSON line on stdout: {"size": bytes, "failed": {module: error}, "warmed": frames
// the kernel's warm-up sent, "zeroed": free bytes zeroed, "delta": bytes of the initial memory
// image the snapshot is XORed with, "seconds": s}.
//
// Why the files are written from JS and not installed with pyodide.loadPackage: a snapshot taken
// after loadPackage fails ("Unexpected hiwire entry": it leaves JS objects referenced from Python).
import fs from "node:fs";
import { pathToFileURL } from "node:url";

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const started = performance.now();
const { writePack } = await import(pathToFileURL(job.packModule).href);
const { initialImage, xorImage } = await import(pathToFileURL(job.deltaModule).href);
const dist = job.dist.endsWith("/") ? job.dist : job.dist + "/";
const { loadPyodide } = await import(pathToFileURL(dist + "pyodide.mjs").href);

// The main module's memory right after instantiation: the snapshot is saved XORed with it
// (web/worker/snapshot-delta.js; the worker captures the same image and undoes it)
/** @type {Uint8Array | null} */
let image = null;
for (const name of /** @type {const} */ (["instantiate", "instantiateStreaming"])) {
  const original = WebAssembly[name];
  /** @type {any} */ (WebAssembly)[name] = async function (/** @type {any[]} */ ...args) {
    const result = await /** @type {any} */ (original).apply(WebAssembly, args);
    const memory = (result.instance ?? result).exports?.memory;
    if (memory instanceof WebAssembly.Memory && image === null) image = initialImage(memory);
    return result;
  };
}

const pyodide = await loadPyodide({
  indexURL: dist,
  lockFileURL: dist + "pyodide-lock.json",
  packageBaseUrl: dist, // never the CDN
  fullStdLib: false,
  _makeSnapshot: true,
  stdout: (/** @type {string} */ s) => console.error(s),
  stderr: (/** @type {string} */ s) => console.error(s),
});

writePack(pyodide.FS, fs.readFileSync(job.pack), job.sitePackages);
writePack(pyodide.FS, fs.readFileSync(job.kernelPack), job.kernelDir);
// the app's widget bundles, as files only (Python unzips them below: no JS object reaches Python)
const bundles = job.bundles || [];
pyodide.FS.mkdirTree("/tmp/fh-anywidget-bundles");
bundles.forEach((/** @type {{zip: string}} */ bundle, /** @type {number} */ i) => {
  pyodide.FS.writeFile(`/tmp/fh-anywidget-bundles/${i}.zip`, fs.readFileSync(bundle.zip));
});

const failed = JSON.parse(
  pyodide.runPython(`
import gc, importlib, json, sys
sys.path.insert(0, ${JSON.stringify(job.kernelDir)})
importlib.invalidate_caches()
failed = {}
class _NoCompiled:
    """A snapshot cannot hold loaded compiled code (Pyodide's keeps no dynamic library): an import
    that would load some fails here, and the module that asked, with all it imported meanwhile,
    is left out of the snapshot (even if it caught the error: it would keep the fallback)."""
    blocked, compiled = [], set(${JSON.stringify(job.compiled || [])})
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        import importlib.machinery as m
        if name.partition(".")[0] in cls.compiled:  # installed by the worker after the restore
            cls.blocked.append(name)
            raise ImportError(f"compiled code ({name})")
        spec = m.PathFinder.find_spec(name, path)
        if spec is not None and isinstance(spec.loader, m.ExtensionFileLoader):
            cls.blocked.append(name)
            raise ImportError(f"compiled code ({spec.origin})")
    @classmethod
    def load(cls, name):
        before, cls.blocked[:] = set(sys.modules), []
        try:
            importlib.import_module(name)
        except BaseException as error:
            failed[name] = f"{type(error).__name__}: {error}"
        if cls.blocked:
            failed[name] = f"ImportError: it imports compiled code ({', '.join(cls.blocked)})"
            for added in set(sys.modules) - before:
                del sys.modules[added]
sys.meta_path.insert(0, _NoCompiled)
for name in ${JSON.stringify(job.imports)}:
    _NoCompiled.load(name)
# the app's widget modules, where the worker will unpack their bundles (it unpacks them again:
# a snapshot holds memory, not files; a bundle of newer code replaces these modules there)
import os, zipfile
for i, bundle in enumerate(${JSON.stringify(bundles.map((/** @type {{dir: string, modules: string[]}} */ b) => ({ dir: b.dir, modules: b.modules })))}):
    archive = f"/tmp/fh-anywidget-bundles/{i}.zip"
    with zipfile.ZipFile(archive) as z:
        z.extractall(bundle["dir"])
    os.remove(archive)
    from fh_anywidget.kernel.bridge import add_to_path  # as the worker adds a bundle (packages shared)
    add_to_path(bundle["dir"])
    for name in bundle["modules"]:
        _NoCompiled.load(name)
sys.meta_path.remove(_NoCompiled)
for _name in ("name", "i", "bundle", "archive", "z", "os", "zipfile", "add_to_path", "_NoCompiled"):
    globals().pop(_name, None)
del _name
gc.collect()
json.dumps(failed)
`),
);

// One small widget's life on a kernel whose messages go nowhere: the snapshot's Python has then
// taken those paths once (lazy imports done, caches filled), so a visitor's first widget answers
// sooner. It raises if the kernel sent an error. Its result stays in Python (no JS reference).
const warmed = pyodide.runPython(`
from fh_anywidget import kernel as _kernel
_warmed = len(_kernel.warm_up())
del _kernel
gc.collect()
_warmed
`);
pyodide.runPython("del _warmed");

const libraries = Object.keys(pyodide._module.LDSO.loadedLibsByName).filter((name) => name !== "__main__");
if (libraries.length) throw new Error(`compiled code was loaded (${libraries.join(", ")}): a snapshot cannot hold it`);
// Memory that the heap has free, and the part of the stack not in use, hold whatever was there
// last: zeroed, they cost the snapshot's download next to nothing (gzip, brotli).
const zeroed = zeroFreeMemory(pyodide._module);

const snapshot = pyodide.makeMemorySnapshot();
if (image === null) throw new Error("make_snapshot.mjs: Pyodide's module was instantiated out of sight (no initial memory image)");
xorImage(snapshot, image);
fs.writeFileSync(job.out, snapshot);
console.log(JSON.stringify({ size: snapshot.length, failed, warmed, zeroed, delta: image.length, seconds: (performance.now() - started) / 1000 }));

/** Zero the heap's free chunks (each taken with malloc, zeroed and given back, the biggest first,
 * while the memory may not grow), what lies past the heap's top, and the stack below its
 * pointer. Returns the bytes zeroed. Python does not run meanwhile: nothing else allocates.
 * @param {any} module  The Emscripten module (pyodide._module). */
function zeroFreeMemory(module) {
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = () => {
    throw new RangeError("the memory may not grow while its free chunks are zeroed");
  };
  const taken = [];
  let bytes = 0;
  try {
    for (let size = 1 << 24; size >= 16; size >>= 1) {
      for (let p = module._malloc(size) >>> 0; p !== 0; p = module._malloc(size) >>> 0) {
        module.HEAPU8.fill(0, p, p + size);
        taken.push(p);
        bytes += size;
      }
    }
  } finally {
    for (const p of taken.reverse()) module._free(p);
    WebAssembly.Memory.prototype.grow = grow;
  }
  module._malloc_trim(0);
  const top = module._sbrk(0) >>> 0;
  const heap = module.HEAPU8;
  bytes += heap.length - top;
  heap.fill(0, top);
  const stackEnd = module._emscripten_stack_get_end() >>> 0;
  const stackPointer = module._emscripten_stack_get_current() >>> 0;
  const unused = Math.max(0, stackPointer - 1024 - stackEnd); // 1 KB left for this call's own frames
  heap.fill(0, stackEnd, stackEnd + unused);
  return bytes + unused;
}
