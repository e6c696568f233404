// Loaded into the test Node process with `node --require`: any connection that would leave this
// machine (the Pyodide CDN, PyPI) throws, so a test that reaches for the network fails loudly
// instead of passing on a machine that happens to be online.
"use strict";
const net = require("node:net");

const PREFIX = "[fh-anywidget offline guard]";

function isLocal(host) {
  return (
    host === undefined || host === null || host === "" || host === "localhost" ||
    host === "::1" || host === "[::1]" || /^127\./.test(host)
  );
}

function hostOf(args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === "object") {
    return first.path ? undefined : first.host;
  }
  return typeof args[1] === "string" ? args[1] : undefined;
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const host = hostOf(args);
  if (!isLocal(host)) {
    throw new Error(`${PREFIX} refused a connection to ${host}: the dist must work offline`);
  }
  return connect.apply(this, args);
};

const realFetch = globalThis.fetch;
globalThis.fetch = async function (resource, ...rest) {
  const url = new URL(resource instanceof Request ? resource.url : String(resource));
  if (url.protocol !== "file:" && !isLocal(url.hostname)) {
    throw new Error(`${PREFIX} refused to fetch ${url}: the dist must work offline`);
  }
  return realFetch(resource, ...rest);
};
