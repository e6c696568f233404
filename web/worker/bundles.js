// The zips of Python modules the worker unpacks: the widget bundles a `create` names
// (py/fh_anywidget/bundles.py makes them), downloaded as soon as the `create` arrives, even
// while Python still boots, and unpacked once each; and the kernel's bundle (fh_anywidget's own
// modules), unpacked by a boot from the packages (a snapshot has them imported already).
// @ts-check
import { absolute, fetchBytes } from "./download.js";

/** The worker's folder for fh-anywidget's Python files (py/fh_anywidget/bundles.py BUNDLES_DIR and
 * snapshot.py KERNEL_DIR name its subfolders). */
export const SITE = "/home/pyodide/fh_anywidget";
/** Where the kernel's bundle is unpacked. */
export const KERNEL_DIR = `${SITE}/kernel`;

/** @type {Set<string>} */
const loadedBundles = new Set();
/** Bundle downloads by URL. @type {Map<string, Promise<ArrayBuffer>>} */
const bundleDownloads = new Map();

/** Start downloading a bundle (once per URL). @param {string} url */
export function downloadBundle(url) {
  let download = bundleDownloads.get(url);
  if (!download) {
    download = fetchBytes(absolute(url));
    download.catch(() => {}); // reported when ensureBundles awaits it
    bundleDownloads.set(url, download);
  }
  return download;
}

/** Have every bundle of `urls` unpacked and importable. @param {any} pyodide @param {string[]} urls */
export async function ensureBundles(pyodide, urls) {
  for (const url of urls || []) {
    if (loadedBundles.has(url)) continue;
    const name = url.split("/").pop() || "bundle";
    unpackBundle(pyodide, await downloadBundle(url), `${SITE}/bundles/${name.replace(/\W/g, "_")}`);
    loadedBundles.add(url);
  }
}

/** Unpack a widget bundle into a folder and put that folder first on sys.path (through the
 * bridge, which spares the standard library's zip a re-read).
 * @param {any} pyodide @param {ArrayBuffer} bytes @param {string} dir */
function unpackBundle(pyodide, bytes, dir) {
  pyodide.unpackArchive(bytes, "zip", { extractDir: dir });
  pyodide.pyimport("fh_anywidget.kernel.bridge").add_to_path(dir);
}

/** Unpack the kernel's own modules (the slow boot: the snapshot has them imported) and put their
 * folder first on sys.path. @param {any} pyodide @param {ArrayBuffer} bytes */
export function unpackKernel(pyodide, bytes) {
  const dir = KERNEL_DIR;
  pyodide.unpackArchive(bytes, "zip", { extractDir: dir });
  pyodide.runPython(`import sys, importlib\nif ${JSON.stringify(dir)} not in sys.path: sys.path.insert(0, ${JSON.stringify(dir)})\nimportlib.invalidate_caches()`);
}
