"""Put anywidget widgets in FastHTML pages.

``AnyWidgetHost(app)`` registers one route that serves the page runtime, the Pyodide
distribution and the widgets' module bundles under content-hashed URLs, and adds the runtime's
``<script>`` to every page. ``host.widget(...)`` renders a placeholder; in worker mode the
server never makes the widget: the visitor's browser does, in Pyodide.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.util
import itertools
import json
import logging
import os
import pkgutil
import re
import secrets
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType
from typing import Any

from fastcore.xml import FT
from fasthtml.common import Div, HttpHeader, Script
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import bundles, updates
from . import fields as form_fields
from .assets import EARLY_JS, HTMX_JS, RUNTIME_JS, WORKER_JS, AssetDir, Blob, bytes_response, file_response, not_found, web_dir
from .csp import OfflinePolicyMiddleware
from .dev import DevReload, hmr_enabled
from .render import RenderContextMiddleware, current_render
from .server import SCOPES, WidgetServer, access
from .server.page import Page
from .snapshot import LOADER_FILE, MODULE_FILE, WASM_FILE, SnapshotCheck, check_snapshot, kernel_files, kernel_hash
from .specs import WidgetSpecError, check_kwargs

log = logging.getLogger("fh_anywidget")

MODES = ("worker", "server")
_NAME = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_building = ContextVar("fh_anywidget_building", default=False)


@contextlib.contextmanager
def building() -> Iterator[None]:
    """While `fh-anywidget dist`/`build` import an app: its hosts keep what is wrong with the
    distribution (``dist_problem``, ``snapshot``) but do not log it, since the command is about to
    build the distribution, or checks it and says so in its own words."""
    token = _building.set(True)
    try:
        yield
    finally:
        _building.reset(token)


def normalize(name: str) -> str:
    """A distribution name as Pyodide's lock spells it (PEP 503, with '-')."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(spec: str) -> str:
    match = _REQ_NAME.match(spec)
    if not match:
        raise WidgetSpecError(f"[fh-anywidget] package {spec!r} is not a requirement such as 'drawdata' or 'drawdata==0.5.2'")
    return normalize(match.group(1))


