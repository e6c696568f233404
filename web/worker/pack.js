// A "file pack": many files in one blob, written straight into Pyodide's file system with no
// unzipping in Python. `fh-anywidget dist` makes one of the site-packages the memory snapshot
// was taken with (py/fh_anywidget/dist/snapshot.py writes the same format):
//
//   bytes 0-7   the magic "FHAWPK1\n"
//   bytes 8-11  N, the length of the JSON index (uint32, little-endian)
//   N bytes     JSON: [[path, size], ...], paths relative to the folder the pack is written to
//   then        the files' bytes, one after the other, in index order
//
// The server sends it gzip-encoded; the browser hands over the plain bytes.
// Runs in the worker, and in Node at build time: make_snapshot.mjs writes the pack (and the kernel's)
// into the Pyodide it snapshots with writePack.
// @ts-check

export const PACK_MAGIC = "FHAWPK1\n";

/**
 * The files of a pack, as views into `bytes` (nothing is copied).
 * @param {Uint8Array} bytes
 * @returns {Array<{path: string, data: Uint8Array}>}
 */
export function readPack(bytes) {
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== PACK_MAGIC) {
    throw new Error("[fh-anywidget] the site-packages pack is damaged (bad magic); rebuild it with `fh-anywidget dist`");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const indexLength = view.getUint32(8, true);
  /** @type {Array<[string, number]>} */
  const index = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + indexLength)));
  let offset = 12 + indexLength;
  const files = index.map(([path, size]) => {
    const data = bytes.subarray(offset, offset + size);
    offset += size;
    return { path, data };
  });
  if (offset !== bytes.byteLength) {
    throw new Error(`[fh-anywidget] the site-packages pack is damaged (${bytes.byteLength} bytes, its index says ${offset}); rebuild it with \`fh-anywidget dist\``);
  }
  return files;
}

/**
 * The part of an Emscripten file system (`pyodide.FS`) that writePack uses.
 * @typedef {{mkdirTree(path: string): void, open(path: string, flags: string): any,
 *   write(stream: any, data: Uint8Array, offset: number, length: number, position: number, canOwn?: boolean): number,
 *   close(stream: any): void}} PackFS
 */

/**
 * Write every file of a pack below `root` in an Emscripten file system (`pyodide.FS`).
 * The files keep views into `bytes` (MEMFS's `canOwn`): nothing is copied, so `bytes` must not
 * change afterwards.
 * @param {PackFS} FS
 * @param {Uint8Array} bytes
 * @param {string} root  An absolute folder, e.g. "/lib/python3.14/site-packages".
 * @param {(path: string) => boolean} [select]  Which files to write (default: all).
 * @returns {number} How many files were written.
 */
export function writePack(FS, bytes, root, select = () => true) {
  return writeFiles(FS, readPack(bytes).filter(({ path }) => select(path)), root);
}

/**
 * Write files read from a pack (readPack) below `root`, as writePack does.
 * @param {PackFS} FS
 * @param {Array<{path: string, data: Uint8Array}>} files
 * @param {string} root
 * @returns {number} How many files were written.
 */
export function writeFiles(FS, files, root) {
  const made = new Set();
  for (const { path, data } of files) {
    const slash = path.lastIndexOf("/");
    const dir = slash < 0 ? root : `${root}/${path.slice(0, slash)}`;
    if (!made.has(dir)) {
      FS.mkdirTree(dir);
      made.add(dir);
    }
    const stream = FS.open(`${root}/${path}`, "w");
    try {
      FS.write(stream, data, 0, data.length, 0, true);
    } finally {
      FS.close(stream);
    }
  }
  return files.length;
}
