"""The worker stack imports and runs inside real Pyodide, from the local dist only."""

from __future__ import annotations

from pytest_pyodide import run_in_pyodide


@run_in_pyodide(packages=["anywidget"])
def test_anywidget_stack_imports(selenium):
    import anywidget
    import comm
    import ipywidgets
    import traitlets

    assert anywidget.__version__
    assert ipywidgets.__version__.startswith("8.")
    assert traitlets.__version__
    assert comm.create_comm


@run_in_pyodide(packages=["anywidget"])
def test_anywidget_subclass_opens_its_comm(selenium):
    import comm
    import traitlets
    from comm.base_comm import BaseComm

    sent = []

    class RecordingComm(BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            sent.append((msg_type, data))

    comm.create_comm = RecordingComm

    import anywidget

    class Counter(anywidget.AnyWidget):
        _esm = """
        export default { render({ model, el }) { el.textContent = model.get("value"); } };
        """
        value = traitlets.Int(3).tag(sync=True)

    counter = Counter()
    counter.value = 4

    opened = [data["state"] for kind, data in sent if kind == "comm_open"]
    assert opened[-1]["value"] == 3
    assert "export default" in opened[-1]["_esm"]
    updates = [data for kind, data in sent if kind == "comm_msg" and data["method"] == "update"]
    assert updates[-1]["state"] == {"value": 4}


@run_in_pyodide(packages=["anywidget"])
def test_unneeded_packages_are_not_installed(selenium):
    import importlib.util

    import IPython  # noqa: F401  (imports without jedi)

    for name in ("jedi", "parso", "pexpect", "widgetsnbextension", "jupyterlab_widgets", "micropip"):
        assert importlib.util.find_spec(name) is None, name


@run_in_pyodide
async def test_network_beyond_this_machine_is_refused(selenium):
    import pytest
    from pyodide.http import pyfetch

    with pytest.raises(Exception, match="offline"):
        await pyfetch("https://cdn.jsdelivr.net/pyodide/v314.0.7/full/pyodide-lock.json")
