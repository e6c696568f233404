// Download a gzipped file and gunzip it with the platform's DecompressionStream, into a buffer of
// the size the manifest gives, with no intermediate copies. Used by the worker (web/worker.js)
// and by its helper thread (web/gunzip-worker.js).
// @ts-check

/**
 * Fetch the `.gz` file `url` and gunzip it into `out`, which must be exactly its unpacked size.
 * @param {string} url @param {Uint8Array} out
 * @param {typeof fetch} [fetcher]
 * @returns {Promise<Uint8Array>} `out`
 */
export async function fetchGunzip(url, out, fetcher = fetch) {
  const response = await fetcher(url);
  if (!response.ok || !response.body) throw new Error(`[fh-anywidget] ${url} answered ${response.status}`);
  const reader = response.body.pipeThrough(new DecompressionStream("gzip")).getReader();
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
