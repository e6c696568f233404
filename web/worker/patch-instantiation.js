// How a snapshot restore overlaps its work: Pyodide's wasm compiled while the snapshot
// downloads, its memory grown for the snapshot, its standard library fetched early. Relies on how
// Pyodide loads those files in a browser (pyodide-internals.js lists it, its test checks it).
// @ts-check
import { initialImage } from "./snapshot-delta.js";

/** Changes to how Pyodide starts, for the duration of a snapshot restore:
 * - it gets the module compiled by `compiled` (started with the snapshot's download, so compiling
 *   and gunzipping overlap; Pyodide itself would start compiling only once the snapshot is in),
 *   and its own request for the same file is answered with an empty response it never reads;
 * - the instance's memory grows to `bytes` as soon as it exists: restoring a snapshot bigger than
 *   the module's initial memory fails (RangeError in restoreSnapshot);
 * - its request for the standard library's zip gets the response given (an empty zip: the real
 *   one comes later, pending-files.js);
 * - `image` gets the module's memory right after instantiation (snapshot-delta.js initialImage).
 * Returns the function that undoes them.
 * @param {{bytes: number, wasmURL: string, compiled: Promise<WebAssembly.Module>,
 *   stdlib: {url: string, response: Promise<Response>, used?: boolean},
 *   image?: (image: Uint8Array) => void}} options */
export function patchInstantiation({ bytes, wasmURL, compiled, stdlib, image = () => {} }) {
  const wasm = /** @type {any} */ (WebAssembly);
  const originals = { instantiate: wasm.instantiate, instantiateStreaming: wasm.instantiateStreaming, fetch: self.fetch };
  const pages = Math.ceil(bytes / 65536);
  /** @param {WebAssembly.Instance} instance */
  const grow = (instance) => {
    const memory = instance.exports.memory; // Pyodide also instantiates a tiny module without one
    if (memory instanceof WebAssembly.Memory && pages > memory.buffer.byteLength / 65536) {
      memory.grow(pages - memory.buffer.byteLength / 65536);
    }
  };
  wasm.instantiate = async function (/** @type {any[]} */ ...args) {
    const result = await originals.instantiate.apply(WebAssembly, args);
    grow(result.instance ?? result);
    return result;
  };
  wasm.instantiateStreaming = async function (/** @type {any} */ _response, /** @type {any} */ imports) {
    const module = await compiled;
    const instance = await originals.instantiate.call(WebAssembly, module, imports);
    const memory = instance.exports.memory;
    if (memory instanceof WebAssembly.Memory) image(initialImage(memory));
    grow(instance);
    return { module, instance };
  };
  self.fetch = function (input, init) {
    const url = String(input instanceof Request ? input.url : input);
    if (url === wasmURL) return Promise.resolve(new Response(new Uint8Array(0)));
    if (url === stdlib.url && !stdlib.used) {
      stdlib.used = true; // a response is read once
      return stdlib.response;
    }
    return originals.fetch.call(self, input, init);
  };
  return () => {
    Object.assign(wasm, { instantiate: originals.instantiate, instantiateStreaming: originals.instantiateStreaming });
    self.fetch = originals.fetch;
  };
}
