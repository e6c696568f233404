"""The protocol's names are written twice, once per language: web/shared/protocol.js for the page and
the worker, ``fh_anywidget.kernel.protocol`` for Python. Both must name the same message types, comm
methods and envelope keys, with the same values (docs/protocol.md)."""

from __future__ import annotations

import re

import pytest

import fh_anywidget.kernel.protocol as P
from fh_anywidget.host import web_dir

PROTOCOL_JS = web_dir() / "shared" / "protocol.js"

JS_ONLY = {
    "WIDGET_REF_PREFIX": "the page resolves anywidget's widget references; anywidget's Python makes them",
}
"""Names that only one side needs, and why."""
PY_ONLY: dict[str, str] = {}

NAME = re.compile(r"[A-Z][A-Z0-9_]*")
"""A protocol name: UPPER_SNAKE (the JS module's other exports are functions, in camelCase)."""


def js_names(source: str) -> dict[str, str]:
    """The protocol names a protocol.js source exports (``export const NAME = "value";``). An
    UPPER_SNAKE export whose value is not a plain string literal is an error, not skipped."""
    names: dict[str, str] = {}
    for name, value in re.findall(r"^export const (\w+)\s*=\s*(.*)$", source, re.M):
        if not NAME.fullmatch(name):
            continue
        literal = re.fullmatch(r'"([^"\\]*)";', value.strip())
        assert literal, f"protocol.js exports {name} = {value.strip()!r}; this test reads only string literals"
        names[name] = literal.group(1)
    return names


def py_names(module: object) -> dict[str, str]:
    """The protocol names (UPPER_SNAKE string constants) of the Python mirror."""
    return {name: value for name, value in vars(module).items() if NAME.fullmatch(name) and isinstance(value, str)}


def differences(js: dict[str, str], py: dict[str, str]) -> list[str]:
    """What differs between the two mirrors, one line each (empty when they agree)."""
    out = []
    for name in sorted(js.keys() | py.keys()):
        if name not in py and name not in JS_ONLY:
            out.append(f"{name} = {js[name]!r} is in protocol.js only")
        elif name not in js and name not in PY_ONLY:
            out.append(f"{name} = {py[name]!r} is in protocol.py only")
        elif name in js and name in py and js[name] != py[name]:
            out.append(f"{name} is {js[name]!r} in protocol.js, {py[name]!r} in protocol.py")
    return out


def test_both_mirrors_name_the_same_types_methods_and_envelope_keys_with_the_same_values() -> None:
    js, py = js_names(PROTOCOL_JS.read_text()), py_names(P)
    assert differences(js, py) == []
    # the readers found the protocol, not nothing: types, methods and the worker's envelope
    for name in ("CREATE", "COMM_MSG", "READY", "UPDATE", "CUSTOM", "NBUFFERS", "ENVELOPE_MSG", "ENVELOPE_TEXT",
                 "ENVELOPE_BUFFERS", "ENVELOPE_RECYCLE"):
        assert name in js and name in py, name
    assert {py["ENVELOPE_MSG"], py["ENVELOPE_TEXT"], py["ENVELOPE_BUFFERS"], py["ENVELOPE_RECYCLE"]} == {
        "msg", "text", "buffers", "recycle"}


def test_python_s_sets_of_accepted_types_and_methods_hold_only_names_of_both_mirrors() -> None:
    shared = set(js_names(PROTOCOL_JS.read_text()).values()) & set(py_names(P).values())
    assert P.PAGE_TO_PYTHON <= shared and P.PAGE_METHODS <= shared


def test_a_name_that_differs_missing_or_unreadable_on_one_side_is_reported() -> None:
    source = PROTOCOL_JS.read_text()
    py = py_names(P)
    changed = js_names(source.replace('export const ECHO_UPDATE = "echo_update";', 'export const ECHO_UPDATE = "echo";'))
    assert differences(changed, py) == ["ECHO_UPDATE is 'echo' in protocol.js, 'echo_update' in protocol.py"]
    missing = js_names(source.replace('export const ENVELOPE_RECYCLE = "recycle";\n', ""))
    assert differences(missing, py) == ["ENVELOPE_RECYCLE = 'recycle' is in protocol.py only"]
    added = js_names(source + '\nexport const ENVELOPE_PORT = "port";\n')
    assert differences(added, py) == ["ENVELOPE_PORT = 'port' is in protocol.js only"]
    with pytest.raises(AssertionError, match="exports RECYCLE = '`recycle`;'"):
        js_names(source + "\nexport const RECYCLE = `recycle`;\n")
