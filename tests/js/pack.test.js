import assert from "node:assert/strict";
import { test } from "node:test";

import { PACK_MAGIC, readPack, writePack } from "../../web/pack.js";

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
  const FS = {
    mkdirTree: (/** @type {string} */ p) => calls.push(`mkdir ${p}`),
    writeFile: (/** @type {string} */ p, /** @type {Uint8Array} */ d) => calls.push(`write ${p} ${d.length}`),
  };
  const count = writePack(FS, makePack([["pkg/a.py", "a"], ["pkg/b.py", "bb"], ["top.py", "ccc"]]), "/lib/site");
  assert.equal(count, 3);
  assert.deepEqual(calls, [
    "mkdir /lib/site/pkg", "write /lib/site/pkg/a.py 1", "write /lib/site/pkg/b.py 2", "mkdir /lib/site", "write /lib/site/top.py 3",
  ]);
});

test("a damaged pack is refused with the fix", () => {
  assert.throws(() => readPack(new TextEncoder().encode("PK\u0003\u0004 not a pack")), /bad magic.*fh-anywidget dist/);
  const cut = makePack([["a.py", "abcdef"]]).subarray(0, -2);
  assert.throws(() => readPack(cut), /damaged.*its index says/);
});
