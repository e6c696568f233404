// The requests the page made beyond its own site, so that an error such as "Failed to fetch"
// can name the URL a widget tried and say why it failed: the site runs offline.
// Two sources: the page's Content-Security-Policy reports (`securitypolicyviolation` events; the
// host serves widget pages with a report-only policy that allows only the site itself), and
// the Resource Timing entries of requests that got no answer (Chromium records failed requests
// too; that is what a static export's pages, which carry no policy, have).
// @ts-check

/** @typedef {import("../shared/protocol.js").ErrorInfo} ErrorInfo */
/**
 * @typedef {"script" | "connect" | "other"} RequestKind  What kind of load: an import, a fetch, anything else.
 * @typedef {object} OutsideRequest
 * @property {string} url
 * @property {RequestKind} kind
 * @property {number} time  When it was reported or ended, in ms on the page's clock (performance.now()).
 * @property {boolean} [enforced]  A policy of the page's own blocked it (not a report-only one).
 * @property {boolean} [answered]  A server answered it: it did not fail for want of a network.
 */

/** How long before an error a failed outside request may have caused it. */
export const RECENT_MS = 15000;
/** How long after an error its cause may still be reported (a report can come after the rejection). */
export const LATE_MS = 3000;
const KEEP = 100;
const MAX_NAMED = 3;
const MAX_WAITING = 20;
/** What the browsers say when a load failed for want of a network (Chromium, Firefox, Safari). */
const FETCH_FAILURE =
  /failed to fetch|dynamically imported module|importing a module script failed|networkerror when attempting to fetch|^load failed$/i;
