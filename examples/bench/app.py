"""The benchmark's pages (scripts/bench drives them with a headless Chromium).

- ``/tti``: one Ping widget that clicks itself once rendered; ``window.fhBench.firstAnswerMs`` is
  when Python's answer reached the page. ``/tti?fh-anywidget-snapshot=off`` is the same page
  booting Python the plain way (no memory snapshot).
- ``/ping``: one Ping widget, for round trips and 64 MB transfers through the widget protocol,
  and the bare echo worker (``window.fhBare``), so that widget and bare round trips alternate.
- ``/bare``: no widget; ``window.fhBare`` runs the baselines: a bare ``loadPyodide()`` in a worker,
  and a bare echo worker (postMessage round trip and transfers).

It serves its own distribution (build/pyodide-bench, built by scripts/bench): the widget stack
and nothing else, as an app with one widget of its own would have (the demo's carries drawdata
and wigglystuff, which make its snapshot a fifth bigger). Every response carries COOP/COEP headers: the pages are cross-origin isolated, which
gives ``performance.now()`` a 5 µs resolution instead of 100 µs (the round trips measured are a
few hundred µs). fh-anywidget needs nothing else to run isolated.
"""

from __future__ import annotations

import json
from pathlib import Path

from fasthtml.common import Div, Main, Script, Title, fast_app
from starlette.responses import FileResponse, PlainTextResponse

from examples.bench.widgets import Ping
from fh_anywidget import AnyWidgetHost

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

app, rt = fast_app(default_hdrs=False, pico=False, canonical=False, secret_key="fh-anywidget-bench-has-no-sessions")
host = AnyWidgetHost(app, dist_dir=ROOT / "build" / "pyodide-bench")

ISOLATION = [(b"cross-origin-opener-policy", b"same-origin"), (b"cross-origin-embedder-policy", b"require-corp"),
             (b"cross-origin-resource-policy", b"same-origin")]


class CrossOriginIsolated:
    """ASGI middleware: the headers that make a page cross-origin isolated, on every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def isolated(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *ISOLATION]}
            await send(message)

        return await self.app(scope, receive, isolated)


app.add_middleware(CrossOriginIsolated)

BARE = """
const indexURL = %s;
/** A promise for the next message of `worker`. */
const next = (worker) => new Promise((resolve) => worker.addEventListener("message", (e) => resolve(e.data), { once: true }));
const echo = new Worker("/bench/echo-worker");
window.fhBare = {
  async boot() {
    const t = performance.now();
    const worker = new Worker("/bench/boot-worker", { type: "module" });
    worker.postMessage({ indexURL: new URL(indexURL, location.href).href });
    const reply = await next(worker);
    worker.terminate();
    if (reply.error) throw new Error(reply.error);
    return performance.now() - t;
  },
  async rtt(count) {
    const times = [];
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      echo.postMessage({ op: "echo", i });
      await next(echo);
      times.push((performance.now() - t) * 1000);
    }
    return times;
  },
  async toWorker(bytes) {
    const buffer = new Uint8Array(bytes).fill(7).buffer;
    const t = performance.now();
    echo.postMessage({ op: "sink", buffer }); // cloned by postMessage: a bare worker keeps nothing
    await next(echo);
    return performance.now() - t;
  },
  async fromWorker(bytes) {
    const t = performance.now();
    echo.postMessage({ op: "source", bytes });
    const reply = await next(echo);
    if (reply.buffer.byteLength !== bytes) throw new Error("short buffer");
    return performance.now() - t;
  },
};
"""


@rt("/tti")
def tti():
    return Title("bench: time to interactive"), Main(Div(host.widget(Ping), data_autoclick="1"))


@rt("/ping")
def ping():
    # the bare echo worker is here too: scripts/bench alternates widget and bare round trips
    index_url = host.runtime_config()["worker"]["indexURL"]
    return Title("bench: round trips"), Main(host.widget(Ping)), Script(BARE % json.dumps(index_url))


@rt("/bare")
def bare():
    index_url = host.runtime_config()["worker"]["indexURL"]
    return Title("bench: baselines"), Main("baselines"), Script(BARE % json.dumps(index_url))


@rt("/bench/{name}")
def bench_file(name: str):
    # no ".js" in these URLs: FastHTML's static-file route would take them
    if name not in ("echo-worker", "boot-worker"):
        return PlainTextResponse(f"no bench file {name!r}", status_code=404)
    return FileResponse(HERE / f"{name}.js", media_type="text/javascript")
