import assert from "node:assert/strict";
import { test } from "node:test";

import { forget, readStored, STORE_DIR, store, storedName } from "../../../web/worker/store.js";

/** An in-memory origin private file system: folders of named byte arrays, with OPFS's calls. */
class FakeFolder {
  constructor() {
    /** @type {Map<string, FakeFolder | {bytes: Uint8Array}>} */
    this.entries = new Map();
    this.locked = new Set();
  }
  async getDirectoryHandle(name, { create = false } = {}) {
    if (!this.entries.has(name)) {
      if (!create) throw new DOMException("no such folder", "NotFoundError");
      this.entries.set(name, new FakeFolder());
    }
    return this.entries.get(name);
  }
  async getFileHandle(name, { create = false } = {}) {
    if (!this.entries.has(name)) {
      if (!create) throw new DOMException("no such file", "NotFoundError");
      this.entries.set(name, { bytes: new Uint8Array(0) });
    }
    const folder = this;
    let current = name;
    return {
      async createSyncAccessHandle() {
        if (folder.locked.has(current)) throw new DOMException("in use", "NoModificationAllowedError");
        folder.locked.add(current);
        const file = folder.entries.get(current);
        return {
          getSize: () => file.bytes.byteLength,
          read: (into, { at }) => { const part = file.bytes.subarray(at, at + into.byteLength); into.set(part); return part.byteLength; },
          write: (from, { at }) => { const out = new Uint8Array(Math.max(file.bytes.byteLength, at + from.byteLength)); out.set(file.bytes); out.set(from, at); file.bytes = out; return from.byteLength; },
          truncate: (n) => { file.bytes = file.bytes.slice(0, n); },
          flush() {},
          close: () => folder.locked.delete(current),
        };
      },
      async move(to) {
        folder.entries.set(to, folder.entries.get(current));
        folder.entries.delete(current);
        current = to;
      },
    };
  }
  async removeEntry(name) {
    if (!this.entries.delete(name)) throw new DOMException("no such entry", "NotFoundError");
  }
  async *keys() {
    yield* [...this.entries.keys()];
  }
}

const bytes = (n, v) => new Uint8Array(n).fill(v);

test("a copy is named after the snapshot's content-hashed URL path", () => {
  assert.equal(storedName("http://x/_fhaw/pyodide-ab12/snapshot.bin.gz"), "fhaw_pyodide-ab12_snapshot.bin.gz");
});

test("a kept snapshot reads back byte for byte, and only at its exact size", async () => {
  const root = new FakeFolder();
  assert.equal(await store(root, "snap-1", bytes(1000, 7)), true);
  const into = new Uint8Array(1000);
  const back = await readStored(root, "snap-1", into);
  assert.equal(back, into, "read into the buffer it was given (the one Python restores from)");
  assert.deepEqual(back, bytes(1000, 7));
  assert.equal(await readStored(root, "snap-1", new Uint8Array(999)), null, "a file of another size is not used");
  assert.deepEqual([...(await root.getDirectoryHandle(STORE_DIR)).entries.keys()], ["snap-1"], "no .part file left");
});

test("keeping a new snapshot drops the copies of older ones", async () => {
  const root = new FakeFolder();
  await store(root, "snap-old", bytes(10, 1));
  await store(root, "snap-new", bytes(10, 2));
  assert.deepEqual([...(await root.getDirectoryHandle(STORE_DIR)).entries.keys()], ["snap-new"]);
  assert.equal(await readStored(root, "snap-old", new Uint8Array(10)), null);
});

test("no OPFS, no copy, a copy another tab holds, or a forgotten copy all read as null", async () => {
  assert.equal(await readStored(null, "x", new Uint8Array(1)), null);
  assert.equal(await store(null, "x", bytes(1, 1)), false);
  const root = new FakeFolder();
  assert.equal(await readStored(root, "x", new Uint8Array(1)), null);
  await store(root, "x", bytes(4, 4));
  const folder = await root.getDirectoryHandle(STORE_DIR);
  folder.locked.add("x"); // another tab reads it now
  assert.equal(await readStored(root, "x", new Uint8Array(4)), null);
  folder.locked.delete("x");
  await forget(root, "x");
  assert.equal(await readStored(root, "x", new Uint8Array(4)), null);
  await forget(root, "x"); // twice: nothing to do, no error
});
