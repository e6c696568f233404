// The files a snapshot boot writes late: the site-packages Python sources and the kernel's files
// (the snapshot has their modules imported already). They are written after the first page
// message, a hundred per task so that the page's messages are handled in between; or all at
// once, the moment Python needs one (an import nothing else finds, package metadata, a
// traceback: fh_anywidget.kernel.bridge's FilesPending calls writeAll).
// @ts-check
import { KERNEL_DIR } from "./bundles.js";
import { writeFiles } from "./pack.js";
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

export class PendingFiles {
  /** The kernel bundle's bytes, written with the sources (set once downloaded). @type {ArrayBuffer | null} */
  kernel = null;
  #pyodide;
  #files;
  #root;
  #written;
  #writing = false;
  #done = false;

  /**
   * @param {any} pyodide
   * @param {Array<{path: string, data: Uint8Array}>} files  The sources (from the pack: readPack).
   * @param {string} root  The site-packages folder they go to.
   * @param {() => void} written  Called once everything is written.
   */
  constructor(pyodide, files, root, written) {
    this.#pyodide = pyodide;
    this.#files = files;
    this.#root = root;
    this.#written = written;
  }

  /** The top-level packages and modules the pending sources are of (for the bridge's finder). */
  get names() {
    return topLevelNames(this.#files);
  }

  /** Write all that is left, now (later calls do nothing). */
  writeAll() {
    if (this.#done) return;
    this.#done = true;
    writeFiles(this.#pyodide.FS, this.#files, this.#root);
    if (this.kernel) this.#pyodide.unpackArchive(this.kernel, "zip", { extractDir: KERNEL_DIR });
    this.#pyodide.pyimport("fh_anywidget.kernel.bridge").files_written();
    mark("files");
    console.info("[fh-anywidget] site-packages sources written");
    this.#written();
  }

  /** Write them a few at a time, one task each, so that the page's messages are handled in
   * between (the first widget's answers are not held up by them). */
  writeSoon() {
    if (this.#done || this.#writing) return;
    this.#writing = true;
    const step = () => {
      if (this.#done) return;
      if (this.#files.length <= FILES_PER_TASK) return this.writeAll();
      writeFiles(this.#pyodide.FS, this.#files.splice(0, FILES_PER_TASK), this.#root);
      setTimeout(step, 0);
    };
    setTimeout(step, 0);
  }
}
