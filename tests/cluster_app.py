"""The app that tests/test_server_cluster.py runs on several uvicorn processes sharing one
redis-server (``FHAW_BROKER``, set by the test). Its widgets live here, so every process imports
them as ``cluster_app:...``.

- ``/`` the shared widgets: a Counter (``scope="app"``), ``Logged`` (its observer appends one line
  per change to ``FHAW_TEST_LOG``: counted once, or once per process?) and ``Shouter`` (Python
  sends a custom message to everyone who shows it);
- ``/page`` a Counter of the page's own (``scope="page"``);
- ``/pid`` which process answered.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import anywidget
import traitlets
from fasthtml.common import Div, fast_app

from examples.widgets import Counter
from fh_anywidget import AnyWidgetHost


class Logged(anywidget.AnyWidget):
    """An observer with a side effect outside the widget: a line in a log file per change."""

    _esm = "export default {}"
    value = traitlets.Int(0).tag(sync=True)

    @traitlets.observe("value")
    def _log(self, change: dict[str, Any]) -> None:
        with open(os.environ["FHAW_TEST_LOG"], "a") as f:
            f.write(f"{os.getpid()} {change['new']}\n")


class Shouter(anywidget.AnyWidget):
    """Python answers ``{"op": "shout", "n": N}`` with a custom message to every page showing it."""

    _esm = "export default {}"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_msg(self._on_msg)

    def _on_msg(self, _widget: Any, content: dict[str, Any], _buffers: list[memoryview]) -> None:
        if content.get("op") == "shout":
            self.send({"op": "heard", "n": content.get("n"), "pid": os.getpid()})


_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter(f"%(asctime)s {os.getpid()} %(levelname)s %(message)s"))
logging.getLogger("fh_anywidget").addHandler(_handler)
logging.getLogger("fh_anywidget").setLevel(logging.INFO)  # the test's app*.log show the broker's life

app, rt = fast_app(default_hdrs=False, pico=False, secret_key="cluster-test-secret", key_fname=os.devnull)
host = AnyWidgetHost(app, dist_dir="build/no-dist-for-cluster-tests", server_grace_seconds=60,
                     broker_namespace=os.environ.get("FHAW_TEST_NAMESPACE", "fhaw"))


@rt("/")
def index():
    return Div(host.widget(Counter, mode="server", scope="app", key="board", value=0),
               host.widget(Logged, mode="server", scope="app", key="log"),
               host.widget(Shouter, mode="server", scope="app", key="shout"))


@rt("/page")
def page():
    return host.widget(Counter, mode="server", value=0)


@rt("/pid")
def pid():
    return str(os.getpid())
