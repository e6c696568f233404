"""The report-only Content-Security-Policy on pages with widgets (fh_anywidget.csp): it lets the
page name the outside URL a widget failed to load, blocks nothing, and leaves the app's own alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fasthtml.common import HttpHeader, fast_app
from starlette.testclient import TestClient

from fh_anywidget import AnyWidgetHost
from fh_anywidget.csp import POLICY, with_policy

REPORT_ONLY = "content-security-policy-report-only"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    d = tmp_path / "dist"
    d.mkdir()
    (d / "fh-anywidget.json").write_text(json.dumps({"stack": ["anywidget"], "packages": []}))
    (d / "pyodide-lock.json").write_text("{}")
    return d


def app_with_pages(dist: Path, **options):
    app, rt = fast_app()
    host = AnyWidgetHost(app, dist_dir=dist, **options)
    target = "fh_anywidget:AnyWidgetHost"  # any importable "module:name": the server never makes a worker widget

    @rt("/worker")
    def worker():
        return host.widget(target)

    @rt("/server")
    def server():
        return host.widget("json:JSONDecoder", mode="server")

    @rt("/plain")
    def plain():
        return "no widgets here"

    @rt("/own-report-only")
    def own_report_only():
        return host.widget(target), HttpHeader("Content-Security-Policy-Report-Only", "default-src 'none'; report-uri /r")

    @rt("/own-enforced")
    def own_enforced():
        return host.widget(target), HttpHeader("Content-Security-Policy", "default-src 'self' 'unsafe-inline'")

    return TestClient(app), host


def test_pages_with_widgets_of_either_mode_get_the_report_only_policy(dist):
    client, _ = app_with_pages(dist)
    for path in ("/worker", "/server"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers.get(REPORT_ONLY) == POLICY, path
        assert "content-security-policy" not in response.headers, "nothing is enforced"


def test_the_policy_allows_the_site_blob_data_inline_and_eval_and_nothing_else():
    sources = POLICY.removeprefix("default-src ").split()
    assert POLICY.startswith("default-src ") and ";" not in POLICY
    assert set(sources) == {"'self'", "blob:", "data:", "'unsafe-inline'", "'unsafe-eval'", "'wasm-unsafe-eval'"}


def test_pages_without_widgets_and_other_responses_are_left_alone(dist):
    client, host = app_with_pages(dist)
    assert REPORT_ONLY not in client.get("/plain").headers
    assert REPORT_ONLY not in client.get(f"/_fhaw/{host.web.slug}/runtime.js").headers


def test_the_apps_own_report_only_policy_is_kept_and_an_enforced_one_is_left_as_it_is(dist):
    client, _ = app_with_pages(dist)
    own = client.get("/own-report-only").headers
    assert own.get_list(REPORT_ONLY) == ["default-src 'none'; report-uri /r"]
    enforced = client.get("/own-enforced").headers
    assert enforced.get_list("content-security-policy") == ["default-src 'self' 'unsafe-inline'"]
    assert enforced.get(REPORT_ONLY) == POLICY


def test_offline_csp_false_adds_nothing(dist):
    client, _ = app_with_pages(dist, offline_csp=False)
    assert REPORT_ONLY not in client.get("/worker").headers
    assert REPORT_ONLY not in client.get("/server").headers


def test_with_policy_adds_only_to_html_headers_without_one():
    html = [(b"content-type", b"text/html; charset=utf-8")]
    assert with_policy(html) == [*html, (REPORT_ONLY.encode(), POLICY.encode())]
    assert with_policy([(b"content-type", b"application/json")]) == [(b"content-type", b"application/json")]
    mine = [*html, (b"Content-Security-Policy-Report-Only", b"img-src 'self'")]
    assert with_policy(mine) == mine