class AnyWidgetHost:
    """Serves widgets on the pages of one FastHTML app.

    Args:
        app: the FastHTML (Starlette) app.
        packages: pure-Python PyPI packages the widgets need in the browser worker, as
            requirements (``"drawdata"``, ``"drawdata==0.5.2"``); ``fh-anywidget dist APP``
            fetches them at build time.
        dist_dir: where ``fh-anywidget dist`` wrote the Pyodide distribution.
        prefix: the URL path under which everything is served.
        modules: extra modules (objects or names) to ship to the worker with every widget,
            for modules a widget imports in a way its import statements do not show.
        include: more files for the worker-mode bundles, as paths or globs relative to the folder
            on ``sys.path`` that holds the widget modules, as ``fh-anywidget dist`` prints them
            (``"myapp/data/"``, ``"myapp/**/*.csv"``). A file named here by its own path ships
            even if it looks like a secret. A bundle holds only the widget's module, the app
            modules it imports, the files its widgets name and its ``_fhaw_assets`` otherwise.
        exclude: files to leave out of the bundles, in the same form.
        secret: signs the grants of server-mode placeholders; default: the app's session
            ``secret_key`` (so grants survive a restart), else a random one per process.
        server_grace_seconds: how long a server-mode page's widgets outlive its socket, so
            that a reconnect or a reload resumes them (default 30).
        server_max_frame_bytes: the largest WebSocket frame a page may send (default 8 MiB);
            keep it under the server's own limit (uvicorn ``--ws-max-size``, 16 MiB).
        server_allowed_origins: origins besides the app's own that may open its WebSocket.
        server_authorize: ``authorize(session) -> bool``, checked when a page connects (e.g.
            ``lambda s: "auth" in s``); page renders are guarded by the app's own beforeware.
        server_threads: how many threads run server-mode widgets' Python (default 8), so that a
            slow handler holds up only its own page; 0 runs it on the event loop instead. One
            session (visitor) uses at most a quarter of them at once (at least one).
        server_max_message_bytes: the most one message from a page may take, its binary frames
            included (default 16 MiB); a bigger one is refused as soon as it is over.
        server_max_widgets_per_page: the most server-mode widgets one page view may make (256).
        server_targets: server-mode widget targets that pages may create without this process
            having rendered them (several processes behind one balancer; a restart). Otherwise a
            page may create only targets this process rendered with ``mode="server"``.
        broker: a Redis (or Valkey) URL, ``"redis://host:6379/0"``, shared by every process of
            the app (``uvicorn --workers N``, several machines): ``scope="app"`` widgets are then
            one widget across them, and a page resumes on whichever process its socket reaches.
            Default: ``FHAW_BROKER`` from the environment; without one, server mode lives in this
            process alone. Needs ``pip install 'fh-anywidget[redis]'``.
        broker_namespace: the prefix of every Redis key and channel (default ``"fhaw"``): one per
            app sharing a Redis database.
        server_tracebacks: whether an error of a server-mode widget shows its traceback on the
            page, as a worker-mode one does. Default: only in development (``dev``, or the app's
            ``debug=True``); otherwise the page gets the exception's type and message, and the
            traceback (the server's paths and source lines) goes to the server's log only.
        dev: hot reload in development for worker-mode widgets: the pages follow the changes of
            the widget files that anywidget watches. Default: on when ``ANYWIDGET_HMR=1``, as in
            anywidget (server-mode widgets get anywidget's own hot reload either way).
        offline_csp: send the pages that carry widgets with a report-only Content-Security-Policy
            that allows only the site itself (``fh_anywidget.csp.POLICY``). It blocks nothing; its
            reports let a widget that fails to load a file from the internet name the URL in its
            error. Not added where the app sends a report-only policy of its own. Default on;
            ``False`` leaves every response's headers as the app made them.
        htmx: FastHTML's default headers load htmx 2 from a CDN, which an offline page cannot
            reach; with ``htmx=True`` (the default) that ``<script>`` loads the same htmx (pinned,
            2.0.7) from this host, under an immutable URL. An app made with ``default_hdrs=False``
            adds it with :meth:`htmx_script`. ``False`` leaves the app's headers alone.
    """

    def __init__(
        self,
        app: Any,
        *,
        packages: Sequence[str] = (),
        dist_dir: str | Path = "build/pyodide",
        prefix: str = "/_fhaw",
        modules: Iterable[ModuleType | str] = (),
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        secret: str | bytes | None = None,
        server_grace_seconds: float = 30.0,
        server_max_frame_bytes: int = 8 * 1024 * 1024,
        server_allowed_origins: Sequence[str] = (),
        server_authorize: Callable[[dict[str, Any]], bool] | None = None,
        server_threads: int = 8,
        server_max_message_bytes: int = 16 * 1024 * 1024,
        server_max_widgets_per_page: int = 256,
        server_targets: Iterable[type | Callable[..., Any] | str] = (),
        broker: str | None = None,
        broker_namespace: str = "fhaw",
        server_tracebacks: bool | None = None,
        dev: bool | None = None,
        offline_csp: bool = True,
        htmx: bool = True,
    ) -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise WidgetSpecError(f"[fh-anywidget] prefix {prefix!r} must start with '/' and not end with one, e.g. '/_fhaw'")
        self.app = app
        self.packages = list(packages)
        self.package_names = [requirement_name(p) for p in self.packages]
        self.prefix = prefix
        self.dist_dir = Path(dist_dir)
        self.web = AssetDir("web", web_dir())
        self._early_js = (self.web.root / EARLY_JS).read_text()
        self.dist: AssetDir | None = None
        self.manifest: dict[str, Any] | None = None
        self.dist_problem: str | None = None
        self.snapshot = SnapshotCheck(None, "the Python distribution is missing")
        self.extra_modules = [m if isinstance(m, ModuleType) else importlib.import_module(m) for m in modules]
        try:
            self.ship_rules = bundles.ShipRules.of(include, exclude)
        except bundles.BundleError as exc:
            raise WidgetSpecError(str(exc)) from None
        self._blobs: dict[str, Blob] = {}
        self.dev_reload = DevReload() if (hmr_enabled() if dev is None else dev) else None
        self.public_prefix = prefix  # where the browser finds `prefix`; a static export moves it under its base URL
        self.new_key: Callable[[], str] = lambda: uuid.uuid4().hex
        self.export: Any = None  # set by fh_anywidget.export while it renders pages
        self.static_site = False  # set by set_public_prefix: the files are copied to a static site
        self.load_dist()
        self.kernel_bundle = self._add_blob(bundles.Blob(bundles.make_zip(_kernel_files()), "zip"))
        self.server = WidgetServer(
            secret=secret or getattr(app, "secret_key", None) or secrets.token_bytes(32),
            grace_seconds=server_grace_seconds, max_frame_bytes=server_max_frame_bytes,
            allowed_origins=server_allowed_origins, authorize=server_authorize, threads=server_threads,
            max_message_bytes=server_max_message_bytes, max_widgets_per_page=server_max_widgets_per_page,
            targets=[self._resolve(t, where="server")[0] for t in server_targets],
            broker=_broker_url(broker), broker_namespace=broker_namespace,
            tracebacks=(self.dev_reload is not None or bool(getattr(app, "debug", False))) if server_tracebacks is None
            else server_tracebacks,
        )
        app.router.routes.insert(0, Route(prefix + "/{path:path}", self._serve, methods=["GET", "HEAD"]))
        app.router.routes.insert(0, self.server.route(prefix + "/ws"))
        if self.dev_reload is not None:
            app.router.routes.insert(0, Route(prefix + "/dev/events", self.dev_reload.events))
        if offline_csp:
            app.add_middleware(OfflinePolicyMiddleware)  # inside RenderContextMiddleware: it reads the render
        app.add_middleware(RenderContextMiddleware)
        self._runtime_tag = self.runtime_script()
        app.hdrs = [*(self._local_htmx(app.hdrs) if htmx else app.hdrs), self._runtime_tag]
        self.worker_keys: set[str] = set()
        """The keys given to worker-mode widgets (host.instance names them in its error)."""
        app.state.fh_anywidget = self

    # -- the Pyodide distribution -------------------------------------------------
    def load_dist(self) -> None:
        """Read ``fh-anywidget dist``'s output; remember (and log, unless `building`) what is wrong with it."""
        manifest_file = self.dist_dir / "fh-anywidget.json"
        fix = "run `fh-anywidget dist module:app` (module:app names this FastHTML app) to build it"
        if not manifest_file.is_file():
            self.dist_problem = f"The browser's Python distribution is missing ({manifest_file} not found): {fix}."
        else:
            self.manifest = json.loads(manifest_file.read_text())
            have = {normalize(n) for n in [*self.manifest.get("stack", []), *self.manifest.get("packages", [])]}
            missing = [n for n in self.package_names if n not in have]
            self.dist_problem = (
                f"The browser's Python distribution in {self.dist_dir} lacks {', '.join(missing)}: {fix}." if missing else None
            )
            self.dist = AssetDir("pyodide", self.dist_dir, digest=str(self.manifest.get("hash") or ""))
            self.snapshot = check_snapshot(self.dist_dir, self.manifest, kernel_hash())
            if self.snapshot.problem and not _building.get():
                log.warning("[fh-anywidget] the worker will boot without its memory snapshot (slower first loads): %s",
                            self.snapshot.problem)
        if self.dist_problem and not _building.get():
            log.warning("[fh-anywidget] %s", self.dist_problem)

    # -- URLs ---------------------------------------------------------------------
    def url(self, *parts: str) -> str:
        return "/".join([self.public_prefix, *parts])

    def set_public_prefix(self, public_prefix: str, **extra: Any) -> None:
        """Serve the same files from another URL path (a static export's base URL); re-make the runtime tag."""
        self.public_prefix = public_prefix
        self.static_site = True  # a static server sends files as they are: no Content-Encoding
        self._blobs.clear()
        self.kernel_bundle = self._add_blob(bundles.Blob(bundles.make_zip(_kernel_files()), "zip"))
        tag = self.runtime_script(**extra)
        self.app.hdrs = [tag if h is self._runtime_tag else h for h in self.app.hdrs]
        self._runtime_tag = tag

    def _add_blob(self, blob: Blob) -> str:
        self._blobs[blob.name] = blob
        return self.url("b", blob.name)

    def runtime_config(self) -> dict[str, Any]:
        """What the page runtime needs: where the worker and the distribution are."""
        dist = self.url(self.dist.slug) + "/" if self.dist else None
        packages = [*self.manifest.get("stack", []), *self.manifest.get("packages", [])] if self.manifest else []
        return {
            "workerURL": self.url(self.web.slug, WORKER_JS),
            "serverURL": self.url("ws"),
            "devEventsURL": self.url("dev", "events") if self.dev_reload is not None else None,
            "worker": {
                "indexURL": dist,
                "lockFileURL": dist + "pyodide-lock.json" if dist else None,
                "packages": packages,
                "kernelBundle": self.kernel_bundle,
                **self._snapshot_config(dist),
                **self._early_config(dist),
            },
        }

    def _early_config(self, dist: str | None) -> dict[str, Any]:
        """The boot config's `early`: what a snapshot boot needs first, which the worker's entry
        (web/worker/worker.js) asks for before its own modules are in. The boot takes these responses
        by URL (web/worker/download.js takeEarly), so they are the URLs it fetches and imports itself."""
        snapshot = self._snapshot_config(dist).get("snapshot")
        if dist is None or not snapshot:
            return {}
        fetch = [dist + WASM_FILE, snapshot["url"], snapshot["packURL"], self.kernel_bundle]
        return {"early": {"fetch": fetch, "imports": [dist + LOADER_FILE, dist + MODULE_FILE]}}

    def _snapshot_config(self, dist: str | None) -> dict[str, Any]:
        """The boot config's `snapshot` (URLs of the snapshot and its packs) or `snapshotProblem`.

        Served here, the files' plain URLs: the host sends their brotli or gzip twins with
        Content-Encoding, and the browser decodes them. On a static site (no Content-Encoding),
        the `.gz` files with their raw sizes: the worker gunzips them itself."""
        entry = self.snapshot.entry
        if dist is None or entry is None:
            return {"snapshot": None, "snapshotProblem": self.snapshot.problem}
        static = self.static_site
        url = dist + (entry["plain"] if entry.get("plain") and not static else entry["file"])
        files: dict[str, Any] = {}
        for key, url_key, size_key in (("pack", "packURL", "packSize"), ("data", "dataURL", "dataSize"),
                                       ("sources", "sourcesURL", "sourcesSize")):
            if static and f"{key}_gz" in entry:
                files.update({url_key: dist + entry[f"{key}_gz"], size_key: entry[f"{key}_size"]})
            elif entry.get(key):
                files[url_key] = dist + entry[key]
        if entry.get("sources"):
            files["sourceNames"] = entry.get("source_names", [])
        if entry.get("delta"):
            files["delta"] = entry["delta"]
        if entry.get("load_packages"):  # compiled code: installed after the restore
            files["loadPackages"] = entry["load_packages"]
        return {"snapshot": {"url": url, "size": entry["size"], **files, "sitePackages": entry["site_packages"]}}

    def runtime_script(self, **extra: Any) -> FT:
        config = {**self.runtime_config(), **extra}
        return Script(type="module", src=self.url(self.web.slug, RUNTIME_JS), data_config=json.dumps(config, sort_keys=True))

    def early_start_script(self) -> FT:
        """web/inline/early.js inline, with its config: starts the worker while the page is still parsed."""
        config = self.runtime_config()
        early = {"workerURL": config["workerURL"], "boot": config["worker"]}
        return Script(self._early_js, data_fh_anywidget_early=json.dumps(early, separators=(",", ":")))

    # -- a static copy (fh_anywidget.export) ---------------------------------------
    @contextlib.contextmanager
    def static_render(self, export: Any) -> Iterator[Callable[[], None]]:
        """Render pages for a static export: a server-mode widget renders as
        ``export.server_widget(target)`` says, and worker-mode keys are ``w1``, ``w2``, ... on each
        page (call the function this yields before each page), so that two builds are identical."""
        new_key = self.new_key

        def next_page() -> None:
            counter = itertools.count(1)
            self.new_key = lambda: f"w{next(counter)}"

        self.export = export
        try:
            yield next_page
        finally:
            self.export, self.new_key = None, new_key

    def static_files(self) -> Iterator[tuple[str, bytes | Path]]:
        """Every file this host serves, as a static copy of the site holds it: (path under the
        prefix, file or bytes). The dist's ``.gz`` twins are left out (a static server would not
        send them as ``Content-Encoding``), except the pack, which the worker gunzips itself."""
        yield from self.web.static_files()
        if self.dist is not None:
            entry = self.snapshot.entry or {}
            by_worker = [name for name in (entry.get("file"), *(entry.get(f"{k}_gz") for k in ("pack", "data", "sources"))) if name]
            files = self.dist.files
            twins = [n for n in files if n.endswith((".gz", ".br")) and n[:-3] in files and n not in by_worker]
            yield from self.dist.static_files(skip=[*twins, *(name[:-3] for name in by_worker if name[:-3] in files)])
        for blob in self._blobs.values():
            yield blob.path, blob.data

    # -- serving ------------------------------------------------------------------
    async def _serve(self, request: Request) -> Response:
        path: str = request.path_params["path"]
        slug, _, rest = path.partition("/")
        if slug == "b":
            blob = self._blobs.get(rest)
            return bytes_response(blob) if blob else not_found(f"bundle {rest!r}")
        for folder in (self.web, self.dist):
            if folder is not None and slug == folder.slug:
                file = folder.files.get(rest)
                return file_response(request, file) if file else not_found(f"{folder.name} file {rest!r}")
        return not_found(f"{path!r}")

    # -- widgets ------------------------------------------------------------------
    def widget(self, target: type | Callable[..., Any] | str, *, key: str | None = None, mode: str = "worker",
               scope: str = "page", name: str | None = None, field: str | None = None,
               fields: dict[str, str] | None = None, args: dict[str, Any] | None = None, **kwargs: Any) -> FT:
        """A placeholder that the page runtime turns into the widget ``target(**kwargs)``.

        ``target`` is an ``anywidget.AnyWidget`` subclass or a function returning a widget, given
        as the object or as ``"module:name"``. ``kwargs`` must be JSON values. Calls with the
        same ``key`` on one page share one model (two views that stay in sync).

        ``mode="worker"`` runs its Python in the visitor's browser; ``mode="server"`` in this
        process, over the page's WebSocket. A server-mode widget's ``scope`` is ``"page"`` (each
        page view has its own instance) or ``"app"`` (one instance that every visitor shares).

        ``name="range"`` makes the widget a form field: the placeholder holds an ``<input
        name="range">`` with the widget's ``value`` trait (``field="other"`` for another trait;
        ``fields={"lo": "low", "hi": "high"}`` for several), a string as it is and anything else as
        JSON, kept in step with every change. The placeholder fires ``fhaw:ready``, ``fhaw:change``,
        ``fhaw:message`` and ``fhaw:error`` events (docs/htmx.md).

        ``args`` are more arguments for the widget, for those whose names ``host.widget`` takes
        itself: ``host.widget(Tag, args={"name": "x"})`` calls ``Tag(name="x")``.
        """
        if mode not in MODES:
            raise WidgetSpecError(f"[fh-anywidget] mode {mode!r} is not supported; use one of: {', '.join(MODES)}")
        if scope not in SCOPES or (scope != "page" and mode != "server"):
            raise WidgetSpecError(f"[fh-anywidget] scope {scope!r} is not supported with mode {mode!r}; use scope='page', "
                                  "or scope='app' with mode='server'")
        if key is not None and not isinstance(key, str):
            raise WidgetSpecError(f"[fh-anywidget] key {key!r} must be a string")
        spec_name, module = self._resolve(target, where="server" if mode == "server" else "browser")
        if args is not None:
            if not isinstance(args, dict) or set(args) & set(kwargs):
                raise WidgetSpecError(f"[fh-anywidget] host.widget({spec_name}, args=...) takes a dict of widget arguments "
                                      f"that are not also given as keywords; got {args!r:.80}")
            kwargs = {**kwargs, **args}
        check_kwargs(spec_name, kwargs)
        field_map = form_fields.field_map(spec_name, name, field, fields)
        factory = target if not isinstance(target, str) else None
        if field_map:
            form_fields.check_traits(spec_name, factory, field_map)
        inputs = form_fields.inputs(factory, field_map, kwargs)
        if mode == "server":
            return self._server_widget(spec_name, key=key, scope=scope, kwargs=kwargs, inputs=inputs)
        if key is not None:
            self.worker_keys.add(key)
        spec = {
            "key": key if key is not None else self.new_key(),
            "mode": mode,
            "target": spec_name,
            "kwargs": kwargs,
            "bundles": self._bundles(spec_name, module),
        }
        if self.dist_problem:
            return Div(*inputs, Div(self.dist_problem, cls="fh-anywidget-error", role="alert"), cls="fh-anywidget",
                       data_fh_anywidget_target=spec_name)
        # the page's first worker placeholder starts the worker at once (others: a no-op, so only
        # when the request is unknown, e.g. an htmx partial rendered outside the middleware)
        render = current_render()
        starter = () if render is not None and render.worker_started else (self.early_start_script(),)
        if render is not None:
            render.worker_started = True
            render.widgets += 1
        return Div(*starter, *inputs, Div("Loading Python…", cls="fh-anywidget-status"), cls="fh-anywidget",
                   data_fh_anywidget=json.dumps(spec, separators=(",", ":")))

    def _server_widget(self, spec_name: str, *, key: str | None, scope: str, kwargs: dict[str, Any],
                       inputs: list[FT]) -> FT:
        if self.export is not None:
            return self.export.server_widget(spec_name)
        # no kwargs: the page gets the widget's arguments only inside the sealed grant, which it cannot read
        spec = {"mode": "server", "target": spec_name, **self.server.placeholder_spec(spec_name, kwargs, key=key, scope=scope)}
        if (render := current_render()) is not None:
            render.widgets += 1
        return Div(*inputs, Div("Connecting…", cls="fh-anywidget-status"), cls="fh-anywidget",
                   data_fh_anywidget=json.dumps(spec, separators=(",", ":")))

    # -- widgets in the app: responses, routes and server code -------------------------
    def update(self, key: str, **traits: Any) -> FT:
        """An element for a partial: once it is in the page (an htmx swap, or any render), the
        runtime sets ``traits`` on the widget of ``key`` as the widget's own ``model.set`` +
        ``save_changes`` would, so Python's observers run and every view updates. Values are JSON.
        A key or trait the page does not have is an error in the console and a ``fhaw:error`` event."""
        return updates.update_element(key, traits)

    def update_header(self, key: str | dict[str, dict[str, Any]], /, **traits: Any) -> HttpHeader:
        """:meth:`update` as a response header, for a response that swaps nothing (``hx-swap="none"``):
        ``host.update_header("chart", data=[1, 2])``, or several widgets at once with
        ``host.update_header({"chart": {"data": [1, 2]}, "range": {"value": [0, 5]}})``. Return it with
        the response (FastHTML sends an ``HttpHeader`` as a header); the runtime applies it after
        htmx's request. Headers are small (about 8 KB through most proxies): send data in a partial."""
        if isinstance(key, dict):
            if traits:
                raise WidgetSpecError("[fh-anywidget] host.update_header takes a key and traits, or one dict "
                                      "{key: {trait: value}}, not both")
            return updates.update_header(key)
        return updates.update_header({key: traits})

    def htmx_script(self) -> FT:
        """The ``<script>`` loading the pinned htmx from this host (for apps with ``default_hdrs=False``)."""
        return Script(src=self.url(self.web.slug, HTMX_JS))

    def _local_htmx(self, hdrs: Sequence[Any]) -> list[Any]:
        """The app's headers with FastHTML's htmx from a CDN loaded from this host instead."""
        from .vendor import HTMX  # noqa: PLC0415

        def local(item: Any) -> Any:
            src = item.attrs.get("src") if isinstance(item, FT) and item.tag == "script" else None
            return self.htmx_script() if isinstance(src, str) and HTMX.url.match(src) else item

        return [local(h) for h in hdrs]

    def page(self, request: Any) -> Page:
        """The server side of the page that made ``request`` (an htmx request from a page that shows
        server-mode widgets: the runtime names the page in the ``FHAW-Page`` header). Raises
        :class:`~fh_anywidget.server.access.WidgetLookupError`, saying why, when there is none."""
        return access.page_of(self.server, request)

    def instance(self, request: Any, key: str) -> Any:
        """The live server-mode widget of ``key``: ``host.instance(req, "range")`` for a
        ``scope="page"`` widget of the page that made ``req``; ``host.instance(None, "board")`` for a
        ``scope="app"`` widget (made now if no page has shown it yet). Read it, or change it: what
        changes reaches the page(s). A worker-mode key is an error that says to use ``name=`` or
        events instead: its Python runs in the browser."""
        if not isinstance(key, str):
            raise WidgetSpecError(f"[fh-anywidget] host.instance(..., key): the key must be a string, got {key!r}")
        if request is None:
            return access.app_instance(self.server, key, worker_keys=self.worker_keys)
        return access.instance_for(self.server, request, key, worker_keys=self.worker_keys)

    def push(self, to: Any, *fragments: Any) -> int:
        """Send HTML to pages over their sockets; htmx swaps its ``hx-swap-oob`` elements in (and,
        without htmx, the runtime swaps elements with ``hx-swap-oob="true"`` by id). ``to`` is a
        server-mode widget (its page; for ``scope="app"``, every page showing it), a page
        (:meth:`page`) or a request. Returns how many pages it was sent to (a page whose socket is
        away gets it when it is back). This is how server code, e.g. an observer, changes the page
        without a request."""
        if hasattr(to, "headers") and hasattr(to, "scope"):
            to = self.page(to)
        return access.push(to, *fragments)

    def _resolve(self, target: Any, where: str = "browser") -> tuple[str, ModuleType | None]:
        if isinstance(target, str):
            if not _NAME.match(target):
                raise WidgetSpecError(f"[fh-anywidget] target {target!r} must be a widget class, a function, or a 'module:name' string")
            module_name = target.partition(":")[0]
            module = self._module_named(module_name, target)
            if module is not None:
                _check_named(module, target)
            return target, module
        if not callable(target):
            raise WidgetSpecError(f"[fh-anywidget] target {target!r} is a {type(target).__name__}; pass a widget class, "
                                  "a function returning a widget, or 'module:name'")
        module_name, qualname = getattr(target, "__module__", None), getattr(target, "__qualname__", "")
        name = getattr(target, "__name__", repr(target))
        if module_name is None or module_name == "__main__" and where == "browser":
            raise WidgetSpecError(
                f"[fh-anywidget] {name} is defined in the script being run (__main__), which the browser cannot import "
                "without your server code; move it into a module of its own (e.g. widgets.py) and import it from there")
        if "<locals>" in qualname or "<lambda>" in qualname:
            raise WidgetSpecError(f"[fh-anywidget] {name} is defined inside a function; define it at module level so the "
                                  f"{where} can import it by name")
        return f"{module_name}:{qualname}", sys.modules.get(module_name)

    def _module_named(self, module_name: str, target: str) -> ModuleType | None:
        top = module_name.split(".")[0]
        if normalize(top) in self.package_names or top in sys.modules and bundles.is_installed(sys.modules[top]):
            return sys.modules.get(module_name) or _import_if_here(module_name)
        spec = importlib.util.find_spec(top)
        if spec is None:
            raise WidgetSpecError(f"[fh-anywidget] cannot find module {top!r} for target {target!r}: install it, or, if it is "
                                  "a PyPI package the browser needs, name it in AnyWidgetHost(app, packages=[...])")
        try:
            return importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module_name.startswith(exc.name):
                raise  # the module itself is there but imports something missing: its own error says what
            raise WidgetSpecError(f"[fh-anywidget] cannot import {module_name!r} for target {target!r}: there is no module "
                                  f"{exc.name!r}{_did_you_mean(exc.name, _sibling_modules(exc.name))}") from None

    def _bundles(self, target: str, module: ModuleType | None) -> list[str]:
        urls: list[str] = []
        for mod in [module, *self.extra_modules]:
            if mod is None:
                continue
            if self.dev_reload is not None and not bundles.is_installed(mod):
                self.dev_reload.watch_module(mod)
            if bundles.is_installed(mod):
                top = mod.__name__.split(".")[0]
                dist_name = _distribution_of(top)
                if dist_name not in self.package_names and mod is module and not self._in_stack(dist_name):
                    raise WidgetSpecError(
                        f"[fh-anywidget] {target} comes from the installed package {dist_name!r}, which the browser does "
                        f"not have: add it with AnyWidgetHost(app, packages=[{dist_name!r}]) and run `fh-anywidget dist`")
                continue
            try:
                urls.append(self._add_blob(bundles.bundle_for(mod, self.ship_rules)))
            except bundles.BundleError as exc:
                raise WidgetSpecError(str(exc)) from None
        return urls

    def widget_bundles(self) -> list[Blob]:
        """The widget bundles of the pages rendered so far (since the last ``set_public_prefix``)."""
        return [blob for blob in self._blobs.values() if self.url("b", blob.name) != self.kernel_bundle]

    def _in_stack(self, dist_name: str) -> bool:
        return bool(self.manifest) and dist_name in {normalize(n) for n in self.manifest.get("stack", [])}


