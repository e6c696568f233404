// web/'s folders say where their code runs (README, "Layout"): code imports only from where it
// runs and from shared/. A page module that imported a worker module (or the other way) would
// load, and be type-checked, in a place it was not written for.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const WEB = fileURLToPath(new URL("../../web/", import.meta.url));

/** Each folder of web/, and the folders its modules may import from. */
const MAY_IMPORT = {
  page: ["page", "shared"], // the page runtime (a module script in the page)
  worker: ["worker", "shared"], // the Pyodide worker (a module Worker)
  shared: ["shared"], // used by both
  "service-worker": ["service-worker", "shared"], // an exported site's service worker
  inline: [], // a classic script the host puts inline in the page: it cannot import
  vendor: [], // pinned third-party scripts served as they are (htmx): classic scripts, no imports
};

/** @param {string} dir @returns {string[]} */
function jsFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return jsFiles(full);
    return name.endsWith(".js") || name.endsWith(".mjs") ? [full] : [];
  });
}

/** Every module specifier a file names: static imports and re-exports, `import("...")` with a
 * literal (also in JSDoc types), bare `import "...";`. @param {string} source */
function specifiers(source) {
  const patterns = [
    /\b(?:import|export)\s[^"'`;]*?\sfrom\s*["']([^"']+)["']/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    /^\s*import\s*["']([^"']+)["']/gm,
  ];
  return patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]));
}

test("every file of web/ is in a folder that says where it runs", () => {
  const loose = readdirSync(WEB).filter((name) => !statSync(path.join(WEB, name)).isDirectory() && name !== "package.json");
  assert.deepEqual(loose, [], "web/ holds only the run-place folders (and package.json, which makes its .js ES modules for Node)");
  const folders = readdirSync(WEB).filter((name) => statSync(path.join(WEB, name)).isDirectory());
  assert.deepEqual(folders.sort(), Object.keys(MAY_IMPORT).sort());
});

test("modules import only from where they run and from shared/", () => {
  const problems = [];
  let checked = 0;
  for (const file of jsFiles(WEB)) {
    const from = path.relative(WEB, file).split(path.sep)[0];
    const source = readFileSync(file, "utf8");
    for (const spec of specifiers(source)) {
      if (!spec.startsWith(".")) {
        problems.push(`${path.relative(WEB, file)} imports ${spec}: web/ has no dependencies, only relative imports`);
        continue;
      }
      const target = path.resolve(path.dirname(file), spec);
      const to = path.relative(WEB, target).split(path.sep)[0];
      checked += 1;
      if (!statSync(target, { throwIfNoEntry: false })?.isFile()) problems.push(`${path.relative(WEB, file)} imports ${spec}, which is not there`);
      else if (!MAY_IMPORT[from].includes(to)) problems.push(`${path.relative(WEB, file)} (${from}) imports ${spec} (${to})`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(checked > 20, `only ${checked} imports found: the pattern no longer reads web/'s imports`);
});

test("relative URLs a module makes (new URL(\"./x.js\", ...)) name files that are there", () => {
  const made = [];
  for (const file of jsFiles(WEB)) {
    for (const [, url] of readFileSync(file, "utf8").matchAll(/new URL\(\s*["'](\.{1,2}\/[^"']+)["']/g)) {
      made.push(url);
      assert.ok(statSync(path.resolve(path.dirname(file), url), { throwIfNoEntry: false })?.isFile(), `${path.relative(WEB, file)}: ${url} is not there`);
    }
  }
  assert.ok(made.includes("../worker/worker.js"), "the runtime's own way to the worker (without a workerURL)");
});

/** The module specifiers a file loads when it runs: static imports and re-exports. @param {string} source */
function staticImports(source) {
  return [...source.matchAll(/\b(?:import|export)\s[^"'`;]*?\sfrom\s*["']([^"']+)["']/g), ...source.matchAll(/^\s*import\s*["']([^"']+)["']/gm)].map((m) => m[1]);
}

test("the worker's entry imports nothing, so it runs (and starts the boot's downloads) as soon as it is in", () => {
  const entry = readFileSync(path.join(WEB, "worker", "worker.js"), "utf8");
  assert.deepEqual(staticImports(entry), []);
  assert.match(entry, /import\("\.\/relay\.js"\)/, "it loads the relay itself");
});

test("the worker's relay names every module the worker loads, so the browser fetches them in one round trip", () => {
  const entry = path.join(WEB, "worker", "relay.js");
  const direct = new Set(staticImports(readFileSync(entry, "utf8")).map((spec) => path.resolve(path.dirname(entry), spec)));
  const seen = new Set();
  const visit = (/** @type {string} */ file) => {
    for (const spec of staticImports(readFileSync(file, "utf8"))) {
      const target = path.resolve(path.dirname(file), spec);
      if (seen.has(target)) continue;
      seen.add(target);
      visit(target);
    }
  };
  visit(entry);
  const deep = [...seen].filter((file) => !direct.has(file)).map((file) => path.relative(WEB, file));
  assert.deepEqual(deep, [], "imported by the worker's modules but not named in web/worker/relay.js");
  assert.ok(seen.size > 10);
});

test("the check sees a page module that imports a worker module", () => {
  assert.deepEqual(specifiers('import { x } from "../worker/a.js";\n/** @typedef {import("../shared/b.js").T} T */\nimport "./c.js";'), [
    "../worker/a.js",
    "../shared/b.js",
    "./c.js",
  ]);
});
