"""A choice among a few options, as a row of buttons: ``value`` is the chosen option."""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

HERE = Path(__file__).parent


class Choice(anywidget.AnyWidget):
    _esm = HERE / "choice.js"

    options = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    value = traitlets.Unicode("").tag(sync=True)
