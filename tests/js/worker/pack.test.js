import assert from "node:assert/strict";
import { test } from "node:test";

import { PACK_MAGIC, readPack, writePack } from "../../../web/worker/pack.js";

/** A pack as py/fh_anywidget/dist/snapshot.py `pack_bytes` writes it. @param {Array<[string, string]>} files */
function makePack(files) {
  const enc = new TextEncoder();
  const index = enc.encode(JSON.stringify(files.map(([path, text]) => [path, enc.encode(text).length])));
  const parts = [enc.encode(PACK_MAGIC), new Uint8Array(new Uint32Array([index.length]).buffer), index, ...files.map(([, t]) => enc.encode(t))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

test("a pack's files come back with their paths and bytes", () => {
  const files = readPack(makePack([["a/b.py", "x = 1\n"], ["c.txt", ""], ["d/e/f.js", "export default {}"]]));
  assert.deepEqual(
    files.map((f) => [f.path, new TextDecoder().decode(f.data)]),
    [["a/b.py", "x = 1\n"], ["c.txt", ""], ["d/e/f.js", "export default {}"]],
  );
});

test("writing a pack makes each folder once and writes every file below the root", () => {
  /** @type {string[]} */
  const calls = [];
  /** @type {Uint8Array[]} */
  const owned = [];
  const FS = {
    mkdirTree: (/** @type {string} */ p) => calls.push(`mkdir ${p}`),
    open: (/** @type {string} */ p, /** @type {string} */ flags) => ({ p, flags }),
    write: (/** @type {any} */ s, /** @type {Uint8Array} */ d, /** @type {number} */ offset, /** @type {number} */ length,
      /** @type {number} */ position, /** @type {boolean} */ canOwn) => {
      calls.push(`write ${s.p} ${s.flags} ${offset} ${length} ${position} ${canOwn}`);
      owned.push(d);
      return length;
    },
    close: (/** @type {any} */ s) => calls.push(`close ${s.p}`),
  };
  const pack = makePack([["pkg/a.py", "a"], ["pkg/b.py", "bb"], ["top.py", "ccc"]]);
  const count = writePack(FS, pack, "/lib/site");
  assert.equal(count, 3);
  assert.deepEqual(calls, [
    "mkdir /lib/site/pkg", "write /lib/site/pkg/a.py w 0 1 0 true", "close /lib/site/pkg/a.py",
    "write /lib/site/pkg/b.py w 0 2 0 true", "close /lib/site/pkg/b.py",
    "mkdir /lib/site", "write /lib/site/top.py w 0 3 0 true", "close /lib/site/top.py",
  ]);
  // the files are views into the pack (MEMFS owns them: no copy)
  assert.ok(owned.every((d) => d.buffer === pack.buffer));
  assert.equal(new TextDecoder().decode(owned[2]), "ccc");
});

test("a damaged pack is refused with the fix", () => {
  assert.throws(() => readPack(new TextEncoder().encode("PK\u0003\u0004 not a pack")), /bad magic.*fh-anywidget dist/);
  const cut = makePack([["a.py", "abcdef"]]).subarray(0, -2);
  assert.throws(() => readPack(cut), /damaged.*its index says/);
});

test("select picks which files of a pack are written", () => {
  /** @type {string[]} */
  const written = [];
  const FS = { mkdirTree() {}, open: (/** @type {string} */ p) => p, write: (/** @type {string} */ p) => written.push(p), close() {} };
  const pack = makePack([["pkg/a.py", "a"], ["pkg/a.js", "b"], ["pkg-1.0.dist-info/METADATA", "c"]]);
  assert.equal(writePack(FS, pack, "/s", (path) => !path.endsWith(".py")), 2);
  assert.deepEqual(written, ["/s/pkg/a.js", "/s/pkg-1.0.dist-info/METADATA"]);
});