/** An http(s)/ws(s) URL in a message (not the page URL inside a "blob:http://..."). */
const URL_IN_TEXT = /(?<![\w:])(?:https?|wss?):\/\/[^\s'"`<>)]+/gi;
/** Set in every explained message, so that an explanation is never explained again. */
export const OFFLINE_NOTE = "this site runs offline";

/** @param {string} directive @returns {RequestKind} */
function kindOfDirective(directive) {
  if (/^script-src/.test(directive)) return "script";
  return /^connect-src/.test(directive) ? "connect" : "other";
}

/** @param {string} initiatorType @returns {RequestKind} */
function kindOfInitiator(initiatorType) {
  if (initiatorType === "script") return "script";
  if (initiatorType === "fetch" || initiatorType === "xmlhttprequest" || initiatorType === "beacon") return "connect";
  return "other";
}

/** @param {OutsideRequest[]} requests */
function listURLs(requests) {
  const urls = requests.map((r) => r.url);
  return urls.length === 1 ? urls[0] : `${urls.slice(0, -1).join(", ")} and ${urls[urls.length - 1]}`;
}

/**
 * The explanation of a failed load of `requests` (newest first).
 * @param {OutsideRequest[]} requests @param {RequestKind} kind
 */
export function explanation(requests, kind) {
  const verb = kind === "script" ? "imports" : "fetches";
  const fix =
    kind === "script"
      ? "Bundle that module into the widget's _esm (build the _esm with its imports inlined, as a package's dist file is) instead of importing it from a CDN."
      : "Ship the file with the widget instead: bundle it into the _esm, or vendor it into the widget's package and send its bytes from Python (a traitlets.Bytes trait).";
  const blocked = requests.filter((r) => r.enforced);
  if (blocked.length === requests.length) {
    return `[fh-anywidget] this widget's front end ${verb} ${listURLs(requests)}, which the page's Content-Security-Policy blocks. Allow it in the app's policy, or: ${fix}`;
  }
  return (
    `[fh-anywidget] this widget's front end ${verb} ${listURLs(requests)} from the internet, and ${OFFLINE_NOTE}: ` +
    `nothing is fetched from the internet at run time. ${fix}`
  );
}

/** Does this error say that a load failed for want of a network? @param {ErrorInfo} info */
export function isFetchFailure(info) {
  return FETCH_FAILURE.test(info.message) && !info.message.includes(OFFLINE_NOTE);
}

export class OutsideRequests {
  /** @type {OutsideRequest[]} */
  #requests = [];
  /** @type {Set<string>} */
  #entriesSeen = new Set();
  /** @type {Array<{info: ErrorInfo, until: number, then: (explained: ErrorInfo) => void}>} */
  #waiting = [];
  /** @type {(() => Iterable<any>) | null} */
  #timeline = null;
  #listening = false;

  /**
   * @param {{origin?: string, now?: () => number}} [options]
   *   `origin`: the page's own (its requests are not outside); `now`: the page's clock.
   */
  constructor({ origin = "", now = () => performance.now() } = {}) {
    this.origin = origin;
    this.now = now;
  }

  /** Whether something feeds this log (then an unexplained error may be explained later). */
  get listening() {
    return this.#listening;
  }

  /** The requests seen, oldest first. */
  get requests() {
    return [...this.#requests];
  }

  /** Is `url` beyond the page's own origin (http, https, ws, wss)? @param {string} url */
  isOutside(url) {
    let parsed;
    try {
      parsed = new URL(url, this.origin || undefined);
    } catch {
      return false;
    }
    return /^(https?|wss?):$/.test(parsed.protocol) && parsed.origin !== this.origin;
  }

  /** Remember a request. @param {OutsideRequest} request */
  note(request) {
    if (!this.isOutside(request.url)) return;
    this.#requests.push(request);
    if (this.#requests.length > KEEP) this.#requests.splice(0, this.#requests.length - KEEP);
    if (!request.answered) this.#wake();
  }

  /**
   * A `securitypolicyviolation` event.
   * @param {{blockedURI?: string, effectiveDirective?: string, violatedDirective?: string, disposition?: string}} event
   */
  noteViolation(event) {
    const url = event.blockedURI || "";
    if (!/^(https?|wss?):/i.test(url)) return; // "inline", "eval", ...: not a request
    const directive = event.effectiveDirective || event.violatedDirective || "";
    this.note({ url, kind: kindOfDirective(directive), time: this.now(), enforced: event.disposition === "enforce" });
  }

  /**
   * A Resource Timing entry (PerformanceResourceTiming).
   * @param {{name: string, initiatorType?: string, startTime: number, responseEnd?: number, duration?: number,
   *   responseStatus?: number, encodedBodySize?: number, decodedBodySize?: number}} entry
   */
  noteEntry(entry) {
    const key = `${entry.startTime} ${entry.name}`;
    if (this.#entriesSeen.has(key) || !this.isOutside(entry.name)) return;
    this.#entriesSeen.add(key);
    if (this.#entriesSeen.size > KEEP * 4) this.#entriesSeen.clear();
    const answered = (entry.responseStatus ?? 0) > 0 || (entry.encodedBodySize ?? 0) > 0 || (entry.decodedBodySize ?? 0) > 0;
    const time = entry.responseEnd || entry.startTime + (entry.duration ?? 0);
    this.note({ url: entry.name, kind: kindOfInitiator(entry.initiatorType ?? ""), time, answered });
  }

  /**
   * Say that something feeds this log (or, with `false`, no longer does), and give it the page's
   * Resource Timing entries to read whenever an error is explained: their observer is told of an
   * entry later than the page's code learns that the request failed.
   * @param {boolean} listening @param {(() => Iterable<any>) | null} [timeline]
   */
  setSource(listening, timeline = null) {
    this.#listening = listening;
    this.#timeline = listening ? timeline : null;
  }

  /**
   * The failed outside requests that may explain an error of `kind` at `now`, newest first.
   * @param {RequestKind} kind @param {number} now
   */
  recent(kind, now = this.now()) {
    for (const entry of this.#timeline?.() ?? []) this.noteEntry(entry);
    const answered = new Map();
    for (const r of this.#requests) if (r.answered) answered.set(r.url, Math.max(answered.get(r.url) ?? -Infinity, r.time));
    /** @type {Map<string, OutsideRequest>} */
    const byURL = new Map();
    for (const r of this.#requests) {
      if (r.answered || r.time < now - RECENT_MS) continue;
      if ((answered.get(r.url) ?? -Infinity) >= r.time) continue; // it loaded after all
      const seen = byURL.get(r.url);
      byURL.set(r.url, {
        ...r,
        kind: seen && seen.kind !== "other" ? seen.kind : r.kind,
        time: Math.max(r.time, seen?.time ?? -Infinity),
        enforced: Boolean(r.enforced || seen?.enforced),
      });
    }
    const all = [...byURL.values()].sort((a, b) => b.time - a.time);
    const same = all.filter((r) => r.kind === kind);
    return (same.length ? same : all).slice(0, MAX_NAMED);
  }

  /**
   * `info` explained, if it says that a load failed and a failed outside request explains it:
   * the message names the URL(s) and says what to do; the browser's words stay in the traceback.
   * @param {ErrorInfo} info
   * @returns {ErrorInfo | null}
   */
  explain(info) {
    if (!isFetchFailure(info)) return null;
    /** @type {RequestKind} */
    const kind = /module/i.test(info.message) ? "script" : "connect";
    const now = this.now();
    const named = [...new Set(info.message.match(URL_IN_TEXT) ?? [])].filter((url) => this.isOutside(url));
    const recent = this.recent(kind, now);
    const requests = named.length ? named.map((url) => recent.find((r) => r.url === url) ?? { url, kind, time: now }) : recent;
    if (!requests.length) return null;
    const original = `${info.type}: ${info.message}`;
    const traceback = info.traceback.includes(info.message) ? info.traceback : `${original}\n${info.traceback}`.trim();
    return { type: info.type, message: explanation(requests, kind), traceback };
  }

  /**
   * Call `then` with `info` explained if what explains it is seen within LATE_MS; for an error
   * that `explain` could not explain yet. Nothing happens unless the log is listening.
   * @param {ErrorInfo} info @param {(explained: ErrorInfo) => void} then
   */
  whenExplained(info, then) {
    if (!this.listening || !isFetchFailure(info)) return;
    this.#waiting.push({ info, then, until: this.now() + LATE_MS });
    if (this.#waiting.length > MAX_WAITING) this.#waiting.shift();
  }

  #wake() {
    if (!this.#waiting.length) return;
    const now = this.now();
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const entry of waiting) {
      if (entry.until < now) continue;
      const explained = this.explain(entry.info);
      if (explained) entry.then(explained);
      else this.#waiting.push(entry);
    }
  }
}

/** The page's log, which the runtime's error boxes and console lines consult. */
export const outsideRequests = new OutsideRequests({ origin: globalThis.location?.origin ?? "" });

/**
 * Feed `log` from the page: its Content-Security-Policy reports and its Resource Timing entries.
 * @param {any} win  The page's window.
 * @param {OutsideRequests} [log]
 * @returns {() => void} stops listening
 */
export function watchOutsideRequests(win, log = outsideRequests) {
  /** @param {any} event */
  const onViolation = (event) => log.noteViolation(event);
  win.document.addEventListener("securitypolicyviolation", onViolation, true);
  /** @type {any} */
  let observer = null;
  const perf = win.performance;
  if (typeof win.PerformanceObserver === "function") {
    try {
      observer = new win.PerformanceObserver((/** @type {any} */ list) => {
        for (const entry of list.getEntries()) log.noteEntry(entry);
      });
      observer.observe({ type: "resource", buffered: true });
    } catch {
      observer = null; // no Resource Timing here: the policy's reports still come
    }
  }
  log.setSource(true, () => (perf && typeof perf.getEntriesByType === "function" ? perf.getEntriesByType("resource") : []));
  return () => {
    win.document.removeEventListener("securitypolicyviolation", onViolation, true);
    observer?.disconnect();
    log.setSource(false);
  };
}
