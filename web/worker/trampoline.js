// The call trampoline CPython chose in this browser, kept across a snapshot restore. CPython calls
// C functions through a trampoline; at start-up it picks one made with wasm-gc where the engine
// has wasm-gc, else one through JS, and notes its choice in its runtime state, in memory. A
// restore overwrites that memory with the snapshot's, which holds the choice made where the
// snapshot was made (Node.js 20, no wasm-gc: the JS one, which CPython says breaks stack
// switching; a Node.js with wasm-gc would leave a table index that means nothing here). So: read
// this browser's choice before the restore, put it back right after. Where the choice is kept is
// a Pyodide internal (pyodide-internals.js).
// @ts-check
import { afterRestore, callTrampolineSlot, emscriptenModule } from "./pyodide-internals.js";

/** @param {any} module  Pyodide's Emscripten module, started, not yet restored (checkModule passed). */
export function keepCallTrampoline(module) {
  const slot = callTrampolineSlot(module);
  if (slot === null) return;
  const chosen = module.HEAP32[slot];
  afterRestore(module, () => {
    module.HEAP32[slot] = chosen;
  });
}

/** How a booted Python calls C functions: "wasm-gc", "js", or null if this Pyodide does not say
 * (`ready`'s timings.callTrampoline). @param {any} pyodide */
export function callTrampolineKind(pyodide) {
  const module = emscriptenModule(pyodide);
  const slot = module ? callTrampolineSlot(module) : null;
  if (slot === null) return null;
  return module.HEAP32[slot] ? "wasm-gc" : "js";
}
