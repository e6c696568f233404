"""AnyWidgetHost renders placeholders, ships widget modules and serves hashed assets."""

from __future__ import annotations

import gzip
import importlib
import io
import json
import re
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from fasthtml.common import fast_app, to_xml
from starlette.testclient import TestClient

import fh_anywidget
from fh_anywidget import AnyWidgetHost, WidgetSpecError

WIDGET_SRC = textwrap.dedent(
    """
    from pathlib import Path
    import anywidget, traitlets

    class Hello(anywidget.AnyWidget):
        _esm = Path(__file__).parent / "hello.js"
        _css = Path(__file__).parent / "hello.css"
        value = traitlets.Int(0).tag(sync=True)

    def make_hello(value=0):
        return Hello(value=value)
    """
)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A stand-in for `fh-anywidget dist` output: a manifest and two files."""
    d = tmp_path / "dist"
    d.mkdir()
    (d / "fh-anywidget.json").write_text(json.dumps({"stack": ["anywidget", "ipywidgets"], "packages": ["drawdata"]}))
    (d / "pyodide.asm.wasm").write_bytes(b"\0asm fake")
    (d / "pyodide.mjs").write_text("export const loadPyodide = 1;\n")
    (d / "pyodide.mjs.gz").write_bytes(gzip.compress(b"export const loadPyodide = 1;\n"))
    (d / "pyodide-lock.json").write_text("{}")
    return d


@pytest.fixture
def widget_modules(tmp_path: Path, monkeypatch):
    """A package `wpkg` (with a data file) and a single-file module `wsingle`, importable."""
    pkg = tmp_path / "src" / "wpkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "widgets.py").write_text(WIDGET_SRC)
    (pkg / "hello.js").write_text("export default { render({ el }) { el.textContent = 'hi'; } };\n")
    (pkg / "hello.css").write_text(".x { color: red }\n")
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "junk.pyc").write_bytes(b"junk")
    single = tmp_path / "src" / "wsingle.py"
    single.write_text(WIDGET_SRC)
    (tmp_path / "src" / "hello.js").write_text("export default {};\n")
    (tmp_path / "src" / "hello.css").write_text("")
    (tmp_path / "src" / "unrelated.txt").write_text("not shipped")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    for name in ("wpkg", "wpkg.widgets", "wsingle"):
        sys.modules.pop(name, None)
    importlib.invalidate_caches()
    yield importlib.import_module("wpkg.widgets"), importlib.import_module("wsingle")
    for name in ("wpkg", "wpkg.widgets", "wsingle"):
        sys.modules.pop(name, None)


@pytest.fixture
def host(dist: Path):
    app, _ = fast_app()
    return AnyWidgetHost(app, dist_dir=dist, packages=["drawdata"])


def spec_of(ft) -> dict:
    html = to_xml(ft)
    start = html.index("data-fh-anywidget='") + len("data-fh-anywidget='")
    return json.loads(html[start: html.index("'", start)].replace("&quot;", '"'))


def zip_names(host: AnyWidgetHost, url: str) -> list[str]:
    blob = host._blobs[url.rsplit("/", 1)[1]]
    return sorted(zipfile.ZipFile(io.BytesIO(blob.data)).namelist())


def test_a_widget_renders_as_a_placeholder_with_its_spec(host, widget_modules):
    mod, _ = widget_modules
    spec = spec_of(host.widget(mod.Hello, value=3, key="c1"))
    assert spec["key"] == "c1" and spec["mode"] == "worker"
    assert spec["target"] == "wpkg.widgets:Hello" and spec["kwargs"] == {"value": 3}
    assert len(spec["bundles"]) == 1 and spec["bundles"][0].startswith("/_fhaw/b/")


def test_calls_without_a_key_get_distinct_keys_and_calls_with_one_share_it(host, widget_modules):
    mod, _ = widget_modules
    a, b = spec_of(host.widget(mod.Hello)), spec_of(host.widget(mod.Hello))
    assert a["key"] != b["key"]
    assert spec_of(host.widget(mod.Hello, key="k"))["key"] == spec_of(host.widget(mod.Hello, key="k"))["key"] == "k"


def test_a_package_module_ships_with_its_package_and_the_files_its_widgets_name_without_caches(host, widget_modules):
    mod, _ = widget_modules
    spec = spec_of(host.widget(mod.Hello))
    assert zip_names(host, spec["bundles"][0]) == ["wpkg/__init__.py", "wpkg/hello.css", "wpkg/hello.js", "wpkg/widgets.py"]


def test_a_single_module_ships_with_the_files_its_widgets_name(host, widget_modules):
    _, single = widget_modules
    spec = spec_of(host.widget(single.make_hello, value=1))
    assert spec["target"] == "wsingle:make_hello"
    assert zip_names(host, spec["bundles"][0]) == ["hello.css", "hello.js", "wsingle.py"]


def test_a_target_string_is_resolved_without_changing_it(host, widget_modules):
    spec = spec_of(host.widget("wpkg.widgets:Hello"))
    assert spec["target"] == "wpkg.widgets:Hello" and spec["bundles"]


def test_a_listed_pypi_package_needs_no_bundle(host):
    spec = spec_of(host.widget("drawdata:ScatterWidget"))
    assert spec["bundles"] == []


def test_bundles_are_deterministic_and_change_when_a_file_changes(host, widget_modules, tmp_path):
    mod, _ = widget_modules
    first = spec_of(host.widget(mod.Hello))["bundles"][0]
    assert spec_of(host.widget(mod.Hello))["bundles"][0] == first
    js = tmp_path / "src" / "wpkg" / "hello.js"
    js.write_text(js.read_text() + "// changed\n")
    assert spec_of(host.widget(mod.Hello))["bundles"][0] != first


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"value": {1, 2}}, "value=...): the value is a set"),
        ({"value": float("nan")}, "value=...): the value is nan"),
        ({"opts": {"a": [1, object()]}}, "opts=...): the value['a'][1] is a object"),
        ({"opts": {1: "x"}}, "has the key 1"),
    ],
)
def test_arguments_that_are_not_json_are_refused_naming_the_argument(host, widget_modules, kwargs, message):
    mod, _ = widget_modules
    with pytest.raises(WidgetSpecError, match="JSON") as info:
        host.widget(mod.Hello, **kwargs)
    assert message in str(info.value)


def test_a_widget_defined_in_main_is_refused_with_the_fix(host):
    main_cls = type("Local", (), {"__module__": "__main__"})
    with pytest.raises(WidgetSpecError, match=r"move it into a module of its own"):
        host.widget(main_cls)


def test_an_unknown_mode_or_target_is_refused(host, widget_modules):
    mod, _ = widget_modules
    with pytest.raises(WidgetSpecError, match="mode 'cloud' is not supported"):
        host.widget(mod.Hello, mode="cloud")
    with pytest.raises(WidgetSpecError, match="'module:name'"):
        host.widget("not a target")
    with pytest.raises(WidgetSpecError, match="cannot find module 'no_such_mod_abc'"):
        host.widget("no_such_mod_abc:W")


def test_a_misspelled_module_or_name_in_a_string_target_is_refused_at_render_with_close_matches(host, widget_modules):
    mod, _ = widget_modules
    module = mod.__name__
    with pytest.raises(WidgetSpecError, match=rf"'{module}' has no 'Helo' .*did you mean 'Hello'\?"):
        host.widget(f"{module}:Helo")
    with pytest.raises(WidgetSpecError, match=rf"'{module}' has no 'Helo' "):
        host.widget(f"{module}:Helo", mode="server")
    with pytest.raises(WidgetSpecError, match=rf"there is no module '{module}x'; did you mean '{module}'\?"):
        host.widget(f"{module}x:Hello")


def test_an_installed_package_not_named_in_packages_is_refused(dist):
    app, _ = fast_app()
    host = AnyWidgetHost(app, dist_dir=dist)
    with pytest.raises(WidgetSpecError, match=r"packages=\['pytest'\]"):
        host.widget("pytest:main")


def test_pages_carry_the_runtime_script_with_its_config(host, widget_modules):
    mod, _ = widget_modules
    app, rt = host.app, host.app.route

    @rt("/")
    def index():
        return host.widget(mod.Hello)

    html = TestClient(app).get("/").text
    assert 'type="module"' in html and f"/_fhaw/{host.web.slug}/page/runtime.js" in html
    config = host.runtime_config()
    assert config["worker"]["indexURL"] == f"/_fhaw/{host.dist.slug}/"
    assert config["worker"]["packages"] == ["anywidget", "ipywidgets", "drawdata"]


def test_assets_have_hashed_urls_forever_caching_and_the_right_types(host):
    client = TestClient(host.app)
    wasm = client.get(f"/_fhaw/{host.dist.slug}/pyodide.asm.wasm")
    assert wasm.status_code == 200 and wasm.headers["content-type"] == "application/wasm"
    assert wasm.headers["cache-control"] == "public, max-age=31536000, immutable"
    js = client.get(f"/_fhaw/{host.web.slug}/worker/worker.js")
    assert js.headers["content-type"].startswith("text/javascript")
    mjs = client.get(f"/_fhaw/{host.dist.slug}/pyodide.mjs", headers={"accept-encoding": "identity"})
    assert mjs.headers["content-type"].startswith("text/javascript") and "content-encoding" not in mjs.headers
    gz = client.get(f"/_fhaw/{host.dist.slug}/pyodide.mjs", headers={"accept-encoding": "gzip"})
    assert gz.headers.get("content-encoding") == "gzip" and gz.text == mjs.text


def test_web_modules_are_sent_compressed_to_browsers_that_accept_it(host):
    import brotli

    client = TestClient(host.app)
    url = f"/_fhaw/{host.web.slug}/page/manager.js"
    source = (host.web.root / "page/manager.js").read_bytes()
    raw = client.get(url, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.content == source
    assert raw.headers["vary"] == "Accept-Encoding"
    # what Chromium sends: brotli; httpx would decode it, so read the bytes as they came
    with client.stream("GET", url, headers={"accept-encoding": "gzip, deflate, br, zstd"}) as br:
        sent = b"".join(br.iter_raw())
    assert br.headers["content-encoding"] == "br" and brotli.decompress(sent) == source
    assert len(sent) < len(source) / 2
    assert br.headers["cache-control"] == "public, max-age=31536000, immutable"
    gz = client.get(url, headers={"accept-encoding": "gzip"})
    assert gz.headers["content-encoding"] == "gzip" and gz.content == source
    tiny = client.get(f"/_fhaw/{host.web.slug}/worker/timings.js", headers={"accept-encoding": "br"})
    assert tiny.status_code == 200 and tiny.content == (host.web.root / "worker/timings.js").read_bytes()


def test_a_stale_or_unknown_asset_url_is_a_404_that_says_to_reload(host):
    client = TestClient(host.app)
    stale = client.get("/_fhaw/web-0000000000000000/page/runtime.js")
    assert stale.status_code == 404 and "reload the page" in stale.text
    assert client.get(f"/_fhaw/{host.web.slug}/nope.js").status_code == 404
    assert client.get("/_fhaw/b/nope.zip").status_code == 404


def test_the_kernel_bundle_holds_only_what_runs_in_the_worker(host):
    names = zip_names(host, host.kernel_bundle)
    kernel_dir = Path(fh_anywidget.__file__).parent / "kernel"
    assert names == ["fh_anywidget/__init__.py", *sorted(f"fh_anywidget/kernel/{p.name}" for p in kernel_dir.glob("*.py"))]
    assert "fh_anywidget/kernel/bridge.py" in names and "fh_anywidget/kernel/protocol.py" in names
    for path in kernel_dir.glob("*.py"):  # the folder is the list: nothing in it may need the server's side
        assert not re.search(r"^\s*(from|import) (fasthtml|starlette|\.\.)", path.read_text(), re.M), path


def test_a_missing_dist_shows_the_fix_in_the_page_instead_of_a_broken_widget(tmp_path, widget_modules):
    app, _ = fast_app()
    host = AnyWidgetHost(app, dist_dir=tmp_path / "nowhere")
    html = to_xml(host.widget(widget_modules[0].Hello))
    assert "fh-anywidget-error" in html and "fh-anywidget dist" in html and "data-fh-anywidget=" not in html


def test_a_dist_without_a_needed_package_names_it(dist, widget_modules):
    app, _ = fast_app()
    host = AnyWidgetHost(app, dist_dir=dist, packages=["drawdata", "wigglystuff"])
    assert "lacks wigglystuff" in to_xml(host.widget(widget_modules[0].Hello))


def test_the_dist_url_uses_the_hash_its_manifest_records_instead_of_hashing_again(dist):
    manifest = json.loads((dist / "fh-anywidget.json").read_text())
    (dist / "fh-anywidget.json").write_text(json.dumps({**manifest, "hash": "f" * 64}))
    app, _ = fast_app()
    host = AnyWidgetHost(app, dist_dir=dist, packages=["drawdata"])
    assert host.dist.slug == "pyodide-" + "f" * 16
    assert TestClient(app).get(f"/_fhaw/pyodide-{'f' * 16}/pyodide.asm.wasm").status_code == 200


def test_the_first_worker_placeholder_of_a_page_starts_the_worker_early(dist, widget_modules):
    mod, _ = widget_modules
    app, rt = fast_app()
    host = AnyWidgetHost(app, dist_dir=dist, packages=["drawdata"])

    @rt("/two")
    def two():
        return host.widget(mod.Hello), host.widget(mod.Hello)

    @rt("/none")
    def none():
        return "no widgets here"

    client = TestClient(app)
    page = client.get("/two").text
    assert page.count("data-fh-anywidget-early=") == 1, "one starter per page, in the first placeholder"
    start = page.index("data-fh-anywidget-early='") + len("data-fh-anywidget-early='")
    early = json.loads(page[start: page.index("'", start)].replace("&quot;", '"').replace("&amp;", "&"))
    config = host.runtime_config()
    assert early == {"workerURL": config["workerURL"], "boot": config["worker"]}
    assert "fhAnywidgetEarly" in page  # the starter's code itself (web/inline/early.js), inline
    assert page.index("data-fh-anywidget-early=") > page.index("data-fh-anywidget=")  # inside the placeholder
    assert "data-fh-anywidget-early" not in client.get("/none").text
    # a second page view gets its own starter
    assert client.get("/two").text.count("data-fh-anywidget-early=") == 1
