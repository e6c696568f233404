"""Widgets inside the FastHTML app (py/fh_anywidget/fields.py, updates.py, server/access.py): form
fields, responses that drive widgets, routes that reach server-mode widgets, server code that pushes
HTML, and the pinned htmx the host serves. The browser's side is in tests/browser/test_htmx.py."""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from html import unescape
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fasthtml.common import Div, fast_app
from starlette.testclient import TestClient

from examples.widgets import Counter, counter_from
from fh_anywidget import AnyWidgetHost, WidgetLookupError, WidgetSpecError
from fh_anywidget.kernel import protocol as P
from test_server import ORIGIN, Raw, connect, specs

ROOT = Path(__file__).resolve().parents[1]


def make_app(tmp_path: Path, **options: Any):
    app, rt = fast_app(default_hdrs=False, pico=False, secret_key="test-secret", key_fname=str(tmp_path / ".sesskey"))
    host = AnyWidgetHost(app, dist_dir=tmp_path / "no-dist", **options)

    @rt("/")
    def index():
        return Div(host.widget(Counter, mode="server", key="range", name="count", value=3),
                   host.widget(Counter, mode="server", scope="app", key="board", value=0),
                   host.widget(Counter, key="in-browser", name="clicks"))

    @rt("/read")
    def read(req):
        return str(host.instance(req, "range").value)

    @rt("/bump")
    def bump(req):
        widget = host.instance(req, "range")
        widget.value += 1
        return str(widget.value)

    @rt("/worker-key")
    def worker_key(req):
        return host.instance(req, "in-browser")

    return app, host


def bare_host() -> AnyWidgetHost:
    """A host with no routes of its own (for what renders without a request)."""
    app, _ = fast_app(default_hdrs=False, pico=False, secret_key="x")
    return AnyWidgetHost(app, dist_dir="/nonexistent")


def inputs(html: str) -> list[dict[str, str]]:
    tags = re.findall(r"<input (?:[^>\"']|\"[^\"]*\"|'[^']*')*>", html)
    return [{k: unescape(a if a else b) for k, a, b in re.findall(r"([\w-]+)=(?:\"([^\"]*)\"|'([^']*)')", tag)} for tag in tags]


# -- form fields ---------------------------------------------------------------------

def test_name_puts_a_hidden_input_holding_the_value_trait_in_the_placeholder(tmp_path) -> None:
    app, host = make_app(tmp_path)
    html = TestClient(app).get("/").text
    fields = inputs(html)
    assert {"type": "hidden", "name": "count", "value": "3", "data-fh-anywidget-field": "value"} in fields
    assert {"type": "hidden", "name": "clicks", "value": "0", "data-fh-anywidget-field": "value"} in fields  # the class default


def test_field_and_fields_choose_the_traits_and_values_are_strings_or_json() -> None:
    host = bare_host()
    from fastcore.xml import to_xml

    html = to_xml(host.widget(Counter, mode="server", name="c", field="label", fields={"v": "value"}, label="Hi", value=7))
    got = {f["name"]: (f["value"], f["data-fh-anywidget-field"]) for f in inputs(html)}
    assert got == {"c": ("Hi", "label"), "v": ("7", "value")}  # a string as it is, an int as JSON
    html = to_xml(host.widget(Counter, mode="server", name="c", field="label", label=["a", 1]))
    assert inputs(html)[0]["value"] == '["a",1]'


@pytest.mark.parametrize(("options", "message"), [
    ({"name": "x", "field": "nope"}, r"the form field 'x' would hold the trait 'nope', which examples.widgets.counter:Counter "
                                     r"does not have .*its traits: label, parity, seen_by_python, value"),
    ({"field": "value"}, r"field='value'\) needs name=\.\.\. too"),
    ({"name": ""}, r"name=''\): it must be a non-empty string"),
    ({"fields": ["value"]}, r"fields=\.\.\.\) takes a dict"),
    ({"name": "v", "fields": {"v": "label"}}, r"the form field 'v' is named twice"),
])
def test_a_bad_form_field_is_an_error_at_render_naming_it(options, message) -> None:
    host = bare_host()
    for mode in ("worker", "server"):
        with pytest.raises(WidgetSpecError, match=message):
            host.widget(Counter, mode=mode, **options)


