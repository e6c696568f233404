"""`fh-anywidget build`: a FastHTML app with worker-mode widgets as a folder of static files.

The app's GET pages are rendered (in process, with Starlette's test client) to ``index.html``
files; beside them go the page runtime, the Pyodide distribution, the widget bundles, a local
htmx and Pico CSS in place of FastHTML's CDN copies (vendor.py), ``.nojekyll`` and a service worker that precaches the
site so a second visit works offline. Every URL starts with the base URL the site is built for.
Building twice gives identical files: nothing random, no build time, sorted names.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fasthtml.common import Div

from .dist.errors import DistError
from .dist.pyodide_packages import is_compiled
from .snapshot import REBUILD
from .vendor import find_vendored, vendored_file
from .assets import SERVICE_WORKER_JS

SW_FILE = "fhaw-sw.js"
# FastHTML's other default helpers live only on GitHub (no registry copy to pin): the export drops them.
_DROPPED = re.compile(r"^https://cdn\.jsdelivr\.net/gh/(answerdotai/fasthtml-js|answerdotai/surreal|gnat/css-scope-inline)@")
_LOADING_TAG = re.compile(r"<script\b[^>]*>\s*</script>|<(?:link|img|iframe|source|audio|video|embed)\b[^>]*>", re.I)
_ATTR_URL = re.compile(r"""\b(src|href)\s*=\s*(["'])([^"']*)\2""", re.I)
_CANONICAL = re.compile(r"""\brel\s*=\s*(["']?)canonical\1""", re.I)
_REQUEST_HOST = "testserver"  # the build asks for its pages there (Starlette's test client): FastHTML's canonical links name it
_REQUEST_ORIGIN = re.compile(rf"^https?://{re.escape(_REQUEST_HOST)}(?=/|$)")
_SITE_URL = re.compile(r"^(https?://[^/?#\s\"']+)(/.*)?$")
_LOCAL_ATTR = re.compile(r"""(\s(?:href|src|action|hx-get|hx-post|hx-put|hx-patch|hx-delete|data-hx-get|data-hx-post)=)(["'])/(?!/)""")

FILE_MESSAGE_SCRIPT = """<script>
if (location.protocol === "file:") addEventListener("DOMContentLoaded", function () {
  var text = "This page was exported by fh-anywidget and must be served over HTTP (browsers do not run its "
    + "modules and Python from file://). In a terminal: python3 -m http.server 8000 --directory %(root)s "
    + "then open http://localhost:8000%(base)s";
  var box = document.createElement("div");
  box.className = "fh-anywidget-file-message"; box.setAttribute("role", "alert"); box.textContent = text;
  box.style.cssText = "padding:1em;margin:1em 0;border:2px solid #b00;background:#fee;color:#600;font:1rem system-ui";
  document.body.insertBefore(box, document.body.firstChild);
  document.querySelectorAll(".fh-anywidget").forEach(function (el) {
    var note = document.createElement("div"); note.className = "fh-anywidget-error"; note.setAttribute("role", "alert");
    note.textContent = "This widget needs the page served over HTTP: " + text; el.replaceChildren(note);
  });
});
</script>"""


class ExportError(DistError):
    """The app cannot be exported as it is; the message says what to change."""


@dataclass
class Export:
    """One build: the pages rendered so far and what they need."""

    base_url: str
    server_widgets: str = "fail"  # or "message"
    site_url: str | None = None  # the absolute URL of base_url, when --base-url gave one
    page: str = ""
    notes: list[str] = field(default_factory=list)

    def server_widget(self, target: str) -> Any:
        """What a server-mode widget renders as in a static site: an error, or (opted in) a message."""
        if self.server_widgets != "message":
            raise ExportError(
                f"page {self.page!r} has the server-mode widget {target}, which needs a running server; a static "
                "site has none. Use mode='worker' for it, leave the page out, or pass --server-widgets=message "
                "to show a message in its place")
        return Div(Div(f"{target} runs on the app's server, which this static copy of the site does not have.",
                       cls="fh-anywidget-error", role="alert"), cls="fh-anywidget fh-anywidget-static",
                   data_fh_anywidget_target=target)


def parse_base_url(base_url: str) -> tuple[str, str | None]:
    """`--base-url` as (the URL path, the site's absolute URL or None): '/my-repo/' gives
    ('/my-repo/', None), 'https://you.github.io/my-repo/' gives ('/my-repo/', that URL)."""
    site = _SITE_URL.match(base_url)
    path = (site[2] or "/") if site else base_url
    if not path.startswith("/") or "//" in path or any(c in path for c in "?#\"' "):
        raise ExportError(f"--base-url {base_url!r} must be a URL path such as '/' or '/my-repo/', or the site's "
                          "full URL such as 'https://you.github.io/my-repo/'")
    path = path if path.endswith("/") else path + "/"
    return path, site[1] + path if site else None


def page_routes(app: Any, host_prefix: str, extra: Sequence[str] = ()) -> list[str]:
    """The app's GET routes without path parameters (the host's own left out), plus `extra`."""
    found: set[str] = set()
    for route in getattr(app, "routes", []):
        path, methods = getattr(route, "path", None), getattr(route, "methods", None) or set()
        if not path or "GET" not in methods or "{" in path or path.startswith(host_prefix):
            continue
        found.add(path)
    for path in extra:
        if not path.startswith("/"):
            raise ExportError(f"--route {path!r} must be a path such as '/about'")
        found.add(path)
    return sorted(found)


def page_file(path: str) -> str:
    """Where a route's HTML goes: '/' -> index.html, '/a' -> a/index.html, '/a.json' -> a.json."""
    clean = path.strip("/")
    if not clean:
        return "index.html"
    return clean if "." in clean.rsplit("/", 1)[-1] else clean + "/index.html"


def file_url(name: str) -> str:
    """The URL of a site's file, relative to the base URL: 'a/index.html' -> 'a/', 'index.html' -> ''."""
    return name[: -len("index.html")] if name == "index.html" or name.endswith("/index.html") else name


def build_site(app: Any, out: Path, *, base_url: str = "/", routes: Sequence[str] = (), server_widgets: str = "fail",
               cache: Path | None = None, report: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    """Write the static site of `app` into `out`; return a summary (pages, files, bytes, version)."""
    from starlette.testclient import TestClient  # noqa: PLC0415

    host = getattr(getattr(app, "state", None), "fh_anywidget", None)
    if host is None:
        raise ExportError("the app has no AnyWidgetHost: create one with AnyWidgetHost(app, ...) before exporting")
    if host.dist is None or host.dist_problem:
        raise ExportError(host.dist_problem or "the browser's Python distribution is missing; run `fh-anywidget dist module:app`")
    if server_widgets not in ("fail", "message"):
        raise ExportError(f"--server-widgets {server_widgets!r} must be 'fail' or 'message'")
    base, site_url = parse_base_url(base_url)
    prefix = base + host.prefix.lstrip("/")
    export = Export(base, server_widgets, site_url=site_url)
    if host.snapshot.problem:
        problem = host.snapshot.problem.replace(REBUILD, "run `fh-anywidget dist module:app` again, then this build")
        export.notes.append(f"note: the site's worker will boot without its memory snapshot (slower first loads): {problem}")
    host.set_public_prefix(prefix, serviceWorker={"url": base + SW_FILE, "scope": base})
    files: dict[str, bytes | Path] = {".nojekyll": b""}
    with host.static_render(export) as next_page:
        client = TestClient(app, base_url=f"http://{_REQUEST_HOST}", raise_server_exceptions=True)
        for path in page_routes(app, host.prefix, routes):
            export.page = path
            next_page()
            response = client.get(path, follow_redirects=False)
            if response.status_code != 200:
                raise ExportError(f"GET {path} answered {response.status_code}; leave it out or fix it (exported pages must answer 200)")
            html = response.text
            if "text/html" in response.headers.get("content-type", ""):
                html = localize(html, base, prefix, export, files, cache)
            files[page_file(path)] = html.encode()
            report(f"page {path} -> {page_file(path)}")
    rel_prefix = prefix.removeprefix(base)
    for name, value in host.static_files():
        files[f"{rel_prefix}/{name}"] = value
    sw = service_worker(base, host.url(host.web.slug, SERVICE_WORKER_JS).removeprefix(base), files)
    files[SW_FILE] = sw.encode()
    _write(out, files)
    for note in dict.fromkeys(export.notes):
        report(note)
    return {"pages": sorted(n for n in files if n.endswith(".html")), "files": len(files),
            "bytes": sum(len(v) if isinstance(v, bytes) else v.stat().st_size for v in files.values())}


def localize(html: str, base: str, prefix: str, export: Export, files: dict[str, bytes | Path], cache: Path | None) -> str:
    """The page with local htmx and Pico, FastHTML's GitHub-only helpers dropped, app links under `base`,
    and the file:// message; fails naming any other resource loaded from outside the site."""

    def fix_tag(match: re.Match[str]) -> str:
        tag = match.group(0)
        url_match = _ATTR_URL.search(tag)
        url = url_match.group(3) if url_match else ""
        if not re.match(r"^(https?:)?//", url):
            return tag
        if _CANONICAL.search(tag) and _REQUEST_ORIGIN.match(url):
            return canonical_link(tag, url, export)
        found = find_vendored(url)
        if found:
            vendored, file = found
            name = f"vendor/{vendored.site_name(file)}"
            files[f"{prefix.removeprefix(base)}/{name}"] = vendored_file(vendored, file, cache)
            if f"@{vendored.pin.version}/" not in url:
                export.notes.append(f"note: the page asks for {url}; the export ships {vendored.pin.package} {vendored.pin.version}")
            return tag.replace(url, f"{prefix}/{name}")
        if _DROPPED.match(url):
            export.notes.append(f"note: left out {url} (FastHTML's default helper, published only on GitHub); "
                                "use fast_app(default_hdrs=False) and add what you need from local files")
            return ""
        raise ExportError(f"page {export.page!r} loads {url} from outside the site, which an offline static site cannot "
                          "do; save a copy in the app's static files and point the page at it")

    html = _LOADING_TAG.sub(fix_tag, html)
    if base != "/":
        html = _LOCAL_ATTR.sub(lambda m: m.group(0) if html.startswith(base, m.end() - 1) else f"{m.group(1)}{m.group(2)}{base}", html)
    script = FILE_MESSAGE_SCRIPT % {"root": "SITE_FOLDER" if base == "/" else "PARENT_FOLDER", "base": base}
    if base == "/":
        script = script.replace("SITE_FOLDER", "<this folder>")
    else:
        script = script.replace("PARENT_FOLDER", f"<the folder holding {base.strip('/').split('/')[-1]}/>")
    return html.replace("<head>", "<head>" + script, 1) if "<head>" in html else script + html


def canonical_link(tag: str, url: str, export: Export) -> str:
    """FastHTML's `<link rel="canonical">` (the URL the page was requested at: the build's test
    client) pointed at the page on the published site, or left out when the build has no site URL."""
    if export.site_url is None:
        export.notes.append(
            'note: left out the pages\' <link rel="canonical"> (FastHTML writes the URL the page was requested '
            "at, and a build knows only the path of the published site); to have it, pass the site's full URL "
            "as --base-url, e.g. https://you.github.io/my-repo/ (or make the app with fast_app(canonical=False) to have none)")
        return ""
    return tag.replace(url, export.site_url + file_url(page_file(export.page)))


def _digest(value: bytes | Path) -> str:
    data = value if isinstance(value, bytes) else value.read_bytes()
    return hashlib.sha256(data).hexdigest()


def service_worker(base: str, module: str, files: dict[str, bytes | Path]) -> str:
    """The site's service worker: the precache list and its content-hash version, run by web/service-worker/sw.js."""
    version = hashlib.sha256("".join(f"{n}\0{_digest(v)}\n" for n, v in sorted(files.items())).encode()).hexdigest()[:16]
    urls = []
    for name in sorted(files):
        if name == ".nojekyll" or name.endswith(".whl") and not is_compiled(name):
            continue  # pure wheels only serve the slow boot (without the snapshot): cached when fetched
            # (compiled ones the snapshot boot installs too: precached, for an offline second visit)
        urls.append(base + file_url(name))
    config = json.dumps({"version": version, "files": urls}, sort_keys=True, indent=1)
    return (f"// The service worker of a site exported by `fh-anywidget build` (generated: do not edit).\n"
            f'import {{ serve }} from "./{module}";\n\nserve(self, {config});\n')


def _write(out: Path, files: dict[str, bytes | Path]) -> None:
    if out.exists():
        if not (out / SW_FILE).is_file() and any(out.iterdir()):
            raise ExportError(f"{out} exists and is not an fh-anywidget site; pick an empty or new folder for --out")
        shutil.rmtree(out)
    for name in sorted(files):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        value = files[name]
        if isinstance(value, bytes):
            target.write_bytes(value)
        else:
            shutil.copyfile(value, target)
