"""The dashboard: filters are widgets in a form (``name=``), a change of any of them makes htmx
post the form (``hx-trigger="fhaw:change"``), and the response is the table plus an update of the
chart (``host.update``) and of the server-mode simulation (``host.instance``), whose own observer
pushes its summary to the page (``fh_anywidget.push``).

It is part of the demo (``./scripts/demo``, then /dashboard), mounted by :func:`mount`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fasthtml.common import H2, Div, Form, P, Section, Table, Tbody, Td, Th, Thead, Tr

from examples.widgets import BarChart, Choice, RangeSlider

from .simulation import Simulation

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
REGIONS = ["EU", "US", "Asia"]


def sales(region: str, month: int) -> float:
    """The demo's data: a season and a trend per region (no randomness: the tests read it)."""
    base = {"EU": 120, "US": 150, "Asia": 90}.get(region, 100)
    return round(base * (1 + 0.04 * month) + 20 * ((month * 7 + len(region)) % 5), 1)


def table(region: str, lo: int, hi: int) -> Any:
    months = range(max(0, lo), min(11, hi) + 1)
    body = [Tr(Td(MONTHS[m]), Td(f"{sales(region, m):.1f}")) for m in months]
    total = sum(sales(region, m) for m in months)
    return Table(Thead(Tr(Th("Month"), Th(f"Sales, {region}"))), Tbody(*body, Tr(Th("Total"), Th(f"{total:.1f}"))),
                 id="sales", data_rows=str(len(body)))


def mount(rt: Any, host: Any, widget: Callable[..., Any], page: Callable[..., Any], root: Callable[[], str]) -> None:
    """Add /dashboard and its partial to the demo app."""

    @rt("/dashboard")
    def dashboard():
        region, lo, hi = "EU", 0, 5
        return page(
            "Dashboard",
            Section(H2("Filters (widgets in a form)"),
                    Form(hx_post=root() + "/dashboard/table", hx_trigger="fhaw:change delay:150ms", hx_target="#table",
                         id="dashboard-filters")(
                        widget(Choice, key="region", name="region", options=REGIONS, value=region),
                        widget(RangeSlider, key="months", name="months", value=[lo, hi], max=11, label="Months")),
                    id="filters-section"),
            Section(H2("Sales (an htmx partial)"), Div(table(region, lo, hi), id="table"),
                    widget(BarChart, key="trend", title="Sales by month", data=[sales(region, m) for m in range(lo, hi + 1)],
                           labels=MONTHS[lo:hi + 1]), id="table-section"),
            Section(H2("Simulation (numpy, on the server)"),
                    host.widget(Simulation, mode="server", key="sim", region=region),
                    Div(P("Move the slider, or change the region."), id="summary"), id="sim-section"),
        )

    @rt("/dashboard/table", methods=["post"])
    def table_partial(req, region: str, months: str):
        lo, hi = (int(v) for v in json.loads(months))
        try:
            host.instance(req, "sim").region = region  # its observer runs the simulation and pushes the summary
        except LookupError as exc:  # a page that has not connected yet: the table still comes
            print(f"dashboard: {exc}")
        return table(region, lo, hi), host.update("trend", data=[sales(region, m) for m in range(lo, hi + 1)],
                                                  labels=MONTHS[lo:hi + 1], title=f"Sales by month, {region}")