def test_a_field_holding_bytes_is_an_error_at_render_where_the_class_is_known() -> None:
    from examples.widgets import Echo

    host = bare_host()
    with pytest.raises(WidgetSpecError, match=r"the form field 'p' would hold the trait 'payload', which holds bytes"):
        host.widget(Echo, mode="server", name="p", field="payload")


def test_a_factory_field_is_checked_in_the_browser_not_at_render() -> None:
    host = bare_host()
    from fastcore.xml import to_xml

    html = to_xml(host.widget(counter_from, mode="server", name="n", field="whatever", start=1))
    assert inputs(html)[0] == {"type": "hidden", "name": "n", "value": "", "data-fh-anywidget-field": "whatever"}


# -- host.update --------------------------------------------------------------------

def test_update_is_an_element_and_update_header_a_header_with_the_same_json() -> None:
    host = bare_host()
    from fastcore.xml import to_xml

    html = to_xml(host.update("chart", data=[1, 2], title="Sales <EU>"))
    attr = re.search(rf"<template {P.UPDATE_ATTR}='([^']*)'></template>", html)
    assert attr and json.loads(unescape(attr.group(1))) == {"key": "chart", "state": {"data": [1, 2], "title": "Sales <EU>"}}
    header = host.update_header("chart", title="Ünïcode")
    assert header.k == P.UPDATE_HEADER and header.v.isascii()
    assert json.loads(header.v) == [{"key": "chart", "state": {"title": "Ünïcode"}}]
    both = host.update_header({"chart": {"data": []}, "range": {"value": [0, 5]}})
    assert [u["key"] for u in json.loads(both.v)] == ["chart", "range"]


@pytest.mark.parametrize(("call", "message"), [
    (lambda h: h.update("chart", data={1, 2}), r"host.update\('chart', data=\.\.\.\): the value is a set .* which is not JSON"),
    (lambda h: h.update("chart", data=float("nan")), r"the value is nan, which JSON cannot hold"),
    (lambda h: h.update("chart"), r"names no trait"),
    (lambda h: h.update("", value=1), r"the key must be the widget's key"),
    (lambda h: h.update_header({"chart": [1]}), r"the traits must be a dict"),
    (lambda h: h.update_header({"a": {"v": 1}}, v=2), r"not both"),
    (lambda h: h.update("chart", _esm="export default {}"), r"_esm=\.\.\.\): an update sets only a widget's own traits"),
    (lambda h: h.update_header({"chart": {"layout": {}}}), r"layout=\.\.\.\): an update sets only a widget's own traits"),
])
def test_a_bad_update_is_an_error_naming_the_value(call, message) -> None:
    host = bare_host()
    with pytest.raises(WidgetSpecError, match=message):
        call(host)


# -- host.instance and host.push -----------------------------------------------------

def test_a_route_reads_and_changes_the_live_widget_of_the_page_that_asks(tmp_path) -> None:
    app, host = make_app(tmp_path)
    with TestClient(app) as client:
        spec = specs(client.get("/").text)[0]
        with connect(client) as ws:
            page = Raw(ws)
            model_id, _ = page.create(spec)
            page.update(model_id, value=8)
            page.until(lambda m: m["type"] == "comm_msg" and m["data"].get("state", {}).get("parity") == "even")
            headers = {P.PAGE_HEADER: page.ready["page"]}
            assert client.get("/read", headers=headers).text == "8"
            assert client.get("/bump", headers=headers).text == "9"  # and the page hears of it
            seen = page.until(lambda m: m["type"] == "comm_msg" and m["data"].get("state", {}).get("value") == 9)
            assert seen["comm_id"] == model_id


