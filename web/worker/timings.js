// The worker's timings. The boot's: ms since the worker's modules ran, by step; `ready` carries
// them to the page (docs/protocol.md, "Worker only"); the bench reads them. The messages': how
// long the worker took over each of the last RECENT messages from the page, and Python's share of
// that, read in the worker's console (`fhAnywidgetWorker.messageTimes()`, see docs/protocol.md)
// and by the bench (scripts/bench.py, the round trip's shares).
// @ts-check

const started = performance.now();

/** @type {Record<string, number | string>} */
export const timings = {};

/** Note that the step `name` is done now. @param {string} name */
export function mark(name) {
  timings[name] = Math.round(performance.now() - started);
}

/** How many messages' times are kept (the oldest go first). */
export const RECENT = 512;

/** @typedef {{p50: number, p90: number, max: number}} Spread  µs */
/** @typedef {{count: number, worker_us: Spread, python_us: Spread, post_us: Spread}} MessageTimesSummary */

/** The last `size` messages' times, in a ring of fixed size (kept forever, it never grows). */
export class MessageTimes {
  #size;
  #count = 0;
  #worker;
  #python;
  #post;

  constructor(size = RECENT) {
    this.#size = size;
    this.#worker = new Float64Array(size);
    this.#python = new Float64Array(size);
    this.#post = new Float64Array(size);
  }

  /** One message, in ms: the worker's whole time on it (from its arrival, or from Python's
   * being ready if it came during the boot, until its answers were posted), the part of that
   * spent in Python, and the part spent posting Python's answers to the page.
   * @param {number} workerMs @param {number} pythonMs @param {number} postMs */
  add(workerMs, pythonMs, postMs) {
    const i = this.#count++ % this.#size;
    this.#worker[i] = workerMs;
    this.#python[i] = pythonMs;
    this.#post[i] = postMs;
  }

  clear() {
    this.#count = 0;
  }

  /** @returns {MessageTimesSummary} */
  summary() {
    const n = Math.min(this.#count, this.#size);
    /** @param {Float64Array} values @returns {Spread} */
    const spread = (values) => {
      const sorted = values.slice(0, n).sort();
      const at = (/** @type {number} */ q) => (n ? Math.round(sorted[Math.min(n - 1, Math.floor(n * q))] * 1000) : 0);
      return { p50: at(0.5), p90: at(0.9), max: n ? Math.round(sorted[n - 1] * 1000) : 0 };
    };
    return { count: n, worker_us: spread(this.#worker), python_us: spread(this.#python), post_us: spread(this.#post) };
  }
}
