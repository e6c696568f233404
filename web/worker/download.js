// Fetching the files a boot needs: whole, or straight into a buffer of the size the dist's
// manifest gives (gunzipped in the worker for a `.gz` file a static site sends as it is; as it
// comes otherwise: the host sends it with Content-Encoding, and the browser decodes it).
// @ts-check

/** A URL of the boot config, made absolute (against the worker's own). @param {string} url */
export const absolute = (url) => new URL(url, self.location.href).href;

/** A promise that never counts as an unhandled rejection (it is awaited later, maybe not at all).
 * @template T @param {Promise<T>} promise */
export function settled(promise) {
  promise.catch(() => {});
  return promise;
}

/** A response the worker's entry (worker.js) asked for before the boot's modules were in.
 * @typedef {{response: Promise<Response>, controller: AbortController}} Early */

/** The entry's early responses, by absolute URL, not taken yet. @type {Map<string, Early>} */
let early = new Map();

/** The entry's early responses (relay.js hands them over). @param {Map<string, Early>} responses */
export function useEarly(responses) {
  early = responses;
}

/** The early response for `url` (taken: a second call gets null), or null if the entry did not
 * ask for it. @param {string} url @returns {Early | null} */
export function takeEarly(url) {
  const found = early.get(url) || null;
  early.delete(url);
  return found;
}

/** `fetch(url)`, or the response the entry asked for early. @param {string} url */
export function fetchFirst(url) {
  const found = takeEarly(url);
  return found ? found.response : fetch(url);
}

/** Cancel the early requests the boot did not take (a snapshot that did not restore, say). */
export function dropEarly() {
  for (const { controller } of early.values()) controller.abort();
  early.clear();
}

/** @param {string} url */
export async function fetchBytes(url) {
  const response = await fetchFirst(url);
  if (!response.ok) throw new Error(`[fh-anywidget] ${url} answered ${response.status}: ${await response.text()}`);
  return response.arrayBuffer();
}

/** Fetch a `.gz` file and gunzip it in the worker (DecompressionStream) into `out`, which has
 * the size the manifest gives, with no intermediate copies.
 * @param {string} url @param {Uint8Array} out */
export async function fetchGunzip(url, out) {
  return gunzipInto(await fetchFirst(url), url, out);
}

/** fetchGunzip for a response already there. @param {Response} response @param {string} url @param {Uint8Array} out */
export async function gunzipInto(response, url, out) {
  if (!response.ok || !response.body) throw new Error(`[fh-anywidget] ${url} answered ${response.status}`);
  return readInto(response.body.pipeThrough(new DecompressionStream("gzip")), url, out);
}

/** A response's body (as the browser decoded it) straight into `out`, which has its exact size.
 * @param {Response} response @param {string} url @param {Uint8Array} out */
export async function bodyInto(response, url, out) {
  if (!response.ok || !response.body) throw new Error(`[fh-anywidget] ${url} answered ${response.status}`);
  return readInto(response.body, url, out);
}

/** @param {ReadableStream<Uint8Array>} stream @param {string} url @param {Uint8Array} out */
async function readInto(stream, url, out) {
  const reader = stream.getReader();
  const size = out.byteLength;
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.length > size) throw new Error(`[fh-anywidget] ${url} is bigger than the ${size} bytes the manifest says`);
    out.set(value, offset);
    offset += value.length;
  }
  if (offset !== size) throw new Error(`[fh-anywidget] ${url} has ${offset} bytes, not the ${size} the manifest says`);
  return out;
}
