// The worker's boot config for one page: the host's, unless the page URL turns the snapshot off.
// Used by the worker (web/worker/worker.js), whoever started it: the page runtime or the inline
// starter (web/inline/early.js).
// @ts-check

/** A page URL with `?fh-anywidget-snapshot=off` boots the worker without its memory snapshot
 * (the slow path, e.g. to measure it against the fast one). */
export const SNAPSHOT_PARAM = "fh-anywidget-snapshot";

/**
 * @param {import("../shared/protocol.js").BootConfig} boot @param {string | undefined} pageURL
 * @returns {import("../shared/protocol.js").BootConfig}
 */
export function bootConfig(boot, pageURL) {
  let off = false;
  try {
    off = new URL(String(pageURL)).searchParams.get(SNAPSHOT_PARAM) === "off";
  } catch {
    // not a URL (about:blank, tests): keep the host's config
  }
  if (!off || !boot || !boot.snapshot) return boot;
  return { ...boot, snapshot: null, snapshotProblem: `turned off by the page URL (?${SNAPSHOT_PARAM}=off)` };
}