def test_instance_errors_say_what_to_do(tmp_path) -> None:
    app, host = make_app(tmp_path)
    with TestClient(app, raise_server_exceptions=True) as client:
        client.get("/")
        with pytest.raises(WidgetLookupError, match=r"has no FHAW-Page header.*make it with htmx"):
            client.get("/read")
        with pytest.raises(WidgetLookupError, match=r"is not one of this visitor's pages on this process"):
            client.get("/read", headers={P.PAGE_HEADER: "made-up"})
        # from a page with worker widgets only (it has no server side, so no FHAW-Page header): the key's own story
        with pytest.raises(WidgetLookupError, match=r"'in-browser' runs in the visitor's browser \(mode='worker'\)"):
            client.get("/worker-key")
        with connect(client) as ws:
            page = Raw(ws)
            headers = {P.PAGE_HEADER: page.ready["page"]}
            with pytest.raises(WidgetLookupError, match=r"no server-mode widget with key 'range' \(yet"):
                client.get("/read", headers=headers)  # the page has not made it
            with pytest.raises(WidgetLookupError, match=r"'in-browser' runs in the visitor's browser \(mode='worker'\).*name="):
                client.get("/worker-key", headers=headers)
            # another session's request cannot name this page
            with TestClient(app, raise_server_exceptions=True) as other, pytest.raises(WidgetLookupError, match="another session"):
                other.get("/read", headers=headers)


def test_an_app_widget_is_reached_without_a_request_and_made_if_no_page_showed_it(tmp_path) -> None:
    app, host = make_app(tmp_path)
    with TestClient(app) as client:
        with pytest.raises(WidgetLookupError, match=r"no scope='app' widget with key 'board': render it first"):
            host.instance(None, "board")
        board_spec = specs(client.get("/").text)[1]
        board = host.instance(None, "board")  # made now
        board.value = 5
        with connect(client) as ws:
            page = Raw(ws)
            model_id, msgs = page.create(board_spec)
            assert model_id == board.model_id
            assert [m for m in msgs if m["type"] == "comm_open"][-1]["data"]["state"]["value"] == 5
            host.instance(None, "board").value = 6
            page.until(lambda m: m["type"] == "comm_msg" and m["data"].get("state", {}).get("value") == 6)


def test_push_sends_html_to_the_page_of_a_widget_numbered_and_replayed_after_a_reconnect(tmp_path) -> None:
    app, host = make_app(tmp_path)
    with TestClient(app) as client:
        spec = specs(client.get("/").text)[0]
        with connect(client) as ws:
            page = Raw(ws)
            page.create(spec)
            server_page = host.server.pages[page.ready["page"]]
            widget = server_page.kernel.widgets["range"]
            assert host.push(widget, Div("total: 3", id="total", hx_swap_oob="true")) == 1
            swap = page.until(lambda m: m["type"] == P.SWAP)
            assert swap["html"] == '<div hx-swap-oob="true" id="total">total: 3</div>\n'
            assert isinstance(swap[P.OSEQ], int)
            page_id = page.ready["page"]
        # offline: held, and sent when the page is back
        assert host.push(server_page, "<p id='x' hx-swap-oob='true'>later</p>") == 1
        with connect(client, f"?page={page_id}&ack={swap[P.OSEQ]}") as ws:
            page = Raw(ws)
            assert page.ready["resumed"] is True
            assert page.until(lambda m: m["type"] == P.SWAP)["html"] == "<p id='x' hx-swap-oob='true'>later</p>"


def test_push_to_an_app_widget_reaches_every_page_showing_it(tmp_path) -> None:
    app, host = make_app(tmp_path)
    with TestClient(app) as alice, TestClient(app) as bob:
        spec_a, spec_b = specs(alice.get("/").text)[1], specs(bob.get("/").text)[1]
        with connect(alice) as wa, connect(bob) as wb:
            a, b = Raw(wa), Raw(wb)
            a.create(spec_a)
            b.create(spec_b)
            assert host.push(host.instance(None, "board"), Div("hi", id="news", hx_swap_oob="true")) == 2
            for page in (a, b):
                assert page.until(lambda m: m["type"] == P.SWAP)["html"] == '<div hx-swap-oob="true" id="news">hi</div>\n'


