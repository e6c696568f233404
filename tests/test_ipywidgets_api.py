"""fh_anywidget.kernel.ipywidgets_api: the ipywidgets/comm internals fh-anywidget relies on are
there in the installed versions, and a release that changes them fails loudly, saying what."""

from __future__ import annotations

import types

import pytest
from ipywidgets.widgets import widget as ipywidgets_widget

from fh_anywidget.kernel import ipywidgets_api


def test_the_installed_ipywidgets_and_comm_have_what_fh_anywidget_relies_on() -> None:
    ipywidgets_api.check()


def test_the_versions_checked_against_are_the_ones_installed() -> None:
    from importlib.metadata import version  # noqa: PLC0415

    for name, checked in ipywidgets_api.CHECKED_AGAINST.items():
        assert version(name) == checked, f"{name} {version(name)} is installed; recheck ipywidgets_api.py and update CHECKED_AGAINST"


def test_an_ipywidgets_without_its_widget_registry_fails_with_a_message_that_names_it() -> None:
    changed = types.SimpleNamespace(_remove_buffers=ipywidgets_widget._remove_buffers)  # no _instances
    with pytest.raises(ipywidgets_api.UnsupportedVersion, match=r"_instances.*checked against ipywidgets 8\.1\.9"):
        ipywidgets_api.check(widget_module=changed)


def test_a_comm_without_its_hooks_fails_with_a_message_that_names_them() -> None:
    with pytest.raises(ipywidgets_api.UnsupportedVersion, match=r"comm\.create_comm is gone; comm\.get_comm_manager is gone"):
        ipywidgets_api.check(comm_module=types.SimpleNamespace())


def test_split_buffers_takes_binary_values_out_of_a_state_as_comm_open_sends_them() -> None:
    state, paths, buffers = ipywidgets_api.split_buffers({"a": 1, "img": b"\x01\x02", "nested": {"b": memoryview(b"x")}})
    assert state == {"a": 1, "nested": {}} and paths == [["img"], ["nested", "b"]]
    assert [bytes(b) for b in buffers] == [b"\x01\x02", b"x"]
