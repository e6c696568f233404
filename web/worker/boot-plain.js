// The slow boot (and the fallback): start Python with loadPyodide, then install the packages
// from the distribution's own lock, which lists only local files (never a CDN).
// @ts-check
import { absolute } from "./download.js";
import { status } from "./outbox.js";
import { checkAPI, checkLoader } from "./pyodide-internals.js";
import { mark } from "./timings.js";

/** @typedef {import("../shared/protocol.js").BootConfig} BootConfig */

/** The pyodide options both boots share. @param {BootConfig} config @param {string} indexURL */
export function pyodideOptions(config, indexURL) {
  return {
    indexURL,
    lockFileURL: absolute(config.lockFileURL),
    packageBaseUrl: indexURL, // never the CDN: a package missing here is an error, not a download
    fullStdLib: false,
    stdout: (/** @type {string} */ s) => console.log(s),
    stderr: (/** @type {string} */ s) => console.warn(s),
  };
}

/** @param {BootConfig} config @param {string} indexURL @param {Promise<any>} loader  The import of pyodide.mjs.
 * @returns {Promise<any>} Pyodide, with the packages installed. */
export async function bootFromPackages(config, indexURL, loader) {
  const { loadPyodide, version } = checkLoader(await loader);
  const pyodide = await loadPyodide(pyodideOptions(config, indexURL));
  checkAPI(pyodide, version, false);
  mark("pyodide");
  const total = config.packages.length;
  let loaded = 0;
  status("Installing packages", 45, `0/${total}`);
  await pyodide.loadPackage(config.packages, {
    checkIntegrity: true,
    messageCallback: (/** @type {string} */ line) => {
      if (line.startsWith("Loaded ")) {
        loaded += line.slice(7).split(",").length;
        status("Installing packages", 45 + Math.round((30 * Math.min(loaded, total)) / Math.max(total, 1)), `${Math.min(loaded, total)}/${total}`);
      }
    },
    errorCallback: (/** @type {string} */ line) => console.warn(line),
  });
  mark("packages");
  return pyodide;
}
