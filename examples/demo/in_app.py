"""The demo's pages where widgets take part in the FastHTML app (tests/browser/test_htmx.py drives
them, in both modes): a widget as a form field, an htmx request on its ``fhaw:change``, a response
that drives another widget, a route that reads a server-mode widget, server code that pushes HTML,
a section swapped in and out, and two pages linked with ``hx-boost``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fasthtml.common import H2, A, Button, Div, Form, Nav, Option, P, Section, Select

from examples.widgets import BarChart, Census, Counter, RangeSlider

REGIONS = {"EU": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3], "US": [2, 7, 1, 8, 2, 8, 1, 8, 2, 8]}


def rows(region: str, lo: float, hi: float) -> list[float]:
    """The region's monthly figures from month ``lo`` to ``hi`` (the demo's data)."""
    figures = REGIONS.get(region, [])
    return [float(v) for v in figures[int(max(lo, 0)):int(min(hi, len(figures) - 1)) + 1]]


def mount(rt: Any, host: Any, widget: Callable[..., Any], page: Callable[..., Any], root: Callable[[], str],
          mode: Callable[[], str]) -> None:
    """Add the pages to the demo app (its ``rt``, ``host`` and page helpers)."""

    @rt("/htmx")
    def htmx_page():
        return page(
            "Widgets and HTMX",
            Section(
                H2("A widget as a form field; htmx posts on its fhaw:change"),
                Form(hx_post=root() + "/htmx/report", hx_target="#report", hx_trigger="fhaw:change delay:200ms, submit",
                     id="filters")(
                    widget(RangeSlider, key="range", name="range", value=[2, 6], max=9, label="Months"),
                    Select(Option("EU"), Option("US"), name="region"),
                    Button("Show", type="submit")),
                Div(id="report"),
                id="form-section"),
            Section(H2("Driven by the response: host.update('chart', data=...)"),
                    widget(BarChart, key="chart", title="Figures", data=[1, 1, 1]), id="chart-section"),
            Section(H2("A plain form, no htmx"),
                    Form(method="post", action=root() + "/htmx/plain", id="plain")(
                        widget(Counter, key="count", name="count", value=2), Button("Send", type="submit")),
                    id="plain-section"),
            Section(H2("Bad input"),
                    # by name: the class is not inspected at render, so the browser finds the bytes
                    Div(widget("examples.widgets.echo:Echo", key="bytes", name="payload", field="payload"), id="bytes-field"),
                    Button("Update a key that is not here", hx_post=root() + "/htmx/bad-update?what=key",
                           hx_target="#bad-out", id="bad-key"),
                    Button("Update a trait the chart has not", hx_post=root() + "/htmx/bad-update?what=trait",
                           hx_target="#bad-out", id="bad-trait"),
                    Button("A header that is not JSON", hx_post=root() + "/htmx/bad-update?what=header",
                           hx_swap="none", id="bad-header"),
                    Button("Update by header", hx_post=root() + "/htmx/header-update", hx_swap="none", id="header-update"),
                    Div(id="bad-out"), id="bad-section"),
            *server_sections(),
        )

    def server_sections() -> list[Any]:
        if mode() != "server":
            return []
        return [Section(H2("Server mode: a route reads the widget, its observer pushes HTML"),
                        host.widget(Counter, mode="server", key="clicks", value=0),
                        Button("What does the server see?", hx_post="/server/htmx/instance", hx_target="#instance-out",
                               id="ask-instance"),
                        Div(id="instance-out"), Div("no push yet", id="pushed"), id="server-section")]

    @rt("/htmx/report", methods=["post"])
    def report(range: str, region: str):  # noqa: A002 - the form field's name
        lo, hi = json.loads(range)
        data = rows(region, lo, hi)
        return (Div(f"{region}: months {lo:g}..{hi:g}, {len(data)} figures", id="report-text"),
                host.update("chart", data=data, title=f"{region}, months {lo:g}-{hi:g}"))

    @rt("/htmx/plain", methods=["post"])
    def plain(count: str):
        return page("The form arrived", P(f"count={count}", id="got"))

    @rt("/htmx/bad-update", methods=["post"])
    def bad_update(what: str):
        if what == "key":
            return host.update("no-such-widget", value=1)
        if what == "trait":
            return host.update("chart", datta=[1, 2])
        from fasthtml.common import HttpHeader

        return HttpHeader("FHAW-Update", "{not json")

    @rt("/htmx/header-update", methods=["post"])
    def header_update():
        return host.update_header("chart", data=[5, 5], title="From a header")

    @rt("/htmx/instance", methods=["post"])  # POST: a static export leaves it out
    def instance(req):
        clicks = host.instance(req, "clicks")
        host.push(clicks, Div(f"pushed: the server saw {clicks.value}", id="pushed", hx_swap_oob="true"))
        return P(f"the server's widget has value {clicks.value}", id="instance-text")

    @rt("/htmx/latency")
    def latency_page():
        """scripts/bench_app.py: a change of the widget posts the form at once (no delay)."""
        return page("From a widget change to the response swapped in",
                    Form(hx_post=root() + "/htmx/echo", hx_trigger="fhaw:change", hx_target="#echo", id="latency")(
                        widget(RangeSlider, key="range", name="range", value=[0, 5], max=1000)),
                    Div(id="echo"))

    @rt("/htmx/echo", methods=["post"])
    def echo(range: str):  # noqa: A002 - the form field's name
        return P(range, id="echo-text")

    # (the routes above that answer htmx only are POST: a static export renders every GET route)

    # -- lifecycle: a section swapped in and out; two pages joined by hx-boost --------------

    @rt("/htmx/swap")
    def swap_page():
        return page("A section swapped in and out",
                    Section(H2("Python's census of this page"), widget(Census, key="census"), id="census-section"),
                    Section(H2("The slot"), Button("Swap", hx_get=root() + "/htmx/slot?n=1", hx_target="#slot", id="swap"),
                            Div(id="slot"), id="slot-section"))

    @rt("/htmx/slot")
    def slot(n: int = 0):
        return Div(widget(Counter, key=f"slot-{n}", value=n), id=f"slot-{n}")

    def boost_nav():
        return Nav(A("Page A", href=root() + "/htmx/boost-a", id="to-a"), A("Page B", href=root() + "/htmx/boost-b", id="to-b"),
                   hx_boost="true")

    @rt("/htmx/boost-a")
    def boost_a():
        return page("hx-boost: page A", boost_nav(), Section(H2("A counter on page A"), widget(Counter, value=10), id="on-a"))

    @rt("/htmx/boost-b")
    def boost_b():
        return page("hx-boost: page B", boost_nav(), Section(H2("A counter on page B"), widget(Counter, value=20), id="on-b"))
