// Where a snapshot boot's bytes come from: this browser's copy of the unpacked memory snapshot
// (in the origin private file system, web/worker/store.js), else the download, gunzipped; and,
// once the first widget answered, keeping a downloaded snapshot for the next visit.
// @ts-check
import { bodyInto, gunzipInto, settled, takeEarly } from "./download.js";
import { forget, opfsRoot, readStored, store, storedName } from "./store.js";
import { timings } from "./timings.js";

/** This browser's copy: where it is, whether this boot used it, and the downloaded bytes to keep.
 * @type {{root: any, name: string, used: boolean, toKeep: Uint8Array | null}} */
const kept = { root: null, name: "", used: false, toKeep: null };

/** Fill `memory` with the unpacked snapshot: this browser's copy if it has one (and `useKept`),
 * else downloaded from `url` (gunzipped here if it is a `.gz` file: a static site's). The download starts at once, while the copy is
 * looked for (a first visit does not wait for the lookup), and is cancelled if the copy is there.
 * @param {Uint8Array} memory @param {string} url  The snapshot's absolute URL. @param {boolean} useKept */
export async function fillSnapshot(memory, url, useKept) {
  const asked = takeEarly(url); // the entry may have started the download already (worker.js)
  const download = asked ? asked.controller : new AbortController();
  const response = settled(asked ? asked.response : fetch(url, { signal: download.signal }));
  kept.root = await opfsRoot();
  kept.name = storedName(url);
  kept.used = false;
  delete timings.keptCopy;
  if (useKept && (await readStored(kept.root, kept.name, memory))) {
    download.abort();
    kept.used = true;
    timings.keptCopy = 1;
    return;
  }
  await (url.endsWith(".gz") ? gunzipInto : bodyInto)(await response, url, memory);
  kept.toKeep = memory;
}

/** Whether the last fillSnapshot used this browser's copy. */
export const usedKeptCopy = () => kept.used;

/** Drop this browser's copy (it could not be restored). */
export const forgetKeptCopy = () => forget(kept.root, kept.name);

/** Keep the downloaded snapshot in this browser for the next visit (once, in the background). */
export async function keepSnapshot() {
  const bytes = kept.toKeep;
  kept.toKeep = null;
  if (!bytes) return;
  if (await store(kept.root, kept.name, bytes)) {
    console.info(`[fh-anywidget] kept the unpacked memory snapshot in this browser for the next visit (${bytes.byteLength} bytes)`);
  }
}
