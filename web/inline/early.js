// The inline worker starter. The host puts this classic script, with its config in
// `data-fh-anywidget-early`, inside the first worker-mode placeholder of a page, so that the
// worker (and Python's download and restore) starts while the page is still being parsed,
// instead of once the runtime's modules have loaded. The runtime adopts the worker
// (`window.fhAnywidgetEarly`, see takeEarlyWorker in web/page/transport-worker.js) with the events it
// got meanwhile. If this script cannot run (a Content-Security-Policy without inline scripts),
// the runtime starts the worker itself, later.
// Its message is the protocol's `boot` in the worker's envelope (web/shared/protocol.js BOOT and
// messageEnvelope), spelled out: a classic script cannot import.
// @ts-check
(() => {
  const w = /** @type {any} */ (window);
  const script = document.currentScript;
  if (w.fhAnywidgetEarly || typeof Worker === "undefined" || !script) return;
  try {
    const { workerURL, boot } = JSON.parse(script.getAttribute("data-fh-anywidget-early") || "");
    const worker = new Worker(new URL(workerURL, document.baseURI), { type: "module", name: "fh-anywidget" });
    /** @type {Event[]} */
    const events = [];
    const keep = (/** @type {Event} */ event) => {
      if (event.type === "error") event.preventDefault(); // the runtime reports it, with the fix
      events.push(event);
    };
    worker.onmessage = keep;
    worker.onerror = keep;
    worker.onmessageerror = keep;
    worker.postMessage({ msg: { type: "boot", config: boot, pageURL: location.href }, buffers: [] });
    w.fhAnywidgetEarly = { worker, events };
  } catch (err) {
    console.warn("[fh-anywidget] could not start the worker early; the runtime will start it:", err);
  }
})();
