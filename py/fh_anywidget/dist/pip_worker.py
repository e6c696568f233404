"""Run pip for the browser worker: wheels for its platform only, markers evaluated for its Python."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import DistError
from .pip_errors import explain_pip_failure
from .wheels import WorkerTarget

PIP_FOR_WORKER = """
import json, sys
from pip._vendor.packaging import markers
worker = json.loads(sys.argv.pop(1))
here = markers.default_environment
markers.default_environment = lambda: {**here(), **worker}
from pip._internal.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
"""`python -c PIP_FOR_WORKER MARKERS_JSON pip-args...`: pip, with PEP 508 markers evaluated in the
worker's environment (pip evaluates every marker through its vendored `default_environment`)."""


def pip_download(
    requirements: Sequence[str], target: WorkerTarget, dest: Path, *, extra_args: Sequence[str] = ()
) -> None:
    """`pip download` wheels for the worker into `dest`; a failure raises a `DistError` that says why.

    Dependency markers are evaluated for the worker (`sys_platform == "emscripten"`, its Python
    version), not for this machine: pip's `--platform` flags choose wheels but leave markers to
    the running interpreter, so a release that needs a package only off Emscripten (IPython 9.13+:
    `psutil; sys_platform != "emscripten"`) would look uninstallable and pip would fall back to an
    older one.
    """
    dest.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-c", PIP_FOR_WORKER, json.dumps(target.marker_environment()),
        "download", "--disable-pip-version-check", "--no-input",
        "--quiet", *target.pip_flags(), "--dest", str(dest), *extra_args, *requirements,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise DistError(explain_pip_failure(result.stderr, target))
