// The memory snapshot travels as a delta: its memory image XORed with the memory the wasm module
// has right after instantiation (its data segments: 3.2 MB of Pyodide's, of which a restored
// Python has changed a few KB). Those bytes are in the wasm already; XORed, they are zeros,
// which cost the download next to nothing (a fifth of the bench dist's brotli snapshot).
// make_snapshot.mjs applies it at build time (in Node), the worker undoes it once the
// snapshot's bytes are in, before the restore reads them. XOR is its own inverse: one function.
// A Pyodide memory snapshot is a header (its length is the uint32 at byte 4) and then the memory.
// @ts-check

/** The memory of a module just instantiated, up to its last byte that is not zero (the rest is
 * zeros: nothing to XOR). @param {WebAssembly.Memory} memory @returns {Uint8Array} */
export function initialImage(memory) {
  const words = new Uint32Array(memory.buffer);
  let end = words.length;
  while (end > 0 && words[end - 1] === 0) end--;
  return new Uint8Array(memory.buffer.slice(0, end * 4));
}

/** XOR the memory part of `snapshot` (a whole snapshot file, in place) with `image`.
 * @param {Uint8Array} snapshot @param {Uint8Array} image */
export function xorImage(snapshot, image) {
  const header = new DataView(snapshot.buffer, snapshot.byteOffset, 8).getUint32(4, true);
  const length = Math.min(image.length, snapshot.length - header);
  const at = snapshot.byteOffset + header;
  if (at % 4 === 0 && length % 4 === 0) {
    const target = new Uint32Array(snapshot.buffer, at, length / 4);
    const source = new Uint32Array(image.buffer, image.byteOffset, length / 4);
    for (let i = 0; i < target.length; i++) target[i] ^= source[i];
  } else {
    for (let i = 0; i < length; i++) snapshot[header + i] ^= image[i];
  }
}
