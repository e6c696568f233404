"""The Python that runs wherever widgets run: in the browser's Pyodide worker and in the server.

This folder (with the package's own ``__init__.py``) is exactly what ships into the worker
(:func:`fh_anywidget.snapshot.kernel_files`): it imports no FastHTML and nothing outside it but
ipywidgets, anywidget, traitlets and comm.

- :mod:`.protocol`: the protocol's names (mirrored by web/shared/protocol.js).
- :mod:`.comms`: the ``comm`` backend that carries ipywidgets' own messages.
- :mod:`.kernel`: one connection's widgets and comms; messages in and out.
- :mod:`.encoding`, :mod:`.targets`: JSON text; ``"module:name"`` targets and model ids.
- :mod:`.ipywidgets_api`: the ipywidgets internals relied on, with the versions checked.
- :mod:`.warmup`: what ``fh-anywidget dist`` runs before it saves the memory snapshot.
- :mod:`.bridge`: the worker's side (Pyodide only).
"""

from __future__ import annotations

from .comms import Buffer, KernelComm, ProtocolError, current_comm
from .encoding import to_json
from .kernel import Kernel, Send, check_page_message, signature_of
from .targets import import_target, model_id_of
from .warmup import warm_up

__all__ = ["Buffer", "Kernel", "KernelComm", "ProtocolError", "Send", "check_page_message", "current_comm",
           "import_target", "model_id_of", "signature_of", "to_json", "warm_up"]
