// The files a snapshot boot writes late: the site-packages Python sources, the contents of
// site-packages' data files (the restore writes them as empty placeholders), the standard
// library's zip and the kernel's files (the snapshot has their modules imported already, and a
// widget module imported there has read at import what it reads then: the first answer needs
// none of them). Their packs and the zip are not even downloaded before the first page message
// has been handled: the first answer's bytes do not share the link with them. They are then
// written a hundred files per task, so that the page's messages are handled in between; or at
// once, the moment Python needs them (fh_anywidget.kernel.bridge's FilesPending: an import
// nothing else finds, package metadata, a traceback, a listing of a site-packages folder call
// writeAll; opening a data file calls writeData), downloaded then and there with a synchronous
// request if they are not in yet.
// @ts-check
import { KERNEL_DIR } from "./bundles.js";
import { fetchBytes, fetchGunzip } from "./download.js";
import { readPack, writeFiles } from "./pack.js";
import { mark } from "./timings.js";

/** Sources written per task, when they are written in the background. */
const FILES_PER_TASK = 100;

/** Python source files (`.py`): what a snapshot boot writes only after the first message. @param {string} path */
export const isSource = (path) => path.endsWith(".py");

/** The top-level packages and modules that `files` (paths relative to site-packages) are of:
 * `IPython/core/x.py` -> `IPython`, `typing_extensions.py` -> `typing_extensions`.
 * @param {Array<{path: string}>} files */
export function topLevelNames(files) {
  return [...new Set(files.map(({ path }) => path.split("/")[0].replace(/\.py$/, "")))];
}

/**
 * A file to download later: its URL, and its raw size when the worker gunzips it (a `.gz` file).
 * @typedef {{url: string, size?: number}} Later
 */

/** `later` now, with a synchronous request (a worker may make one): the raw bytes.
 * @param {Later} later @param {(gz: Uint8Array) => Uint8Array} gunzip */
function downloadNow(later, gunzip) {
  const request = new XMLHttpRequest();
  request.open("GET", later.url, false);
  request.responseType = "arraybuffer";
  request.send();
  if (request.status !== 200) throw new Error(`[fh-anywidget] ${later.url} answered ${request.status}`);
  const bytes = new Uint8Array(request.response);
  return later.size === undefined ? bytes : gunzip(bytes);
}

/** `later`, downloaded (and gunzipped) in the background. @param {Later} later */
async function download(later) {
  return later.size === undefined ? new Uint8Array(await fetchBytes(later.url)) : fetchGunzip(later.url, new Uint8Array(later.size));
}

export class PendingFiles {
  /** The kernel bundle's bytes, written with the sources (set once downloaded). @type {ArrayBuffer | null} */
  kernel = null;
  #pyodide;
  /** The sources still to write (null: their pack is not in yet). @type {Array<{path: string, data: Uint8Array}> | null} */
  #files;
  #sources;
  /** The data files' contents still to write (null: their pack is not in yet). @type {Array<{path: string, data: Uint8Array}> | null} */
  #dataFiles = null;
  #data;
  #dataDone;
  #stdlib;
  #root;
  #written;
  #started = false;
  #writing = false;
  #done = false;
  /** @type {Uint8Array | null} */
  #stdlibBytes = null;

  /**
   * @param {any} pyodide
   * @param {{sources: Array<{path: string, data: Uint8Array}> | Later, names: string[],
   *   stdlib: (Later & {path: string}) | null, root: string, data?: Later | null}} what  The
   *   sources (files from a pack already in, or their pack to download), the top-level names they
   *   are of, the standard library's zip to download (null: it is there), the site-packages folder,
   *   and the pack of the data files' contents (null or left out: an older dist, whose data files
   *   the restore wrote whole).
   * @param {() => void} written  Called once everything is written.
   */
  constructor(pyodide, { sources, names, stdlib, root, data = null }, written) {
    this.#pyodide = pyodide;
    this.#files = Array.isArray(sources) ? sources : null;
    this.#sources = Array.isArray(sources) ? null : sources;
    this.#data = data;
    this.#dataDone = data === null;
    this.#stdlib = stdlib;
    this.names = names;
    this.#root = root;
    this.#written = written;
  }