def _broker_url(broker: str | None) -> str | None:
    """The broker URL: the argument, else ``FHAW_BROKER``; checked, and the client importable."""
    url = broker if broker is not None else (os.environ.get("FHAW_BROKER") or None)
    if url is None:
        return None
    from .server.broker import broker_url_problem  # noqa: PLC0415

    if (problem := broker_url_problem(url)) is not None:
        raise WidgetSpecError(f"[fh-anywidget] {problem}")
    if importlib.util.find_spec("redis") is None:
        raise WidgetSpecError(f"[fh-anywidget] broker {url.rsplit('@', 1)[-1]!r} needs the Redis client: "
                              "pip install 'fh-anywidget[redis]'")
    return url


def _distribution_of(top_module: str) -> str:
    from importlib.metadata import packages_distributions  # noqa: PLC0415

    names = packages_distributions().get(top_module) or [top_module]
    return normalize(names[0])


def _kernel_files() -> list[tuple[str, Path]]:
    """The part of this package that runs in the worker: the kernel and the protocol names."""
    return kernel_files()


def _import_if_here(module_name: str) -> ModuleType | None:
    """A browser package's module, imported here if this server has it installed too (to check a
    target's name at render); None if it has not, or cannot import it."""
    try:
        return importlib.import_module(module_name) if importlib.util.find_spec(module_name.split(".")[0]) else None
    except Exception:  # noqa: BLE001 - a package for the browser only: the browser checks the name
        return None


def _check_named(module: ModuleType, target: str) -> None:
    """The ``name`` of a ``module:name`` target is there in the module (a typo fails at render,
    naming the close matches, not later in the browser)."""
    obj: Any = module
    for part in target.partition(":")[2].split("."):
        if not hasattr(obj, part):
            names = [name for name in dir(obj) if not name.startswith("_")]
            where = module.__name__ if obj is module else f"{module.__name__}:{target.partition(':')[2]}"
            raise WidgetSpecError(f"[fh-anywidget] {where!r} has no {part!r} for target {target!r}"
                                  f"{_did_you_mean(part, names)}")
        obj = getattr(obj, part)


def _sibling_modules(name: str) -> list[str]:
    """The modules beside ``name`` (``pkg.mod``): those of its package, or the top-level ones."""
    package, _, _ = name.rpartition(".")
    try:
        paths = importlib.import_module(package).__path__ if package else None
    except ImportError:
        return []
    prefix = package + "." if package else ""
    return [prefix + found.name for found in pkgutil.iter_modules(paths)]


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.7)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
