// The worker's helper thread: downloads and gunzips the memory snapshot (and the site-packages
// pack) while the worker's own thread loads Pyodide. Each request {id, url, size} is answered
// with {id, bytes} (the buffer transferred, not copied) or {id, error}.
// @ts-check
import { fetchGunzip } from "./gunzip.js";

self.addEventListener("message", async (/** @type {MessageEvent} */ event) => {
  const { id, url, size } = event.data || {};
  try {
    const bytes = await fetchGunzip(url, new Uint8Array(size));
    self.postMessage({ id, bytes }, { transfer: [bytes.buffer] });
  } catch (err) {
    self.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