def test_push_to_something_that_is_not_a_server_widget_says_so(tmp_path) -> None:
    _, host = make_app(tmp_path)
    with pytest.raises(WidgetLookupError, match=r"push got a str, which is not a widget"):
        host.push("total", Div())
    with pytest.raises(WidgetLookupError, match=r"not a server-mode widget of this app"):
        host.push(SimpleNamespace(model_id="0123456789abcdef"), Div())  # a widget of no page of this app


# -- the page closes what it no longer shows ---------------------------------------------

def test_a_pages_comm_close_closes_the_widget_and_tells_the_page_of_its_children(tmp_path) -> None:
    app, host = make_app(tmp_path)
    with TestClient(app) as client:
        spec = specs(client.get("/").text)[0]
        with connect(client) as ws:
            page = Raw(ws)
            model_id, msgs = page.create(spec)
            layout = next(m["comm_id"] for m in msgs if m["type"] == "comm_open" and m["comm_id"] != model_id)
            kernel = host.server.pages[page.ready["page"]].kernel
            assert "range" in kernel.widgets
            page.send({"type": "comm_close", "comm_id": model_id})
            closed = page.until(lambda m: m["type"] == "comm_close")
            assert closed["comm_id"] == layout  # the page drops its model of the layout too
            assert kernel.widgets == {} and kernel.manager.comms == {}


# -- htmx -----------------------------------------------------------------------------

def test_fasthtmls_htmx_from_a_cdn_is_served_by_the_host_and_the_copy_is_the_pinned_release(tmp_path) -> None:
    from fh_anywidget.vendor import HTMX
    from fh_anywidget.dist.fetch import fetch_npm_package

    app, _ = fast_app(secret_key="x", key_fname=str(tmp_path / ".sesskey"))
    host = AnyWidgetHost(app, dist_dir=tmp_path / "no-dist")
    srcs = [h.attrs.get("src", "") for h in app.hdrs if getattr(h, "tag", None) == "script"]
    assert not [s for s in srcs if "htmx.org" in s]
    local = host.htmx_script().attrs["src"]
    assert local in srcs and re.fullmatch(r"/_fhaw/web-\w+/vendor/htmx\.min\.js", local)
    response = TestClient(app).get(local)
    assert response.status_code == 200 and "immutable" in response.headers["cache-control"]
    tarball = fetch_npm_package(HTMX.pin, ROOT / "build" / ".cache")  # integrity-checked (scripts/test fetches it)
    with tarfile.open(tarball) as tar:
        pinned = tar.extractfile("package/dist/htmx.min.js").read()
    assert hashlib.sha256(response.content).hexdigest() == hashlib.sha256(pinned).hexdigest()
    # htmx=False leaves the app's headers alone
    app2, _ = fast_app(secret_key="x", key_fname=str(tmp_path / ".sesskey2"))
    AnyWidgetHost(app2, dist_dir=tmp_path / "no-dist", htmx=False)
    assert any("cdn.jsdelivr.net/npm/htmx.org" in (getattr(h, "attrs", {}) or {}).get("src", "") for h in app2.hdrs)


def test_args_passes_widget_arguments_whose_names_host_widget_takes_itself() -> None:
    from fastcore.xml import to_xml

    host = bare_host()
    spec = json.loads(unescape(re.search(r"data-fh-anywidget='([^']*)'", to_xml(
        host.widget(Counter, mode="server", args={"name": "x", "key": "k"}, value=1))).group(1)))
    granted = host.server.grants.check({"key": spec["key"], "grant": spec["grant"]}, "")
    assert granted[2] == {"value": 1, "name": "x", "key": "k"}
    with pytest.raises(WidgetSpecError, match=r"args=\.\.\.\) takes a dict of widget arguments that are not also given"):
        host.widget(Counter, args={"value": 2}, value=1)
    # a widget with a `name` trait given name= by mistake: the error says how to pass it
    from examples.compat.wiggly import Mirror

    with pytest.raises(WidgetSpecError, match=r"use args=\{'name': \.\.\.\}"):
        host.widget(Mirror, name="bitjet.BitView")
