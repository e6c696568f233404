// The exported site's service worker (web/service-worker/sw.js): cache versions and page keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cacheName, pageKeys, precacheMode, staleCaches } from "../../../web/service-worker/sw.js";

test("activating a version drops every other version's cache, and only ours", () => {
  const names = [cacheName("old1"), cacheName("new2"), "someone-elses-cache", cacheName("old3")];
  assert.deepEqual(staleCaches(names, "new2"), [cacheName("old1"), cacheName("old3")]);
});

test("a page is found under its plain, slashed and index.html URLs", () => {
  assert.deepEqual(pageKeys("http://h/my-repo/echo?x=1#y"), ["http://h/my-repo/echo", "http://h/my-repo/echo/", "http://h/my-repo/echo/index.html"]);
  assert.deepEqual(pageKeys("http://h/my-repo/"), ["http://h/my-repo/", "http://h/my-repo/index.html"]);
  assert.deepEqual(pageKeys("http://h/my-repo/index.html"), ["http://h/my-repo/index.html", "http://h/my-repo/"]);
});

test("the install takes hashed files from the HTTP cache and revalidates pages", () => {
  assert.equal(precacheMode("/my-repo/_fhaw/pyodide-7579a052/snapshot.bin.gz"), "force-cache");
  assert.equal(precacheMode("/my-repo/_fhaw/vendor/htmx-2.0.7.js"), "force-cache");
  assert.equal(precacheMode("/my-repo/echo/"), "no-cache");
  assert.equal(precacheMode("/my-repo/"), "no-cache");
});
