// The worker's boot timings: ms since the worker's modules ran, by step. `ready` carries them to
// the page (docs/protocol.md, "Worker only"); the bench reads them.
// @ts-check

const started = performance.now();

/** @type {Record<string, number | string>} */
export const timings = {};

/** Note that the step `name` is done now. @param {string} name */
export function mark(name) {
  timings[name] = Math.round(performance.now() - started);
}
