// The service worker of an exported static site (`fh-anywidget build` writes the small
// fhaw-sw.js that imports this module with the site's precache list and version).
// Assets live under content-hashed URLs: cache first. Pages: network first, the cache when
// offline, so a new build takes over on the next visit. Old versions' caches are dropped.
// @ts-check

export const CACHE_PREFIX = "fh-anywidget-";

/** @typedef {{version: string, files: string[]}} Precache */
/** @typedef {Event & {waitUntil(p: Promise<unknown>): void}} ExtendableEvent */
/** @typedef {ExtendableEvent & {request: Request, respondWith(r: Promise<Response>): void}} FetchEvent */
/**
 * @typedef {object} WorkerScope  The parts of ServiceWorkerGlobalScope used here.
 * @property {(type: string, listener: (event: any) => void) => void} addEventListener
 * @property {() => Promise<void>} skipWaiting
 * @property {{claim(): Promise<void>}} clients
 * @property {{scope: string}} registration
 * @property {CacheStorage} caches
 * @property {typeof fetch} fetch
 */

/** @param {string} version */
export const cacheName = (version) => CACHE_PREFIX + version;

/** The caches an activating version drops: every other version's.
 * @param {string[]} names @param {string} version */
export function staleCaches(names, version) {
  return names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== cacheName(version));
}

/** The cache keys a navigation to `url` may be stored under ("/a", "/a/", "/a/index.html" are one page).
 * @param {string} url */
export function pageKeys(url) {
  const u = new URL(url);
  u.search = "";
  u.hash = "";
  const plain = u.href;
  if (plain.endsWith("/index.html")) return [plain, plain.slice(0, -"index.html".length)];
  if (plain.endsWith("/")) return [plain, plain + "index.html"];
  return [plain, plain + "/", plain + "/index.html"];
}

/** How the install fetches a precached URL: pages are revalidated ("no-cache"); every other file
 * is content-hashed or versioned, so the copy the page itself just loaded into the HTTP cache is
 * the right one ("force-cache": taken even when the static host marked it stale), and a first
 * visit does not download the site twice.
 * @param {string} url @returns {RequestCache} */
export function precacheMode(url) {
  return url.endsWith("/") ? "no-cache" : "force-cache";
}

/**
 * Install the handlers on the service worker's global scope.
 * @param {WorkerScope} scope @param {Precache} precache
 */
export function serve(scope, precache) {
  const name = cacheName(precache.version);
  scope.addEventListener("install", (/** @type {ExtendableEvent} */ event) => {
    event.waitUntil(
      scope.caches
        .open(name)
        .then((cache) => cache.addAll(precache.files.map((f) => new Request(f, { cache: precacheMode(f) }))))
        .then(() => scope.skipWaiting()),
    );
  });
  scope.addEventListener("activate", (/** @type {ExtendableEvent} */ event) => {
    event.waitUntil(
      scope.caches
        .keys()
        .then((names) => Promise.all(staleCaches(names, precache.version).map((n) => scope.caches.delete(n))))
        .then(() => scope.clients.claim()),
    );
  });
  scope.addEventListener("fetch", (/** @type {FetchEvent} */ event) => {
    const request = event.request;
    if (request.method !== "GET" || !request.url.startsWith(scope.registration.scope)) return;
    event.respondWith(request.mode === "navigate" ? networkFirst(scope, name, request) : cacheFirst(scope, name, request));
  });
}

/** @param {WorkerScope} scope @param {string} name @param {Request} request */
async function networkFirst(scope, name, request) {
  const cache = await scope.caches.open(name);
  try {
    const response = await scope.fetch(request);
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    for (const key of pageKeys(request.url)) {
      const hit = await cache.match(key);
      if (hit) return hit;
    }
    throw err;
  }
}

/** @param {WorkerScope} scope @param {string} name @param {Request} request */
async function cacheFirst(scope, name, request) {
  const cache = await scope.caches.open(name);
  const hit = await cache.match(request);
  if (hit) return hit;
  try {
    const response = await scope.fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    for (const key of pageKeys(request.url)) {
      const page = await cache.match(key); // e.g. an hx-get of "/a", precached as "/a/"
      if (page) return page;
    }
    throw err;
  }
}
