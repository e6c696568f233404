// Booting Python from the page's boot config (docs/protocol.md, "Worker only"): from the memory
// snapshot when the distribution has a usable one (boot-snapshot.js), else, or when the restore
// fails, from the packages (boot-plain.js); then fh_anywidget.kernel.bridge's kernel starts and the page
// hears `ready`.
// @ts-check
import { READY } from "../shared/protocol.js";
import { bootFromPackages } from "./boot-plain.js";
import { bootFromSnapshot } from "./boot-snapshot.js";
import { unpackKernel } from "./bundles.js";
import { absolute, fetchBytes, settled } from "./download.js";
import { post, postFrame, status } from "./outbox.js";
import { LOADER_FILE, MODULE_FILE } from "./pyodide-internals.js";
import { mark, timings } from "./timings.js";
import { callTrampolineKind } from "./trampoline.js";

/** @typedef {import("../shared/protocol.js").BootConfig} BootConfig */
/**
 * Python, booted: Pyodide, the kernel's handler of one page message (its JSON text, and its
 * buffers: undefined, which Python sees as None, when it has none, as most messages), and what a
 * snapshot boot has still to write.
 * @typedef {{pyodide: any, handle: (text: string, buffers: ArrayBuffer[] | undefined) => void,
 *   pending: import("./pending-files.js").PendingFiles | null}} Python
 */

/** @param {BootConfig} config @returns {Promise<Python>} */
export async function boot(config) {
  if (!config || !config.indexURL) {
    throw new Error(
      "[fh-anywidget] the page has no Python distribution to load; run `fh-anywidget dist module:app` and restart the server",
    );
  }
  const indexURL = absolute(config.indexURL);
  status("Loading Python", 5);
  const kernelBundle = settled(fetchBytes(absolute(config.kernelBundle))); // in parallel with the runtime
  const loader = import(indexURL + LOADER_FILE);
  // Pyodide imports its 1.2 MB Emscripten module only once loadPyodide runs: load it now, alongside
  const asm = settled(import(indexURL + MODULE_FILE));
  let restored = null;
  if (config.snapshot) {
    restored = await bootFromSnapshot(config, indexURL, loader, asm);
  } else {
    console.warn(`[fh-anywidget] booting Python without the memory snapshot (slower first load): ${config.snapshotProblem || "none was given"}`);
  }
  const pyodide = restored ? restored.pyodide : await bootFromPackages(config, indexURL, loader);
  const pending = restored ? restored.pending : null;
  if (pending) pending.kernel = await kernelBundle; // the snapshot has the kernel imported
  else unpackKernel(pyodide, await kernelBundle);
  status("Importing widgets", 80);
  const bridge = pyodide.pyimport("fh_anywidget.kernel.bridge");
  const handle = bridge.start(postFrame);
  if (pending) bridge.defer_files(() => pending.writeAll(), pending.names, pending.stdlibZip, () => pending.writeData(), pending.root);
  bridge.destroy();
  mark("imported");
  const trampoline = callTrampolineKind(pyodide);
  if (trampoline !== null) timings.callTrampoline = trampoline;
  timings.timeOrigin = performance.timeOrigin; // lines these ms up with the page's clock
  post({ type: READY, timings });
  return { pyodide, handle, pending };
}
