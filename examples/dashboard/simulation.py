"""A server-mode widget: a numpy Monte Carlo of a region's next months, run on the server whenever
the visitor changes the number of paths (in the widget) or the app changes the region (a route,
through ``host.instance``). Its observer pushes a summary to the page (``fh_anywidget.push``):
the page's HTML changes without a request."""

from __future__ import annotations

from typing import Any

import anywidget
import numpy as np
import traitlets
from fasthtml.common import Div, Span, Strong

import fh_anywidget


class Simulation(anywidget.AnyWidget):
    _esm = """
    export default {
      render({ model, el }) {
        el.innerHTML = `<label>Paths <input type="range" min="100" max="20000" step="100" class="sim-paths"></label>
          <output class="sim-status"></output>`;
        const input = el.querySelector(".sim-paths");
        const status = el.querySelector(".sim-status");
        const show = () => {
          input.value = String(model.get("paths"));
          status.textContent = `${model.get("paths")} paths for ${model.get("region")}, run ${model.get("runs")} time(s)`;
          el.dataset.runs = String(model.get("runs"));
        };
        input.addEventListener("change", () => { model.set("paths", Number(input.value)); model.save_changes(); });
        for (const name of ["change:paths", "change:region", "change:runs"]) model.on(name, show);
        show();
      },
    };
    """

    region = traitlets.Unicode("EU").tag(sync=True)
    paths = traitlets.Int(2000).tag(sync=True)
    start = traitlets.Float(100.0).tag(sync=True)
    runs = traitlets.Int(0).tag(sync=True)
    """Set only by Python: how many simulations ran."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.summary: dict[str, float] = {}

    @traitlets.observe("region", "paths", "start")
    def _run(self, _change: dict[str, Any]) -> None:
        seed = sum(map(ord, self.region))
        steps = np.random.default_rng(seed).normal(0.01, 0.05, size=(max(1, self.paths), 6))
        final = self.start * np.exp(steps.sum(axis=1))
        self.summary = {"mean": float(final.mean()), "p5": float(np.percentile(final, 5)),
                        "p95": float(np.percentile(final, 95))}
        self.runs += 1
        fh_anywidget.push(self, summary_html(self.region, self.paths, self.summary))


def summary_html(region: str, paths: int, summary: dict[str, float]) -> Any:
    """The summary the simulation pushes, swapped in for the page's ``#summary``."""
    return Div(Strong(f"{region}, in 6 months ({paths} paths): "),
               Span(f"mean {summary['mean']:.1f}, 90% between {summary['p5']:.1f} and {summary['p95']:.1f}"),
               id="summary", hx_swap_oob="true", data_runs=str(paths))
