// A bare Pyodide boot for scripts/bench: loadPyodide() from the site's dist, nothing else.
// The page posts {indexURL}; the worker answers {ms} (from its start) or {error}.
self.onmessage = async (event) => {
  try {
    const { indexURL } = event.data;
    const { loadPyodide } = await import(indexURL + "pyodide.mjs");
    await loadPyodide({ indexURL, packageBaseUrl: indexURL, fullStdLib: false });
    self.postMessage({ ms: performance.now() });
  } catch (err) {
    self.postMessage({ error: String(err) });
  }
};
