// The browser's own copy of the unpacked memory snapshot, for the next visit.
//
// A first visit downloads the gzipped snapshot and gunzips it (about 31 MB); that work is most of
// a boot. Once Python is up and the first widget answered, the worker keeps the unpacked bytes in
// the origin private file system (OPFS), under a name taken from the snapshot's content-hashed
// URL; the next visit reads them back with one synchronous read instead. Only the newest snapshot
// is kept. Anything unusual (no OPFS, another tab holding the file, a short file) means: no copy,
// download as usual.
// @ts-check

/** The OPFS folder of fh-anywidget's copies. */
export const STORE_DIR = "fh-anywidget";

/**
 * The file name of a snapshot's copy: its URL's path, which carries the dist's content hash.
 * @param {string} url
 */
export function storedName(url) {
  return new URL(url).pathname.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+/, "");
}

/** @param {any} root @param {boolean} create */
async function folder(root, create) {
  return root.getDirectoryHandle(STORE_DIR, { create });
}

/** The origin private file system's root, or null where there is none. */
export async function opfsRoot() {
  try {
    const storage = /** @type {any} */ (globalThis.navigator)?.storage;
    return storage && typeof storage.getDirectory === "function" ? await storage.getDirectory() : null;
  } catch {
    return null;
  }
}

/**
 * The stored copy `name` read into `into`, if it is there and exactly `into`'s length; else null.
 * @param {any} root  An OPFS root directory handle (opfsRoot()), or null.
 * @param {string} name @param {Uint8Array} into
 * @returns {Promise<Uint8Array | null>}
 */
export async function readStored(root, name, into) {
  if (!root) return null;
  let access = null;
  try {
    const file = await (await folder(root, false)).getFileHandle(name);
    access = await file.createSyncAccessHandle();
    if (access.getSize() !== into.byteLength) return null;
    return access.read(into, { at: 0 }) === into.byteLength ? into : null;
  } catch {
    return null;
  } finally {
    access?.close();
  }
}

/**
 * Keep `bytes` as the copy `name`, and drop every other copy. Written under a temporary name and
 * renamed, so a visit never reads half a file. Returns whether it was kept.
 * @param {any} root @param {string} name @param {Uint8Array} bytes
 */
export async function store(root, name, bytes) {
  if (!root) return false;
  const part = `${name}.part`;
  try {
    const dir = await folder(root, true);
    for await (const entry of dir.keys()) {
      if (entry !== name) await dir.removeEntry(entry).catch(() => {});
    }
    const file = await dir.getFileHandle(part, { create: true });
    const access = await file.createSyncAccessHandle();
    try {
      access.truncate(0);
      if (access.write(bytes, { at: 0 }) !== bytes.byteLength) throw new Error("short write");
      access.flush();
    } finally {
      access.close();
    }
    await file.move(name);
    return true;
  } catch {
    return false;
  }
}

/** Drop the copy `name` (it could not be restored). @param {any} root @param {string} name */
export async function forget(root, name) {
  if (!root) return;
  try {
    await (await folder(root, false)).removeEntry(name);
  } catch {
    // not there
  }
}