  /** Write the data files' contents now, if they are not yet (later calls do nothing). */
  writeData() {
    if (this.#dataDone) return;
    const files = this.#dataFiles ?? readPack(downloadNow(/** @type {Later} */ (this.#data), this.#gunzip));
    writeFiles(this.#pyodide.FS, files, this.#root);
    this.#dataDone = true; // only now: a failed download is tried again at the next open
    this.#dataFiles = null;
    mark("data-files");
  }

  /** Gunzip a `.gz` file a static site sent as it is, in Python's zlib (this runs inside Python's
   * `open`, which cannot wait for a DecompressionStream). @param {Uint8Array} gz @returns {Uint8Array} */
  #gunzip = (gz) => {
    const zlib = this.#pyodide.pyimport("zlib");
    const view = this.#pyodide.toPy(gz); // a memoryview: zlib takes no JsProxy
    try {
      const raw = zlib.decompress(view, 31);
      try {
        return raw.toJs();
      } finally {
        raw.destroy();
      }
    } finally {
      view.destroy();
      zlib.destroy();
    }
  };

  /** The site-packages folder the files go to. */
  get root() {
    return this.#root;
  }

  /** Where the standard library's zip goes, if it is still to be written; else null. */
  get stdlibZip() {
    return this.#stdlib && !this.#done ? this.#stdlib.path : null;
  }

  /** Write all that is left, now (later calls do nothing). */
  writeAll() {
    if (this.#done) return;
    this.writeData();
    if (this.#stdlib) this.#writeStdlib(this.#stdlibBytes ?? downloadNow(this.#stdlib, this.#gunzip));
    const files = this.#files ?? (this.#sources ? readPack(downloadNow(this.#sources, this.#gunzip)) : []);
    writeFiles(this.#pyodide.FS, files, this.#root);
    this.#done = true; // only now: after a failed download, the next need tries again
    if (this.kernel) this.#pyodide.unpackArchive(this.kernel, "zip", { extractDir: KERNEL_DIR });
    this.#pyodide.pyimport("fh_anywidget.kernel.bridge").files_written();
    mark("files");
    console.info("[fh-anywidget] site-packages sources written, the data files' contents, and the standard library's zip");
    this.#written();
  }

  /** Download what is still to download, write it a few files at a time, one task each, so that
   * the page's messages are handled in between (the first widget's answers are not held up by
   * them). Called after each page message; the first call starts it. */
  writeSoon() {
    if (this.#done || this.#writing) return;
    this.#writing = true;
    this.#start();
  }

  async #start() {
    if (this.#started) return;
    this.#started = true;
    try {
      const [data, stdlib, pack] = await Promise.all([
        this.#data && !this.#dataDone ? download(this.#data) : null,
        this.#stdlib ? download(this.#stdlib) : null,
        this.#sources ? download(this.#sources) : null,
      ]);
      if (this.#done) return; // written meanwhile, all at once
      if (data && !this.#dataDone) this.#dataFiles = readPack(data);
      if (stdlib) this.#stdlibBytes = stdlib;
      if (pack) this.#files = readPack(pack);
    } catch (err) {
      // writeAll downloads them again when Python needs them
      console.warn(`[fh-anywidget] could not download the Python sources in the background (${err instanceof Error ? err.message : err}); they are fetched when Python needs them`);
      return;
    }
    const step = () => {
      if (this.#done) return;
      if (!this.#dataDone) {
        this.writeData(); // the data files first, at once: a widget may open one any time
        return setTimeout(step, 0);
      }
      const files = /** @type {Array<{path: string, data: Uint8Array}>} */ (this.#files);
      if (files.length <= FILES_PER_TASK) return this.writeAll();
      writeFiles(this.#pyodide.FS, files.splice(0, FILES_PER_TASK), this.#root);
      setTimeout(step, 0);
    };
    setTimeout(step, 0);
  }

  /** @param {Uint8Array} bytes */
  #writeStdlib(bytes) {
    const { FS } = this.#pyodide;
    const stream = FS.open(/** @type {{path: string}} */ (this.#stdlib).path, "w");
    try {
      FS.write(stream, bytes, 0, bytes.length, 0, true);
    } finally {
      FS.close(stream);
    }
  }
}
