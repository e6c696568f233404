"""Run `run_in_pyodide` tests in Node against the test dist, offline.

Defaults, unless given on the command line: `--dist-dir build/pyodide-test` and `--runtime node`.
Build the test dist first (it adds the wheels `run_in_pyodide` loads: pytest 8.4 and tblib):

    python -m fh_anywidget dist --package pytest==8.4.2 --package tblib --out build/pyodide-test

Pyodide is loaded with `packageBaseUrl` at the dist, so it never falls back to its CDN, and Node
runs with `offline_guard.cjs`, which makes any connection off this machine throw.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_pyodide.config import get_global_config
from pytest_pyodide.hook import pytest_wrapper

REPO = Path(__file__).resolve().parents[2]
TEST_DIST = REPO / "build" / "pyodide-test"
BUILD_COMMAND = "python -m fh_anywidget dist --package pytest==8.4.2 --package tblib --out build/pyodide-test"
HERE = Path(__file__).resolve().parent
GUARD = HERE / "offline_guard.cjs"

LOAD_PYODIDE = """
let pyodide = await loadPyodide({
  fullStdLib: false,
  jsglobals: self,
  packageBaseUrl: process.cwd() + "/",
});
"""


def _given(config: pytest.Config, option: str) -> bool:
    return any(arg == option or arg.startswith(option + "=") for arg in config.invocation_params.args)


def pytest_configure(config: pytest.Config) -> None:
    if not _given(config, "--dist-dir"):
        config.option.dist_dir = TEST_DIST
        pytest_wrapper.pyodide_dist_dir = TEST_DIST
    settings = get_global_config()
    settings.set_load_pyodide_script("node", LOAD_PYODIDE)
    settings.set_flags("node", [*settings.get_flags("node"), "--require", str(GUARD)])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    dist = Path(config.option.dist_dir)
    if (dist / "pyodide.js").is_file() and (dist / "pyodide-lock.json").is_file():
        return
    skip = pytest.mark.skip(reason=f"no Pyodide test dist in {dist}; build it with `{BUILD_COMMAND}`")
    for item in items:
        if HERE in Path(item.fspath).resolve().parents:
            item.add_marker(skip)
